package record

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"testing"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// checkedAlloc returns an allocator that fails the test if a batch leaks.
func checkedAlloc(t *testing.T) memory.Allocator {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	t.Cleanup(func() { mem.AssertSize(t, 0) })
	return mem
}

func cols(names ...string) []Column {
	out := make([]Column, len(names))
	for i, n := range names {
		out[i] = Column{Name: n, Source: n}
	}
	return out
}

func texts(ss ...string) []Cell {
	out := make([]Cell, len(ss))
	for i, s := range ss {
		out[i] = Cell{Text: s, Kind: Text}
	}
	return out
}

func mustAppend(t *testing.T, b *Builder, line int64, cells []Cell) {
	t.Helper()
	if err := b.Append(line, cells); err != nil {
		t.Fatalf("Append line %d: %v", line, err)
	}
}

func mustFlush(t *testing.T, b *Builder) arrow.RecordBatch {
	t.Helper()
	rec, err := b.Flush()
	if err != nil {
		t.Fatalf("Flush: %v", err)
	}
	t.Cleanup(rec.Release)
	return rec
}

// schemaTypes returns the logical types of rec's columns after _line.
func schemaTypes(t *testing.T, rec arrow.RecordBatch) []Type {
	t.Helper()
	fields := rec.Schema().Fields()
	if len(fields) == 0 || fields[0].Name != LineColumn || TypeOf(fields[0]) != Integer {
		t.Fatalf("first field is %v, want %s integer", fields, LineColumn)
	}
	out := make([]Type, 0, len(fields)-1)
	for _, f := range fields[1:] {
		out = append(out, TypeOf(f))
	}
	return out
}

