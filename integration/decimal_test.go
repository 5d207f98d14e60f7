package integration

import (
	"bytes"
	"database/sql"
	"fmt"
	"math/big"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/decimal256"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/linkedin/goavro/v2"
)

// decimalColumn is a decimal column of a test file: its name, precision,
// scale, and its values as exact text with that scale ("" for a null).
type decimalColumn struct {
	name         string
	prec, scale  int
	values       []string
	wantPGType   string // information_schema: numeric(p,s)
	wantLiteType string // SQLite's declared type
}

var (
	nines38    = strings.Repeat("9", 38)
	parquetDec = []decimalColumn{
		// Stored as INT32 and INT64 (StoreDecimalAsInteger), then as
		// FIXED_LEN_BYTE_ARRAY (Decimal128, Decimal256).
		{"price", 9, 2, []string{"1234567.89", "-0.01", "", "0.00"}, "numeric(9,2)", "DECIMALTEXT(9,2)"},
		{"qty", 18, 0, []string{"-999999999999999999", "0", "7", ""}, "numeric(18,0)", "DECIMALTEXT(18,0)"},
		{"amount", 16, 2, []string{"12345678901234.56", "-12345678901234.56", "0.10", "-0.01"}, "numeric(16,2)", "DECIMALTEXT(16,2)"},
		{"big", 38, 0, []string{nines38, "-" + nines38, "1", ""}, "numeric(38,0)", "DECIMALTEXT(38,0)"},
		{"frac", 38, 10, []string{"1234567890123456789012345678.0123456789", "-0.0000000001", "", "0.0000000000"}, "numeric(38,10)", "DECIMALTEXT(38,10)"},
		{"huge", 50, 5, []string{strings.Repeat("1", 45) + ".12345", "-" + strings.Repeat("9", 45) + ".99999", "0.00001", ""}, "numeric(50,5)", "DECIMALTEXT(50,5)"},
	}
	avroDec = []decimalColumn{
		{"amount", 16, 2, []string{"12345678901234.56", "-0.01", "0.00", ""}, "numeric(16,2)", "DECIMALTEXT(16,2)"},
		{"rate", 18, 4, []string{"-99999999999999.9999", "0.0001", "1.0000", "-1.5000"}, "numeric(18,4)", "DECIMALTEXT(18,4)"},
		{"big", 38, 0, []string{nines38, "-" + nines38, "0", "-7"}, "numeric(38,0)", "DECIMALTEXT(38,0)"},
	}
)

// decimalParquet writes cols as a Parquet file.
func decimalParquet(t *testing.T, cols []decimalColumn) []byte {
	t.Helper()
	fields := make([]arrow.Field, len(cols))
	for i, c := range cols {
		var typ arrow.DataType = &arrow.Decimal128Type{Precision: int32(c.prec), Scale: int32(c.scale)}
		if c.prec > 38 {
			typ = &arrow.Decimal256Type{Precision: int32(c.prec), Scale: int32(c.scale)}
		}
		fields[i] = arrow.Field{Name: c.name, Type: typ, Nullable: true}
	}
	b := array.NewRecordBuilder(memory.DefaultAllocator, arrow.NewSchema(fields, nil))
	defer b.Release()
	for i, c := range cols {
		for _, v := range c.values {
			if v == "" {
				b.Field(i).AppendNull()
				continue
			}
			n := unscaled(t, v, c.scale)
			switch fb := b.Field(i).(type) {
			case *array.Decimal128Builder:
				fb.Append(decimal128.FromBigInt(n))
			case *array.Decimal256Builder:
				fb.Append(decimal256.FromBigInt(n))
			}
		}
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	var buf bytes.Buffer
	props := parquet.NewWriterProperties(parquet.WithStoreDecimalAsInteger(true))
	w, err := pqarrow.NewFileWriter(rec.Schema(), &buf, props, pqarrow.DefaultWriterProps())
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(rec); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// unscaled returns decimal text v times 10^scale as an integer.
func unscaled(t *testing.T, v string, scale int) *big.Int {
	t.Helper()
	r, ok := new(big.Rat).SetString(v)
	if !ok {
		t.Fatalf("bad decimal %q", v)
	}
	r.Mul(r, new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale)), nil)))
	if !r.IsInt() {
		t.Fatalf("%q has more than %d digits after the point", v, scale)
	}
	return r.Num()
}

