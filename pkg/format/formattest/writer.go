package formattest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/filedge/filedge/pkg/format"
	"github.com/filedge/filedge/pkg/record"
)

// WriterOption configures RunWriter.
type WriterOption func(*writerSuite)

// WithOptions makes the writer and the reader with opts instead of the
// zero format.Options. Run RunWriter once per set of options worth
// checking.
func WithOptions(opts format.Options) WriterOption {
	return func(s *writerSuite) { s.opts = opts }
}

// TypeDeclaredOnRead declares that the format carries the values of the
// suite's column named column exactly but not its type, which a pipeline
// then declares (pipeline.yaml's columns:), as delimited text and JSON do
// for decimals. RunWriter reads that column back with its written type
// declared, as the parser does for a declared column, and asserts that
// every value comes back exactly. Declaring it for a column whose type the
// reader finds by itself fails.
func TypeDeclaredOnRead(column string) WriterOption {
	return func(s *writerSuite) { s.declared[column] = true }
}

// ReadsBack declares that the suite's column named column (see RunWriter
// for the columns) comes back from a file of the format as type t rather
// than as the type it was written in: the format cannot carry the
// difference. RunWriter then asserts exactly that: the column reads back
// as t, and each value's text (as pkg/record would write it in t) is the
// text of the value written, or, for t record.Unknown, every value reads
// back null. Declaring a loss that does not happen fails too.
func ReadsBack(column string, t record.Type) WriterOption {
	return func(s *writerSuite) { s.readsBack[column] = t }
}

// writerSuite is what RunWriter checks with.
type writerSuite struct {
	code      string
	opts      format.Options
	readsBack map[string]record.Type
	declared  map[string]bool // see TypeDeclaredOnRead
}

// RunWriter checks the writer registered as code (format.RegisterWriter)
// against the reader registered under the same code. It writes a table of
// 2,503 rows in four batches (one of zero rows) to memory, reads the file
// back with the reader into a record.Builder, as the parser does, and
// checks that every column comes back under its name, in order, with its
// type and its values. It also checks that the writer writes the same
// bytes for the same batches; that a table of no rows reads back as no
// rows (and its columns, if the format keeps them without rows); that
// Close does not close the io.Writer; that an error of the io.Writer comes
// back (wrapped) from Write or Close; that a batch of other columns is an
// error; that no call panics; and that the writer keeps no batch memory
// (a checked allocator).
//
// The table's columns, each with nulls:
//
//   - "_line" (Integer): 1, 2, 3, ... as the parser's system column.
//   - "flag" (Boolean), "count" (Integer, with the int64 extremes),
//     "amount" (Float: fractions, whole numbers, 1e21, tiny and huge
//     values), "day" (Date, 0001-01-01 to 9999-12-31), "at" (Timestamp,
//     to the microsecond, before and after 1970).
//   - `text, "quoted" naïve` (String): text with delimiters, quotes, CR,
//     LF, CRLF, tabs, leading and trailing spaces, a byte order mark,
//     backslashes, unicode (accents, CJK, emoji, U+2028), a 20,000-byte
//     value; no NUL and no empty string.
//   - "doc" (JSON): objects and arrays, nested, with escapes and unicode.
//   - "nothing" (a column of nulls only: record.Unknown).
//   - "money" (decimal(38,2)): amounts of 1 to 38 digits, negative ones,
//     zero, whole ones ("100.00"), a 16-digit one that a float64 would
//     change ("12345678901234.56").
//
// Every format must carry those exactly, "money" at least as values read
// back into a declared decimal column (declare that with
// TypeDeclaredOnRead when the format does not carry the type). The
// columns that follow are strings (and "doc") that a format which infers
// types from text may not carry; declare each such loss with ReadsBack:
//
//   - "numerals" (String: "1", "-20", ...): reads back as Integer from
//     inferred text.
//   - "decimals" (String: "2.5", ...): Float. (These are strings that
//     look like numbers; decimal values are "money".)
//   - "truths" (String: "true", "false"): Boolean.
//   - "dates" (String: "2024-01-02", ...): Date, from inferred text or
//     inferred strings.
//   - "times" (String: "2024-01-02T03:04:05.000000Z", ...): Timestamp.
//   - "empty" (String: "" only): Unknown when an empty string reads back
//     as a null.
//   - "doc" (JSON): String when the format has no JSON values.
//
// Values are compared as text in their type: integers in decimal, floats
// as strconv 'g' -1 writes them, decimals with their scale
// (record.AppendDecimal), dates as 2006-01-02, timestamps as
// 2006-01-02T15:04:05.000000Z, JSON documents compacted.
func RunWriter(t *testing.T, code string, opts ...WriterOption) {
	t.Helper()
	s := &writerSuite{code: code, readsBack: map[string]record.Type{}, declared: map[string]bool{}}
	for _, o := range opts {
		o(s)
	}
	for name := range s.readsBack {
		if columnNamed(name) == nil {
			t.Fatalf("ReadsBack(%q): the suite has no such column", name)
		}
	}
	for name := range s.declared {
		if columnNamed(name) == nil {
			t.Fatalf("TypeDeclaredOnRead(%q): the suite has no such column", name)
		}
		if _, ok := s.readsBack[name]; ok {
			t.Fatalf("column %q: both ReadsBack and TypeDeclaredOnRead", name)
		}
	}
	t.Run("Registered", func(t *testing.T) { s.checkRegistered(t) })
	if _, ok := format.LookupWriter(code); !ok {
		return
	}
	t.Run("RoundTrip", s.checkRoundTrip)
	t.Run("Deterministic", s.checkDeterministic)
	t.Run("NoRows", s.checkNoRows)
	t.Run("OutputNotClosed", s.checkNotClosed)
	t.Run("OutputError", s.checkOutputError)
	t.Run("OtherColumns", s.checkOtherColumns)
}