// valueStrings renders column i of rec (0 is _line) as strings, "<null>"
// for nulls, decimals with AppendDecimal.
func valueStrings(rec arrow.RecordBatch, i int) []string {
	col := rec.Column(i)
	out := make([]string, col.Len())
	for r := range out {
		if col.IsNull(r) {
			out[r] = "<null>"
			continue
		}
		if text, ok := AppendDecimal(nil, col, r); ok {
			out[r] = string(text)
			continue
		}
		out[r] = col.ValueStr(r)
	}
	return out
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestBuilderInfersTypesAndValues(t *testing.T) {
	b := NewBuilder(BuilderOptions{Columns: cols("i", "f", "b", "d", "ts", "s", "mixed", "nulls", "zip"), Alloc: checkedAlloc(t)})
	mustAppend(t, b, 2, texts("1", "1.5", "true", "2024-01-02", "2024-01-02T03:04:05Z", "x", "1", "", "02134"))
	mustAppend(t, b, 3, texts("-2", "2", "FALSE", "", "2024-01-02 03:04:05.5+01:00", "y\x00z", "2.5", "", "10001"))
	mustAppend(t, b, 4, texts("", "", "", "1999-12-31", "2024-01-02", "", "", "", ""))
	rec := mustFlush(t, b)

	wantTypes := []Type{Integer, Float, Boolean, Date, Timestamp, String, Float, Unknown, String}
	if got := schemaTypes(t, rec); fmt.Sprint(got) != fmt.Sprint(wantTypes) {
		t.Fatalf("types %v, want %v", got, wantTypes)
	}
	want := [][]string{
		{"2", "3", "4"},
		{"1", "-2", "<null>"},
		{"1.5", "2", "<null>"},
		{"true", "false", "<null>"},
		{"2024-01-02", "<null>", "1999-12-31"},
		{"2024-01-02T03:04:05Z", "2024-01-02T02:04:05.5Z", "2024-01-02T00:00:00Z"},
		{"x", "y\uFFFDz", "<null>"},
		{"1", "2.5", "<null>"},
		{"<null>", "<null>", "<null>"},
		{"02134", "10001", "<null>"},
	}
	for i, w := range want {
		if got := valueStrings(rec, i); !equalStrings(got, w) {
			t.Errorf("column %s = %q, want %q", rec.ColumnName(i), got, w)
		}
	}
	if b.Len() != 0 {
		t.Errorf("Len after Flush = %d, want 0", b.Len())
	}
}

func TestBuilderWidensAcrossBatchesAndReportsTheLine(t *testing.T) {
	b := NewBuilder(BuilderOptions{Columns: cols("n", "d", "s", "stay"), MaxBatchRows: 2, Alloc: checkedAlloc(t)})
	mustAppend(t, b, 1, texts("1", "2024-01-01", "5", "1"))
	mustAppend(t, b, 2, texts("2", "2024-01-02", "6", "2"))
	if !b.Full() {
		t.Fatal("Full is false after MaxBatchRows rows")
	}
	first := mustFlush(t, b)
	mustAppend(t, b, 3, texts("3", "2024-01-03T10:00", "7", "3"))
	mustAppend(t, b, 4, texts("4.5", "2024-01-04", "abc", "4"))
	second := mustFlush(t, b)
	mustAppend(t, b, 5, texts("6", "2024-01-05", "8", "5"))
	third := mustFlush(t, b)

	if got, want := fmt.Sprint(schemaTypes(t, first)), fmt.Sprint([]Type{Integer, Date, Integer, Integer}); got != want {
		t.Errorf("first batch types %s, want %s", got, want)
	}
	if got, want := fmt.Sprint(schemaTypes(t, second)), fmt.Sprint([]Type{Float, Timestamp, String, Integer}); got != want {
		t.Errorf("second batch types %s, want %s", got, want)
	}
	// Running types only widen: the third batch keeps them though its values are narrower.
	if got, want := fmt.Sprint(schemaTypes(t, third)), fmt.Sprint([]Type{Float, Timestamp, String, Integer}); got != want {
		t.Errorf("third batch types %s, want %s", got, want)
	}
	if got := valueStrings(third, 1); !equalStrings(got, []string{"6"}) {
		t.Errorf("third batch n = %q, want [6]", got)
	}
	if got := valueStrings(second, 2); !equalStrings(got, []string{"2024-01-03T10:00:00Z", "2024-01-04T00:00:00Z"}) {
		t.Errorf("second batch d = %q", got)
	}
	if got := valueStrings(second, 3); !equalStrings(got, []string{"7", "abc"}) {
		t.Errorf("second batch s = %q", got)
	}
	wantW := []Widening{
		{Column: "n", From: Integer, To: Float, Line: 4},
		{Column: "d", From: Date, To: Timestamp, Line: 3},
		{Column: "s", From: Integer, To: String, Line: 4},
	}
	if got := b.Widenings(); fmt.Sprint(got) != fmt.Sprint(wantW) {
		t.Errorf("Widenings = %+v, want %+v", got, wantW)
	}
	wantCols := []Column{{"n", "n", Float}, {"d", "d", Timestamp}, {"s", "s", String}, {"stay", "stay", Integer}}
	if got := b.Columns(); fmt.Sprint(got) != fmt.Sprint(wantCols) {
		t.Errorf("Columns = %+v, want %+v", got, wantCols)
	}
}

func TestBuilderColumnOfNullsStaysUnknownUntilAValue(t *testing.T) {
	b := NewBuilder(BuilderOptions{Columns: cols("a"), MaxBatchRows: 1, Alloc: checkedAlloc(t)})
	mustAppend(t, b, 1, texts(""))
	if got := schemaTypes(t, mustFlush(t, b)); got[0] != Unknown {
		t.Fatalf("type %v, want unknown", got[0])
	}
	if got := b.Columns()[0].Type; got != Unknown {
		t.Fatalf("Columns type %v, want unknown", got)
	}
	mustAppend(t, b, 2, []Cell{{Kind: Null}})
	mustAppend(t, b, 3, texts("12"))
	rec := mustFlush(t, b)
	if got := schemaTypes(t, rec); got[0] != Integer {
		t.Fatalf("type %v, want integer", got[0])
	}
	if got := valueStrings(rec, 1); !equalStrings(got, []string{"<null>", "12"}) {
		t.Errorf("values %q", got)
	}
	if w := b.Widenings(); len(w) != 0 {
		t.Errorf("a first type after nulls is not a widening, got %+v", w)
	}
}

func TestBuilderDeclaredTypes(t *testing.T) {
	columns := []Column{
		{Name: "id", Type: Integer},
		{Name: "price", Type: Float},
		{Name: "ok", Type: Boolean},
		{Name: "day", Type: Date},
		{Name: "at", Type: Timestamp},
		{Name: "code", Type: String},
		{Name: "doc", Type: JSON},
	}
	b := NewBuilder(BuilderOptions{Columns: columns, Required: []bool{true}, Alloc: checkedAlloc(t)})
	mustAppend(t, b, 1, []Cell{text("7"), text("3"), text("yes"), text("2024-02-29"), text("2024-02-29"), text("0042"), text(`{"k":[1]}`)})
	mustAppend(t, b, 2, []Cell{text("+8"), text("2.5"), text("0"), text(""), text("2024-03-01T01:02:03Z"), text("12"), text("plain")})
	mustAppend(t, b, 3, []Cell{text("9"), {Kind: Null}, {Text: "true", Kind: Bool}, {Kind: Null}, {Kind: Null}, {Text: "t", Kind: Quoted}, {Text: "bad\xff", Kind: Quoted}})

	tests := []struct {
		name  string
		cells []Cell
		col   string
		want  error
	}{
		{"null in a required column", []Cell{text(""), text("1")}, "id", ErrRequired},
		{"missing required cell", nil, "id", ErrRequired},
		{"float in an integer column", []Cell{text("1.5")}, "id", ErrConvert},
		{"text in a float column", []Cell{text("1"), text("cheap")}, "price", ErrConvert},
		{"word in a boolean column", []Cell{text("1"), text("1"), text("maybe")}, "ok", ErrConvert},
		{"timestamp in a date column", []Cell{text("1"), text("1"), text("t"), text("2024-01-01T10:00")}, "day", ErrConvert},
		{"bad date in a timestamp column", []Cell{text("1"), text("1"), text("t"), text(""), text("2024-02-30")}, "at", ErrConvert},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := b.Append(99, tt.cells)
			var ve *ValueError
			if !errors.As(err, &ve) || ve.Column != tt.col || !errors.Is(err, tt.want) {
				t.Fatalf("Append error %v, want a *ValueError on %q wrapping %v", err, tt.col, tt.want)
			}
		})
	}
	if b.Len() != 3 {
		t.Fatalf("refused rows were buffered: Len = %d, want 3", b.Len())
	}

	rec := mustFlush(t, b)
	wantTypes := []Type{Integer, Float, Boolean, Date, Timestamp, String, JSON}
	if got := schemaTypes(t, rec); fmt.Sprint(got) != fmt.Sprint(wantTypes) {
		t.Fatalf("types %v, want %v", got, wantTypes)
	}
	want := [][]string{
		{"7", "8", "9"},
		{"3", "2.5", "<null>"},
		{"true", "false", "true"},
		{"2024-02-29", "<null>", "<null>"},
		{"2024-02-29T00:00:00Z", "2024-03-01T01:02:03Z", "<null>"},
		{"0042", "12", "t"},
		{`{"k":[1]}`, `"plain"`, "\"bad\uFFFD\""},
	}
	for i, w := range want {
		if got := valueStrings(rec, i+1); !equalStrings(got, w) {
			t.Errorf("column %s = %q, want %q", rec.ColumnName(i+1), got, w)
		}
	}
	if w := b.Widenings(); len(w) != 0 {
		t.Errorf("declared columns widened: %+v", w)
	}
}

