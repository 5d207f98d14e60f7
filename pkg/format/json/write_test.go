package json_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/filedge/filedge/pkg/format"
	"github.com/filedge/filedge/pkg/format/formattest"
	fjson "github.com/filedge/filedge/pkg/format/json"
	"github.com/filedge/filedge/pkg/record"
)

func TestWriterConformance(t *testing.T) {
	// JSON lines carry every type, but a date or timestamp is a string
	// in JSON, and the reader infers strings that look like one back to
	// one.
	formattest.RunWriter(t, "json",
		formattest.ReadsBack("dates", record.Date),
		formattest.ReadsBack("times", record.Timestamp),
		formattest.TypeDeclaredOnRead("money"),
	)
}

func TestWriterWritesTypedJSONValues(t *testing.T) {
	tests := []struct {
		name string
		col  formattest.Col
		want string
	}{
		{"booleans", formattest.Col{Name: "b", Type: record.Boolean, Values: []any{true, false, nil}}, `{"b":true}` + "\n" + `{"b":false}` + "\n" + `{"b":null}` + "\n"},
		{"integers", formattest.Col{Name: "i", Type: record.Integer, Values: []any{int64(math.MinInt64), int64(math.MaxInt64)}},
			`{"i":-9223372036854775808}` + "\n" + `{"i":9223372036854775807}` + "\n"},
		{"floats keep a point or an exponent", formattest.Col{Name: "f", Type: record.Float, Values: []any{3.0, math.Copysign(0, -1), 1e21, 1.5e-7, 0.1}},
			`{"f":3.0}` + "\n" + `{"f":-0.0}` + "\n" + `{"f":1e+21}` + "\n" + `{"f":1.5e-7}` + "\n" + `{"f":0.1}` + "\n"},
		{"NaN and infinities are null", formattest.Col{Name: "f", Type: record.Float, Values: []any{math.NaN(), math.Inf(-1)}}, `{"f":null}` + "\n" + `{"f":null}` + "\n"},
		{"dates as strings", formattest.Col{Name: "d", Type: record.Date, Values: []any{formattest.Date("0001-01-01"), formattest.Date("2024-02-29")}},
			`{"d":"0001-01-01"}` + "\n" + `{"d":"2024-02-29"}` + "\n"},
		{"timestamps as UTC strings to the microsecond", formattest.Col{Name: "t", Type: record.Timestamp, Values: []any{formattest.Instant("2021-06-01T12:00:00.5+02:00"), formattest.Instant("1969-12-31T23:59:59.999999Z")}},
			`{"t":"2021-06-01T10:00:00.500000Z"}` + "\n" + `{"t":"1969-12-31T23:59:59.999999Z"}` + "\n"},
		{"strings escaped", formattest.Col{Name: "s", Type: record.String, Values: []any{"q\"b\\n\nr\rt\t\x01\x7f", "é東🎉", "\u2028\u2029", "bad \xff utf-8", "<&>"}},
			`{"s":"q\"b\\n\nr\rt\t\u0001` + "\x7f" + `"}` + "\n" + `{"s":"é東🎉"}` + "\n" + `{"s":"\u2028\u2029"}` + "\n" +
				"{\"s\":\"bad \ufffd utf-8\"}" + "\n" + `{"s":"<&>"}` + "\n"},
		{"JSON embedded, compacted when on several lines", formattest.Col{Name: "j", Type: record.JSON, Values: []any{`{"a":[1,"x"]}`, " [1, 2] ", "{\n  \"a\": \"b c\"\n}", `"s"`, `7`}},
			`{"j":{"a":[1,"x"]}}` + "\n" + `{"j":[1, 2]}` + "\n" + `{"j":{"a":"b c"}}` + "\n" + `{"j":"s"}` + "\n" + `{"j":7}` + "\n"},
		{"keys escaped", formattest.Col{Name: "a \"key\"\n", Type: record.Integer, Values: []any{int64(1)}}, `{"a \"key\"\n":1}` + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			rec := formattest.Batch(mem, tt.col)
			defer rec.Release()
			got := formattest.WriteAll(t, "json", format.Options{}, rec)
			if got != tt.want {
				t.Errorf("wrote\n%s\nwant\n%s", got, tt.want)
			}
			sc := bufio.NewScanner(strings.NewReader(got))
			for sc.Scan() {
				if !json.Valid(sc.Bytes()) {
					t.Errorf("line %q is not valid JSON", sc.Text())
				}
			}
		})
	}
}

func TestWriterWritesEveryKeyOfEveryRowInOrder(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rec := formattest.Batch(mem, formattest.Col{Name: "z", Type: record.Integer, Values: []any{int64(1), nil}}, formattest.Col{Name: "a", Type: record.String, Values: []any{nil, nil}}, formattest.Col{Name: "m", Type: record.Boolean, Values: []any{nil, true}})
	defer rec.Release()
	want := `{"z":1,"a":null,"m":null}` + "\n" + `{"z":null,"a":null,"m":true}` + "\n"
	if got := formattest.WriteAll(t, "json", format.Options{}, rec); got != want {
		t.Errorf("wrote\n%s\nwant\n%s", got, want)
	}
}

