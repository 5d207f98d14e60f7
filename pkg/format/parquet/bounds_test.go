package parquet_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"

	"github.com/filedge/filedge/pkg/format"
)

// badHeadersSeed is the fuzz seed of badHeadersFile(t, 10), which go test
// -update rewrites.
var badHeadersSeed = filepath.Join("testdata", "fuzz", "FuzzParquet", "struct_leaves_bad_page_headers")

// badHeadersFile is a Parquet file of one row of a struct column of leaves
// INT32 fields, the page header of every column chunk replaced by an
// empty Thrift struct, which arrow-go fails to decode only after growing
// its header buffer from 16 KiB to 4 MiB.
func badHeadersFile(t testing.TB, leaves int) []byte {
	t.Helper()
	fields := make([]arrow.Field, leaves)
	for i := range fields {
		fields[i] = arrow.Field{Name: "f" + strconv.Itoa(i), Type: arrow.PrimitiveTypes.Int32, Nullable: true}
	}
	top := []arrow.Field{{Name: "s", Type: arrow.StructOf(fields...), Nullable: true}}
	rec := build(t, top, 1, func(b *array.RecordBuilder, _ int) {
		sb := b.Field(0).(*array.StructBuilder)
		sb.Append(true)
		for i := range leaves {
			sb.FieldBuilder(i).(*array.Int32Builder).Append(int32(i))
		}
	})
	defer rec.Release()
	data := writeParquet(t, rec, 1, []parquet.WriterProperty{parquet.WithDictionaryDefault(false), parquet.WithStats(false)})
	pf, err := file.NewParquetReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer pf.Close()
	rg := pf.MetaData().RowGroup(0)
	for i := range rg.NumColumns() {
		cc, err := rg.ColumnChunk(i)
		if err != nil {
			t.Fatal(err)
		}
		data[cc.DataPageOffset()] = 0 // a Thrift stop: no required field set
	}
	return data
}

// fuzzSeed returns the input of the fuzz seed file path.
func fuzzSeed(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	line := strings.TrimSpace(strings.TrimPrefix(string(b), "go test fuzz v1\n"))
	input, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(line, "[]byte("), ")"))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return []byte(input)
}

// TestCorruptInputsFailFastWithinBoundedMemory proves that inputs which
// made the reader take seconds, or allocate far beyond max_spool_bytes
// outside its capped allocator, fail fast with a file error naming the
// file and what is wrong:
//
//   - a struct column whose leaves all have corrupt page headers fails at
//     its first leaf: the reader's own decoding pass used to take a page
//     reader's end for the end of the column and try every leaf in turn,
//     each costing 8 MiB of arrow-go's page header buffers (16 GiB and 9 s
//     for the 94 KB file of 1000 leaves here);
//   - a Zstd page whose frame declares more than the page (344 MiB
//     allocated for the 344-byte fuzz input here; a frame may declare up
//     to 64 GiB) fails before the decoder allocates.
func TestCorruptInputsFailFastWithinBoundedMemory(t *testing.T) {
	if updating() {
		seed := fmt.Appendf(nil, "go test fuzz v1\n[]byte(%q)\n", badHeadersFile(t, 10))
		if err := os.WriteFile(badHeadersSeed, seed, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name  string
		input []byte
		want  []string
	}{
		{"struct leaves with bad page headers, fuzz seed", fuzzSeed(t, badHeadersSeed), []string{`column "s"`, "page header"}},
		{"1000 struct leaves with bad page headers", badHeadersFile(t, 1000), []string{`column "s"`, "page header"}},
		{"zstd frame beyond its page, fuzz seed", fuzzSeed(t, filepath.Join("testdata", "fuzz", "FuzzParquet", "zstd_frame_beyond_page")), []string{"decompress page", "more bytes than its page"}},
	}
	const maxTime, maxAlloc = time.Second, 64 << 20
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			start := time.Now()
			rec, err := read(t.Context(), t, "bad.parquet", tt.input, format.Options{})
			took := time.Since(start)
			runtime.ReadMemStats(&after)
			checkRead(t, "bad.parquet", rec, err)
			var fe *format.FileError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v, want a file error", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %v, want it to say %q", err, w)
				}
			}
			if took > maxTime {
				t.Errorf("read %d bytes in %v, want under %v", len(tt.input), took, maxTime)
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > maxAlloc {
				t.Errorf("read %d bytes allocating %d MiB, want under %d MiB", len(tt.input), alloc>>20, maxAlloc>>20)
			}
		})
	}
}