func TestBuilderRequiredInferredColumnRefusesNulls(t *testing.T) {
	b := NewBuilder(BuilderOptions{Columns: cols("key", "v"), Required: []bool{true, false}, Alloc: checkedAlloc(t)})
	mustAppend(t, b, 1, texts("k1", ""))
	for _, cells := range [][]Cell{texts("", "x"), {{Kind: Null}}, nil} {
		if err := b.Append(2, cells); !errors.Is(err, ErrRequired) {
			t.Errorf("Append(%v) error %v, want ErrRequired", cells, err)
		}
	}
	mustAppend(t, b, 3, []Cell{{Text: "", Kind: Quoted}}) // an empty JSON string is a value
	if got := valueStrings(mustFlush(t, b), 1); !equalStrings(got, []string{"k1", ""}) {
		t.Errorf("key = %q", got)
	}
}

func TestBuilderJSONDocuments(t *testing.T) {
	b := NewBuilder(BuilderOptions{Columns: cols("doc", "mixed"), MaxBatchRows: 2, Alloc: checkedAlloc(t)})
	mustAppend(t, b, 1, []Cell{{Text: `{"a":1}`, Kind: Document}, {Text: `[1,2]`, Kind: Document}})
	mustAppend(t, b, 2, []Cell{{Kind: Null}, {Text: "plain", Kind: Quoted}})
	rec := mustFlush(t, b)
	if got := schemaTypes(t, rec); got[0] != JSON || got[1] != String {
		t.Fatalf("types %v, want [json string]", got)
	}
	if got := valueStrings(rec, 2); !equalStrings(got, []string{"[1,2]", "plain"}) {
		t.Errorf("mixed = %q", got)
	}
}

