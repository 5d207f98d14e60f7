package destinationtest

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/filedge/filedge/internal/benchkit"
	"github.com/filedge/filedge/pkg/destination"
	"github.com/filedge/filedge/pkg/record"
)

// Replay is a destination.Batches of prebuilt batches of one table, which
// it retains as it returns each, so that the destination's Release leaves
// them for the next round.
type Replay struct {
	Table   string
	Batches []arrow.RecordBatch
	i       int
}

// Next implements destination.Batches.
func (r *Replay) Next(context.Context) (string, arrow.RecordBatch, error) {
	if r.i == len(r.Batches) {
		return "", nil, io.EOF
	}
	b := r.Batches[r.i]
	r.i++
	b.Retain()
	return r.Table, b, nil
}

// BenchBatches builds rows rows of 12 data columns (4 integers, 3 floats,
// 3 strings, a timestamp and a boolean) and the _line column, in batches
// of 10,000: the file the destinations' commit benchmarks commit.
func BenchBatches(rows int) []arrow.RecordBatch {
	var fields []arrow.Field
	types := []record.Type{record.Integer, record.Integer, record.Integer, record.Integer, record.Float, record.Float, record.Float, record.String, record.String, record.String, record.Timestamp, record.Boolean}
	for i, t := range types {
		fields = append(fields, record.Field("c"+strconv.Itoa(i), t))
	}
	fields = append(fields, record.Field(record.LineColumn, record.Integer))
	schema := arrow.NewSchema(fields, nil)
	const per = 10_000
	var out []arrow.RecordBatch
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for start := 0; start < rows; start += per {
		rb := array.NewRecordBuilder(memory.DefaultAllocator, schema)
		for r := start; r < min(start+per, rows); r++ {
			for c := range 4 {
				rb.Field(c).(*array.Int64Builder).Append(int64(r * (c + 1)))
			}
			for c := 4; c < 7; c++ {
				rb.Field(c).(*array.Float64Builder).Append(float64(r) / float64(c))
			}
			for c := 7; c < 10; c++ {
				rb.Field(c).(*array.StringBuilder).Append(fmt.Sprintf("value %d of column %d", r, c))
			}
			rb.Field(10).(*array.TimestampBuilder).Append(arrow.Timestamp(base.Add(time.Duration(r) * time.Second).UnixMicro()))
			rb.Field(11).(*array.BooleanBuilder).Append(r%2 == 0)
			rb.Field(12).(*array.Int64Builder).Append(int64(r + 1))
		}
		out = append(out, rb.NewRecordBatch())
		rb.Release()
	}
	return out
}

// BenchCommit commits a file version of batches, which hold rows rows, to
// d per iteration of b, replacing table bench's rows (truncate), and
// reports rows/s and rows per CPU second: on a busy machine wall time says
// little, and rows per second of the process's CPU time is the rate on an
// idle core.
func BenchCommit(b *testing.B, d destination.Destination, batches []arrow.RecordBatch, rows int) {
	b.ResetTimer()
	cpu0 := benchkit.CPUTime()
	for i := range b.N {
		f := &destination.File{
			Pipeline: "bench", Version: strconv.Itoa(i), Path: "bench.csv", Modified: time.Now(), SHA256: "x",
			WriteMode: destination.Truncate, Batches: &Replay{Table: "bench", Batches: batches},
		}
		res, err := d.Commit(b.Context(), f)
		if err != nil {
			b.Fatal(err)
		}
		if res.Rows != int64(rows) {
			b.Fatalf("committed %d rows, want %d", res.Rows, rows)
		}
	}
	b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(rows*b.N)/(benchkit.CPUTime()-cpu0).Seconds(), "rows/cpu-s")
}

// BenchRows is how many rows a commit benchmark commits: FILEDGE_BENCH_ROWS,
// or 1,000,000.
func BenchRows() int {
	if n, err := strconv.Atoi(os.Getenv("FILEDGE_BENCH_ROWS")); err == nil && n > 0 {
		return n
	}
	return 1_000_000
}
