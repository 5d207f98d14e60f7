package sqlite

import (
	"database/sql"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/filedge/filedge/pkg/record"
)

func TestTypeOfDeclaredMapsDeclaredTypesBack(t *testing.T) {
	for typ, decl := range declaredTypes {
		if got := typeOfDeclared(decl); got != typ {
			t.Errorf("typeOfDeclared(%q) = %v, want %v", decl, got, typ)
		}
	}
	for _, tc := range []struct {
		decl string
		want record.Type
	}{
		{"integer", record.Integer},
		{"UNSIGNED BIG INT", record.Integer},
		{"VARCHAR(255)", record.String},
		{"NVARCHAR", record.String},
		{"DATETIME", record.Timestamp},
		{"real", record.Float},
		{"FLOAT", record.Float},
		{"DECIMAL(10,5)", record.Float}, // NUMERIC affinity: made by others, holds floats
		{"NUMERIC", record.Float},
		{"DECIMALTEXT(12,2)", record.DecimalOf(12, 2)},
		{"decimaltext( 76 , 0 )", record.DecimalOf(76, 0)},
		{"DECIMALTEXT", record.Decimal},
		{"DECIMALTEXT(80,2)", record.String},
		{"json", record.JSON},
		{"bool", record.Boolean},
		{"", record.String},
		{"BLOB", record.String},
	} {
		t.Run(tc.decl, func(t *testing.T) {
			if got := typeOfDeclared(tc.decl); got != tc.want {
				t.Errorf("typeOfDeclared(%q) = %v, want %v", tc.decl, got, tc.want)
			}
		})
	}
}

func TestStoreValueConvertsNarrowerValues(t *testing.T) {
	day := time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC)
	instant := time.Date(2024, 1, 2, 3, 4, 5, 600000000, time.UTC)
	for _, tc := range []struct {
		name     string
		v        any
		from, to record.Type
		want     any
	}{
		{"IntegerAsInteger", int64(-7), record.Integer, record.Integer, int64(-7)},
		{"IntegerToFloat", int64(3), record.Integer, record.Float, 3.0},
		{"IntegerToString", int64(-42), record.Integer, record.String, "-42"},
		{"FloatToString", 1e20, record.Float, record.String, "1e+20"},
		{"FloatToStringShortest", 0.1, record.Float, record.String, "0.1"},
		{"BooleanStored", true, record.Boolean, record.Boolean, int64(1)},
		{"BooleanToString", false, record.Boolean, record.String, "false"},
		{"DateStored", day, record.Date, record.Date, "2024-01-02"},
		{"DateToTimestamp", day, record.Date, record.Timestamp, "2024-01-02T00:00:00.000000Z"},
		{"DateToString", day, record.Date, record.String, "2024-01-02"},
		{"TimestampStored", instant, record.Timestamp, record.Timestamp, "2024-01-02T03:04:05.600000Z"},
		{"TimestampToString", instant, record.Timestamp, record.String, "2024-01-02T03:04:05.6Z"},
		{"JSONToString", `{"a":1}`, record.JSON, record.String, `{"a":1}`},
		{"IntegerToJSON", int64(5), record.Integer, record.JSON, "5"},
		{"StringToJSON", `say "hi"`, record.String, record.JSON, `"say \"hi\""`},
		{"InfinityToJSON", math.Inf(1), record.Float, record.JSON, `"+Inf"`},
		{"Null", nil, record.Integer, record.String, nil},
		{"DecimalStoredWithItsScale", "12.5", record.DecimalOf(10, 1), record.DecimalOf(10, 2), "12.50"},
		{"DecimalExact", "12345678901234.56", record.DecimalOf(16, 2), record.DecimalOf(16, 2), "12345678901234.56"},
		{"IntegerToDecimal", int64(math.MinInt64), record.Integer, record.DecimalOf(21, 2), "-9223372036854775808.00"},
		{"DecimalToString", "-0.010", record.DecimalOf(10, 3), record.String, "-0.010"},
		{"DecimalToJSON", "-0.010", record.DecimalOf(10, 3), record.JSON, "-0.010"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := storeValue(tc.v, tc.from, tc.to); got != tc.want {
				t.Errorf("storeValue(%#v, %v, %v) = %#v, want %#v", tc.v, tc.from, tc.to, got, tc.want)
			}
		})
	}
}

func TestConvertStoredMatchesBatchConversion(t *testing.T) {
	for _, tc := range []struct {
		name     string
		stored   any
		from, to record.Type
		want     any
	}{
		{"IntegerToFloat", int64(2), record.Integer, record.Float, 2.0},
		{"IntegerToString", int64(-2), record.Integer, record.String, "-2"},
		{"FloatToString", 2.5, record.Float, record.String, "2.5"},
		{"BooleanToString", int64(1), record.Boolean, record.String, "true"},
		{"DateToTimestamp", "2024-01-02", record.Date, record.Timestamp, "2024-01-02T00:00:00.000000Z"},
		{"TimestampToString", "2024-01-02T03:04:05.600000Z", record.Timestamp, record.String, "2024-01-02T03:04:05.6Z"},
		{"BytesAreText", []byte("x"), record.JSON, record.String, "x"},
		{"ForeignValueBecomesText", "not a number", record.Integer, record.String, "not a number"},
		{"ForeignValueKept", "not a number", record.Integer, record.Float, "not a number"},
		{"Null", nil, record.Integer, record.Float, nil},
		{"DecimalToWiderDecimal", "1.50", record.DecimalOf(10, 2), record.DecimalOf(12, 4), "1.5000"},
		{"IntegerToDecimal", int64(7), record.Integer, record.DecimalOf(21, 2), "7.00"},
		{"DecimalToString", "1.50", record.DecimalOf(10, 2), record.String, "1.50"},
		{"ForeignValueInADecimalColumnKept", 1.5, record.DecimalOf(10, 2), record.DecimalOf(12, 4), 1.5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := convertStored(tc.stored, tc.from, tc.to); got != tc.want {
				t.Errorf("convertStored(%#v, %v, %v) = %#v, want %#v", tc.stored, tc.from, tc.to, got, tc.want)
			}
		})
	}
}

func TestCellFunctionRefusesUnknownCursors(t *testing.T) {
	db, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "cell.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var v any
	err = db.QueryRowContext(t.Context(), "SELECT "+cellFunc+"(12345678, 0, 0)").Scan(&v)
	if err == nil || !strings.Contains(err.Error(), errBadCell.Error()) {
		t.Errorf("%s on an unknown cursor = %v, %v; want %v", cellFunc, v, err, errBadCell)
	}
}
