package excel_test

import (
	"bytes"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/xuri/excelize/v2"

	"github.com/filedge/filedge/pkg/format"
	"github.com/filedge/filedge/pkg/format/excel"
	"github.com/filedge/filedge/pkg/format/formattest"
	"github.com/filedge/filedge/pkg/record"
)

func TestWriterRoundTripsEveryTypeThroughTheReader(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	schema := arrow.NewSchema([]arrow.Field{
		record.Field("flag", record.Boolean),
		record.Field("count", record.Integer),
		record.Field("ratio", record.Float),
		record.Field("day", record.Date),
		record.Field("at", record.Timestamp),
		record.Field("name", record.String),
		record.Field("doc", record.JSON),
	}, nil)
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	day := func(s string) arrow.Date32 {
		d, err := time.Parse("2006-01-02", s)
		if err != nil {
			t.Fatal(err)
		}
		return arrow.Date32FromTime(d)
	}
	at := func(s string) arrow.Timestamp {
		ts, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return arrow.Timestamp(ts.UnixMicro())
	}
	flag, count, ratio := b.Field(0).(*array.BooleanBuilder), b.Field(1).(*array.Int64Builder), b.Field(2).(*array.Float64Builder)
	days, ats, names, docs := b.Field(3).(*array.Date32Builder), b.Field(4).(*array.TimestampBuilder), b.Field(5).(*array.StringBuilder), b.Field(6).(*array.StringBuilder)
	flag.AppendValues([]bool{true, false, true}, nil)
	count.AppendValues([]int64{42, -7, 9007199254740993}, nil)
	ratio.AppendValues([]float64{1.5, 0, 1e-7}, nil)
	days.AppendValues([]arrow.Date32{day("2024-02-29"), day("1900-03-01"), day("1899-12-31")}, nil)
	ats.AppendValues([]arrow.Timestamp{at("2024-02-29T10:11:12.345Z"), at("1970-01-01T00:00:00Z"), at("1800-01-01T00:00:00Z")}, nil)
	names.AppendValues([]string{"Zürich", "  padded\tand\nlines  ", "_x000D_ stays literal, 00123 stays text"}, nil)
	docs.AppendValues([]string{`{"a":[1,2]}`, `[]`, `null`}, nil)
	// A row of nulls, and a NaN (no spreadsheet value: null).
	for i := range b.Fields() {
		b.Field(i).AppendNull()
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	b2 := array.NewRecordBuilder(mem, schema)
	defer b2.Release()
	for i := range b2.Fields() {
		if i == 2 {
			b2.Field(i).(*array.Float64Builder).Append(nanValue())
			continue
		}
		b2.Field(i).AppendNull()
	}
	rec2 := b2.NewRecordBatch()
	defer rec2.Release()

	file := []byte(formattest.WriteAll(t, "excel", format.Options{}, rec, rec2))
	got, err := formattest.Read(t.Context(), "excel", "out.xlsx", format.Options{}, file, true)
	if err != nil {
		t.Fatal(err)
	}
	q := func(s string) formattest.Cell { return formattest.Cell{Text: s, Kind: record.Quoted} }
	n := func(s string) formattest.Cell { return formattest.Cell{Text: s, Kind: record.Number} }
	bl := func(s string) formattest.Cell { return formattest.Cell{Text: s, Kind: record.Bool} }
	want := &formattest.Result{Tables: []formattest.Table{{
		Name:    "Sheet1",
		Columns: []formattest.Column{{Name: "flag"}, {Name: "count"}, {Name: "ratio"}, {Name: "day"}, {Name: "at"}, {Name: "name"}, {Name: "doc"}},
		Rows: []formattest.Row{
			{Line: 2, Cells: []formattest.Cell{bl("true"), n("42"), n("1.5"), q("2024-02-29"), q("2024-02-29T10:11:12.345Z"), q("Zürich"), q(`{"a":[1,2]}`)}},
			{Line: 3, Cells: []formattest.Cell{bl("false"), n("-7"), n("0"), q("1900-03-01"), q("1970-01-01T00:00:00Z"), q("  padded\tand\nlines  "), q("[]")}},
			// Out of Excel's range: as text, which reads back the same.
			{Line: 4, Cells: []formattest.Cell{bl("true"), q("9007199254740993"), n("1e-07"), q("1899-12-31"), q("1800-01-01T00:00:00Z"), q("_x000D_ stays literal, 00123 stays text"), q("null")}},
		},
	}}}
	if g, w := got.Result.Encode(), want.Encode(); !bytes.Equal(g, w) {
		t.Errorf("read back:\n%s\nwant:\n%s", g, w)
	}
}

func nanValue() float64 {
	zero := 0.0
	return zero / zero
}

func TestWriterRefusesTextLongerThanACell(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	schema := arrow.NewSchema([]arrow.Field{record.Field("text", record.String)}, nil)
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	b.Field(0).(*array.StringBuilder).Append(strings.Repeat("é", 32768))
	rec := b.NewRecordBatch()
	defer rec.Release()
	factory, _ := format.LookupWriter("excel")
	w, err := factory(&bytes.Buffer{}, schema, format.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if err := w.Write(rec); err == nil || !strings.Contains(err.Error(), "32767") {
		t.Fatalf("Write = %v, want an error naming Excel's cell limit", err)
	}
}

func TestWriterRefusesAnotherSchema(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	schema := arrow.NewSchema([]arrow.Field{record.Field("a", record.Integer)}, nil)
	other := arrow.NewSchema([]arrow.Field{record.Field("b", record.Integer)}, nil)
	b := array.NewRecordBuilder(mem, other)
	defer b.Release()
	rec := b.NewRecordBatch()
	defer rec.Release()
	factory, _ := format.LookupWriter("excel")
	w, err := factory(&bytes.Buffer{}, schema, format.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if err := w.Write(rec); err == nil {
		t.Fatal("Write accepted a batch of another schema")
	}
}

func TestWriterStartsANewSheetPastExcelsRowLimit(t *testing.T) {
	defer excel.SetMaxSheetRows(10)()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	schema := arrow.NewSchema([]arrow.Field{record.Field("n", record.Integer)}, nil)
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	const rows = 25 // 9 + 9 + 7: each sheet holds 10 rows, the header included
	for i := range rows {
		b.Field(0).(*array.Int64Builder).Append(int64(i))
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	file := []byte(formattest.WriteAll(t, "excel", format.Options{}, rec))
	got, err := formattest.Read(t.Context(), "excel", "big.xlsx", format.Options{}, file, true)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	var counts []int
	next := 0
	for _, tb := range got.Result.Tables {
		names = append(names, tb.Name)
		counts = append(counts, len(tb.Rows))
		for _, r := range tb.Rows {
			if r.Cells[0].Text != strconv.Itoa(next) {
				t.Fatalf("sheet %s line %d holds %q, want %d", tb.Name, r.Line, r.Cells[0].Text, next)
			}
			next++
		}
	}
	if !slices.Equal(names, []string{"Sheet1", "Sheet2", "Sheet3"}) || !slices.Equal(counts, []int{9, 9, 7}) {
		t.Errorf("sheets %v with %v rows, want Sheet1-3 with 9, 9 and 7", names, counts)
	}
}

// TestWriterWritesDecimalsAsNumbersOnlyWhenTheySurvive writes decimals of
// up to 15 significant digits as numbers shown with their scale, and
// longer ones as their exact text, so that every one reads back exactly
// into a declared decimal column.
func TestWriterWritesDecimalsAsNumbersOnlyWhenTheySurvive(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	money := record.DecimalOf(38, 2)
	values := []any{"12.50", "-0.01", nil, "1234567890123.45", "12345678901234.56", "999999999999999999999999999999999999.99", "100000000000000000000.00"}
	ids := make([]any, len(values)) // so that no row is empty, which a sheet would not keep
	for i := range ids {
		ids[i] = int64(i)
	}
	rec := formattest.Batch(mem, formattest.Col{Name: "money", Type: money, Values: values}, formattest.Col{Name: "id", Type: record.Integer, Values: ids})
	defer rec.Release()
	file := []byte(formattest.WriteAll(t, "excel", format.Options{}, rec))
	got, err := formattest.Read(t.Context(), "excel", "out.xlsx", format.Options{}, file, true)
	if err != nil {
		t.Fatal(err)
	}
	n := func(s string) formattest.Cell { return formattest.Cell{Text: s, Kind: record.Number} }
	q := func(s string) formattest.Cell { return formattest.Cell{Text: s, Kind: record.Quoted} }
	wantCells := []formattest.Cell{n("12.5"), n("-0.01"), {Kind: record.Null}, n("1.23456789012345e+12"), q("12345678901234.56"), q("999999999999999999999999999999999999.99"), n("1e+20")}
	tbl := got.Result.Tables[0]
	for i, row := range tbl.Rows {
		if i >= len(wantCells) || row.Cells[0] != wantCells[i] {
			t.Errorf("line %d: cell %+v, want %+v", row.Line, row.Cells[0], wantCells[i])
		}
	}
	back, refused, err := tbl.Build(mem, map[string]record.Type{"money": money})
	if err != nil {
		t.Fatal(err)
	}
	defer back.Release()
	if len(refused) > 0 {
		t.Errorf("refused rows %q", refused)
	}
	var want []string
	for _, v := range values {
		if v == nil {
			v = "null"
		}
		want = append(want, v.(string))
	}
	if got := formattest.ValueTexts(back.Column(1)); !slices.Equal(got, want) {
		t.Errorf("read back %q, want %q", got, want)
	}
	// The numbers show their scale.
	f, err := excelize.OpenReader(bytes.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if shown, err := f.GetCellValue("Sheet1", "A2"); err != nil || shown != "12.50" {
		t.Errorf("A2 shows %q (%v), want 12.50", shown, err)
	}
}
