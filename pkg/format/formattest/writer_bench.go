package formattest

import (
	"fmt"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/filedge/filedge/pkg/format"
	"github.com/filedge/filedge/pkg/record"
)

// BenchPasses is how many times BenchmarkWriter writes BenchTable per
// operation: 16 passes of 65,536 rows make 1,048,576 rows.
const BenchPasses = 16

// benchRows is the number of rows of BenchTable.
const benchRows = 1 << 16

var benchTable = sync.OnceValue(func() arrow.RecordBatch {
	mem := memory.NewGoAllocator()
	fields := []arrow.Field{
		record.Field(record.LineColumn, record.Integer),
		record.Field("id", record.Integer),
		record.Field("name", record.String),
		record.Field("email", record.String),
		record.Field("amount", record.Float),
		record.Field("ratio", record.Float),
		record.Field("active", record.Boolean),
		record.Field("created", record.Date),
		record.Field("updated", record.Timestamp),
		record.Field("city", record.String),
		record.Field("note", record.String),
		record.Field("score", record.Integer),
	}
	schema := arrow.NewSchema(fields, nil)
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	cities := []string{"Zürich", "São Paulo", "東京", "New York", "Kraków"}
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range benchRows {
		b.Field(0).(*array.Int64Builder).Append(int64(i + 1))
		b.Field(1).(*array.Int64Builder).Append(int64(i) * 7919)
		b.Field(2).(*array.StringBuilder).Append(fmt.Sprintf("Person %d", i))
		b.Field(3).(*array.StringBuilder).Append(fmt.Sprintf("person%d@example.com", i))
		b.Field(4).(*array.Float64Builder).Append(float64(i*7) + float64(i%100)/100)
		b.Field(5).(*array.Float64Builder).Append(float64(i%1000) / 1000)
		b.Field(6).(*array.BooleanBuilder).Append(i%3 != 0)
		b.Field(7).(*array.Date32Builder).Append(arrow.Date32FromTime(start.AddDate(0, 0, i%365)))
		b.Field(8).(*array.TimestampBuilder).Append(arrow.Timestamp(start.Add(time.Duration(i)*time.Second).UnixMicro() + int64(i%1000)*1000))
		b.Field(9).(*array.StringBuilder).Append(cities[i%len(cities)])
		switch {
		case i%20 == 7:
			b.Field(10).(*array.StringBuilder).AppendNull()
		case i%10 == 0:
			b.Field(10).(*array.StringBuilder).Append(`said "hi", twice`)
		default:
			b.Field(10).(*array.StringBuilder).Append("ok")
		}
		if i%20 == 0 {
			b.Field(11).(*array.Int64Builder).AppendNull()
		} else {
			b.Field(11).(*array.Int64Builder).Append(int64(i % 100))
		}
	}
	return b.NewRecordBatch()
})

// BenchTable returns the table the writer benchmarks write: one record
// batch of 65,536 rows and 12 columns (_line, id, name, email, amount,
// ratio, active, created, updated, city, note, score) of every fixed-width
// type and of strings, some null, some needing quotes in delimited text.
// It is built once and shared: do not release it.
func BenchTable() arrow.RecordBatch { return benchTable() }

// countingWriter counts the bytes written to it and keeps none.
type countingWriter struct{ n int64 }

func (c *countingWriter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return len(p), nil
}

// BenchmarkWriter measures the writer registered as code, made with opts:
// each operation writes BenchTable BenchPasses times (1,048,576 rows of 12
// columns) through one RecordWriter to io.Discard. It
// reports MB/s of output and rows/s.
func BenchmarkWriter(b *testing.B, code string, opts format.Options) {
	factory, ok := format.LookupWriter(code)
	if !ok {
		b.Fatalf("no writer registered as %q", code)
	}
	rec := BenchTable()
	pass := func(out io.Writer) {
		w, err := factory(out, rec.Schema(), opts)
		if err != nil {
			b.Fatal(err)
		}
		for range BenchPasses {
			if err := w.Write(rec); err != nil {
				b.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
	}
	size := &countingWriter{}
	pass(size)
	b.SetBytes(size.n)
	b.ReportAllocs()
	for b.Loop() {
		pass(io.Discard)
	}
	b.ReportMetric(float64(rec.NumRows())*BenchPasses*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
