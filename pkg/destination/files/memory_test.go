package files_test

import (
	"context"
	"io"
	"path/filepath"
	"runtime/metrics"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/filedge/filedge/pkg/destination"
	"github.com/filedge/filedge/pkg/destination/destinationtest"
	"github.com/filedge/filedge/pkg/destination/files"
	"github.com/filedge/filedge/pkg/record"
)

// generated is a destination.Batches of n batches of table big, each of
// rows rows of an id and a text of width bytes; the id is an integer in
// the first half of the batches and a float in the second, so that the
// table's file is written in the widened type.
type generated struct {
	mem            memory.Allocator
	n, rows, width int
	i              int
	line           int64
}

func (g *generated) Next(context.Context) (string, arrow.RecordBatch, error) {
	if g.i == g.n {
		return "", nil, io.EOF
	}
	idType := record.Integer
	if g.i >= g.n/2 {
		idType = record.Float
	}
	g.i++
	schema := arrow.NewSchema([]arrow.Field{
		record.Field("id", idType), record.Field("s", record.String), record.Field(record.LineColumn, record.Integer),
	}, nil)
	b := array.NewRecordBuilder(g.mem, schema)
	defer b.Release()
	text := strings.Repeat("x", g.width)
	for range g.rows {
		g.line++
		if idType == record.Integer {
			b.Field(0).(*array.Int64Builder).Append(g.line)
		} else {
			b.Field(0).(*array.Float64Builder).Append(float64(g.line) + 0.5)
		}
		b.Field(1).(*array.StringBuilder).Append(text)
		b.Field(2).(*array.Int64Builder).Append(g.line)
	}
	return "big", b.NewRecordBatch(), nil
}

// heapPeak samples the bytes of live heap objects until stop is called,
// and returns the highest.
func heapPeak() (stop func() uint64) {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var (
		peak uint64
		wg   sync.WaitGroup
	)
	done := make(chan struct{})
	wg.Go(func() {
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			metrics.Read(sample)
			peak = max(peak, sample[0].Value.Uint64())
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	})
	return func() uint64 {
		close(done)
		wg.Wait()
		return peak
	}
}

// TestAFileMuchLargerThanMemoryLimitsCommitsInBoundedMemory commits 160 MB
// of rows whose id widens half way, in CSV (whose writer holds no more
// than a buffer), and checks that the heap never holds more than a small
// part of it: the batches go to a spool on disk, not to memory.
func TestAFileMuchLargerThanMemoryLimitsCommitsInBoundedMemory(t *testing.T) {
	const batches, rows, width = 160, 10_000, 100 // 160 batches of about 1 MB
	dir := filepath.Join(t.TempDir(), "out")
	d := open(t, dir, "csv")
	f := destinationtest.File(t, "v1", "big.csv", t0)
	f.Batches = &generated{mem: memory.NewGoAllocator(), n: batches, rows: rows, width: width}
	stop := heapPeak()
	res := destinationtest.Commit(t, d, f, destination.Committed)
	peak := stop()
	t.Logf("committed %d rows (%d MB of text); heap peak %d MB", res.Rows, batches*rows*width>>20, peak>>20)
	if res.Rows != batches*rows {
		t.Errorf("Result.Rows = %d, want %d", res.Rows, batches*rows)
	}
	if limit := uint64(48 << 20); peak > limit {
		t.Errorf("the heap held %d MB at its peak, over %d MB for a file of %d MB", peak>>20, limit>>20, batches*rows*width>>20)
	}
	cols, err := files.NewReader(dir, "csv").Columns(t.Context(), "big")
	if err != nil || cols[0] != (destinationtest.Column{Name: "id", Type: record.Float}) {
		t.Errorf("columns = %v, %v; want id widened to float", cols, err)
	}
}
