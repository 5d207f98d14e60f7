package sqlite_test

import (
	"fmt"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/filedge/filedge/internal/benchkit"
	"github.com/filedge/filedge/pkg/destination"
	"github.com/filedge/filedge/pkg/destination/destinationtest"
	"github.com/filedge/filedge/pkg/destination/sqlite"
)

// BenchmarkCommit commits one file version of 1,000,000 rows × 12 columns
// per iteration (into a fresh table each time) and reports rows/s.
func BenchmarkCommit(b *testing.B) {
	rows := destinationtest.BenchRows()
	batches, d := benchSetUp(b, rows)
	destinationtest.BenchCommit(b, d, batches, rows)
}

// benchSetUp returns the batches of rows rows (benchBatches) and a
// destination over a new file, both released when b ends.
func benchSetUp(b *testing.B, rows int) ([]arrow.RecordBatch, *sqlite.DB) {
	batches := destinationtest.BenchBatches(rows)
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
			WriteMode: destination.Append, Merge: destination.UpsertFile, Batches: &destinationtest.Replay{Table: "bench", Batches: batches},
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