// writerColumn is a column of the suite's table: its values are cycled
// over the rows, nil being a null.
type writerColumn struct {
	name   string
	typ    record.Type
	values []any // bool, int64, float64, time.Time (Date, Timestamp), string (String, JSON, decimals)
}

// writerRows is the number of rows of the suite's table, and writerBatches
// where its batches start and end.
var (
	writerRows    = 2503
	writerBatches = [][2]int{{0, 1}, {1, 1}, {1, 1000}, {1000, 2503}}
)

// Date parses a date written 2006-01-02, for test values; it panics on
// anything else.
func Date(s string) time.Time {
	d, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return d
}

// Instant parses an RFC 3339 timestamp, for test values; it panics on
// anything else.
func Instant(s string) time.Time {
	d, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return d
}

// writerColumns is the suite's table (see RunWriter).
var writerColumns = []writerColumn{
	{name: record.LineColumn, typ: record.Integer}, // values: the row number
	{name: "flag", typ: record.Boolean, values: []any{true, false, nil, false, true}},
	{name: "count", typ: record.Integer, values: []any{
		int64(0), int64(1), int64(-1), nil, int64(math.MaxInt64), int64(math.MinInt64), int64(42), int64(-987654321),
	}},
	{name: "amount", typ: record.Float, values: []any{
		0.1, -2.5, 3.0, nil, 0.0, 1e21, 1.5e-7, 123456.789, -1.7976931348623157e308, 2.2250738585072014e-308, 1e6, 100.25,
	}},
	{name: "day", typ: record.Date, values: []any{
		Date("2024-02-29"), Date("1970-01-01"), nil, Date("1969-12-31"), Date("0001-01-01"), Date("9999-12-31"), Date("2000-03-01"),
	}},
	{name: "at", typ: record.Timestamp, values: []any{
		Instant("2024-02-29T23:59:59.123456Z"), Instant("1970-01-01T00:00:00Z"), nil,
		Instant("1969-12-31T23:59:59.999999Z"), Instant("0001-01-01T00:00:00Z"),
		Instant("9999-12-31T23:59:59.999999Z"), Instant("2021-06-01T12:00:00.5+02:00"), Instant("1900-01-01T00:00:00.000001Z"),
	}},
	{name: `text, "quoted" naïve`, typ: record.String, values: []any{
		"plain", "comma, inside", `say "hi"`, `"starts with a quote`, "ends with a quote\"", nil,
		"line\nbreak", "crlf\r\nbreak", "lone\rcr", "ends with a line end\n", " leading space", "trailing space ", " ",
		"\ttabs\tinside", "semi;colon|pipe\x1funit", `back\slash \N \"`, "Zürich 東京 🎉 e\u0301", "\u2028line separators\u2029",
		"null", "NULL", "\ufeffbyte order mark first", `{"looks": "like json"}`, "<b>&amp;</b>", "'single'", "#comment?",
		strings.Repeat("long text, with \"quotes\" and\nlines ", 570),
	}},
	{name: "doc", typ: record.JSON, values: []any{
		`{"a":1,"b":[true,null,"x\"y"]}`, `[]`, nil, `{}`, `[1,2.5,"z"]`, `{"ü":"東京","nested":{"deep":[{"k":"v\n"}]}}`,
	}},
	{name: "nothing", typ: record.Unknown, values: []any{nil}},
	{name: "money", typ: record.DecimalOf(38, 2), values: []any{
		"12345678901234.56", "-0.01", nil, "0.00", "999999999999999999999999999999999999.99", "-7.50", "100.00",
		"-123456789012345678901234567890123456.78", "0.10",
	}},
	{name: "numerals", typ: record.String, values: []any{"1", "-20", nil, "300", "0"}},
	{name: "decimals", typ: record.String, values: []any{"2.5", nil, "-0.125", "1e+21"}},
	{name: "truths", typ: record.String, values: []any{"true", "false", nil}},
	{name: "dates", typ: record.String, values: []any{"2024-01-02", nil, "1999-12-31"}},
	{name: "times", typ: record.String, values: []any{"2024-01-02T03:04:05.000000Z", nil, "1999-12-31T23:59:59.999999Z"}},
	{name: "empty", typ: record.String, values: []any{"", nil}},
}

