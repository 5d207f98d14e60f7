package record

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/decimal256"
)

func TestParseDecimalIsExactAndCanonical(t *testing.T) {
	for _, tt := range []struct {
		in         string
		want       string
		intD, frac int
	}{
		{"0", "0", 0, 0},
		{"-0", "0", 0, 0},
		{"+0.000", "0", 0, 0},
		{"0e999999999", "0", 0, 0},
		{"12345678901234.56", "12345678901234.56", 14, 2},
		{"-0.01", "-0.01", 0, 2},
		{"007", "7", 1, 0},
		{"1.50", "1.5", 1, 1},
		{"100", "100", 3, 0},
		{"100.00", "100", 3, 0},
		{".5", "0.5", 0, 1},
		{"-.5", "-0.5", 0, 1},
		{"5.", "5", 1, 0},
		{"1.5e3", "1500", 4, 0},
		{"1.25E+2", "125", 3, 0},
		{"125e-4", "0.0125", 0, 4},
		{"-1234.5e-2", "-12.345", 2, 3},
		{"99999999999999999999999999999999999999", "99999999999999999999999999999999999999", 38, 0},
		{"-0.00000000000000000000000000000000000001", "-0.00000000000000000000000000000000000001", 0, 38},
		{strings.Repeat("9", 76), strings.Repeat("9", 76), 76, 0},
		{"1e75", "1" + strings.Repeat("0", 75), 76, 0},
	} {
		got, intD, frac, err := parseDecimal(nil, tt.in)
		if err != nil || string(got) != tt.want || intD != tt.intD || frac != tt.frac {
			t.Errorf("parseDecimal(%q) = %q, %d, %d, %v; want %q, %d, %d", tt.in, got, intD, frac, err, tt.want, tt.intD, tt.frac)
		}
	}
	for _, in := range []string{"", "-", "+", ".", "-.", "e5", "1e", "1e+", "1.2.3", "1,5", " 1", "1 ", "NaN", "Inf", "-Infinity", "0x10", "1_000", "١٢", "1e5x", "--1", "true"} {
		if got, _, _, err := parseDecimal(nil, in); !errors.Is(err, errNotDecimal) {
			t.Errorf("parseDecimal(%q) = %q, %v; want errNotDecimal", in, got, err)
		}
	}
	for _, in := range []string{strings.Repeat("9", 77), "1e76", "1e-77", "0." + strings.Repeat("0", 76) + "1", "1e1048577"} {
		if got, _, _, err := parseDecimal([]byte("keep"), in); !errors.Is(err, errDecimalDigits) || string(got) != "keep" {
			t.Errorf("parseDecimal(%q) = %q, %v; want errDecimalDigits and nothing appended", in, got, err)
		}
	}
}

func TestConvertDecimalKeepsTheDeclaredScaleAndNeverRounds(t *testing.T) {
	d := func(p, s int) Type { return DecimalOf(p, s) }
	for _, tt := range []struct {
		in   string
		typ  Type
		want string
	}{
		{"12345678901234.56", d(16, 2), "12345678901234.56"},
		{"12.5", d(12, 2), "12.50"},
		{"-0.01", d(12, 2), "-0.01"},
		{"7", d(12, 2), "7.00"},
		{"+0012.340", d(4, 2), "12.34"},
		{"1e2", d(3, 0), "100"},
		{"0.0015", d(4, 4), "0.0015"},
		{"-99999999999999999999999999999999999999", d(38, 0), "-99999999999999999999999999999999999999"},
		{"1234567890123456789012345678901234567890.123", d(50, 10), "1234567890123456789012345678901234567890.1230000000"},
		{"12.5", Decimal, "12.5"},
		{"0", d(5, 5), "0.00000"},
	} {
		got, err := ConvertDecimal(Cell{Text: tt.in, Kind: Text}, tt.typ)
		if err != nil || got != tt.want {
			t.Errorf("ConvertDecimal(%q, %v) = %q, %v; want %q", tt.in, tt.typ, got, err, tt.want)
		}
	}
	for _, tt := range []struct {
		in   string
		typ  Type
		want string // in the message
	}{
		{"1.234", d(12, 2), `"1.234" has 3 digits after the point, decimal(12,2) holds 2 (it would be rounded)`},
		{"12345678901", d(12, 2), `"12345678901" has 11 digits before the point, decimal(12,2) holds 10`},
		{"1", d(2, 2), `"1" has 1 digits before the point, decimal(2,2) holds 0`},
		{"abc", d(12, 2), `"abc" is not a valid decimal(12,2)`},
		{"NaN", Decimal, `"NaN" is not a valid decimal`},
		{strings.Repeat("1", 80), Decimal, "more than 76 digits"},
	} {
		_, err := ConvertDecimal(Cell{Text: tt.in, Kind: Text}, tt.typ)
		if !errors.Is(err, ErrConvert) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ConvertDecimal(%q, %v) = %v; want ErrConvert saying %q", tt.in, tt.typ, err, tt.want)
		}
	}
	for _, c := range []Cell{{Kind: Null}, {Kind: Text}, {Kind: Empty}} {
		if _, err := ConvertDecimal(c, d(3, 1)); !errors.Is(err, ErrNull) {
			t.Errorf("ConvertDecimal(%+v) = %v, want ErrNull", c, err)
		}
	}
}

