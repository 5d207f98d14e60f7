package files_test

import (
	"path/filepath"
	"testing"

	"github.com/filedge/filedge/pkg/destination/destinationtest"
)

// BenchmarkCommit commits one file version of 1,000,000 rows × 12 columns
// (FILEDGE_BENCH_ROWS) per iteration, replacing the table's file
// (truncate), in each format, and reports rows/s: the same file as the
// SQLite destination's BenchmarkCommit.
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
			destinationtest.BenchCommit(b, d, batches, rows)
		})
	}
}