func TestBuilderCleansStrings(t *testing.T) {
	b := NewBuilder(BuilderOptions{Columns: cols("s", "late"), Alloc: checkedAlloc(t)})
	mustAppend(t, b, 1, texts("a\x00b", "1"))
	mustAppend(t, b, 2, texts("\xffok", "x\x00\xfe"))
	rec := mustFlush(t, b)
	if got := valueStrings(rec, 1); !equalStrings(got, []string{"a\uFFFDb", "\uFFFDok"}) {
		t.Errorf("s = %q", got)
	}
	if got := valueStrings(rec, 2); !equalStrings(got, []string{"1", "x\uFFFD\uFFFD"}) {
		t.Errorf("late = %q", got)
	}
}

func TestBuilderBatchBoundaries(t *testing.T) {
	t.Run("by bytes", func(t *testing.T) {
		// Each row: 10 bytes of text + 8 per cell + 8 for the line = 26.
		b := NewBuilder(BuilderOptions{Columns: cols("a"), MaxBatchBytes: 100, Alloc: checkedAlloc(t)})
		rows := 0
		for !b.Full() {
			mustAppend(t, b, int64(rows+1), texts("abcdefghij"))
			rows++
		}
		if rows != 4 {
			t.Errorf("full after %d rows, want 4 (4 × 26 bytes ≥ 100)", rows)
		}
	})
	t.Run("by rows", func(t *testing.T) {
		b := NewBuilder(BuilderOptions{Columns: cols("a"), MaxBatchRows: 3, Alloc: checkedAlloc(t)})
		for i := range 3 {
			if b.Full() {
				t.Fatalf("full after %d rows", i)
			}
			mustAppend(t, b, int64(i+1), texts("x"))
		}
		if !b.Full() || b.Len() != 3 {
			t.Errorf("Full %v Len %d after 3 rows, want true 3", b.Full(), b.Len())
		}
	})
	t.Run("defaults", func(t *testing.T) {
		b := NewBuilder(BuilderOptions{Columns: cols("a")})
		if b.maxBytes != DefaultMaxBatchBytes || b.maxRows != DefaultMaxBatchRows {
			t.Errorf("defaults %d %d", b.maxBytes, b.maxRows)
		}
	})
}