func TestDecimalTypesParsePrintAndMarshal(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want Type
	}{
		{"decimal", Decimal},
		{"numeric", Decimal},
		{"decimal(12,2)", DecimalOf(12, 2)},
		{"numeric(12, 2)", DecimalOf(12, 2)},
		{"decimal( 76 , 76 )", DecimalOf(76, 76)},
		{"numeric(10)", DecimalOf(10, 0)},
		{"decimal(1,0)", DecimalOf(1, 0)},
	} {
		got, err := ParseType(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseType(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	for _, tt := range []struct{ in, want string }{
		{"decimal(77,2)", "precision 77 is out of range (1 to 76)"},
		{"decimal(0)", "precision 0 is out of range"},
		{"decimal(5,6)", "scale 6 is out of range (0 to the precision, 5)"},
		{"decimal(5,-1)", "scale -1 is out of range"},
		{"decimal(a,2)", "the precision must be a whole number"},
		{"decimal(5,x)", "the scale must be a whole number"},
		{"decimal(5,2", "want decimal(precision, scale)"},
		{"decimal(5,2,1)", "the scale must be a whole number"},
		{"money(5,2)", "unknown column type"},
	} {
		if got, err := ParseType(tt.in); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseType(%q) = %v, %v; want an error saying %q", tt.in, got, err, tt.want)
		}
	}
	if got := DecimalOf(12, 2).String(); got != "decimal(12,2)" {
		t.Errorf("String = %q", got)
	}
	if !DecimalOf(3, 1).IsDecimal() || !Decimal.IsDecimal() || Float.IsDecimal() || Decimal.Precision() != 0 || DecimalOf(40, 3).Precision() != 40 || DecimalOf(40, 3).Scale() != 3 || Integer.Scale() != 0 {
		t.Error("IsDecimal, Precision or Scale is wrong")
	}
	// JSON: the other types marshal as before, decimals as their name.
	cols := []Column{{Name: "a", Type: Integer}, {Name: "m", Type: DecimalOf(12, 2)}, {Name: "n", Type: Decimal}}
	data, err := json.Marshal(cols)
	if err != nil {
		t.Fatal(err)
	}
	if want := `[{"name":"a","type":"integer"},{"name":"m","type":"decimal(12,2)"},{"name":"n","type":"decimal"}]`; string(data) != want {
		t.Errorf("JSON = %s, want %s", data, want)
	}
	var back []Column
	if err := json.Unmarshal(data, &back); err != nil || fmt.Sprint(back) != fmt.Sprint(cols) {
		t.Errorf("JSON round trip = %v, %v; want %v", back, err, cols)
	}
}

func TestWidenDecimals(t *testing.T) {
	d := func(p, s int) Type { return DecimalOf(p, s) }
	for _, tt := range []struct{ a, b, want Type }{
		{d(10, 2), d(10, 2), d(10, 2)},
		{d(10, 2), d(12, 4), d(12, 4)},
		{d(10, 2), d(6, 4), d(12, 4)}, // 8 integer digits, 4 after the point
		{d(38, 0), d(38, 38), d(76, 38)},
		{d(76, 0), d(1, 1), String},
		{d(50, 30), d(50, 0), String},
		{Integer, d(10, 2), d(21, 2)},
		{d(25, 0), Integer, d(25, 0)},
		{Integer, d(70, 60), String},
		{Float, d(10, 2), String},
		{d(10, 2), Float, String},
		{Unknown, d(10, 2), d(10, 2)},
		{d(10, 2), Boolean, String},
		{d(10, 2), Date, String},
		{d(10, 2), String, String},
		{d(10, 2), JSON, String},
		{Decimal, d(10, 2), Decimal},
		{d(76, 76), Decimal, Decimal},
		{Decimal, Integer, Decimal},
		{Decimal, Float, String},
		{Decimal, Unknown, Decimal},
		{Decimal, String, String},
	} {
		if got := Widen(tt.a, tt.b); got != tt.want {
			t.Errorf("Widen(%v, %v) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
		if got := Widen(tt.b, tt.a); got != tt.want {
			t.Errorf("Widen(%v, %v) = %v, want %v (not symmetric)", tt.b, tt.a, got, tt.want)
		}
	}
}

func TestDecimalFieldsCarryPrecisionAndScale(t *testing.T) {
	for _, tt := range []struct {
		typ Type
		id  arrow.Type
	}{
		{DecimalOf(1, 0), arrow.DECIMAL128},
		{DecimalOf(38, 10), arrow.DECIMAL128},
		{DecimalOf(39, 10), arrow.DECIMAL256},
		{DecimalOf(76, 76), arrow.DECIMAL256},
	} {
		f := Field("m", tt.typ)
		if f.Type.ID() != tt.id {
			t.Errorf("Field(%v) is Arrow %v, want %v", tt.typ, f.Type, tt.id)
		}
		if got := TypeOf(f); got != tt.typ {
			t.Errorf("TypeOf(Field(%v)) = %v", tt.typ, got)
		}
	}
	// The Arrow type decides precision and scale; metadata that says
	// decimal over another Arrow type is not trusted.
	f := Field("m", DecimalOf(12, 2))
	f.Metadata = arrow.NewMetadata([]string{MetadataType}, []string{"decimal(3,1)"})
	if got := TypeOf(f); got != DecimalOf(12, 2) {
		t.Errorf("TypeOf with other metadata = %v", got)
	}
	liar := arrow.Field{Name: "m", Type: arrow.BinaryTypes.String, Metadata: arrow.NewMetadata([]string{MetadataType}, []string{"decimal(3,1)"})}
	if got := TypeOf(liar); got != String {
		t.Errorf("TypeOf(string field saying decimal) = %v, want string", got)
	}
	if got := TypeOf(arrow.Field{Name: "m", Type: &arrow.Decimal128Type{Precision: 9, Scale: 2}}); got != DecimalOf(9, 2) {
		t.Errorf("TypeOf(foreign decimal field) = %v", got)
	}
}

func TestAppendDecimalFormatsEveryWidth(t *testing.T) {
	n128 := func(s string, p, sc int32) decimal128.Num {
		v, err := decimal128.FromString(s, p, sc)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	b := array.NewDecimal128Builder(checkedAlloc(t), &arrow.Decimal128Type{Precision: 38, Scale: 2})
	defer b.Release()
	b.Append(decimal128.FromI64(1250))
	b.Append(decimal128.FromI64(-1))
	b.Append(decimal128.FromI64(0))
	b.Append(n128("-999999999999999999999999999999999999.99", 38, 2))
	a := b.NewArray()
	defer a.Release()
	want := []string{"12.50", "-0.01", "0.00", "-999999999999999999999999999999999999.99"}
	for i, w := range want {
		if got, ok := AppendDecimal(nil, a, i); !ok || string(got) != w {
			t.Errorf("AppendDecimal(128, %d) = %q, %v; want %q", i, got, ok, w)
		}
	}
	b256 := array.NewDecimal256Builder(checkedAlloc(t), &arrow.Decimal256Type{Precision: 76, Scale: 0})
	defer b256.Release()
	max76, _ := new(big.Int).SetString(strings.Repeat("9", 76), 10)
	b256.Append(decimal256.FromBigInt(max76))
	b256.Append(decimal256.FromBigInt(new(big.Int).Neg(max76)))
	a256 := b256.NewArray()
	defer a256.Release()
	for i, w := range []string{strings.Repeat("9", 76), "-" + strings.Repeat("9", 76)} {
		if got, ok := AppendDecimal(nil, a256, i); !ok || string(got) != w {
			t.Errorf("AppendDecimal(256, %d) = %q, %v; want %q", i, got, ok, w)
		}
	}
	if _, ok := AppendDecimal(nil, a256, 0); !ok {
		t.Error("AppendDecimal refused a Decimal256 array")
	}
}

func TestBuilderLoadsDeclaredDecimalsExactly(t *testing.T) {
	cols := []Column{{Name: "money", Type: DecimalOf(16, 2)}, {Name: "wide", Type: DecimalOf(60, 10)}, {Name: "whole", Type: DecimalOf(38, 0)}}
	b := NewBuilder(BuilderOptions{Columns: cols, Alloc: checkedAlloc(t)})
	mustAppend(t, b, 2, texts("12345678901234.56", "-12345678901234567890123456789012345678901234567890.0123456789", "99999999999999999999999999999999999999"))
	mustAppend(t, b, 3, []Cell{{Text: "-0.01", Kind: Number}, {Text: "1e-10", Kind: Quoted}, {Text: "-1", Kind: Text}})
	mustAppend(t, b, 4, []Cell{{Kind: Null}, {Kind: Empty}, {Text: "+0", Kind: Text}})
	mustAppend(t, b, 5, texts("7.5"))
	rec := mustFlush(t, b)
	if got, want := fmt.Sprint(schemaTypes(t, rec)), "[decimal(16,2) decimal(60,10) decimal(38,0)]"; got != want {
		t.Fatalf("types %s, want %s", got, want)
	}
	want := [][]string{
		{"12345678901234.56", "-0.01", "<null>", "7.50"},
		{"-12345678901234567890123456789012345678901234567890.0123456789", "0.0000000001", "<null>", "<null>"},
		{"99999999999999999999999999999999999999", "-1", "0", "<null>"},
	}
	for i, w := range want {
		if got := valueStrings(rec, i+1); !equalStrings(got, w) {
			t.Errorf("column %d = %q, want %q", i, got, w)
		}
	}
	if w := b.Widenings(); len(w) != 0 {
		t.Errorf("declared decimals widened: %v", w)
	}
}

func TestBuilderRefusesADecimalThatWouldBeRoundedOrCutWithoutBufferingTheRow(t *testing.T) {
	b := NewBuilder(BuilderOptions{Columns: []Column{{Name: "n", Type: Integer}, {Name: "m", Type: DecimalOf(12, 2)}}, Alloc: checkedAlloc(t)})
	mustAppend(t, b, 2, texts("1", "0.10"))
	for _, tt := range []struct{ text, want string }{
		{"1.005", "3 digits after the point, decimal(12,2) holds 2"},
		{"12345678901.5", "11 digits before the point, decimal(12,2) holds 10"},
		{"1,5", `"1,5" is not a valid decimal(12,2)`},
		{"true", "is not a valid decimal(12,2)"},
	} {
		err := b.Append(3, texts("2", tt.text))
		var ve *ValueError
		if !errors.As(err, &ve) || ve.Column != "m" || !errors.Is(err, ErrConvert) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Append(%q) = %v, want a ValueError on m saying %q", tt.text, err, tt.want)
		}
	}
	if b.Len() != 1 {
		t.Fatalf("%d rows buffered, want 1", b.Len())
	}
	rec := mustFlush(t, b)
	if got := valueStrings(rec, 2); !equalStrings(got, []string{"0.10"}) {
		t.Errorf("values %q", got)
	}
	if got := valueStrings(rec, 1); !equalStrings(got, []string{"1"}) {
		t.Errorf("integers %q", got)
	}
}

func TestBuilderDecimalOfAnyPrecisionTakesTheNarrowestThatHoldsItsValues(t *testing.T) {
	b := NewBuilder(BuilderOptions{Columns: []Column{{Name: "m", Type: Decimal}, {Name: "k"}}, MaxBatchRows: 3, Alloc: checkedAlloc(t)})
	// Batch 1: only nulls: the narrowest decimal.
	mustAppend(t, b, 2, []Cell{{Kind: Null}, {Text: "x", Kind: Text}})
	first := mustFlush(t, b)
	if got := schemaTypes(t, first); got[0] != DecimalOf(1, 0) {
		t.Fatalf("a batch of nulls is %v, want decimal(1,0)", got[0])
	}
	// Batch 2: widens within the batch, reported by no Widening (the
	// earlier batch held no value).
	mustAppend(t, b, 3, texts("1.5"))
	mustAppend(t, b, 4, texts("-100"))
	mustAppend(t, b, 5, texts("0.001"))
	second := mustFlush(t, b)
	if got := schemaTypes(t, second)[0]; got != DecimalOf(6, 3) {
		t.Fatalf("batch 2 is %v, want decimal(6,3)", got)
	}
	if got := valueStrings(second, 1); !equalStrings(got, []string{"1.500", "-100.000", "0.001"}) {
		t.Errorf("batch 2 values %q", got)
	}
	// Batch 3: wider, reported with its first line that did not fit.
	mustAppend(t, b, 6, texts("2"))
	mustAppend(t, b, 7, texts("12345678901234567890123456789012345678901234.5"))
	third := mustFlush(t, b)
	if got := schemaTypes(t, third)[0]; got != DecimalOf(47, 3) {
		t.Fatalf("batch 3 is %v, want decimal(47,3)", got)
	}
	if got := valueStrings(third, 1); !equalStrings(got, []string{"2.000", "12345678901234567890123456789012345678901234.500"}) {
		t.Errorf("batch 3 values %q", got)
	}
	want := []Widening{{Column: "m", From: DecimalOf(6, 3), To: DecimalOf(47, 3), Line: 7}}
	if got := b.Widenings(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Widenings = %v, want %v", got, want)
	}
	// A value that would need more than 76 digits with the earlier ones
	// fails its row rather than turning the column into text.
	err := b.Append(8, texts("0."+strings.Repeat("1", 35)))
	if !errors.Is(err, ErrConvert) || !strings.Contains(err.Error(), "more than 76 digits") {
		t.Errorf("Append of a value too wide with the others = %v", err)
	}
	if got := b.Columns()[0].Type; got != DecimalOf(47, 3) {
		t.Errorf("Columns() = %v", got)
	}
}

func TestAppendDecimalValueBuildsExactArrays(t *testing.T) {
	for _, typ := range []Type{DecimalOf(38, 4), DecimalOf(76, 4)} {
		b := array.NewBuilder(checkedAlloc(t), typ.ArrowType())
		in := []string{"12345678901234.56", "-0.0001", "0", "-" + strings.Repeat("9", 34) + ".9999"}
		for _, s := range in {
			if err := AppendDecimalValue(b, s); err != nil {
				t.Fatal(err)
			}
		}
		if err := AppendDecimalValue(b, "0.00001"); !errors.Is(err, ErrConvert) {
			t.Errorf("AppendDecimalValue of a value to round = %v", err)
		}
		a := b.NewArray()
		want := []string{"12345678901234.5600", "-0.0001", "0.0000", "-" + strings.Repeat("9", 34) + ".9999"}
		for i, w := range want {
			if got, _ := AppendDecimal(nil, a, i); string(got) != w {
				t.Errorf("%v value %d = %s, want %s", typ, i, got, w)
			}
		}
		if a.Len() != len(in) {
			t.Errorf("%d values, want %d", a.Len(), len(in))
		}
		a.Release()
		b.Release()
	}
	if err := AppendDecimalValue(array.NewInt64Builder(checkedAlloc(t)), "1"); err == nil {
		t.Error("AppendDecimalValue to an Int64Builder succeeded")
	}
}
