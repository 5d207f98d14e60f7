package parquet_test

import (
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"

	"github.com/filedge/filedge/pkg/format"
)

// TestReadHoldsOneRowGroupAtATime proves that the reader streams: a file
// whose decoded row groups together need several times max_spool_bytes
// (the cap on the memory decoding holds at once) loads whole, its columns
// nested and flat, because the reader releases each batch before it
// decodes the next.
func TestReadHoldsOneRowGroupAtATime(t *testing.T) {
	const rowGroups, perGroup = 8, 20_000
	const width = 200
	fields := []arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "text", Type: arrow.BinaryTypes.String},
		{Name: "list", Type: arrow.ListOf(arrow.BinaryTypes.String), Nullable: true},
	}
	rec := build(t, fields, rowGroups*perGroup, func(b *array.RecordBuilder, i int) {
		b.Field(0).(*array.Int64Builder).Append(int64(i))
		b.Field(1).(*array.StringBuilder).Append(fmt.Sprintf("%0*d", width, i))
		l := b.Field(2).(*array.ListBuilder)
		l.Append(true)
		l.ValueBuilder().(*array.StringBuilder).Append(fmt.Sprintf("%0*d", width, i))
	})
	defer rec.Release()
	input := writeParquet(t, rec, perGroup, []parquet.WriterProperty{parquet.WithCompression(compress.Codecs.Snappy), parquet.WithDictionaryDefault(false)})
	decoded := int64(rowGroups * perGroup * 2 * width)
	limit := int64(len(input)) + decoded/4
	t.Logf("file %d bytes, decoded text %d bytes, limit %d", len(input), decoded, limit)
	r, err := read(t.Context(), t, "groups.parquet", input, format.Options{MaxSpoolBytes: limit})
	checkRead(t, "groups.parquet", r, err)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(r.Result.Tables[0].Rows); n != rowGroups*perGroup {
		t.Errorf("%d rows, want %d", n, rowGroups*perGroup)
	}
}