// buildAll appends rows to a new Builder, flushing when full, and returns
// the encoded batches.
func buildAll(t *testing.T, mem memory.Allocator, rows [][]Cell) [][]byte {
	t.Helper()
	b := NewBuilder(BuilderOptions{Columns: cols("a", "b", "c", "d"), MaxBatchBytes: 2000, Alloc: mem})
	var out [][]byte
	flush := func() {
		rec, err := b.Flush()
		if err != nil {
			t.Fatal(err)
		}
		defer rec.Release()
		data, err := EncodeIPC(rec)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, data)
	}
	for i, r := range rows {
		mustAppend(t, b, int64(i+1), r)
		if b.Full() {
			flush()
		}
	}
	flush()
	return out
}

func TestBuilderIsDeterministic(t *testing.T) {
	var rows [][]Cell
	for i := range 500 {
		rows = append(rows, texts(strconv.Itoa(i), fmt.Sprintf("%d.%d", i, i%7), fmt.Sprintf("name %d", i*31%97), map[bool]string{true: "", false: "true"}[i%5 == 0]))
	}
	rows[300][0] = text("3.5") // a widening midway
	mem := checkedAlloc(t)
	first := buildAll(t, mem, rows)
	second := buildAll(t, mem, rows)
	if len(first) < 3 {
		t.Fatalf("only %d batches: the test wants several", len(first))
	}
	if len(first) != len(second) {
		t.Fatalf("%d batches then %d", len(first), len(second))
	}
	for i := range first {
		if !bytes.Equal(first[i], second[i]) {
			t.Errorf("batch %d differs between two runs on the same rows", i)
		}
	}
}

func TestBuilderEmptyFlushKeepsTypes(t *testing.T) {
	b := NewBuilder(BuilderOptions{Columns: []Column{{Name: "a"}, {Name: "b", Type: Date}}, MaxBatchRows: 1, Alloc: checkedAlloc(t)})
	rec := mustFlush(t, b)
	if rec.NumRows() != 0 || rec.NumCols() != 3 {
		t.Fatalf("empty flush: %d rows %d columns, want 0 and 3", rec.NumRows(), rec.NumCols())
	}
	if got := schemaTypes(t, rec); got[0] != Unknown || got[1] != Date {
		t.Errorf("types %v, want [unknown date]", got)
	}
	mustAppend(t, b, 1, texts("1.5"))
	mustFlush(t, b)
	rec = mustFlush(t, b)
	if got := schemaTypes(t, rec); got[0] != Float {
		t.Errorf("empty flush after a float batch has type %v, want float", got[0])
	}
	if _, err := EncodeIPC(rec); err != nil {
		t.Errorf("encode an empty batch: %v", err)
	}
}

func TestBuilderAddColumns(t *testing.T) {
	b := NewBuilder(BuilderOptions{Columns: cols("a"), Alloc: checkedAlloc(t)})
	mustAppend(t, b, 1, texts("1"))
	b.AddColumns([]Column{{Name: "b"}, {Name: "a"}, {Name: "c", Type: Integer}})
	mustAppend(t, b, 2, texts("2", "x", "3"))
	mustAppend(t, b, 3, texts("3")) // a short row: nulls in the rest
	rec := mustFlush(t, b)
	if rec.NumCols() != 4 {
		t.Fatalf("%d columns, want 4 (_line a b c): a duplicate name must be left out", rec.NumCols())
	}
	if got := schemaTypes(t, rec); fmt.Sprint(got) != fmt.Sprint([]Type{Integer, String, Integer}) {
		t.Errorf("types %v", got)
	}
	if got := valueStrings(rec, 2); !equalStrings(got, []string{"<null>", "x", "<null>"}) {
		t.Errorf("b = %q", got)
	}
	if got := valueStrings(rec, 3); !equalStrings(got, []string{"<null>", "3", "<null>"}) {
		t.Errorf("c = %q", got)
	}
	if err := b.Append(4, texts("1", "2", "3", "4")); err == nil {
		t.Error("a row with more cells than columns was accepted")
	}
}

