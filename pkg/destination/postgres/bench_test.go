package postgres

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/filedge/filedge/pkg/destination"
	"github.com/filedge/filedge/pkg/record"
)

// replayBatches returns the same prepared batches on every pass (each
// retained once per pass, since the destination releases what it gets).
type replayBatches struct {
	table string
	recs  []arrow.RecordBatch
	i     int
}

func (r *replayBatches) Next(context.Context) (string, arrow.RecordBatch, error) {
	if r.i >= len(r.recs) {
		return "", nil, io.EOF
	}
	rec := r.recs[r.i]
	r.i++
	rec.Retain()
	return r.table, rec, nil
}

// benchBatches builds rows rows of 12 mixed columns (2 each of integer,
// float, date, timestamp, boolean, string, ~10% NULL) in batches of
// batchRows. If archive is set, each batch carries a _file column naming a
// member of that archive, ten batches per member. The float columns are of
// type float (record.Float, or a decimal type, with the same values).
func benchBatches(rows, batchRows int, archive string, float record.Type) []arrow.RecordBatch {
	var cols []record.Column
	for _, t := range []record.Type{record.Integer, float, record.Date, record.Timestamp, record.Boolean, record.String} {
		for k := range 2 {
			cols = append(cols, record.Column{Name: fmt.Sprintf("%s_%d", t, k), Type: t})
		}
	}
	fields := make([]arrow.Field, 0, len(cols)+1)
	for _, c := range cols {
		fields = append(fields, record.Field(c.Name, c.Type))
	}
	fields = append(fields, record.Field(record.LineColumn, record.Integer))
	if archive != "" {
		fields = append(fields, record.Field(record.FileColumn, record.String))
	}
	schema := arrow.NewSchema(fields, nil)
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	var out []arrow.RecordBatch
	for start := 0; start < rows; start += batchRows {
		rb := array.NewRecordBuilder(memory.DefaultAllocator, schema)
		for r := start; r < min(start+batchRows, rows); r++ {
			for c := range cols {
				b := rb.Field(c)
				if (r+c)%10 == 0 {
					b.AppendNull()
					continue
				}
				switch bb := b.(type) {
				case *array.Int64Builder:
					bb.Append(int64(r)*1000 + int64(c))
				case *array.Float64Builder:
					bb.Append(float64(r) * 1.25)
				case *array.Decimal128Builder:
					_ = record.AppendDecimalValue(bb, strconv.FormatFloat(float64(r)*1.25, 'f', 2, 64))
				case *array.Date32Builder:
					bb.Append(arrow.Date32FromTime(base.AddDate(0, 0, r%3000)))
				case *array.TimestampBuilder:
					bb.Append(arrow.Timestamp(base.Add(time.Duration(r) * time.Second).UnixMicro()))
				case *array.BooleanBuilder:
					bb.Append(r%3 == 0)
				case *array.StringBuilder:
					bb.Append("value number " + strconv.Itoa(r))
				}
			}
			rb.Field(len(cols)).(*array.Int64Builder).Append(int64(r + 2))
			if archive != "" {
				rb.Field(len(cols) + 1).(*array.StringBuilder).Append(fmt.Sprintf("%s!/member%d.csv", archive, start/batchRows/10))
			}
		}
		out = append(out, rb.NewRecordBatch())
		rb.Release()
	}
	return out
}

// BenchmarkCommit commits 1M rows of 12 mixed columns from Arrow batches of
// 10,000 rows into a logged table and reports rows/s.
func BenchmarkCommit(b *testing.B) {
	benchCommit(b, "bench.csv", benchBatches(1_000_000, 10_000, "", record.Float))
}

// BenchmarkCommitDecimals is BenchmarkCommit with the float columns
// numeric(16,2), written in NUMERIC's binary format.
func BenchmarkCommitDecimals(b *testing.B) {
	benchCommit(b, "bench.csv", benchBatches(1_000_000, 10_000, "", record.DecimalOf(16, 2)))
}

