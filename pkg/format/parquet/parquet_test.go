package parquet_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/filedge/filedge/pkg/format"
	"github.com/filedge/filedge/pkg/format/formattest"
	"github.com/filedge/filedge/pkg/record"
)

// checkRead fails t if a read broke the Writer contract or failed with
// anything but a row or file error naming the file.
func checkRead(t testing.TB, name string, rec *formattest.Recorder, err error) {
	t.Helper()
	formattest.CheckError(t, name, err)
	for _, v := range rec.Violations {
		t.Errorf("writer contract broken: %s", v)
	}
}

// TestTestdataIsThere checks that every generated Parquet file is under
// testdata, where TestConformance compares each with its golden file.
func TestTestdataIsThere(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join("testdata", "*.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) < len(testdataFiles) {
		t.Fatalf("found %d Parquet files under testdata, want %d (go test -update makes them)", len(paths), len(testdataFiles))
	}
}

func TestRegisteredByCodeAndExtension(t *testing.T) {
	info, factory, ok := format.Lookup("parquet")
	if !ok || factory == nil || info.Label != "Parquet" || !info.Binary || info.Sheets {
		t.Fatalf("Lookup(parquet) = %+v, %v", info, ok)
	}
	for _, p := range []string{"a.parquet", "dir/B.PARQUET", "c.parq"} {
		if got, _, ok := format.ForPath(p); !ok || got.Code != "parquet" {
			t.Errorf("ForPath(%q) = %q, %v", p, got.Code, ok)
		}
	}
	if _, ok := format.LookupWriter("parquet"); !ok {
		t.Error("no Parquet writer registered")
	}
	if _, err := factory(format.Options{MaxSpoolBytes: -1}); err == nil {
		t.Error("a negative max_spool_bytes was accepted")
	}
}

// TestUnreadableInputsAreFileErrors proves that inputs that are not
// readable Parquet fail with a *format.FileError naming the file, not a
// panic or another error.
func TestUnreadableInputsAreFileErrors(t *testing.T) {
	valid, err := os.ReadFile(filepath.Join("testdata", "all_types.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		input []byte
		opts  format.Options
		want  string
	}{
		{"empty", nil, format.Options{}, "too short"},
		{"text", []byte("hello, world, this is text"), format.Options{}, "does not start with the PAR1"},
		{"truncated", valid[:len(valid)-3], format.Options{}, "does not end with the PAR1"},
		{"footer length beyond the file", append(append([]byte("PAR1"), bytes.Repeat([]byte{0}, 8)...), 0xff, 0xff, 0xff, 0x7f, 'P', 'A', 'R', '1'), format.Options{}, "does not fit"},
		{"encrypted footer", append([]byte("PARE"), append(bytes.Repeat([]byte{1}, 16), 'P', 'A', 'R', 'E')...), format.Options{}, "encrypted Parquet is not supported"},
		{"stream over the spool limit", valid, format.Options{MaxSpoolBytes: 100}, "needs random access"},
		{"decoding over the memory limit", valid, format.Options{MaxSpoolBytes: int64(len(valid)) + 64}, "bytes of memory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec, err := read(t.Context(), t, "f.parquet", tt.input, tt.opts)
			checkRead(t, "f.parquet", rec, err)
			var fe *format.FileError
			if !errors.As(err, &fe) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want a file error saying %q", err, tt.want)
			}
		})
	}
}

// bigFile is a flat Parquet file of many rows in several row groups.
func bigFile(t testing.TB, rows int) []byte {
	fields := []arrow.Field{{Name: "n", Type: arrow.PrimitiveTypes.Int64}, {Name: "s", Type: arrow.BinaryTypes.String}}
	rec := build(t, fields, rows, func(b *array.RecordBuilder, i int) {
		b.Field(0).(*array.Int64Builder).Append(int64(i))
		b.Field(1).(*array.StringBuilder).Append("row")
	})
	defer rec.Release()
	return writeParquet(t, rec, int64(rows/4), nil)
}

// cancelWriter cancels its context at the first row and counts rows.
type cancelWriter struct {
	formattest.Recorder
	cancel context.CancelFunc
	rows   int
}

func (w *cancelWriter) Row(int64, []record.Cell) error {
	w.rows++
	w.cancel()
	return nil
}

// TestReadStopsWhenCancelled stands for formattest.Run's endless-input
// check, which a format whose index is at the end of the file cannot
// take: the read stops on a cancelled context, before it starts and soon
// after a row.
func TestReadStopsWhenCancelled(t *testing.T) {
	const rows = 200_000
	input := bigFile(t, rows)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := formattest.ReadTo(ctx, "parquet", "big.parquet", format.Options{}, bytes.NewReader(input), &formattest.Recorder{}); !errors.Is(err, context.Canceled) {
		t.Errorf("read with a cancelled context returned %v", err)
	}
	ctx, cancel = context.WithCancel(t.Context())
	defer cancel()
	w := &cancelWriter{cancel: cancel}
	err := formattest.ReadTo(ctx, "parquet", "big.parquet", format.Options{}, bytes.NewReader(input), w)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("read cancelled at its first row returned %v", err)
	}
	if w.rows == 0 || w.rows > 2048 {
		t.Errorf("wrote %d rows after the context was cancelled at the first", w.rows)
	}
}

// panicWriter panics in Begin, or in Row when row is set.
type panicWriter struct {
	formattest.Recorder
	row bool
}

func (w *panicWriter) Begin(table string, cols []format.Column) error {
	if !w.row {
		panic("writer panics in Begin")
	}
	return w.Recorder.Begin(table, cols)
}

func (w *panicWriter) Row(int64, []record.Cell) error { panic("writer panics in Row") }

// TestWriterPanicReachesGuard proves that the reader's own recover (which
// turns arrow-go's panics into file errors) leaves a panic of the writer
// to format.Guard, which reports it as such.
func TestWriterPanicReachesGuard(t *testing.T) {
	input, err := os.ReadFile(filepath.Join("testdata", "all_types.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	for _, inRow := range []bool{false, true} {
		err := formattest.ReadTo(t.Context(), "parquet", "f.parquet", format.Options{}, bytes.NewReader(input), &panicWriter{row: inRow})
		var fe *format.FileError
		if !errors.As(err, &fe) || fe.File != "f.parquet" || !strings.Contains(err.Error(), "reader panicked: writer panics in") {
			t.Errorf("writer panic (in row: %v) came back as %v", inRow, err)
		}
	}
}

// TestConformance runs the format suite: registration, empty input,
// cancellation (on a large finite file: Parquet's index is at its end), a
// panicking writer, and the golden files of testdata.
func TestConformance(t *testing.T) {
	formattest.Run(t, "parquet", formattest.Case{Name: "big.parquet", Input: bigFile(t, 200_000), Cancel: true})
}
