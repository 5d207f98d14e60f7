package parquet_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"

	"github.com/filedge/filedge/pkg/format"
	"github.com/filedge/filedge/pkg/format/formattest"
	"github.com/filedge/filedge/pkg/format/parquet"
	"github.com/filedge/filedge/pkg/record"
)

// roundTripColumns has a column of every record type.
var roundTripColumns = []record.Column{
	{Name: "b", Type: record.Boolean},
	{Name: "i", Type: record.Integer},
	{Name: "f", Type: record.Float},
	{Name: "d", Type: record.Date},
	{Name: "ts", Type: record.Timestamp},
	{Name: "s", Type: record.String},
	{Name: "j", Type: record.JSON},
	{Name: "nulls", Type: record.Unknown},
	{Name: "money", Type: record.DecimalOf(16, 2)},
	{Name: "wide", Type: record.DecimalOf(60, 20)},
}

// roundTripRow returns row i as cells, in the form the reader writes them
// back (so the cells compare as they are).
func roundTripRow(i int) []record.Cell {
	if i%7 == 6 {
		return make([]record.Cell, len(roundTripColumns)) // all null
	}
	return []record.Cell{
		{Text: fmt.Sprint(i%2 == 0), Kind: record.Bool},
		{Text: fmt.Sprint(int64(i) * -1_000_000_007), Kind: record.Number},
		{Text: fmt.Sprint(float64(i) / 8), Kind: record.Number},
		{Text: fmt.Sprintf("20%02d-0%d-1%d", i%100, i%9+1, i%10), Kind: record.Quoted},
		{Text: time.Date(2024, 1, 1, 0, 0, i%60, (i%1000+1)*1000, time.UTC).Format("2006-01-02T15:04:05.999999Z07:00"), Kind: record.Quoted},
		{Text: strings.Repeat("é\"", i%3), Kind: record.Quoted},
		{Text: fmt.Sprintf(`{"n":%d,"a":[true,null]}`, i), Kind: record.Document},
		{Kind: record.Null},
		{Text: fmt.Sprintf("%d.%02d", 12345678901234-int64(i)*3_000_000_007, i%100), Kind: record.Number},
		{Text: fmt.Sprintf("-%d.%020d", i*7919+1, i), Kind: record.Number},
	}
}

