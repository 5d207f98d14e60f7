package databricks

import (
	"strconv"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/filedge/filedge/pkg/destination"
	"github.com/filedge/filedge/pkg/destination/destinationtest"
	"github.com/filedge/filedge/pkg/record"
)

// BenchmarkStage measures the local half of a commit: batches converted to
// the table's types and written as staged Parquet files, in rows/s.
func BenchmarkStage(b *testing.B) {
	const rows = 64 << 10
	schema := arrow.NewSchema([]arrow.Field{
		record.Field("id", record.Integer), record.Field("name", record.String),
		record.Field("amount", record.DecimalOf(12, 2)), record.Field("at", record.Timestamp),
		record.Field(record.LineColumn, record.Integer),
	}, nil)
	rb := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	for i := range rows {
		rb.Field(0).(*array.Int64Builder).Append(int64(i))
		rb.Field(1).(*array.StringBuilder).Append("customer " + strconv.Itoa(i%1000))
		_ = record.AppendDecimalValue(rb.Field(2), strconv.Itoa(i)+".25")
		rb.Field(3).(*array.TimestampBuilder).Append(arrow.Timestamp(time.Date(2026, 1, 1, 0, 0, i%86400, 0, time.UTC).UnixMicro()))
		rb.Field(4).(*array.Int64Builder).Append(int64(i + 1))
	}
	rec := rb.NewRecordBatch()
	rb.Release()
	defer rec.Release()
	// A table whose amount column is wider: every batch is converted.
	st := newStager(b.TempDir(), "t", "a.csv", []column{{"amount", record.DecimalOf(18, 4)}})
	b.ResetTimer()
	for range b.N {
		if err := st.add(rec); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := st.finish(); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N*rows)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkCommitThroughTheFake measures whole commits of 200,000 rows
// into the fake workspace (its SQLite dominates: a bound on the test
// double, not a measure of Databricks).
func BenchmarkCommitThroughTheFake(b *testing.B) {
	w := newWorkspace(b)
	d := w.open(b, nil)
	var tb destinationtest.TableBatches
	tb.Table = "t"
	for i := range 20 {
		rows := make([][]any, 10000)
		for r := range rows {
			rows[r] = []any{int64(i*10000 + r), "row", float64(r) / 8}
		}
		tb.Batches = append(tb.Batches, destinationtest.Batch{Columns: destinationtest.Cols("id", record.Integer, "s", record.String, "f", record.Float), Rows: rows})
	}
	b.ResetTimer()
	for i := range b.N {
		destinationtest.Commit(b, d, destinationtest.File(b, "v"+strconv.Itoa(i), "a.csv", time.Now().Add(time.Duration(i)*time.Second), tb), destination.Committed)
	}
	b.ReportMetric(float64(b.N*200000)/b.Elapsed().Seconds(), "rows/s")
}
