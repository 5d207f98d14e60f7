package csv_test

import (
	"bytes"
	stdcsv "encoding/csv"
	"errors"
	"fmt"
	"io"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/filedge/filedge/internal/benchkit"
	"github.com/filedge/filedge/pkg/format"
	"github.com/filedge/filedge/pkg/record"
)

// benchData is a 12-column file of about 8 MB in which some fields are
// quoted (with delimiters and doubled quotes inside).
var benchData = func() []byte {
	var b bytes.Buffer
	b.WriteString("id,name,email,amount,ratio,active,created,updated,city,note,code,score\n")
	for i := 0; b.Len() < 8<<20; i++ {
		fmt.Fprintf(&b, "%d,\"Person %d, Jr.\",person%d@example.com,%d.%02d,0.%d,true,2024-01-%02d,2024-01-%02dT10:11:12Z,\"Zürich\",\"said \"\"hi\"\" twice\",C%05d,%d\n",
			i, i, i, i*7, i%100, i%1000, i%28+1, i%28+1, i, i%100)
	}
	return b.Bytes()
}()

// discard is a writer that looks at every cell and keeps nothing.
type discard struct{ n int }

func (d *discard) Begin(string, []format.Column) error { return nil }
func (d *discard) RowError(*format.RowError) error     { return nil }
func (d *discard) Issue(string)                        {}
func (d *discard) Row(_ int64, cells []record.Cell) error {
	for _, c := range cells {
		d.n += len(c.Text)
	}
	return nil
}

func BenchmarkCSVRead(b *testing.B) {
	_, factory, _ := format.Lookup("csv")
	r, err := factory(format.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(benchData)))
	b.ReportAllocs()
	defer benchkit.ReportCPU(b, int64(len(benchData)))()
	for b.Loop() {
		if err := r.Read(b.Context(), &format.Input{Path: "bench.csv", R: bytes.NewReader(benchData)}, &discard{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodingCSV(b *testing.B) {
	b.SetBytes(int64(len(benchData)))
	b.ReportAllocs()
	defer benchkit.ReportCPU(b, int64(len(benchData)))()
	for b.Loop() {
		r := stdcsv.NewReader(bytes.NewReader(benchData))
		r.ReuseRecord = true
		n := 0
		for {
			rec, err := r.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			for _, s := range rec {
				n += len(s)
			}
		}
	}
}

// BenchmarkCSVReadOptions reads benchData rewritten for settings that take
// the parser's general path, for comparison with BenchmarkCSVRead.
func BenchmarkCSVReadOptions(b *testing.B) {
	cases := []struct {
		name string
		opts format.Options
		data []byte
	}{
		{"delimiter_||", format.Options{Delimiter: "||"}, bytes.ReplaceAll(benchData, []byte(","), []byte("||"))},
		{"escape_and_null", format.Options{Delimiter: ",", EscapeChar: `\`, NullSequence: `\N`}, bytes.ReplaceAll(benchData, []byte(",true,"), []byte(`,\N,`))},
		{"line_separator_~", format.Options{Delimiter: ",", LineSeparator: "~"}, bytes.ReplaceAll(benchData, []byte("\n"), []byte("~"))},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			_, factory, _ := format.Lookup("csv")
			r, err := factory(c.opts)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(c.data)))
			b.ReportAllocs()
			defer benchkit.ReportCPU(b, int64(len(c.data)))()
			for b.Loop() {
				if err := r.Read(b.Context(), &format.Input{Path: "bench.csv", R: bytes.NewReader(c.data)}, &discard{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// ordersData returns a 12-column file of about 12 MB shaped like the one
// integration/bench loads (integers, decimals, timestamps, dates,
// booleans, a quoted name on every line, sparse quoted notes, and empty
// fields), made by the same generator with fewer rows. It is made on first
// use, so that tests do not pay for it.
var ordersData = sync.OnceValue(func() []byte {
	var b bytes.Buffer
	if err := benchkit.WriteOrders(&b, 100_000); err != nil {
		panic(err) // a bytes.Buffer does not fail
	}
	return b.Bytes()
})

// batcher is a writer that turns rows into record batches with a
// record.Builder and releases them, as the parser does.
type batcher struct {
	tb   testing.TB
	b    *record.Builder
	rows int
}

func (w *batcher) Begin(_ string, cols []format.Column) error {
	rc := make([]record.Column, len(cols))
	for i, c := range cols {
		rc[i] = record.Column{Name: fmt.Sprintf("c%d", i), Source: c.Name, Type: c.Type}
	}
	w.b = record.NewBuilder(record.BuilderOptions{Columns: rc, Alloc: memory.DefaultAllocator})
	return nil
}
func (w *batcher) RowError(err *format.RowError) error { return err }
func (w *batcher) Issue(string)                        {}
func (w *batcher) Row(line int64, cells []record.Cell) error {
	if err := w.b.Append(line, cells); err != nil {
		return err
	}
	if w.b.Full() {
		w.flush()
	}
	return nil
}

func (w *batcher) flush() {
	w.rows += w.b.Len()
	rec, err := w.b.Flush()
	if err != nil {
		w.tb.Fatal(err)
	}
	rec.Release()
}

// BenchmarkCSVToBatches measures the typed path: reading a file shaped
// like integration/bench's into Arrow record batches, every column's type
// inferred. Its cpu-MB/s is bytes per CPU second, the fairer number on a
// shared machine.
func BenchmarkCSVToBatches(b *testing.B) {
	_, factory, _ := format.Lookup("csv")
	r, err := factory(format.Options{})
	if err != nil {
		b.Fatal(err)
	}
	data := ordersData()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	defer benchkit.ReportCPU(b, int64(len(data)))()
	for b.Loop() {
		w := &batcher{tb: b}
		if err := r.Read(b.Context(), &format.Input{Path: "orders.csv", R: bytes.NewReader(data)}, w); err != nil {
			b.Fatal(err)
		}
		w.flush()
		if w.rows != 100_000 {
			b.Fatalf("%d rows, want 100000", w.rows)
		}
	}
}

// BenchmarkEncodingCSVToBatches is BenchmarkCSVToBatches with
// encoding/csv splitting the records, for comparison: the same Builder
// makes the batches (encoding/csv cannot tell "" from an empty field, so
// every empty field is null here).
func BenchmarkEncodingCSVToBatches(b *testing.B) {
	data := ordersData()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	defer benchkit.ReportCPU(b, int64(len(data)))()
	for b.Loop() {
		r := stdcsv.NewReader(bytes.NewReader(data))
		r.ReuseRecord = true
		header, err := r.Read()
		if err != nil {
			b.Fatal(err)
		}
		w := &batcher{tb: b}
		cols := make([]format.Column, len(header))
		for i, h := range header {
			cols[i].Name = h
		}
		if err := w.Begin("", cols); err != nil {
			b.Fatal(err)
		}
		cells := make([]record.Cell, len(header))
		for line := int64(2); ; line++ {
			rec, err := r.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			for i, s := range rec {
				cells[i] = record.Cell{Text: s, Kind: record.Text}
			}
			if err := w.Row(line, cells[:len(rec)]); err != nil {
				b.Fatal(err)
			}
		}
		w.flush()
		if w.rows != 100_000 {
			b.Fatalf("%d rows, want 100000", w.rows)
		}
	}
}