// columnNamed returns the suite's column named name, or nil.
func columnNamed(name string) *writerColumn {
	for i := range writerColumns {
		if writerColumns[i].name == name {
			return &writerColumns[i]
		}
	}
	return nil
}

// writerSchema returns the schema of the suite's table.
func writerSchema() *arrow.Schema {
	fields := make([]arrow.Field, len(writerColumns))
	for i, c := range writerColumns {
		fields[i] = record.Field(c.name, c.typ)
	}
	return arrow.NewSchema(fields, nil)
}

// writerBatch builds rows lo to hi of the suite's table.
func writerBatch(mem memory.Allocator, lo, hi int) arrow.RecordBatch {
	schema := writerSchema()
	arrs := make([]arrow.Array, len(writerColumns))
	for j, c := range writerColumns {
		b := array.NewBuilder(mem, c.typ.ArrowType())
		for r := lo; r < hi; r++ {
			var v any
			if j == 0 {
				v = int64(r + 1)
			} else {
				v = c.values[r%len(c.values)]
			}
			appendArrow(b, v)
		}
		arrs[j] = b.NewArray()
		b.Release()
	}
	rec := array.NewRecordBatch(schema, arrs, int64(hi-lo))
	for _, a := range arrs {
		a.Release()
	}
	return rec
}

