package csv_test

import (
	"bytes"
	stdcsv "encoding/csv"
	"errors"
	"io"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/filedge/filedge/pkg/format"
	"github.com/filedge/filedge/pkg/format/csv"
	"github.com/filedge/filedge/pkg/format/formattest"
	"github.com/filedge/filedge/pkg/record"
)

// csvLosses are the suite's columns that delimited text cannot carry: its
// fields are untyped text, inferred on reading. The "empty" column is not
// one: the writer quotes an empty string, and "" reads back as one.
var csvLosses = []formattest.WriterOption{
	formattest.ReadsBack("doc", record.String),
	formattest.ReadsBack("numerals", record.Integer),
	formattest.ReadsBack("decimals", record.Float),
	formattest.ReadsBack("truths", record.Boolean),
	formattest.ReadsBack("dates", record.Date),
	formattest.ReadsBack("times", record.Timestamp),
	formattest.TypeDeclaredOnRead("money"),
}

func TestWriterConformance(t *testing.T) {
	tests := []struct {
		name string
		opts format.Options
	}{
		{"defaults", format.Options{}},
		{"semicolon", format.Options{Delimiter: ";"}},
		{"tab", format.Options{Delimiter: "\t"}},
		{"pipe", format.Options{Delimiter: "|"}},
		{"two pipes", format.Options{Delimiter: "||"}},
		{"null sequence", format.Options{NullSequence: `\N`}},
		{"escape character", format.Options{EscapeChar: `\`}},
		{"quote character", format.Options{QuoteChar: "'"}},
		{"CRLF", format.Options{LineSeparator: "\r\n"}},
		{"line separator", format.Options{LineSeparator: "~~"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			formattest.RunWriter(t, "csv", append(csvLosses, formattest.WithOptions(tt.opts))...)
		})
	}
}

func TestWriterWritesEachTypeAsTheReaderInfersIt(t *testing.T) {
	tests := []struct {
		name string
		col  formattest.Col
		want string
	}{
		{"booleans", formattest.Col{Name: "b", Type: record.Boolean, Values: []any{true, false, nil}}, "b\ntrue\nfalse\n\n"},
		{"integers", formattest.Col{Name: "i", Type: record.Integer, Values: []any{int64(0), int64(-7), int64(math.MaxInt64), int64(math.MinInt64), nil}},
			"i\n0\n-7\n9223372036854775807\n-9223372036854775808\n\n"},
		{"floats keep a point or an exponent", formattest.Col{Name: "f", Type: record.Float, Values: []any{3.0, math.Copysign(0, -1), 0.1, 1e6, 1e20, 1e21, 1.5e-7, 1e-6, 2.5e-300, nil}},
			"f\n3.0\n-0.0\n0.1\n1000000.0\n100000000000000000000.0\n1e+21\n1.5e-7\n0.000001\n2.5e-300\n\n"},
		{"NaN and infinities are null", formattest.Col{Name: "f", Type: record.Float, Values: []any{math.NaN(), math.Inf(1), math.Inf(-1), 1.0}}, "f\n\n\n\n1.0\n"},
		{"dates", formattest.Col{Name: "d", Type: record.Date, Values: []any{formattest.Date("2024-02-29"), formattest.Date("0001-01-01"), formattest.Date("9999-12-31"), formattest.Date("1969-12-31"), nil}},
			"d\n2024-02-29\n0001-01-01\n9999-12-31\n1969-12-31\n\n"},
		{"dates beyond year 9999", formattest.Col{Name: "d", Type: record.Date, Values: []any{formattest.Date("9999-12-31").AddDate(0, 0, 1)}}, "d\n10000-01-01\n"},
		{"timestamps in UTC to the microsecond", formattest.Col{Name: "t", Type: record.Timestamp, Values: []any{
			formattest.Instant("2024-02-29T23:59:59.123456Z"), formattest.Instant("2021-06-01T12:00:00+02:00"), formattest.Instant("1969-12-31T23:59:59.999999Z"),
			formattest.Instant("0001-01-01T00:00:00Z"), formattest.Instant("9999-12-31T23:59:59.999999Z"), nil,
		}}, "t\n2024-02-29T23:59:59.123456Z\n2021-06-01T10:00:00.000000Z\n1969-12-31T23:59:59.999999Z\n0001-01-01T00:00:00.000000Z\n9999-12-31T23:59:59.999999Z\n\n"},
		{"JSON as its text", formattest.Col{Name: "j", Type: record.JSON, Values: []any{`{"a":[1,"x"]}`, `[]`}}, "j\n\"{\"\"a\"\":[1,\"\"x\"\"]}\"\n[]\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			rec := formattest.Batch(mem, tt.col)
			defer rec.Release()
			if got := formattest.WriteAll(t, "csv", format.Options{}, rec); got != tt.want {
				t.Errorf("wrote\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

func TestWriterQuotesOnlyTheFieldsThatNeedIt(t *testing.T) {
	values := []any{"plain", "", nil, "a,b", `say "hi"`, "two\nlines", "cr\rhere", " lead", "trail ", "\ttab", "in side",
		"\ufeffbom", "semi;colon", `back\slash`, "Zürich"}
	tests := []struct {
		name string
		opts format.Options
		want string
	}{
		{"defaults", format.Options{},
			"s\nplain\n\"\"\n\n\"a,b\"\n\"say \"\"hi\"\"\"\n\"two\nlines\"\n\"cr\rhere\"\n\" lead\"\n\"trail \"\n\"\ttab\"\nin side\n\"\ufeffbom\"\nsemi;colon\nback\\slash\nZürich\n"},
		{"semicolon delimiter", format.Options{Delimiter: ";"},
			"s\nplain\n\"\"\n\na,b\n\"say \"\"hi\"\"\"\n\"two\nlines\"\n\"cr\rhere\"\n\" lead\"\n\"trail \"\n\"\ttab\"\nin side\n\"\ufeffbom\"\n\"semi;colon\"\nback\\slash\nZürich\n"},
		{"escape character", format.Options{EscapeChar: `\`},
			"s\nplain\n\"\"\n\n\"a,b\"\n\"say \\\"hi\\\"\"\n\"two\nlines\"\n\"cr\rhere\"\n\" lead\"\n\"trail \"\n\"\ttab\"\nin side\n\"\ufeffbom\"\nsemi;colon\n\"back\\\\slash\"\nZürich\n"},
		{"quote character", format.Options{QuoteChar: "'"},
			"s\nplain\n''\n\n'a,b'\nsay \"hi\"\n'two\nlines'\n'cr\rhere'\n' lead'\n'trail '\n'\ttab'\nin side\n'\ufeffbom'\nsemi;colon\nback\\slash\nZürich\n"},
		{"null sequence", format.Options{NullSequence: `\N`},
			"s\nplain\n\"\"\n\\N\n\"a,b\"\n\"say \"\"hi\"\"\"\n\"two\nlines\"\n\"cr\rhere\"\n\" lead\"\n\"trail \"\n\"\ttab\"\nin side\n\"\ufeffbom\"\nsemi;colon\nback\\slash\nZürich\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			rec := formattest.Batch(mem, formattest.Col{Name: "s", Type: record.String, Values: values})
			defer rec.Release()
			if got := formattest.WriteAll(t, "csv", tt.opts, rec); got != tt.want {
				t.Errorf("wrote\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

func TestWriterRecordLayoutSettings(t *testing.T) {
	tests := []struct {
		name string
		opts format.Options
		want string
	}{
		{"header and comma", format.Options{}, "a,b c\n1,x\n,\n"},
		{"tab", format.Options{Delimiter: "\t"}, "a\tb c\n1\tx\n\t\n"},
		{"several characters", format.Options{Delimiter: "||"}, "a||b c\n1||x\n||\n"},
		{"space", format.Options{Delimiter: " "}, "a \"b c\"\n1 x\n \n"},
		{"headerless", format.Options{Headerless: true}, "1,x\n,\n"},
		{"CRLF", format.Options{LineSeparator: "\r\n"}, "a,b c\r\n1,x\r\n,\r\n"},
		{"line separator", format.Options{LineSeparator: ";;"}, "a,b c;;1,x;;,;;"},
		{"null sequence", format.Options{NullSequence: "NULL"}, "a,b c\n1,x\nNULL,NULL\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			rec := formattest.Batch(mem, formattest.Col{Name: "a", Type: record.Integer, Values: []any{int64(1), nil}}, formattest.Col{Name: "b c", Type: record.String, Values: []any{"x", nil}})
			defer rec.Release()
			if got := formattest.WriteAll(t, "csv", tt.opts, rec); got != tt.want {
				t.Errorf("wrote\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

func TestWriterDatesAndTimestampsMatchTimeFormat(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	var days, stamps []any
	var want strings.Builder
	want.WriteString("d,t\n")
	first := formattest.Date("0001-01-01")
	// Every 997th day from year 1 to 9999, with an instant on it that
	// walks through the hours and microseconds.
	for d, k := first, int64(0); d.Year() < 10000; d, k = d.AddDate(0, 0, 997), k+1 {
		at := d.Add(time.Duration(k*7919%86400)*time.Second + time.Duration(k*104729%1000000)*time.Microsecond)
		days, stamps = append(days, d), append(stamps, at)
		want.WriteString(d.Format("2006-01-02") + "," + at.Format("2006-01-02T15:04:05.000000Z") + "\n")
	}
	rec := formattest.Batch(mem, formattest.Col{Name: "d", Type: record.Date, Values: days}, formattest.Col{Name: "t", Type: record.Timestamp, Values: stamps})
	defer rec.Release()
	if got := formattest.WriteAll(t, "csv", format.Options{}, rec); got != want.String() {
		t.Errorf("dates or timestamps differ from time.Format (%d values)", len(days))
	}
}

func TestWriterKeepsNullRowsOfOneColumnTables(t *testing.T) {
	// A null in a one-column table is an empty line, which the reader
	// reads as a row of nulls: no row is lost.
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rec := formattest.Batch(mem, formattest.Col{Name: "v", Type: record.String, Values: []any{nil, "a", nil, nil}})
	defer rec.Release()
	data := formattest.WriteAll(t, "csv", format.Options{}, rec)
	got, err := formattest.Read(t.Context(), "csv", "one.csv", format.Options{}, []byte(data), true)
	if err != nil {
		t.Fatal(err)
	}
	if rows := got.Result.Tables[0].Rows; len(rows) != 4 || rows[1].Cells[0].Text != "a" {
		t.Errorf("%q reads back as %+v, want 4 rows", data, rows)
	}
}

func TestNewWriterRefusesWhatItCannotWrite(t *testing.T) {
	good := arrow.NewSchema([]arrow.Field{record.Field("a", record.Integer)}, nil)
	tests := []struct {
		name   string
		schema *arrow.Schema
		opts   format.Options
		want   string
	}{
		{"an Arrow type pkg/record does not make", arrow.NewSchema([]arrow.Field{{Name: "n", Type: arrow.PrimitiveTypes.Int32}}, nil), format.Options{}, `column "n"`},
		{"a timestamp in seconds", arrow.NewSchema([]arrow.Field{{Name: "t", Type: arrow.FixedWidthTypes.Timestamp_s}}, nil), format.Options{}, `column "t"`},
		{"a delimiter holding a quote", good, format.Options{Delimiter: `"`}, "delimiter"},
		{"a delimiter holding a line end", good, format.Options{Delimiter: "a\nb"}, "delimiter"},
		{"a quote of two characters", good, format.Options{QuoteChar: `""`}, "quote character"},
		{"no quote character", good, format.Options{QuoteChar: format.NoQuote}, "quote_char none"},
		{"an escape that is not ASCII", good, format.Options{EscapeChar: "é"}, "escape character"},
		{"a null sequence that needs quotes", good, format.Options{NullSequence: "a,b"}, "null sequence"},
		{"a line separator holding the delimiter", good, format.Options{LineSeparator: ",\n"}, "line separator"},
		{"a line separator holding the quote", good, format.Options{LineSeparator: "\"\n"}, "line separator"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := csv.NewWriter(io.Discard, tt.schema, tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("NewWriter = %v, want an error about %s", err, tt.want)
			}
		})
	}
}

func TestWriterTakesWidenedBatchesAndRefusesOtherColumns(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ints := formattest.Batch(mem, formattest.Col{Name: "v", Type: record.Integer, Values: []any{int64(1)}})
	defer ints.Release()
	floats := formattest.Batch(mem, formattest.Col{Name: "v", Type: record.Float, Values: []any{2.5}})
	defer floats.Release()
	other := formattest.Batch(mem, formattest.Col{Name: "w", Type: record.Integer, Values: []any{int64(1)}})
	defer other.Release()

	if got := formattest.WriteAll(t, "csv", format.Options{}, ints, floats); got != "v\n1\n2.5\n" {
		t.Errorf("a widened batch wrote %q", got)
	}
	w, err := csv.NewWriter(io.Discard, ints.Schema(), format.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(other); err == nil || !strings.Contains(err.Error(), `"w"`) {
		t.Errorf("a batch of another column: %v", err)
	}
}

func TestWriterAfterCloseFailsAndCloseTwiceIsHarmless(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rec := formattest.Batch(mem, formattest.Col{Name: "v", Type: record.Integer, Values: []any{int64(1)}})
	defer rec.Release()
	w, err := csv.NewWriter(io.Discard, rec.Schema(), format.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := w.Write(rec); err == nil {
		t.Error("Write after Close succeeded")
	}
}

// recordingOutput notes the size of every Write.
type recordingOutput struct{ writes []int }

func (r *recordingOutput) Write(p []byte) (int, error) {
	r.writes = append(r.writes, len(p))
	return len(p), nil
}

func TestWriterStreamsInBoundedChunks(t *testing.T) {
	rec := formattest.BenchTable()
	out := &recordingOutput{}
	w, err := csv.NewWriter(out, rec.Schema(), format.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(rec); err != nil {
		t.Fatal(err)
	}
	before := len(out.writes)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if before < 10 {
		t.Errorf("%d writes before Close for %d rows: the writer holds its output", before, rec.NumRows())
	}
	for _, n := range out.writes {
		if n > 128<<10 {
			t.Errorf("one write of %d bytes, want chunks of about 64 KiB", n)
		}
	}
}

func TestWriterAllocatesNothingPerRow(t *testing.T) {
	rec := formattest.BenchTable()
	w, err := csv.NewWriter(io.Discard, rec.Schema(), format.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(5, func() {
		if err := w.Write(rec); err != nil {
			t.Fatal(err)
		}
	}); n > 0 {
		t.Errorf("%v allocations per batch of %d rows, want none", n, rec.NumRows())
	}
}

// BenchmarkCSVWrite writes 1,048,576 rows of 12 columns to io.Discard.
func BenchmarkCSVWrite(b *testing.B) {
	formattest.BenchmarkWriter(b, "csv", format.Options{})
}

// BenchmarkEncodingCSVWrite writes the same values, as the strings the CSV
// writer makes of them, with encoding/csv, for comparison: the values'
// formatting is not counted.
func BenchmarkEncodingCSVWrite(b *testing.B) {
	rec := formattest.BenchTable()
	var file bytes.Buffer
	w, err := csv.NewWriter(&file, rec.Schema(), format.Options{})
	if err != nil {
		b.Fatal(err)
	}
	if err := errors.Join(w.Write(rec), w.Close()); err != nil {
		b.Fatal(err)
	}
	rows, err := stdcsv.NewReader(&file).ReadAll()
	if err != nil {
		b.Fatal(err)
	}
	header, rows := rows[0], rows[1:]
	pass := func(out io.Writer) {
		cw := stdcsv.NewWriter(out)
		if err := cw.Write(header); err != nil {
			b.Fatal(err)
		}
		for range formattest.BenchPasses {
			for _, r := range rows {
				if err := cw.Write(r); err != nil {
					b.Fatal(err)
				}
			}
		}
		cw.Flush()
		if err := cw.Error(); err != nil {
			b.Fatal(err)
		}
	}
	var size bytes.Buffer
	pass(&size)
	b.SetBytes(int64(size.Len()))
	b.ReportAllocs()
	for b.Loop() {
		pass(io.Discard)
	}
	b.ReportMetric(float64(len(rows))*formattest.BenchPasses*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