// decimalAvro writes cols as an Avro file: decimals as bytes, but the
// second column as a fixed of 8 bytes, and every column nullable.
func decimalAvro(t *testing.T, cols []decimalColumn) []byte {
	t.Helper()
	var fields []string
	for i, c := range cols {
		base := fmt.Sprintf(`{"type":"bytes","logicalType":"decimal","precision":%d,"scale":%d}`, c.prec, c.scale)
		if i == 1 {
			base = fmt.Sprintf(`{"type":"fixed","name":"F%d","size":16,"logicalType":"decimal","precision":%d,"scale":%d}`, i, c.prec, c.scale)
		}
		fields = append(fields, fmt.Sprintf(`{"name":%q,"type":["null",%s]}`, c.name, base))
	}
	schema := `{"type":"record","name":"Money","fields":[` + strings.Join(fields, ",") + `]}`
	var buf bytes.Buffer
	w, err := goavro.NewOCFWriter(goavro.OCFConfig{W: &buf, Schema: schema})
	if err != nil {
		t.Fatal(err)
	}
	var records []any
	for r := range cols[0].values {
		rec := map[string]any{}
		for i, c := range cols {
			v := c.values[r]
			switch {
			case v == "":
				rec[c.name] = nil
			case i == 1:
				rat, _ := new(big.Rat).SetString(v)
				rec[c.name] = goavro.Union(fmt.Sprintf("F%d", i), rat)
			default:
				rat, _ := new(big.Rat).SetString(v)
				rec[c.name] = goavro.Union("bytes.decimal", rat)
			}
		}
		records = append(records, rec)
	}
	if err := w.Append(records); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// checkDecimals checks that table holds cols exactly in both destinations,
// with their declared types.
func checkDecimals(t *testing.T, o *oncePipeline, table string, cols []decimalColumn) {
	t.Helper()
	for _, c := range cols {
		var typ string
		if err := o.pg.QueryRow(`SELECT format('numeric(%s,%s)', numeric_precision, numeric_scale) FROM information_schema.columns
			WHERE table_name = $1 AND column_name = $2 AND data_type = 'numeric'`, table, c.name).Scan(&typ); err != nil || typ != c.wantPGType {
			t.Errorf("PostgreSQL %s.%s is %q (%v), want %s", table, c.name, typ, err, c.wantPGType)
		}
		if got := textColumn(t, o.pg, `SELECT `+c.name+`::text FROM `+table+` ORDER BY _line`); !slices.Equal(got, c.values) {
			t.Errorf("PostgreSQL %s.%s = %q, want %q", table, c.name, got, c.values)
		}
		lite := o.openLite(t)
		if err := lite.QueryRow(`SELECT "type" FROM pragma_table_info(?) WHERE "name" = ?`, table, c.name).Scan(&typ); err != nil || typ != c.wantLiteType {
			t.Errorf("SQLite %s.%s is declared %q (%v), want %s", table, c.name, typ, err, c.wantLiteType)
		}
		if got := textColumn(t, lite, `SELECT CASE typeof(`+c.name+`) WHEN 'text' THEN `+c.name+` WHEN 'null' THEN NULL ELSE 'not text: ' || typeof(`+c.name+`) END FROM `+table+` ORDER BY _line`); !slices.Equal(got, c.values) {
			t.Errorf("SQLite %s.%s = %q, want %q (exact text)", table, c.name, got, c.values)
		}
	}
}

// textColumn returns the one text column of q's rows, "" for NULL.
func textColumn(t *testing.T, db *sql.DB, q string) []string {
	t.Helper()
	rows, err := db.Query(q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v sql.NullString
		if err := rows.Scan(&v); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		out = append(out, v.String)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return out
}

func TestParquetAndAvroDecimalsLoadExactlyWithTheirScale(t *testing.T) {
	o := newOncePipeline(t, "upsert_file", "")
	o.magicFolder(t)
	writeFile(t, o.in+"/ledger.parquet", decimalParquet(t, parquetDec))
	writeFile(t, o.in+"/payments.avro", decimalAvro(t, avroDec))
	o.mustRun(t)
	checkDecimals(t, o, "ledger", parquetDec)
	checkDecimals(t, o, "payments", avroDec)
}

func TestCSVDeclaredDecimalLoadsExactlyAndAValueThatWouldBeRoundedIsARowError(t *testing.T) {
	declared := "columns:\n  - {source: amount, type: 'decimal(12,2)'}\n  - {source: total, type: numeric}\n"
	o := newOncePipeline(t, "upsert_file", "on_error: skip\n"+declared)
	o.write(t, "money.csv", "id,amount,total\n1,1234567890.12,12345678901234.56\n2,-0.01,-0.000001\n3,7,100\n4,0.5,\n")
	o.mustRun(t)
	amount := decimalColumn{name: "amount", values: []string{"1234567890.12", "-0.01", "7.00", "0.50"}, wantPGType: "numeric(12,2)", wantLiteType: "DECIMALTEXT(12,2)"}
	// total, declared numeric without a precision: the narrowest decimal
	// that holds its values (14 digits before the point, 6 after).
	total := decimalColumn{name: "total", values: []string{"12345678901234.560000", "-0.000001", "100.000000", ""}, wantPGType: "numeric(20,6)", wantLiteType: "DECIMALTEXT(20,6)"}
	checkDecimals(t, o, "sales", []decimalColumn{amount, total})

	// A value with a third digit after the point would be rounded, one of
	// 11 digits before it cut: each is a bad row, with its line and column.
	o.write(t, "bad.csv", "id,amount,total\n5,1.005,1\n6,2.50,2\n7,12345678901,3\n")
	out := o.mustRun(t)
	if got := textColumn(t, o.pg, `SELECT amount::text FROM sales WHERE _file = 'bad.csv' ORDER BY _line`); !slices.Equal(got, []string{"2.50"}) {
		t.Errorf("bad.csv loaded %q, want only the good row's 2.50", got)
	}
	if got := textColumn(t, o.openLite(t), `SELECT amount FROM sales WHERE _file = 'bad.csv' ORDER BY _line`); !slices.Equal(got, []string{"2.50"}) {
		t.Errorf("SQLite: bad.csv loaded %q, want only 2.50", got)
	}
	if !strings.Contains(out, "skipped_rows=2") {
		t.Errorf("the two bad rows of bad.csv must be counted (skipped_rows=2):\n%s", out)
	}

	strict := newOncePipeline(t, "upsert_file", "on_error: fail\n"+declared)
	strict.write(t, "bad.csv", "id,amount,total\n5,2.50,1\n6,1.005,2\n")
	out, code := runOnce(t, strict.config)
	if code != 1 {
		t.Fatalf("run --once exited %d, want 1:\n%s", code, out)
	}
	if !regexp.MustCompile(`bad\.csv\s+pg\s+failed.*line 3.*amount.*1\.005.*3 digits after the point`).MatchString(out) {
		t.Errorf("summary must name bad.csv, line 3, column amount and why:\n%s", out)
	}
}
