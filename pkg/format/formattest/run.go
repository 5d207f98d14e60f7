package formattest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/filedge/filedge/pkg/format"
	"github.com/filedge/filedge/pkg/record"
)

var update = flag.Bool("update", false, "formattest: rewrite the golden files in testdata from what the readers write")

// Golden file names: the input testdata/NAME is read with the options in
// testdata/NAME.options.json, if there is one (a JSON format.Options, such
// as {"Delimiter": ";"}), and what the reader writes must match
// testdata/NAME.golden.json.
const (
	goldenSuffix  = ".golden.json"
	optionsSuffix = ".options.json"
)

// Case is one input for Run.
type Case struct {
	// Name names the subtest, and is the file name the reader is given
	// (its extension can matter).
	Name    string
	Input   []byte
	Options format.Options
	// FailRowErrors stops the reader at its first row error, as on_error:
	// fail does.
	FailRowErrors bool
	// Want is what the reader must write; nil checks only that it reads
	// the input without breaking the contract.
	Want *Result
	// Repeat, when set, is appended to Input again and again to make a file
	// that never ends. Run reads it to prove that the reader stops when
	// its context is cancelled. At least one case needs it or Cancel.
	Repeat []byte
	// Cancel marks a large finite Input that Run uses, as it uses Repeat,
	// to prove that the reader stops when its context is cancelled: for
	// formats whose index is at the end (Parquet, .xlsx), which cannot be
	// read from a stream that never ends. Cancelled at its first row, the
	// reader must return context.Canceled before it has written every row
	// of Input.
	Cancel bool
}

// Run checks the reader of the format registered as code: it is found by
// code and by each of its extensions; an empty input neither panics nor
// fails with anything but a *format.FileError; it stops on a cancelled
// context, before and while it reads; a writer that panics is recovered by
// format.Guard; and each case, and each golden case in ./testdata, reads as
// wanted without breaking the Writer contract. Run with -update, it
// rewrites the golden files instead of comparing them.
func Run(t *testing.T, code string, cases ...Case) {
	t.Helper()
	t.Run("Registered", func(t *testing.T) { checkRegistered(t, code) })
	t.Run("EmptyInput", func(t *testing.T) {
		rec, err := Read(t.Context(), code, "empty", format.Options{}, nil, false)
		checkRead(t, "empty", rec, err)
	})
	t.Run("Cancel", func(t *testing.T) {
		n := 0
		for _, c := range cases {
			switch {
			case c.Repeat != nil:
				n++
				checkCancel(t, code, c, func() io.Reader { return &endless{head: c.Input, body: c.Repeat} }, 0)
			case c.Cancel:
				n++
				rec, err := Read(t.Context(), code, c.Name, c.Options, c.Input, c.FailRowErrors)
				if err != nil {
					t.Fatalf("%s: %v", c.Name, err)
				}
				rows := 0
				for _, tb := range rec.Result.Tables {
					rows += len(tb.Rows)
				}
				if rows < 2 {
					t.Fatalf("%s: %d rows; a Cancel case needs many", c.Name, rows)
				}
				checkCancel(t, code, c, func() io.Reader { return bytes.NewReader(c.Input) }, rows)
			}
		}
		if n == 0 {
			t.Error("no case has Repeat or Cancel: cannot check that the reader honours cancellation")
		}
	})
	golden := goldenCases(t)
	t.Run("PanickingWriter", func(t *testing.T) {
		for _, c := range append(cases, golden...) {
			checkPanic(t, code, c)
		}
	})
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			rec, err := Read(t.Context(), code, c.Name, c.Options, c.Input, c.FailRowErrors)
			checkRead(t, c.Name, rec, err)
			if c.Want != nil {
				compare(t, c.Want, &rec.Result)
			}
		})
	}
	t.Run("Golden", func(t *testing.T) {
		for _, c := range golden {
			t.Run(c.Name, func(t *testing.T) {
				rec, err := Read(t.Context(), code, c.Name, c.Options, c.Input, c.FailRowErrors)
				checkRead(t, c.Name, rec, err)
				checkGolden(t, filepath.Join("testdata", c.Name+goldenSuffix), &rec.Result)
			})
		}
	})
}

// Read reads input as the file name with the format registered as code,
// under format.Guard, into a Recorder, and returns the recorder and the
// error the reader returned (also in the recorder's Result.Error).
func Read(ctx context.Context, code, name string, opts format.Options, input []byte, failRowErrors bool) (*Recorder, error) {
	rec := &Recorder{Path: name, FailRowErrors: failRowErrors}
	err := ReadTo(ctx, code, name, opts, bytes.NewReader(input), rec)
	if err != nil {
		rec.Result.Error = err.Error()
	}
	return rec, err
}