func TestWriterOfNoColumnsWritesEmptyObjects(t *testing.T) {
	rec := array.NewRecordBatch(arrow.NewSchema(nil, nil), nil, 2)
	defer rec.Release()
	if got := formattest.WriteAll(t, "json", format.Options{}, rec); got != "{}\n{}\n" {
		t.Errorf("wrote %q", got)
	}
}

func TestWriterRefusesInvalidJSONNamingRowAndColumn(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rec := formattest.Batch(mem, formattest.Col{Name: "doc", Type: record.JSON, Values: []any{`{}`, `{"a":`}})
	defer rec.Release()
	var out bytes.Buffer
	w, err := fjson.NewWriter(&out, rec.Schema(), format.Options{})
	if err != nil {
		t.Fatal(err)
	}
	err = w.Write(rec)
	if err == nil || !strings.Contains(err.Error(), `row 2, column "doc"`) {
		t.Errorf("Write = %v, want an error naming row 2 and column doc", err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != `{"doc":{}}`+"\n" {
		t.Errorf("after the failed row the file holds %q, want the rows before it only", got)
	}
}

func TestNewWriterRefusesArrowTypesPkgRecordDoesNotMake(t *testing.T) {
	for _, f := range []arrow.Field{
		{Name: "n", Type: arrow.PrimitiveTypes.Int32},
		{Name: "t", Type: arrow.FixedWidthTypes.Timestamp_ms},
		{Name: "l", Type: arrow.ListOf(arrow.PrimitiveTypes.Int64)},
	} {
		t.Run(f.Type.String(), func(t *testing.T) {
			_, err := fjson.NewWriter(io.Discard, arrow.NewSchema([]arrow.Field{f}, nil), format.Options{})
			if err == nil || !strings.Contains(err.Error(), `column "`+f.Name+`"`) {
				t.Errorf("NewWriter = %v, want an error naming the column", err)
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

	if got := formattest.WriteAll(t, "json", format.Options{}, ints, floats); got != `{"v":1}`+"\n"+`{"v":2.5}`+"\n" {
		t.Errorf("a widened batch wrote %q", got)
	}
	w, err := fjson.NewWriter(io.Discard, ints.Schema(), format.Options{})
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
	w, err := fjson.NewWriter(io.Discard, rec.Schema(), format.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := errors.Join(w.Close(), w.Close()); err != nil {
		t.Errorf("Close twice: %v", err)
	}
	if err := w.Write(rec); err == nil {
		t.Error("Write after Close succeeded")
	}
}

func TestWriterAllocatesNothingPerRow(t *testing.T) {
	rec := formattest.BenchTable()
	w, err := fjson.NewWriter(io.Discard, rec.Schema(), format.Options{})
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

// BenchmarkJSONWrite writes 1,048,576 rows of 12 columns to io.Discard.
func BenchmarkJSONWrite(b *testing.B) {
	formattest.BenchmarkWriter(b, "json", format.Options{})
}

// benchRow is a row of formattest.BenchTable as a Go struct, for
// encoding/json to write.
type benchRow struct {
	Line    int64   `json:"_line"`
	ID      int64   `json:"id"`
	Name    string  `json:"name"`
	Email   string  `json:"email"`
	Amount  float64 `json:"amount"`
	Ratio   float64 `json:"ratio"`
	Active  bool    `json:"active"`
	Created string  `json:"created"`
	Updated string  `json:"updated"`
	City    string  `json:"city"`
	Note    *string `json:"note"`
	Score   *int64  `json:"score"`
}

// BenchmarkEncodingJSONWrite writes the same rows, decoded into structs
// beforehand, with encoding/json, for comparison.
func BenchmarkEncodingJSONWrite(b *testing.B) {
	rec := formattest.BenchTable()
	var file bytes.Buffer
	w, err := fjson.NewWriter(&file, rec.Schema(), format.Options{})
	if err != nil {
		b.Fatal(err)
	}
	if err := errors.Join(w.Write(rec), w.Close()); err != nil {
		b.Fatal(err)
	}
	var rows []benchRow
	dec := json.NewDecoder(&file)
	for {
		var r benchRow
		if err := dec.Decode(&r); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			b.Fatal(err)
		}
		rows = append(rows, r)
	}
	pass := func(out io.Writer) {
		enc := json.NewEncoder(out)
		for range formattest.BenchPasses {
			for i := range rows {
				if err := enc.Encode(&rows[i]); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	var size countingOutput
	pass(&size)
	b.SetBytes(size.n)
	b.ReportAllocs()
	for b.Loop() {
		pass(io.Discard)
	}
	b.ReportMetric(float64(len(rows))*formattest.BenchPasses*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// countingOutput counts what is written to it.
type countingOutput struct{ n int64 }

func (c *countingOutput) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return len(p), nil
}
