package parquet_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/schema"

	"github.com/filedge/filedge/pkg/format"
	"github.com/filedge/filedge/pkg/format/formattest"
	_ "github.com/filedge/filedge/pkg/format/parquet"
)

// updating reports whether the tests run with -update (the flag
// formattest defines), which rewrites golden files and generated test
// inputs instead of comparing them.
func updating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// read reads input as the Parquet file name into a formattest.Recorder.
func read(ctx context.Context, t testing.TB, name string, input []byte, opts format.Options) (*formattest.Recorder, error) {
	t.Helper()
	return formattest.Read(ctx, "parquet", name, opts, input, false)
}

// checkGolden compares what the reader wrote with the golden file path,
// or rewrites it under -update.
func checkGolden(t *testing.T, path string, got *formattest.Result) {
	t.Helper()
	enc := got.Encode()
	if updating() {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, enc, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -update writes it)", err)
	}
	want, err := formattest.DecodeResult(b)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if w := want.Encode(); !bytes.Equal(w, enc) {
		t.Errorf("%s: the reader wrote something else (go test -update rewrites it):\n%s", path, diffLines(w, enc))
	}
}

// diffLines shows the first lines where two encoded results part.
func diffLines(want, got []byte) string {
	wl := strings.Split(string(want), "\n")
	gl := strings.Split(string(got), "\n")
	var b strings.Builder
	shown := 0
	for i := 0; i < max(len(wl), len(gl)) && shown < 20; i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			b.WriteString("- " + w + "\n+ " + g + "\n")
			shown++
		}
	}
	return b.String()
}

// corpusDir returns the Parquet folder of the public corpus, skipping the
// test when FILEDGE_CORPUS is unset.
func corpusDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("FILEDGE_CORPUS")
	if dir == "" {
		t.Skip("FILEDGE_CORPUS is not set")
	}
	return filepath.Join(dir, "parquet")
}

// leaf is the content of one leaf column for writeLeaves: its levels, and
// the values of the slots whose definition level is the column's maximum,
// in the slice of its physical type.
type leaf struct {
	defs, reps []int16
	int96      []parquet.Int96
	ints       []int64
	bytes      []parquet.ByteArray
	fixed      []parquet.FixedLenByteArray
}

// writeLeaves writes one row group of the leaves, in schema order, with
// arrow-go's low-level writer, which writes any schema and INT96 values as
// they are (pqarrow writes only Arrow types).
func writeLeaves(t testing.TB, root *schema.GroupNode, props []parquet.WriterProperty, leaves ...*leaf) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := file.NewParquetWriter(&buf, root, file.WithWriterProps(parquet.NewWriterProperties(append([]parquet.WriterProperty{parquet.WithCreatedBy("filedge-test")}, props...)...)))
	rg, err := w.AppendRowGroupChecked()
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range leaves {
		cw, err := rg.NextColumn()
		if err != nil {
			t.Fatal(err)
		}
		switch cw := cw.(type) {
		case *file.Int96ColumnChunkWriter:
			_, err = cw.WriteBatch(l.int96, l.defs, l.reps)
		case *file.Int64ColumnChunkWriter:
			_, err = cw.WriteBatch(l.ints, l.defs, l.reps)
		case *file.ByteArrayColumnChunkWriter:
			_, err = cw.WriteBatch(l.bytes, l.defs, l.reps)
		case *file.FixedLenByteArrayColumnChunkWriter:
			_, err = cw.WriteBatch(l.fixed, l.defs, l.reps)
		default:
			err = fmt.Errorf("unexpected column writer %T", cw)
		}
		if err == nil {
			err = cw.Close()
		}
		if err != nil {
			t.Fatalf("leaf %d: %v", i, err)
		}
	}
	if err := rg.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