// ReadTo reads r as the file name with the format registered as code,
// under format.Guard, into w.
func ReadTo(ctx context.Context, code, name string, opts format.Options, r io.Reader, w format.Writer) error {
	_, factory, ok := format.Lookup(code)
	if !ok {
		return errors.New("formattest: no format registered as " + code)
	}
	reader, err := factory(opts)
	if err != nil {
		return err
	}
	return format.Guard(ctx, reader, &format.Input{Path: name, R: r}, w)
}

// CheckError fails t unless err is nil, a cancellation, or a
// *format.RowError or *format.FileError that names the file name.
func CheckError(t testing.TB, name string, err error) {
	t.Helper()
	var re *format.RowError
	var fe *format.FileError
	switch {
	case err == nil, errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
	case errors.As(err, &fe):
		if fe.File != name {
			t.Errorf("file error %q names file %q, want %q", err, fe.File, name)
		}
		if strings.Contains(fe.Err.Error(), "reader panicked") {
			t.Errorf("reader panicked: %v", err)
		}
	case errors.As(err, &re):
		if re.File != name {
			t.Errorf("row error %q names file %q, want %q", err, re.File, name)
		}
	default:
		t.Errorf("error %q (%T) is neither a *format.RowError nor a *format.FileError", err, err)
	}
}

// checkRead fails t if a read broke the Writer contract or failed with an
// error other than a row or file error naming the file.
func checkRead(t testing.TB, name string, rec *Recorder, err error) {
	t.Helper()
	CheckError(t, name, err)
	for _, v := range rec.Violations {
		t.Errorf("writer contract broken: %s", v)
	}
	if len(rec.Result.Tables) == 0 && err == nil {
		t.Errorf("read with no error declared no table: even an empty file begins one")
	}
}

func checkRegistered(t *testing.T, code string) {
	info, factory, ok := format.Lookup(code)
	if !ok || factory == nil {
		t.Fatalf("format %q is not registered", code)
	}
	if info.Code != code {
		t.Errorf("Lookup(%q) returned code %q", code, info.Code)
	}
	if info.Label == "" {
		t.Errorf("format %q has no label", code)
	}
	if _, err := factory(format.Options{}); err != nil {
		t.Errorf("factory with default options: %v", err)
	}
	for _, ext := range info.Extensions {
		for _, p := range []string{"file" + ext, "dir/FILE" + strings.ToUpper(ext)} {
			if got, _, ok := format.ForPath(p); !ok || got.Code != code {
				t.Errorf("ForPath(%q) = %q, %v; want %q", p, got.Code, ok, code)
			}
		}
	}
}

// endless is a file that starts with head and repeats body for ever.
type endless struct {
	head, body []byte
	off        int
}

func (e *endless) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if len(e.head) > 0 {
			k := copy(p[n:], e.head)
			e.head = e.head[k:]
			n += k
			continue
		}
		k := copy(p[n:], e.body[e.off:])
		e.off = (e.off + k) % len(e.body)
		n += k
	}
	return n, nil
}

// cancelWriter cancels a context at the first row it is given.
type cancelWriter struct {
	Recorder
	cancel context.CancelFunc
	rows   int
}

func (w *cancelWriter) Row(line int64, cells []record.Cell) error {
	w.rows++
	w.cancel()
	if w.rows > 1e6 {
		return errors.New("formattest: reader goes on writing rows after its context was cancelled")
	}
	return nil
}

// checkCancel reads the input open returns with a context cancelled
// before the read, and with one cancelled at the first row. total is the
// number of rows of a finite input, which the reader must not all write;
// 0 for an endless one.
func checkCancel(t *testing.T, code string, c Case, open func() io.Reader, total int) {
	t.Run(c.Name, func(t *testing.T) {
		for _, p := range cancelProblems(t, code, c, open, total) {
			t.Error(p)
		}
	})
}

