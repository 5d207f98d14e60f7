package formattest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/filedge/filedge/pkg/format"
	"github.com/filedge/filedge/pkg/record"
)

// lines is a minimal well-behaved format for the suite to check: each line
// is a row of one column, "line"; a line "bad" is a row error.
type lines struct{}

func (lines) Read(ctx context.Context, in *format.Input, w format.Writer) error {
	if err := w.Begin("", []format.Column{{Name: "line"}}); err != nil {
		return err
	}
	br := bufio.NewReader(in.R)
	cells := make([]record.Cell, 1)
	for n := int64(1); ; n++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		line, err := br.ReadString('\n')
		if errors.Is(err, io.EOF) && line == "" {
			return nil
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		line = strings.TrimSuffix(line, "\n")
		if line == "bad" {
			if err := w.RowError(&format.RowError{File: in.Path, Line: n, Err: errors.New("bad line")}); err != nil {
				return err
			}
			continue
		}
		cells[0] = record.Cell{Text: line, Kind: record.Text}
		if err := w.Row(n, cells); err != nil {
			return err
		}
	}
}

func init() {
	format.Register(format.Info{Code: "formattest-lines", Label: "Lines", Extensions: []string{".formattest-lines"}},
		func(format.Options) (format.Reader, error) { return lines{}, nil })
}

// deaf reads like lines but looks at its context only once it has
// written every row: it returns context.Canceled, too late.
type deaf struct{}

func (deaf) Read(ctx context.Context, in *format.Input, w format.Writer) error {
	if err := (lines{}).Read(context.WithoutCancel(ctx), in, w); err != nil {
		return err
	}
	return ctx.Err()
}

func init() {
	format.Register(format.Info{Code: "formattest-deaf", Label: "Deaf lines", Extensions: []string{".formattest-deaf"}},
		func(format.Options) (format.Reader, error) { return deaf{}, nil })
}

// manyLines is a finite input of n lines.
func manyLines(n int) []byte { return []byte(strings.Repeat("c\n", n)) }

func TestCancelCaseCatchesAReaderThatReadsToTheEnd(t *testing.T) {
	c := Case{Name: "large", Input: manyLines(1000), Cancel: true}
	open := func() io.Reader { return strings.NewReader(string(c.Input)) }
	if p := cancelProblems(t, "formattest-lines", c, open, 1000); len(p) != 0 {
		t.Errorf("a reader that stops is blamed: %q", p)
	}
	p := cancelProblems(t, "formattest-deaf", c, open, 1000)
	if len(p) != 1 || !strings.Contains(p[0], "still wrote all 1000 rows") {
		t.Errorf("problems = %q, want one saying it wrote all 1000 rows", p)
	}
}

func TestRunPassesAWellBehavedReader(t *testing.T) {
	Run(t, "formattest-lines",
		Case{Name: "endless", Input: []byte("a\n"), Repeat: []byte("b\n")},
		Case{Name: "large", Input: manyLines(10000), Cancel: true},
		Case{
			Name:  "two lines and a bad one",
			Input: []byte("x\nbad\ny\n"),
			Want: &Result{
				Tables: []Table{{
					Columns: []Column{{Name: "line"}},
					Rows:    []Row{{Line: 1, Cells: []Cell{{Text: "x", Kind: record.Text}}}, {Line: 3, Cells: []Cell{{Text: "y", Kind: record.Text}}}},
				}},
				RowErrors: []RowError{{Line: 2, Error: "bad line"}},
			},
		},
		Case{
			Name:          "fail on row error",
			Input:         []byte("bad\n"),
			FailRowErrors: true,
			Want: &Result{
				Tables:    []Table{{Columns: []Column{{Name: "line"}}, Rows: []Row{}}},
				RowErrors: []RowError{{Line: 1, Error: "bad line"}},
				Error:     "fail on row error:1: bad line",
			},
		},
	)
}

