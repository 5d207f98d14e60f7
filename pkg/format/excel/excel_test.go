package excel_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/filedge/filedge/pkg/format"
	"github.com/filedge/filedge/pkg/format/excel"
	fx "github.com/filedge/filedge/pkg/format/excel/internal/fixture"
	"github.com/filedge/filedge/pkg/format/formattest"
	"github.com/filedge/filedge/pkg/record"
)

func TestConformance(t *testing.T) {
	formattest.Run(t, "excel",
		// A .xls file arriving as a stream is read only as far as its
		// compound file points: the bytes after it never end.
		formattest.Case{
			Name:   "endless.xls",
			Input:  manyRowsXLS(),
			Repeat: make([]byte, 4096),
		},
		// An .xlsx has its directory at the end: a large finite one.
		formattest.Case{
			Name:   "large.xlsx",
			Input:  readBenchXLSX(t, 20_000),
			Cancel: true,
		},
	)
}

// readBenchXLSX returns the bytes of the generated workbook of rows rows.
func readBenchXLSX(t *testing.T, rows int) []byte {
	t.Helper()
	b, err := os.ReadFile(benchXLSX(t, rows))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func newReader(t *testing.T, opts format.Options) format.Reader {
	t.Helper()
	_, factory, ok := format.Lookup("excel")
	if !ok {
		t.Fatal("excel is not registered")
	}
	r, err := factory(opts)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestNewRejectsNegativeOptions(t *testing.T) {
	for _, opts := range []format.Options{{MaxSpoolBytes: -1}, {SkipHeaderLines: -1}} {
		if _, err := excel.New(opts); err == nil {
			t.Errorf("New(%+v) accepted", opts)
		}
	}
}

func TestSheetsListsWorksheetsInWorkbookOrder(t *testing.T) {
	tests := []struct {
		file string
		want []string
	}{
		{"sheets.xlsx", []string{"Data", "Empty", "Title row empty", "Only blanks", "Pivot", "data", "Hidden"}},
		{"types.xls", []string{"Types", "Pivot", "Empty"}}, // not the chart sheet
		{"biff2.xls", []string{"Sheet1"}},
		{"biff4w.xls", []string{"Data", "Global formats", "Empty"}}, // not the chart and macro sheets
		{"strict_prefixed.xlsx", []string{"Strict"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			r := newReader(t, format.Options{}).(format.SheetLister)
			got, err := r.Sheets(t.Context(), &format.Input{Path: tt.file, R: bytes.NewReader(testdataFiles()[tt.file])})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Sheets = %q, want %q", got, tt.want)
			}
		})
	}
	t.Run("not a workbook", func(t *testing.T) {
		r := newReader(t, format.Options{}).(format.SheetLister)
		_, err := r.Sheets(t.Context(), &format.Input{Path: "x.xls", R: strings.NewReader("<html>")})
		var fe *format.FileError
		if !errors.As(err, &fe) || !errors.Is(err, excel.ErrNotWorkbook) {
			t.Errorf("Sheets = %v, want a file error wrapping ErrNotWorkbook", err)
		}
	})
}

// TestLocalFilesAndStreamsReadAlike reads every test file once with
// random access (a local file) and once as a stream (decompressed, or out
// of an archive): the results must be the same.
func TestLocalFilesAndStreamsReadAlike(t *testing.T) {
	for name, data := range testdataFiles() {
		if strings.HasSuffix(name, ".json") {
			continue
		}
		t.Run(name, func(t *testing.T) {
			stream, err := formattest.Read(t.Context(), "excel", name, format.Options{}, data, false)
			formattest.CheckError(t, name, err)
			local := &formattest.Recorder{Path: name}
			err = newReader(t, format.Options{}).Read(t.Context(), &format.Input{Path: name, R: bytes.NewReader(data), ReaderAt: bytes.NewReader(data), Size: int64(len(data))}, local)
			if err != nil {
				local.Result.Error = err.Error()
			}
			if g, w := local.Result.Encode(), stream.Result.Encode(); !bytes.Equal(g, w) {
				t.Errorf("read with random access:\n%s\nread as a stream:\n%s", g, w)
			}
		})
	}
}

// bomb is an XLSX workbook of sheets sheets, each inflating to n bytes
// of blank XML inside a row; overlapping, they all share the data of the
// first.
func bomb(n, sheets int, overlapping bool) []byte {
	ss := make([]fx.Sheet, sheets)
	var aliases []string
	for i := range ss {
		ss[i].Name = fmt.Sprintf("S%d", i+1)
		if i > 0 {
			aliases = append(aliases, fmt.Sprintf("xl/worksheets/sheet%d.xml", i+1))
		}
	}
	for i := range ss {
		if i == 0 || !overlapping {
			ss[i].Data = `<row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c>` + strings.Repeat(" ", n) + `</row>`
		}
	}
	if !overlapping {
		return fx.XLSX(fx.Workbook{Sheets: ss})
	}
	return fx.Alias(fx.XLSX(fx.Workbook{Sheets: ss}), "xl/worksheets/sheet1.xml", aliases...)
}

func TestLimitsStopOversizedWorkbooks(t *testing.T) {
	bigStrings := make([]string, 2000)
	for i := range bigStrings {
		bigStrings[i] = fmt.Sprintf("shared string number %06d", i)
	}
	tests := []struct {
		name  string
		file  []byte
		opts  format.Options
		local bool // read with random access, not as a stream
		want  string
	}{
		{"zip bomb over 16 times max_spool_bytes", bomb(4<<20, 5, false), format.Options{MaxSpoolBytes: 256 << 10}, true, "decompresses to over 4194304 bytes"},
		{"overlapping zip bomb over 1000 times its size", bomb(4<<20, 5, true), format.Options{}, true, "over 1000 times its size"},
		{"shared strings over half of max_spool_bytes", fx.XLSX(fx.Workbook{
			Strings: bigStrings,
			Sheets:  []fx.Sheet{{Name: "S", Data: `<row r="1"><c r="A1" t="s"><v>0</v></c></row>`}},
		}), format.Options{MaxSpoolBytes: 64 << 10}, true, "half of max_spool_bytes"},
		{"xlsx stream over max_spool_bytes", typesXLSX(), format.Options{MaxSpoolBytes: 1000}, false, "stream over 1000 bytes"},
		{"xls stream over max_spool_bytes", manyRowsXLS(), format.Options{MaxSpoolBytes: 4096}, false, "beyond 4096 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := &format.Input{Path: "big", R: bytes.NewReader(tt.file)}
			if tt.local {
				in.ReaderAt, in.Size = bytes.NewReader(tt.file), int64(len(tt.file))
			}
			err := format.Guard(t.Context(), newReader(t, tt.opts), in, &formattest.Recorder{})
			var fe *format.FileError
			if !errors.As(err, &fe) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("read %d bytes: %v, want a file error saying %q", len(tt.file), err, tt.want)
			}
		})
	}
}