// cancelProblems returns what checkCancel finds wrong.
func cancelProblems(t testing.TB, code string, c Case, open func() io.Reader, total int) []string {
	var problems []string
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	err := readWithin(t, 10*time.Second, func() error {
		return ReadTo(ctx, code, c.Name, c.Options, open(), &Recorder{})
	})
	if !errors.Is(err, context.Canceled) {
		problems = append(problems, fmt.Sprintf("read with a cancelled context returned %v, want context.Canceled", err))
	}

	ctx, cancel = context.WithCancel(t.Context())
	defer cancel()
	w := &cancelWriter{cancel: cancel}
	err = readWithin(t, 10*time.Second, func() error {
		return ReadTo(ctx, code, c.Name, c.Options, open(), w)
	})
	if !errors.Is(err, context.Canceled) {
		problems = append(problems, fmt.Sprintf("read cancelled at its first row returned %v, want context.Canceled", err))
	}
	if w.rows == 0 {
		problems = append(problems, "the reader wrote no row before it was cancelled")
	}
	if total > 0 && w.rows >= total {
		problems = append(problems, fmt.Sprintf("cancelled at its first row, the reader still wrote all %d rows", total))
	}
	return problems
}

// readWithin runs read and returns its error, failing t if it runs longer
// than d.
func readWithin(t testing.TB, d time.Duration, read func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- read() }()
	select {
	case err := <-done:
		return err
	case <-time.After(d):
		t.Fatalf("the reader did not return within %v", d)
		return nil
	}
}

// panicWriter panics in Begin, or in Row when row is set.
type panicWriter struct {
	Recorder
	row bool
}

func (w *panicWriter) Begin(table string, cols []format.Column) error {
	if !w.row {
		panic("formattest: writer panics in Begin")
	}
	return w.Recorder.Begin(table, cols)
}

func (w *panicWriter) Row(line int64, cells []record.Cell) error {
	panic("formattest: writer panics in Row")
}

func checkPanic(t *testing.T, code string, c Case) {
	for _, inRow := range []bool{false, true} {
		w := &panicWriter{row: inRow}
		var err error
		func() {
			defer func() {
				if p := recover(); p != nil {
					t.Errorf("%s: a panic in the writer escaped format.Guard: %v", c.Name, p)
				}
			}()
			err = ReadTo(t.Context(), code, c.Name, c.Options, bytes.NewReader(c.Input), w)
		}()
		var fe *format.FileError
		switch {
		case err == nil:
			if !inRow {
				t.Errorf("%s: the writer panicked in Begin, yet the read returned no error", c.Name)
			}
		case !errors.As(err, &fe):
			t.Errorf("%s: a writer panic came back as %v (%T), want a *format.FileError", c.Name, err, err)
		case fe.File != c.Name:
			t.Errorf("%s: the file error for a writer panic names %q", c.Name, fe.File)
		}
	}
}

// goldenCases lists the inputs in ./testdata that have a golden file.
func goldenCases(t *testing.T) []Case {
	entries, err := os.ReadDir("testdata")
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var cases []Case
	for _, e := range entries {
		name := e.Name()
		if !e.Type().IsRegular() || strings.HasSuffix(name, goldenSuffix) || strings.HasSuffix(name, optionsSuffix) {
			continue
		}
		input, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		c := Case{Name: name, Input: input}
		if b, err := os.ReadFile(filepath.Join("testdata", name+optionsSuffix)); err == nil {
			var o struct {
				format.Options
				FailRowErrors bool
			}
			dec := json.NewDecoder(bytes.NewReader(b))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&o); err != nil {
				t.Fatalf("%s%s: %v", name, optionsSuffix, err)
			}
			c.Options, c.FailRowErrors = o.Options, o.FailRowErrors
		} else if !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
		if _, err := os.Stat(filepath.Join("testdata", name+goldenSuffix)); err != nil && !*update {
			t.Errorf("testdata/%s has no golden file %s%s (run go test -update to write it)", name, name, goldenSuffix)
			continue
		}
		cases = append(cases, c)
	}
	return cases
}

// checkGolden compares got with the golden file path, or rewrites the file
// under -update.
func checkGolden(t *testing.T, path string, got *Result) {
	t.Helper()
	enc := got.Encode()
	if *update {
		if err := os.WriteFile(path, enc, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want, err := DecodeResult(b)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if w := want.Encode(); !bytes.Equal(w, enc) {
		t.Errorf("%s: the reader wrote something else (go test -update rewrites it):\n%s", path, diff(w, enc))
	}
}

// compare fails t when got is not want.
func compare(t *testing.T, want, got *Result) {
	t.Helper()
	if w, g := want.Encode(), got.Encode(); !bytes.Equal(w, g) {
		t.Errorf("the reader wrote something else:\n%s", diff(w, g))
	}
}

// diff shows the lines where two encoded results part.
func diff(want, got []byte) string {
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