// WriteAll writes recs as a file with the writer registered as code, made
// for the first batch's schema and opts, and returns the file.
func WriteAll(t testing.TB, code string, opts format.Options, recs ...arrow.RecordBatch) string {
	t.Helper()
	newWriter, ok := format.LookupWriter(code)
	if !ok {
		t.Fatalf("no writer registered as %q", code)
	}
	var out bytes.Buffer
	w, err := newWriter(&out, recs[0].Schema(), opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, rec := range recs {
		if err := w.Write(rec); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

// Col is a column of a batch for Batch: Values are nil (null) or of the
// Go type of its record type (bool, int64, float64, time.Time for dates and
// timestamps, string for strings, JSON and decimals, as their text).
type Col struct {
	Name   string
	Type   record.Type
	Values []any
}

// Batch builds a record batch of cols, typed as pkg/record types them, for
// a writer's own tests. A value of the wrong Go type panics.
func Batch(mem memory.Allocator, cols ...Col) arrow.RecordBatch {
	fields := make([]arrow.Field, len(cols))
	arrs := make([]arrow.Array, len(cols))
	rows := 0
	for i, c := range cols {
		fields[i] = record.Field(c.Name, c.Type)
		rows = len(c.Values)
		b := array.NewBuilder(mem, c.Type.ArrowType())
		for _, v := range c.Values {
			appendArrow(b, v)
		}
		arrs[i] = b.NewArray()
		b.Release()
	}
	rec := array.NewRecordBatch(arrow.NewSchema(fields, nil), arrs, int64(rows))
	for _, a := range arrs {
		a.Release()
	}
	return rec
}

// appendArrow appends v (nil for a null) to b.
func appendArrow(b array.Builder, v any) {
	if v == nil {
		b.AppendNull()
		return
	}
	switch b := b.(type) {
	case *array.BooleanBuilder:
		b.Append(v.(bool))
	case *array.Int64Builder:
		b.Append(v.(int64))
	case *array.Float64Builder:
		b.Append(v.(float64))
	case *array.Date32Builder:
		b.Append(arrow.Date32FromTime(v.(time.Time)))
	case *array.TimestampBuilder:
		b.Append(arrow.Timestamp(v.(time.Time).UnixMicro()))
	case *array.StringBuilder:
		b.Append(v.(string))
	case *array.Decimal128Builder, *array.Decimal256Builder:
		if err := record.AppendDecimalValue(b, v.(string)); err != nil {
			panic(fmt.Sprintf("formattest: %v", err))
		}
	default:
		panic(fmt.Sprintf("formattest: no value for %T", b))
	}
}

// suiteBatches builds the suite's table in its batches.
func suiteBatches(mem memory.Allocator) []arrow.RecordBatch {
	out := make([]arrow.RecordBatch, len(writerBatches))
	for i, b := range writerBatches {
		out[i] = writerBatch(mem, b[0], b[1])
	}
	return out
}

func releaseAll(recs []arrow.RecordBatch) {
	for _, r := range recs {
		r.Release()
	}
}

// fileName is the name a written file is read back under: its extension
// is the format's first, as it can matter to the reader.
func (s *writerSuite) fileName() string {
	info, _, _ := format.Lookup(s.code)
	if len(info.Extensions) > 0 {
		return "written" + info.Extensions[0]
	}
	return "written"
}

func (s *writerSuite) checkRegistered(t *testing.T) {
	if _, f, ok := format.Lookup(s.code); !ok || f == nil {
		t.Errorf("no reader registered as %q: a writer is checked against its reader", s.code)
	}
	if f, ok := format.LookupWriter(s.code); !ok || f == nil {
		t.Fatalf("no writer registered as %q", s.code)
	}
	found := false
	for _, c := range format.Writers() {
		found = found || c == s.code
	}
	if !found {
		t.Errorf("format.Writers() = %q lacks %q", format.Writers(), s.code)
	}
}

// guarded runs f, turning a panic into an error.
func guarded(what string, f func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("formattest: the writer panicked in %s: %v", what, p)
		}
	}()
	return f()
}

// write writes recs with schema to out through the writer registered as
// the suite's code, and returns the first error.
func (s *writerSuite) write(out io.Writer, schema *arrow.Schema, recs []arrow.RecordBatch) error {
	factory, _ := format.LookupWriter(s.code)
	var w format.RecordWriter
	err := guarded("its factory", func() (err error) {
		w, err = factory(out, schema, s.opts)
		return err
	})
	if err != nil {
		return err
	}
	for _, rec := range recs {
		if err := guarded("Write", func() error { return w.Write(rec) }); err != nil {
			return err
		}
	}
	return guarded("Close", w.Close)
}

// writeSuite writes the suite's table and returns the file's bytes,
// checking that the writer leaves no batch memory behind.
func (s *writerSuite) writeSuite(t *testing.T) []byte {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	recs := suiteBatches(mem)
	defer releaseAll(recs)
	var out bytes.Buffer
	if err := s.write(&out, writerSchema(), recs); err != nil {
		t.Fatalf("writing the table: %v", err)
	}
	return out.Bytes()
}

// readBack reads data with the suite's format into one record batch made
// by a record.Builder, as the parser does, and returns it with the names
// of its columns (after the Builder's _line).
func (s *writerSuite) readBack(t *testing.T, mem memory.Allocator, data []byte) (arrow.RecordBatch, []string) {
	t.Helper()
	name := s.fileName()
	rec := &Recorder{Path: name}
	err := ReadTo(t.Context(), s.code, name, s.opts, bytes.NewReader(data), rec)
	checkRead(t, name, rec, err)
	if err != nil {
		t.Fatalf("reading the written file back: %v", err)
	}
	for _, e := range rec.Result.RowErrors {
		t.Errorf("reading the written file back: row error at line %d: %s", e.Line, e.Error)
	}
	for _, m := range rec.Result.Issues {
		t.Errorf("reading the written file back: issue %q", m)
	}
	if n := len(rec.Result.Tables); n != 1 {
		t.Fatalf("the written file reads back as %d tables, want 1", n)
	}
	table := rec.Result.Tables[0]
	names := make([]string, len(table.Columns))
	declared := map[string]record.Type{}
	for i, c := range table.Columns {
		names[i] = c.Name
		if wc := columnNamed(c.Name); wc != nil && s.declared[c.Name] {
			if c.Type == wc.typ {
				t.Errorf("column %q reads back as %v by itself: drop TypeDeclaredOnRead(%q)", c.Name, c.Type, c.Name)
			}
			declared[c.Name] = wc.typ // as pipeline.yaml's columns: declares it
		}
	}
	out, refused, err := table.Build(mem, declared)
	if err != nil {
		t.Fatal(err)
	}
	if len(refused) > 0 {
		out.Release()
		t.Fatalf("rows read back do not fit their declared types: %s", refused[0])
	}
	return out, names
}

func (s *writerSuite) checkRoundTrip(t *testing.T) {
	data := s.writeSuite(t)
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	got, names := s.readBack(t, mem, data)
	defer got.Release()

	want := suiteBatches(mem)
	defer releaseAll(want)
	wantNames := make([]string, len(writerColumns))
	for i, c := range writerColumns {
		wantNames[i] = c.name
	}
	if !equalStrings(names, wantNames) {
		t.Fatalf("columns read back:\n  %q\nwant\n  %q", names, wantNames)
	}
	if n := int(got.NumRows()); n != writerRows {
		t.Fatalf("%d rows read back, want %d", n, writerRows)
	}
	for j, c := range writerColumns {
		for _, msg := range s.compareColumn(c, want, j, got.Column(j+1), got.Schema().Field(j+1)) {
			t.Errorf("column %q: %s", c.name, msg)
		}
	}
}

// compareColumn compares column j of the written batches with the column
// read back, and returns what differs.
func (s *writerSuite) compareColumn(c writerColumn, written []arrow.RecordBatch, j int, got arrow.Array, gotField arrow.Field) []string {
	var diffs []string
	wantType, lossy := c.typ, false
	if t, ok := s.readsBack[c.name]; ok {
		wantType, lossy = t, true
	}
	gotType := record.TypeOf(gotField)
	switch {
	case gotType == wantType:
	case lossy:
		return []string{fmt.Sprintf("written as %v, declared to read back as %v, reads back as %v", c.typ, wantType, gotType)}
	case c.typ.IsDecimal():
		return []string{fmt.Sprintf("written as %v, reads back as %v (if the format carries the values but not the type, declare formattest.TypeDeclaredOnRead(%q))",
			c.typ, gotType, c.name)}
	default:
		return []string{fmt.Sprintf("written as %v, reads back as %v (if the format cannot carry it, declare formattest.ReadsBack(%q, record.%s))",
			c.typ, gotType, c.name, typeConst(gotType))}
	}
	row := 0
	for _, rec := range written {
		col := rec.Column(j)
		for i := 0; i < col.Len(); i, row = i+1, row+1 {
			w, wOK := valueText(col, i)
			g, gOK := valueText(got, row)
			switch {
			case wantType == record.Unknown && !gOK:
				continue
			case wantType == record.JSON && c.typ == record.JSON && wOK && gOK:
				w, g = compactJSON(w), compactJSON(g)
			}
			if w != g || wOK != gOK {
				diffs = append(diffs, fmt.Sprintf("row %d: wrote %s, read back %s", row+1, show(w, wOK), show(g, gOK)))
				if len(diffs) == 5 {
					return append(diffs, "...")
				}
			}
		}
	}
	return diffs
}

// typeConst names t as the record constant (or DecimalOf call).
func typeConst(t record.Type) string {
	if p := t.Precision(); p > 0 {
		return fmt.Sprintf("DecimalOf(%d, %d)", p, t.Scale())
	}
	s := t.String()
	return strings.ToUpper(s[:1]) + s[1:]
}

func show(s string, ok bool) string {
	if !ok {
		return "null"
	}
	if len(s) > 60 {
		s = s[:60] + "..."
	}
	return strconv.Quote(s)
}

func compactJSON(s string) string {
	var b bytes.Buffer
	if json.Compact(&b, []byte(s)) != nil {
		return s
	}
	return b.String()
}

// valueText returns value i of a as text in its type, or false for a null.
func valueText(a arrow.Array, i int) (string, bool) {
	if a.IsNull(i) {
		return "", false
	}
	switch a := a.(type) {
	case *array.Boolean:
		return strconv.FormatBool(a.Value(i)), true
	case *array.Int64:
		return strconv.FormatInt(a.Value(i), 10), true
	case *array.Float64:
		return strconv.FormatFloat(a.Value(i), 'g', -1, 64), true
	case *array.Date32:
		return a.Value(i).ToTime().Format("2006-01-02"), true
	case *array.Timestamp:
		return time.UnixMicro(int64(a.Value(i))).UTC().Format("2006-01-02T15:04:05.000000Z07:00"), true
	case *array.String:
		return a.Value(i), true
	case *array.Decimal128, *array.Decimal256:
		text, _ := record.AppendDecimal(nil, a, i)
		return string(text), true
	}
	return fmt.Sprintf("<%s>", a.DataType()), true
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

func (s *writerSuite) checkDeterministic(t *testing.T) {
	a, b := s.writeSuite(t), s.writeSuite(t)
	if !bytes.Equal(a, b) {
		t.Errorf("the same batches written twice made different files (%d and %d bytes)", len(a), len(b))
	}
}

func (s *writerSuite) checkNoRows(t *testing.T) {
	var out bytes.Buffer
	if err := s.write(&out, writerSchema(), nil); err != nil {
		t.Fatalf("writing a table of no rows: %v", err)
	}
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	got, names := s.readBack(t, mem, out.Bytes())
	defer got.Release()
	if got.NumRows() != 0 {
		t.Errorf("a table of no rows reads back with %d rows", got.NumRows())
	}
	if len(names) > 0 {
		want := make([]string, len(writerColumns))
		for i, c := range writerColumns {
			want[i] = c.name
		}
		if !equalStrings(names, want) {
			t.Errorf("a table of no rows reads back with columns %q, want none or %q", names, want)
		}
	}
}

// closeSpy is an io.WriteCloser that notes whether it was closed.
type closeSpy struct {
	bytes.Buffer
	closed bool
}

func (c *closeSpy) Close() error {
	c.closed = true
	return nil
}

func (s *writerSuite) checkNotClosed(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	recs := suiteBatches(mem)
	defer releaseAll(recs)
	out := &closeSpy{}
	if err := s.write(out, writerSchema(), recs); err != nil {
		t.Fatal(err)
	}
	if out.closed {
		t.Error("Close closed the io.Writer it was given")
	}
	if out.Len() == 0 {
		t.Error("nothing was written")
	}
}

// errOutput is the error of failingOutput.
var errOutput = errors.New("formattest: the disk is full")

// failingOutput is an io.Writer whose every Write fails.
type failingOutput struct{}

func (failingOutput) Write([]byte) (int, error) { return 0, errOutput }

func (s *writerSuite) checkOutputError(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	recs := suiteBatches(mem)
	defer releaseAll(recs)
	err := s.write(failingOutput{}, writerSchema(), recs)
	if !errors.Is(err, errOutput) {
		t.Errorf("writing to an io.Writer that fails returned %v, want an error wrapping %q", err, errOutput)
	}
}

func (s *writerSuite) checkOtherColumns(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	b := array.NewInt64Builder(mem)
	b.AppendValues([]int64{1, 2}, nil)
	a := b.NewArray()
	b.Release()
	other := array.NewRecordBatch(arrow.NewSchema([]arrow.Field{record.Field("other", record.Integer)}, nil), []arrow.Array{a}, 2)
	a.Release()
	defer other.Release()
	err := s.write(io.Discard, writerSchema(), []arrow.RecordBatch{other})
	switch {
	case err == nil:
		t.Error("a batch whose columns are not the file's was written without an error")
	case strings.Contains(err.Error(), "panicked"):
		t.Error(err)
	}
}
