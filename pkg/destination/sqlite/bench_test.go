package sqlite_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/filedge/filedge/internal/benchkit"
	"github.com/filedge/filedge/pkg/destination"
	"github.com/filedge/filedge/pkg/destination/sqlite"
	"github.com/filedge/filedge/pkg/record"
)

// replay yields prebuilt batches, retaining each so that the destination's
// Release leaves them usable for the next round.
type replay struct {
	batches []arrow.RecordBatch
	i       int
}

func (r *replay) Next(context.Context) (string, arrow.RecordBatch, error) {
	if r.i == len(r.batches) {
		return "", nil, io.EOF
	}
	b := r.batches[r.i]
	r.i++
	b.Retain()
	return "bench", b, nil
}

// benchBatches builds rows rows of 12 data columns (4 integers, 3 floats,
// 3 strings, a timestamp and a boolean) in batches of 10,000.
func benchBatches(rows int) []arrow.RecordBatch {
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

// BenchmarkCommit commits one file version of 1,000,000 rows × 12 columns
// per iteration (into a fresh table each time) and reports rows/s.
func BenchmarkCommit(b *testing.B) {
	rows := benchRows()
	batches, d := benchSetUp(b, rows)
	b.ResetTimer()
	cpu0 := benchkit.CPUTime()
	for i := range b.N {
		f := &destination.File{
			Pipeline: "bench", Version: strconv.Itoa(i), Path: "bench.csv", Modified: time.Now(), SHA256: "x",
			WriteMode: destination.Truncate, Batches: &replay{batches: batches},
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
	// On a busy machine wall time says little: rows per second of this
	// process's CPU time is the rate on an idle core.
	b.ReportMetric(float64(rows*b.N)/(benchkit.CPUTime()-cpu0).Seconds(), "rows/cpu-s")
}

// benchSetUp returns the batches of rows rows (benchBatches) and a
// destination over a new file, both released when b ends.
func benchSetUp(b *testing.B, rows int) ([]arrow.RecordBatch, *sqlite.DB) {
	batches := benchBatches(rows)
	b.Cleanup(func() {
		for _, rec := range batches {
			rec.Release()
		}
	})
	d, err := sqliteOpen(b, filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { d.Close() })
	return batches, d
}

func benchRows() int {
	if n, err := strconv.Atoi(os.Getenv("FILEDGE_BENCH_ROWS")); err == nil && n > 0 {
		return n
	}
	return 1_000_000
}

// BenchmarkCommitSmallFiles commits versions of 100 paths of 10 rows each,
// each replacing its path's earlier rows (Append, UpsertFile): the cost of
// a commit's ledger protocol (lookups, lock, newest-wins, ledger row) next
// to its few rows. It reports commits/s.
func BenchmarkCommitSmallFiles(b *testing.B) {
	batches, d := benchSetUp(b, 10)
	b.ResetTimer()
	cpu0 := benchkit.CPUTime()
	for i := range b.N {
		f := &destination.File{
			Pipeline: "bench", Version: strconv.Itoa(i), Path: fmt.Sprintf("f%d.csv", i%100), Modified: time.Now(), SHA256: "x",
			WriteMode: destination.Append, Merge: destination.UpsertFile, Batches: &replay{batches: batches},
		}
		res, err := d.Commit(b.Context(), f)
		if err != nil {
			b.Fatal(err)
		}
		if res.Outcome != destination.Committed {
			b.Fatalf("outcome %s, want committed", res.Outcome)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "commits/s")
	b.ReportMetric(float64(b.N)/(benchkit.CPUTime()-cpu0).Seconds(), "commits/cpu-s")
}