func TestRecorderFlagsContractBreaches(t *testing.T) {
	tests := []struct {
		name  string
		write func(r *Recorder)
		want  string
	}{
		{"row before begin", func(r *Recorder) { r.Row(1, nil) }, "before Begin"},
		{"too few cells", func(r *Recorder) {
			r.Begin("", []format.Column{{Name: "a"}, {Name: "b"}})
			r.Row(1, []record.Cell{{}})
		}, "has 1 cells"},
		{"line zero", func(r *Recorder) {
			r.Begin("", nil)
			r.Row(0, nil)
		}, "lines count from 1"},
		{"null with text", func(r *Recorder) {
			r.Begin("", []format.Column{{Name: "a"}})
			r.Row(1, []record.Cell{{Text: "x", Kind: record.Null}})
		}, "is null but has text"},
		{"columns reordered on a second begin", func(r *Recorder) {
			r.Begin("", []format.Column{{Name: "a"}, {Name: "b"}})
			r.Begin("", []format.Column{{Name: "b"}, {Name: "a"}, {Name: "c"}})
		}, "must keep"},
		{"table begun again after another", func(r *Recorder) {
			r.Begin("s1", nil)
			r.Begin("s2", nil)
			r.Begin("s1", nil)
		}, "after another table"},
		{"row error naming another file", func(r *Recorder) {
			r.RowError(&format.RowError{File: "other", Line: 1, Err: errors.New("x")})
		}, `names file "other"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &Recorder{Path: "f"}
			tt.write(r)
			if len(r.Violations) != 1 || !strings.Contains(r.Violations[0], tt.want) {
				t.Errorf("violations %q, want one saying %q", r.Violations, tt.want)
			}
		})
	}
}

func TestRecorderAcceptsColumnsAppendedAndCopiesText(t *testing.T) {
	r := &Recorder{}
	buf := []byte("abc")
	r.Begin("", []format.Column{{Name: "a"}})
	r.Row(1, []record.Cell{{Text: string(buf), Kind: record.Text}})
	r.Begin("", []format.Column{{Name: "a"}, {Name: "b", Type: record.JSON}})
	r.Row(2, []record.Cell{{}, {Text: "{}", Kind: record.Document}})
	if len(r.Violations) != 0 {
		t.Fatalf("violations: %q", r.Violations)
	}
	tbl := r.Result.Tables[0]
	if len(r.Result.Tables) != 1 || len(tbl.Columns) != 2 || len(tbl.Rows) != 2 {
		t.Fatalf("recorded %+v", r.Result)
	}
}

func TestResultEncodingRoundTrips(t *testing.T) {
	res := &Result{
		Tables: []Table{
			{Name: "s", Columns: []Column{{Name: "a"}, {Name: "j", Type: record.JSON}}, Rows: []Row{
				{Line: 1, Cells: []Cell{{Text: "1", Kind: record.Text}, {Kind: record.Null}}},
				{Line: 2, Cells: []Cell{{Text: "x\"", Kind: record.Quoted}, {Text: "[1]", Kind: record.Document}}},
				{Line: 3, Cells: []Cell{{Text: "1.5", Kind: record.Number}, {Text: "true", Kind: record.Bool}}},
			}},
			{Name: "empty", Columns: []Column{}, Rows: []Row{}},
		},
		RowErrors: []RowError{{Table: "s", Line: 4, Column: "a", Error: "bad"}},
		Issues:    []string{"column dropped"},
		Error:     "f:5: broken",
	}
	enc := res.Encode()
	back, err := DecodeResult(enc)
	if err != nil {
		t.Fatalf("%v\n%s", err, enc)
	}
	if again := back.Encode(); string(again) != string(enc) {
		t.Errorf("round trip changed the result:\n%s\n%s", enc, again)
	}
	if _, err := DecodeResult([]byte(`{"tables":[{"name":"","columns":[],"rows":[{"line":1,"cells":[{"odd":"x"}]}]}]}`)); err == nil {
		t.Error("a cell of unknown kind decoded")
	}
}

// failTB records what CheckError reports.
type failTB struct {
	testing.TB
	errs []string
}

func (f *failTB) Helper() {}
func (f *failTB) Errorf(format string, args ...any) {
	f.errs = append(f.errs, fmt.Sprintf(format, args...))
}

func TestCheckErrorAcceptsOnlyRowAndFileErrorsNamingTheFile(t *testing.T) {
	tests := []struct {
		name string
		err  error
		ok   bool
	}{
		{"nil", nil, true},
		{"cancelled", fmt.Errorf("x: %w", context.Canceled), true},
		{"row error", &format.RowError{File: "f", Line: 1, Err: errors.New("x")}, true},
		{"file error", &format.FileError{File: "f", Err: errors.New("x")}, true},
		{"row error of another file", &format.RowError{File: "g", Err: errors.New("x")}, false},
		{"reader panic", &format.FileError{File: "f", Err: errors.New("reader panicked: boom")}, false},
		{"plain error", errors.New("x"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tb := &failTB{TB: t}
			CheckError(tb, "f", tt.err)
			if ok := len(tb.errs) == 0; ok != tt.ok {
				t.Errorf("CheckError(%v) reported %q", tt.err, tb.errs)
			}
		})
	}
}