// failing is a ReaderAt and Reader whose reads fail after n bytes.
type failing struct {
	data []byte
	n    int
	off  int
}

var errDisk = errors.New("disk on fire")

func (f *failing) ReadAt(p []byte, off int64) (int, error) {
	if int(off)+len(p) > f.n {
		return 0, errDisk
	}
	return copy(p, f.data[off:]), nil
}

func (f *failing) Read(p []byte) (int, error) {
	if f.off >= f.n {
		return 0, errDisk
	}
	k := copy(p[:min(len(p), f.n-f.off)], f.data[f.off:])
	f.off += k
	return k, nil
}

func TestReadFailuresAreNotPermanent(t *testing.T) {
	for name, data := range map[string][]byte{"types.xlsx": typesXLSX(), "many_rows.xls": manyRowsXLS(), "biff3.xls": biff3XLS(), "biff4w.xls": biff4wXLS()} {
		for _, local := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s local %v", name, local), func(t *testing.T) {
				src := &failing{data: data, n: len(data) / 2}
				in := &format.Input{Path: name, R: src}
				if local {
					in.ReaderAt, in.Size = src, int64(len(data))
				}
				err := newReader(t, format.Options{}).Read(t.Context(), in, &formattest.Recorder{})
				if !errors.Is(err, errDisk) || format.IsPermanent(err) || !strings.Contains(err.Error(), name) {
					t.Errorf("Read = %v, want the read failure, naming the file, not permanent", err)
				}
			})
		}
	}
}

// TestTestdataInputsAreSmall keeps the generated inputs small
// enough to check in and to seed the fuzzers with.
func TestTestdataInputsAreSmall(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join("testdata", "*.xls*"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Size() > 64<<10 {
			t.Errorf("%s is %d bytes: keep test inputs under 64 KiB", p, fi.Size())
		}
	}
}

func TestReadStopsOnAWriterError(t *testing.T) {
	boom := errors.New("destination full")
	w := &stopWriter{err: boom}
	err := newReader(t, format.Options{}).Read(t.Context(), &format.Input{Path: "m.xls", R: bytes.NewReader(manyRowsXLS())}, w)
	if !errors.Is(err, boom) || w.rows != 1 {
		t.Fatalf("Read = %v after %d rows, want the writer's error after 1", err, w.rows)
	}
	var fe *format.FileError
	if errors.As(err, &fe) {
		t.Errorf("the writer's error came back as a file error: %v", err)
	}
}

type stopWriter struct {
	formattest.Recorder
	err  error
	rows int
}

func (w *stopWriter) Row(line int64, cells []record.Cell) error {
	w.rows++
	return w.err
}