// TestWriterRoundTrip writes batches made by record.Builder with the
// registered writer and with each codec and small row groups, reads the
// file back with the reader, and expects the same columns, types and
// cells.
func TestWriterRoundTrip(t *testing.T) {
	const rows = 2500
	tests := []struct {
		name      string
		opts      *parquet.WriterOptions // nil: the registered factory
		rowGroups int                    // at least
	}{
		{"registered", nil, 1},
		{"zstd, row groups of 1000 rows", &parquet.WriterOptions{Codec: parquet.Zstd, MaxRowGroupRows: 1000}, 3},
		{"snappy, row groups of 10 KiB", &parquet.WriterOptions{Codec: parquet.Snappy, MaxRowGroupBytes: 10 << 10}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			bld := record.NewBuilder(record.BuilderOptions{Columns: roundTripColumns, MaxBatchRows: 512, Alloc: mem})
			var buf bytes.Buffer
			var w format.RecordWriter
			for i := 0; i < rows; i++ {
				if err := bld.Append(int64(i+1), roundTripRow(i)); err != nil {
					t.Fatal(err)
				}
				if bld.Full() || i == rows-1 {
					rec, err := bld.Flush()
					if err != nil {
						t.Fatal(err)
					}
					if w == nil {
						w = newWriter(t, &buf, rec.Schema(), tt.opts)
					}
					if err := w.Write(rec); err != nil {
						t.Fatal(err)
					}
					rec.Release()
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			pf, err := file.NewParquetReader(bytes.NewReader(buf.Bytes()))
			if err != nil {
				t.Fatal(err)
			}
			if n := pf.NumRowGroups(); n < tt.rowGroups {
				t.Errorf("%d row groups, want at least %d", n, tt.rowGroups)
			}
			got, err := read(t.Context(), t, "round.parquet", buf.Bytes(), format.Options{})
			checkRead(t, "round.parquet", got, err)
			if err != nil {
				t.Fatal(err)
			}
			tbl := got.Result.Tables[0]
			wantCols := []formattest.Column{{Name: record.LineColumn, Type: record.Integer}}
			for _, c := range roundTripColumns {
				wantCols = append(wantCols, formattest.Column{Name: c.Name, Type: c.Type.Stored()})
			}
			if fmt.Sprint(tbl.Columns) != fmt.Sprint(wantCols) {
				t.Fatalf("columns %v, want %v", tbl.Columns, wantCols)
			}
			if len(tbl.Rows) != rows {
				t.Fatalf("%d rows, want %d", len(tbl.Rows), rows)
			}
			for i, row := range tbl.Rows {
				want := append([]record.Cell{{Text: fmt.Sprint(i + 1), Kind: record.Number}}, roundTripRow(i)...)
				for c, cell := range row.Cells {
					if record.Cell(cell) != want[c] {
						t.Fatalf("row %d, %s = %+v, want %+v", i+1, tbl.Columns[c].Name, cell, want[c])
					}
				}
			}
		})
	}
}

func newWriter(t *testing.T, buf *bytes.Buffer, schema *arrow.Schema, o *parquet.WriterOptions) format.RecordWriter {
	t.Helper()
	if o != nil {
		w, err := parquet.NewRecordWriter(buf, schema, *o)
		if err != nil {
			t.Fatal(err)
		}
		return w
	}
	factory, ok := format.LookupWriter("parquet")
	if !ok {
		t.Fatal("no Parquet writer registered")
	}
	w, err := factory(buf, schema, format.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func TestWriterRefusesWhatItCannotWrite(t *testing.T) {
	good := arrow.NewSchema([]arrow.Field{record.Field("a", record.Integer)}, nil)
	tests := []struct {
		name   string
		schema *arrow.Schema
		opts   parquet.WriterOptions
		want   string
	}{
		{"unknown codec", good, parquet.WriterOptions{Codec: "lzo"}, "unknown codec"},
		{"negative bound", good, parquet.WriterOptions{MaxRowGroupRows: -1}, "negative"},
		{"type not of its record type", arrow.NewSchema([]arrow.Field{{Name: "a", Type: arrow.PrimitiveTypes.Int32, Metadata: arrow.NewMetadata([]string{record.MetadataType}, []string{"integer"})}}, nil), parquet.WriterOptions{}, "must be int64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parquet.NewRecordWriter(&bytes.Buffer{}, tt.schema, tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one saying %q", err, tt.want)
			}
		})
	}
	w, err := parquet.NewRecordWriter(&bytes.Buffer{}, good, parquet.WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b := array.NewInt64Builder(memory.DefaultAllocator)
	defer b.Release()
	arr := b.NewArray()
	defer arr.Release()
	other := array.NewRecordBatch(arrow.NewSchema([]arrow.Field{record.Field("z", record.Integer)}, nil), []arrow.Array{arr}, 0)
	defer other.Release()
	if err := w.Write(other); err == nil {
		t.Error("a batch of another schema was written")
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Write(other); err == nil {
		t.Error("a batch was written after Close")
	}
}

// closeRecorder is an io.WriteCloser that records whether it was closed.
type closeRecorder struct {
	bytes.Buffer
	closed bool
}

func (c *closeRecorder) Close() error { c.closed = true; return nil }

func TestWriterCloseLeavesTheUnderlyingWriterOpen(t *testing.T) {
	var out closeRecorder
	w, err := parquet.NewRecordWriter(&out, arrow.NewSchema([]arrow.Field{record.Field("a", record.String)}, nil), parquet.WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if out.closed || out.Len() == 0 {
		t.Errorf("closed %v, wrote %d bytes", out.closed, out.Len())
	}
}
