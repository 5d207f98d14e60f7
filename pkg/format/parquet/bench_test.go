package parquet_test

import (
	"bytes"
	"context"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/filedge/filedge/internal/benchkit"
	"github.com/filedge/filedge/pkg/format"
	"github.com/filedge/filedge/pkg/record"
)

// benchRows is the row count of the benchmark file.
const benchRows = 500_000

// benchFile is a flat 10-column Parquet file (ints, floats, strings,
// timestamps, a boolean) of benchRows rows in row groups of 128K rows,
// Snappy-compressed, as most writers make them.
var benchFile = sync.OnceValue(func() []byte {
	tb := &testing.B{}
	ts := &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
	fields := []arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "customer", Type: arrow.PrimitiveTypes.Int32},
		{Name: "quantity", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "price", Type: arrow.PrimitiveTypes.Float64},
		{Name: "discount", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "name", Type: arrow.BinaryTypes.String},
		{Name: "city", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "created", Type: ts},
		{Name: "updated", Type: ts, Nullable: true},
		{Name: "active", Type: arrow.FixedWidthTypes.Boolean},
	}
	cities := []string{"Zürich", "Genève", "Basel", "Bern", "Lausanne"}
	rec := build(tb, fields, benchRows, func(b *array.RecordBuilder, i int) {
		b.Field(0).(*array.Int64Builder).Append(int64(i))
		b.Field(1).(*array.Int32Builder).Append(int32(i % 10007))
		b.Field(2).(*array.Int64Builder).Append(int64(i % 100))
		b.Field(3).(*array.Float64Builder).Append(float64(i%100000) / 100)
		if i%10 == 0 {
			b.Field(4).AppendNull()
		} else {
			b.Field(4).(*array.Float64Builder).Append(float64(i%50) / 100)
		}
		b.Field(5).(*array.StringBuilder).Append("Person " + string(rune('A'+i%26)) + string(rune('a'+i%23)))
		b.Field(6).(*array.StringBuilder).Append(cities[i%len(cities)])
		b.Field(7).(*array.TimestampBuilder).Append(arrow.Timestamp(1_700_000_000_000_000 + int64(i)*1_000_003))
		b.Field(8).(*array.TimestampBuilder).Append(arrow.Timestamp(1_700_000_000_000_000 + int64(i)*2_000_000))
		b.Field(9).(*array.BooleanBuilder).Append(i%3 == 0)
	})
	defer rec.Release()
	return writeParquet(tb, rec, 128<<10, nil)
})

// builderWriter is a format.Writer that does what the parser does with
// rows: it appends them to a record.Builder and flushes full batches.
type builderWriter struct {
	b    *record.Builder
	rows int
}

func (w *builderWriter) Begin(_ string, cols []format.Column) error {
	rc := make([]record.Column, len(cols))
	for i, c := range cols {
		rc[i] = record.Column{Name: c.Name, Source: c.Name, Type: c.Type}
	}
	w.b = record.NewBuilder(record.BuilderOptions{Columns: rc})
	return nil
}

func (w *builderWriter) Row(line int64, cells []record.Cell) error {
	if err := w.b.Append(line, cells); err != nil {
		return err
	}
	w.rows++
	if w.b.Full() {
		return w.flush()
	}
	return nil
}

func (w *builderWriter) flush() error {
	rec, err := w.b.Flush()
	if err != nil {
		return err
	}
	rec.Release()
	return nil
}

func (w *builderWriter) RowError(e *format.RowError) error { return e }
func (w *builderWriter) Issue(string)                      {}

// countWriter is a format.Writer that looks at every cell and keeps
// nothing: the reader's own cost.
type countWriter struct{ n int }

func (w *countWriter) Begin(string, []format.Column) error { return nil }
func (w *countWriter) RowError(e *format.RowError) error   { return e }
func (w *countWriter) Issue(string)                        {}
func (w *countWriter) Row(_ int64, cells []record.Cell) error {
	for _, c := range cells {
		w.n += len(c.Text)
	}
	return nil
}

func benchRead(b *testing.B, w func() format.Writer) {
	data := benchFile()
	_, factory, _ := format.Lookup("parquet")
	r, err := factory(format.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	start, cpu := time.Now(), benchkit.CPUTime()
	for b.Loop() {
		if err := r.Read(b.Context(), &format.Input{Path: "bench.parquet", R: bytes.NewReader(data)}, w()); err != nil {
			b.Fatal(err)
		}
	}
	reportRows(b, start, cpu)
}

// reportRows reports rows per wall-clock second and per CPU second (the
// machine may be busy with other work).
func reportRows(b *testing.B, start time.Time, cpu time.Duration) {
	b.ReportMetric(float64(b.N)*benchRows/time.Since(start).Seconds(), "rows/s")
	if used := benchkit.CPUTime() - cpu; used > 0 {
		b.ReportMetric(float64(b.N)*benchRows/used.Seconds(), "rows/cpu-s")
	}
}

// BenchmarkParquetRead reads the file into a writer that builds typed
// Arrow batches, as the parser does.
func BenchmarkParquetRead(b *testing.B) {
	benchRead(b, func() format.Writer { return &builderWriter{} })
}

// BenchmarkParquetReadCells reads the file into a writer that only looks
// at the cells.
func BenchmarkParquetReadCells(b *testing.B) {
	benchRead(b, func() format.Writer { return &countWriter{} })
}

// BenchmarkPqarrow is the plain library read of the same file into Arrow
// record batches, for comparison.
func BenchmarkPqarrow(b *testing.B) {
	data := benchFile()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	start, cpu := time.Now(), benchkit.CPUTime()
	for b.Loop() {
		pf, err := file.NewParquetReader(bytes.NewReader(data))
		if err != nil {
			b.Fatal(err)
		}
		fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: 64 << 10}, memory.DefaultAllocator)
		if err != nil {
			b.Fatal(err)
		}
		rr, err := fr.GetRecordReader(context.Background(), nil, nil)
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for rr.Next() {
			n += int(rr.RecordBatch().NumRows())
		}
		if err := rr.Err(); err != nil {
			b.Fatal(err)
		}
		rr.Release()
		if n != benchRows {
			b.Fatalf("%d rows", n)
		}
	}
	reportRows(b, start, cpu)
}
