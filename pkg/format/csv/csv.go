package csv

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"unicode/utf8"

	"github.com/filedge/filedge/pkg/format"
	"github.com/filedge/filedge/pkg/record"
)

func init() {
	format.Register(format.Info{
		Code:       "csv",
		Label:      "Delimited text",
		Extensions: []string{".csv", ".tsv", ".txt", ".psv"},
	}, New)
}

// bufferSize is the size of the reader's read buffer; a line longer than
// that is gathered in a second buffer, up to the record cap.
const bufferSize = 64 << 10

// checkEvery is how many rows the reader writes between two looks at its
// context.
const checkEvery = 1024

// Reader reads delimited text. Make one with New.
type Reader struct {
	comma byte // 0: infer it
	max   int
}

// New returns a Reader for opts. opts.Delimiter is one single-byte
// character, "\t" or "tab" for a tab, or "" to infer it (a ".tsv" file is
// then tab-separated and a ".psv" file pipe-separated). opts.MaxLineBytes
// caps one record (0 means format.DefaultMaxLineBytes).
func New(opts format.Options) (format.Reader, error) {
	comma, err := parseDelimiter(opts.Delimiter)
	if err != nil {
		return nil, err
	}
	if opts.MaxLineBytes < 0 {
		return nil, fmt.Errorf("csv: max line bytes %d is negative", opts.MaxLineBytes)
	}
	max := opts.MaxLineBytes
	if max == 0 {
		max = format.DefaultMaxLineBytes
	}
	return &Reader{comma: comma, max: max}, nil
}

// parseDelimiter reads the delimiter setting; 0 means infer it.
func parseDelimiter(s string) (byte, error) {
	switch strings.ToLower(s) {
	case "":
		return 0, nil
	case `\t`, "tab":
		return '\t', nil
	}
	if utf8.RuneCountInString(s) > 1 {
		return 0, fmt.Errorf("csv: delimiter %q: multi-character delimiters are not supported (yet); use one character", s)
	}
	if len(s) > 1 {
		return 0, fmt.Errorf("csv: delimiter %q: only single-byte (ASCII) delimiters are supported", s)
	}
	switch c := s[0]; c {
	case '"', '\r', '\n':
		return 0, fmt.Errorf("csv: delimiter %q cannot be a quote or a line end", s)
	default:
		return c, nil
	}
}

// Read reads the file's header and rows into table "" of w.
//
// The first row that is not blank is the header; blank rows before it are
// skipped. A file with no such row (empty, or only a byte order mark and
// white space) declares table "" with no columns and writes no rows. After
// the header, a blank line is a row of nulls, a short row is padded with
// nulls, and a row with more fields than the header is a row error, unless
// its extra fields are all empty and unquoted (a trailing delimiter), which
// are dropped. An empty field is null unless it was quoted ("" is an empty
// string).
//
// Cells' text shares the reader's buffers: it is valid until Row returns.
func (r *Reader) Read(ctx context.Context, in *format.Input, w format.Writer) error {
	br := bufio.NewReaderSize(in.R, bufferSize)
	if err := format.SkipBOM(br); err != nil {
		return fmt.Errorf("%s: %w", in.Path, err)
	}
	comma, err := r.delimiter(in.Path, br)
	if err != nil {
		return fmt.Errorf("%s: %w", in.Path, err)
	}
	t := table{path: in.Path, p: newParser(br, comma, r.max), w: w}
	return t.read(ctx)
}

// delimiter returns the delimiter of the file at name read by br: the one
// set, the one its extension implies, or the one its first records use.
func (r *Reader) delimiter(name string, br *bufio.Reader) (byte, error) {
	if r.comma != 0 {
		return r.comma, nil
	}
	switch strings.ToLower(path.Ext(name)) {
	case ".tsv":
		return '\t', nil
	case ".psv":
		return '|', nil
	}
	data, err := br.Peek(sniffBytes)
	switch {
	case err == nil || errors.Is(err, bufio.ErrBufferFull):
		return sniff(data, false), nil
	case errors.Is(err, io.EOF):
		return sniff(data, true), nil
	default:
		return 0, err
	}
}

// table reads one file's records into w.
type table struct {
	path  string
	p     *parser
	w     format.Writer
	cols  []format.Column
	cells []record.Cell
}

func (t *table) read(ctx context.Context) error {
	if err := t.header(ctx); err != nil {
		return err
	}
	for n := 0; ; n++ {
		if n%checkEvery == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		line, err := t.p.read()
		switch {
		case err == nil:
			if err := t.row(line); err != nil {
				return err
			}
		case errors.Is(err, io.EOF):
			return nil
		default:
			if err := t.fail(line, err); err != nil {
				return err
			}
		}
	}
}

// header reads up to the first record that is not blank and declares its
// fields as the columns, or declares no columns at the end of the file.
func (t *table) header(ctx context.Context) error {
	for n := 0; ; n++ {
		if n%checkEvery == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		line, err := t.p.read()
		switch {
		case errors.Is(err, io.EOF):
			return t.w.Begin("", nil)
		case err != nil:
			return t.fileError(line, err)
		}
		t.cells = t.p.cells(t.cells[:0], t.p.fields())
		if format.BlankRow(t.cells) {
			continue
		}
		t.cols = format.HeaderColumns(t.cells)
		t.cells = make([]record.Cell, len(t.cols))
		return t.w.Begin("", t.cols)
	}
}

// row writes the record just read.
func (t *table) row(line int64) error {
	n, width := t.p.fields(), len(t.cols)
	if n > width && !t.p.emptyFrom(width) {
		return t.rowError(line, "", fmt.Errorf("row has %d fields, header has %d", n, width))
	}
	t.p.cells(t.cells[:0], width)
	return t.w.Row(line, t.cells)
}

// fail handles a record the parser could not read.
func (t *table) fail(line int64, err error) error {
	var se *syntaxError
	switch {
	case errors.As(err, &se):
		col := ""
		if se.field < len(t.cols) {
			col = t.cols[se.field].Name
		}
		return t.rowError(line, col, se)
	case errors.Is(err, errTooLong):
		return t.rowError(line, "", t.cause(err))
	case errors.Is(err, errUnterminated):
		return t.fileError(line, err)
	default:
		return fmt.Errorf("%s: line %d: %w", t.path, line, err)
	}
}

// cause explains a parser error for a message.
func (t *table) cause(err error) error {
	if errors.Is(err, errTooLong) {
		return fmt.Errorf("record is longer than %d bytes (max line bytes)", t.p.max)
	}
	return err
}

func (t *table) rowError(line int64, col string, err error) error {
	return t.w.RowError(&format.RowError{File: t.path, Line: line, Column: col, Err: err})
}

// fileError makes err, met at line while reading the header, or a quoted
// field left open, a *format.FileError, unless it is a read error.
func (t *table) fileError(line int64, err error) error {
	var se *syntaxError
	switch {
	case errors.Is(err, errUnterminated):
		return &format.FileError{File: t.path, Line: line, Err: err}
	case errors.Is(err, errTooLong) || errors.As(err, &se):
		return &format.FileError{File: t.path, Line: line, Err: fmt.Errorf("header: %w", t.cause(err))}
	}
	return fmt.Errorf("%s: line %d: %w", t.path, line, err)
}
