package files_test

import (
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/filedge/filedge/internal/benchkit"
	"github.com/filedge/filedge/pkg/destination"
	"github.com/filedge/filedge/pkg/destination/destinationtest"
)

// BenchmarkCommit commits one file version of 1,000,000 rows × 12 columns
// (FILEDGE_BENCH_ROWS) per iteration, replacing the table's file
// (truncate), in each format, and reports rows/s: the same file as the
// SQLite and PostgreSQL destinations' BenchmarkCommit.
func BenchmarkCommit(b *testing.B) {
	rows := destinationtest.BenchRows()
	batches := destinationtest.BenchBatches(rows)
	b.Cleanup(func() {
		for _, rec := range batches {
			rec.Release()
		}
	})
	for _, code := range []string{"parquet", "csv", "json", "excel"} {
		b.Run(code, func(b *testing.B) {
			dir := filepath.Join(b.TempDir(), "out")
			d, err := openDest(b, dir, code)
			if err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			cpu0 := benchkit.CPUTime()
			for i := range b.N {
				f := &destination.File{
					Pipeline: "bench", Version: strconv.Itoa(i), Path: "bench.csv", Modified: time.Now(), SHA256: "x",
					WriteMode: destination.Truncate, Batches: &destinationtest.Replay{Table: "bench", Batches: batches},
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
		})
	}
}