func TestBuilderCopiesCellText(t *testing.T) {
	b := NewBuilder(BuilderOptions{Columns: cols("s"), Alloc: checkedAlloc(t)})
	buf := []byte("first")
	mustAppend(t, b, 1, []Cell{{Text: string(buf), Kind: Text}})
	reused := []byte("hello")
	cell := Cell{Text: unsafeString(reused), Kind: Text}
	mustAppend(t, b, 2, []Cell{cell})
	copy(reused, "XXXXX")
	rec := mustFlush(t, b)
	if got := valueStrings(rec, 1); !equalStrings(got, []string{"first", "hello"}) {
		t.Errorf("values %q: the builder kept a reference to the reader's buffer", got)
	}
}

func TestBuilderReleasesEverything(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	b := NewBuilder(BuilderOptions{Columns: cols("i", "s", "b", "d"), MaxBatchRows: 10, Alloc: mem})
	for i := range 35 {
		mustAppend(t, b, int64(i), texts(strconv.Itoa(i), "s", "true", ""))
		if b.Full() {
			rec, err := b.Flush()
			if err != nil {
				t.Fatal(err)
			}
			rec.Release()
		}
	}
	rec, err := b.Flush()
	if err != nil {
		t.Fatal(err)
	}
	if mem.CurrentAlloc() == 0 {
		t.Fatal("a live batch holds no allocator memory: the test proves nothing")
	}
	rec.Release()
	mem.AssertSize(t, 0)
}

func TestBuilderBatchEqualsOneMadeByArrowBuilders(t *testing.T) {
	mem := checkedAlloc(t)
	b := NewBuilder(BuilderOptions{Columns: cols("i", "f", "b", "d", "t", "s", "n"), Alloc: mem})
	rb := array.NewRecordBuilder(mem, arrow.NewSchema([]arrow.Field{
		Field(LineColumn, Integer), Field("i", Integer), Field("f", Float), Field("b", Boolean),
		Field("d", Date), Field("t", Timestamp), Field("s", String), Field("n", Unknown),
	}, nil))
	defer rb.Release()
	for r := range 70 {
		c := texts(strconv.Itoa(r-35), fmt.Sprintf("%d.25", r), strconv.FormatBool(r%2 == 0), "2024-01-01", "1969-12-31T23:59:59.999999", "s"+strconv.Itoa(r), "")
		null := r%3 == 0
		if null {
			c[r%6] = text("")
		}
		mustAppend(t, b, int64(r+10), c)
		rb.Field(0).(*array.Int64Builder).Append(int64(r + 10))
		for k, f := range rb.Fields()[1:] {
			if null && k == r%6 || k == 6 {
				f.AppendNull()
				continue
			}
			switch f := f.(type) {
			case *array.Int64Builder:
				f.Append(int64(r - 35))
			case *array.Float64Builder:
				f.Append(float64(r) + 0.25)
			case *array.BooleanBuilder:
				f.Append(r%2 == 0)
			case *array.Date32Builder:
				f.Append(arrow.Date32(19723))
			case *array.TimestampBuilder:
				f.Append(arrow.Timestamp(-1))
			case *array.StringBuilder:
				f.Append("s" + strconv.Itoa(r))
			}
		}
	}
	want := rb.NewRecordBatch()
	defer want.Release()
	got := mustFlush(t, b)
	if !array.RecordEqual(got, want) {
		t.Errorf("builder batch differs from one made by Arrow's builders:\n%v\nwant\n%v", got, want)
	}
	if !got.Schema().Equal(want.Schema()) {
		t.Errorf("schema %v, want %v", got.Schema(), want.Schema())
	}
}

func unsafeString(b []byte) string { return unsafe.String(&b[0], len(b)) }
