package parquet_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"

	"github.com/filedge/filedge/pkg/format"
	"github.com/filedge/filedge/pkg/format/formattest"
	"github.com/filedge/filedge/pkg/record"
)

// v2ListRow returns the values of row i of v2ListFile: the id, and the
// JSON of its list columns ("null" for a null list).
func v2ListRow(i int) (ints, names string) {
	switch i % 5 {
	case 1:
		return "null", "null"
	case 2:
		return "[]", "[]"
	}
	var in, nm []string
	for j := 0; j <= i%4; j++ {
		if j == 1 && i%3 == 0 {
			in = append(in, "null")
		} else {
			in = append(in, strconv.Itoa(i*10+j))
		}
		nm = append(nm, strconv.Quote(fmt.Sprintf("n%d.%d", i, j)))
	}
	return "[" + strings.Join(in, ",") + "]", "[" + strings.Join(nm, ",") + "]"
}

// v2ListFile writes rows rows of an id and two list columns (null, empty
// and filled lists, null elements) in data pages v2 with codec, in one row
// group.
func v2ListFile(t testing.TB, rows int, codec compress.Compression) []byte {
	fields := []arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "ints", Type: arrow.ListOf(arrow.PrimitiveTypes.Int32), Nullable: true},
		{Name: "names", Type: arrow.ListOf(arrow.BinaryTypes.String), Nullable: true},
	}
	rec := build(t, fields, rows, func(b *array.RecordBuilder, i int) {
		b.Field(0).(*array.Int64Builder).Append(int64(i))
		ints := b.Field(1).(*array.ListBuilder)
		names := b.Field(2).(*array.ListBuilder)
		switch i % 5 {
		case 1:
			ints.AppendNull()
			names.AppendNull()
			return
		case 2:
			ints.Append(true)
			names.Append(true)
			return
		}
		ints.Append(true)
		names.Append(true)
		for j := 0; j <= i%4; j++ {
			if j == 1 && i%3 == 0 {
				ints.ValueBuilder().AppendNull()
			} else {
				ints.ValueBuilder().(*array.Int32Builder).Append(int32(i*10 + j))
			}
			names.ValueBuilder().(*array.StringBuilder).Append(fmt.Sprintf("n%d.%d", i, j))
		}
	})
	defer rec.Release()
	return writeParquet(t, rec, int64(rows), []parquet.WriterProperty{
		parquet.WithDataPageVersion(parquet.DataPageV2),
		parquet.WithCompression(codec),
		parquet.WithDataPageSize(4 << 10),
	})
}

// TestListColumnsInDataPagesV2LoadEveryRow proves that list columns
// stored in data pages v2 load whole, whatever the codec and however the
// rows fall into pages and batches: arrow-go before v18.8.0 left out the
// last batch of such a column (all of it in a small file) when it read
// them compressed through its buffered stream, as the reader does.
func TestListColumnsInDataPagesV2LoadEveryRow(t *testing.T) {
	codecs := []compress.Compression{compress.Codecs.Snappy, compress.Codecs.Zstd, compress.Codecs.Gzip, compress.Codecs.Uncompressed}
	for _, codec := range codecs {
		for _, rows := range []int{5, 1000, 70_000} {
			t.Run(fmt.Sprintf("%s/%d", codec, rows), func(t *testing.T) {
				name := "v2.parquet"
				rec, err := read(t.Context(), t, name, v2ListFile(t, rows, codec), format.Options{})
				checkRead(t, name, rec, err)
				if err != nil {
					t.Fatal(err)
				}
				tbl := rec.Result.Tables[0]
				if len(tbl.Rows) != rows {
					t.Fatalf("%d rows, want %d", len(tbl.Rows), rows)
				}
				bad := 0
				for i, row := range tbl.Rows {
					ints, names := v2ListRow(i)
					got := []string{row.Cells[0].Text, jsonOrNull(row.Cells[1]), jsonOrNull(row.Cells[2])}
					want := []string{strconv.Itoa(i), ints, names}
					for c := range want {
						if got[c] != want[c] && bad < 10 {
							bad++
							t.Errorf("row %d, %s = %s, want %s", i+1, tbl.Columns[c].Name, got[c], want[c])
						}
					}
				}
			})
		}
	}
}

// jsonOrNull returns the text of a document cell, "null" for a null one.
func jsonOrNull(c formattest.Cell) string {
	if c.Kind == record.Null {
		return "null"
	}
	return c.Text
}

// TestDatapageV2CorpusFileMatchesItsReference reads every row and column
// of parquet-testing's datapage_v2.snappy.parquet (parquet-mr 1.8.1, v2
// data pages, Snappy, a list column) and compares them with the values
// other Parquet readers (pyarrow, parquet-mr, hyparquet) read from it.
func TestDatapageV2CorpusFileMatchesItsReference(t *testing.T) {
	dir := corpusDir(t)
	const name = "datapage_v2.snappy.parquet"
	input, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	rec, err := read(t.Context(), t, name, input, format.Options{})
	checkRead(t, name, rec, err)
	if err != nil {
		t.Fatal(err)
	}
	// a: optional string, b: required int32, c: required double,
	// d: required boolean, e: optional list of required int32.
	want := [][]string{
		{"abc", "1", "2", "true", "[1,2,3]"},
		{"abc", "2", "3", "true", "null"},
		{"abc", "3", "4", "true", "null"},
		{"null", "4", "5", "false", "[1,2,3]"},
		{"abc", "5", "2", "true", "[1,2]"},
	}
	tbl := rec.Result.Tables[0]
	if len(tbl.Columns) != 5 || len(tbl.Rows) != len(want) {
		t.Fatalf("%d columns and %d rows, want 5 and %d", len(tbl.Columns), len(tbl.Rows), len(want))
	}
	for r, row := range tbl.Rows {
		for c, cell := range row.Cells {
			if got := jsonOrNull(cell); got != want[r][c] {
				t.Errorf("row %d, %s = %s, want %s", r+1, tbl.Columns[c].Name, got, want[r][c])
			}
		}
	}
}

// TestPagesBeyondArrowGoDefaultCapsLoad proves that a valid page larger
// than arrow-go's default caps on page sizes (64 MiB compressed) loads
// when it fits max_spool_bytes, which is the reader's one memory cap.
func TestPagesBeyondArrowGoDefaultCapsLoad(t *testing.T) {
	const size = 65 << 20 // 1.6 s: it runs in -short too
	fields := []arrow.Field{{Name: "blob", Type: arrow.BinaryTypes.String}}
	rec := build(t, fields, 1, func(b *array.RecordBuilder, _ int) {
		b.Field(0).(*array.StringBuilder).Append(strings.Repeat("x", size))
	})
	defer rec.Release()
	input := writeParquet(t, rec, 1, []parquet.WriterProperty{parquet.WithDictionaryDefault(false), parquet.WithCompression(compress.Codecs.Uncompressed)})
	rec2, err := read(t.Context(), t, "big_page.parquet", input, format.Options{})
	checkRead(t, "big_page.parquet", rec2, err)
	if err != nil {
		t.Fatal(err)
	}
	if rows := rec2.Result.Tables[0].Rows; len(rows) != 1 || len(rows[0].Cells[0].Text) != size {
		t.Errorf("read %d rows, want one of %d bytes", len(rows), size)
	}
}