// BenchmarkCommitArchiveMembers is BenchmarkCommit with the rows in ten
// members of an archive (batches with a _file column).
func BenchmarkCommitArchiveMembers(b *testing.B) {
	benchCommit(b, "bench.zip", benchBatches(1_000_000, 10_000, "bench.zip", record.Float))
}

// benchCommit commits recs, as a file at path, into a new table per
// iteration (Truncate) and reports rows/s and CPU per million rows.
func benchCommit(b *testing.B, path string, recs []arrow.RecordBatch) {
	const rows = 1_000_000
	defer func() {
		for _, r := range recs {
			r.Release()
		}
	}()
	db, _, _ := open(b)
	ctx := context.Background()
	// One connection, so that its server process's CPU time can be read.
	cfg, _, err := parseURL(testURL())
	if err != nil {
		b.Fatal(err)
	}
	cfg.MaxConns = 1
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		b.Fatal(err)
	}
	db.pool.Close()
	db.pool = pool
	var pid int
	if err := pool.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&pid); err != nil {
		b.Fatal(err)
	}
	serverCPU0, serverOK := processCPU(pid)
	clientCPU0 := selfCPU()

	var elapsed time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		f := &destination.File{
			Pipeline: "bench", Version: fmt.Sprintf("v%d", i), Path: path,
			Modified: time.Now(), SHA256: "x", WriteMode: destination.Truncate, Merge: destination.UpsertFile,
			Batches: &replayBatches{table: fmt.Sprintf("bench_%d", i), recs: recs},
		}
		start := time.Now()
		res, err := db.Commit(ctx, f)
		elapsed += time.Since(start)
		if err != nil {
			b.Fatal(err)
		}
		if res.Rows != rows {
			b.Fatalf("rows %d, want %d", res.Rows, rows)
		}
	}
	b.ReportMetric(float64(rows)*float64(b.N)/elapsed.Seconds(), "rows/s")
	// CPU seconds per million rows on each side of the COPY: on a busy
	// machine these say more than the wall clock.
	b.ReportMetric((selfCPU()-clientCPU0).Seconds()/float64(b.N), "client-cpu-s/1M")
	if serverCPU1, ok := processCPU(pid); ok && serverOK {
		b.ReportMetric((serverCPU1-serverCPU0).Seconds()/float64(b.N), "server-cpu-s/1M")
	}
}

// BenchmarkCommitSmallFiles commits versions of 100 paths of 10 rows each,
// each replacing its path's earlier rows (Append, UpsertFile): the cost of
// a commit's ledger protocol (lookups, advisory lock, newest-wins, ledger
// row) next to its few rows. It reports commits/s.
func BenchmarkCommitSmallFiles(b *testing.B) {
	recs := benchBatches(10, 10, "", record.Float)
	defer func() {
		for _, r := range recs {
			r.Release()
		}
	}()
	db, _, _ := open(b)
	ctx := context.Background()
	clientCPU0 := selfCPU()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		f := &destination.File{
			Pipeline: "bench", Version: fmt.Sprintf("v%d", i), Path: fmt.Sprintf("f%d.csv", i%100),
			Modified: time.Now(), SHA256: "x", WriteMode: destination.Append, Merge: destination.UpsertFile,
			Batches: &replayBatches{table: "small", recs: recs},
		}
		res, err := db.Commit(ctx, f)
		if err != nil {
			b.Fatal(err)
		}
		if res.Outcome != destination.Committed {
			b.Fatalf("outcome %s, want committed", res.Outcome)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "commits/s")
	b.ReportMetric((selfCPU()-clientCPU0).Seconds()*1000/float64(b.N), "client-cpu-ms/commit")
}

// selfCPU returns the CPU time (user and system) of this process.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// processCPU returns the CPU time of a local process from /proc, if it can
// be read (the server runs on this machine, Linux).
func processCPU(pid int) (time.Duration, bool) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, false
	}
	// Fields after the command name, which is in parentheses.
	i := strings.LastIndexByte(string(data), ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(string(data[i+1:]))
	if len(f) < 13 {
		return 0, false
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	const ticks = 100 // USER_HZ on Linux
	return time.Duration(utime+stime) * time.Second / ticks, true
}
