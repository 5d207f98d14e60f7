package csv

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"

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
	d          dialect
	max        int // cap on one record
	maxField   int // cap on one field
	skipHead   int
	skipFoot   int
	headerless bool
}

// New returns a Reader for opts. It reads these settings, and rejects
// values that cannot work:
//
//   - Delimiter: one character or several ("||"), taken as written (a
//     pipeline's "\t" and "\s" are decoded by pkg/config), or "" to infer
//     it (a ".tsv" file is then tab-separated and a ".psv" file
//     pipe-separated);
//   - QuoteChar (default '"', or format.NoQuote for none) and EscapeChar
//     (none by default), one ASCII character each;
//   - NullSequence, a field value read as null;
//   - SkipHeaderLines and SkipFooterLines (at most 10000);
//   - Headerless;
//   - LineSeparator, the end of a line ("" or "\n" for LF or CRLF);
//   - MaxLineBytes and MaxFieldBytes (0 means the format package's
//     defaults).
func New(opts format.Options) (format.Reader, error) {
	d, err := newDialect(opts)
	if err != nil {
		return nil, err
	}
	r := &Reader{d: d, max: opts.MaxLineBytes, maxField: opts.MaxFieldBytes,
		skipHead: opts.SkipHeaderLines, skipFoot: opts.SkipFooterLines, headerless: opts.Headerless}
	switch {
	case r.max < 0:
		return nil, fmt.Errorf("csv: max line bytes %d is negative", r.max)
	case r.maxField < 0:
		return nil, fmt.Errorf("csv: max field bytes %d is negative", r.maxField)
	case r.skipHead < 0:
		return nil, fmt.Errorf("csv: skip_header_lines %d is negative", r.skipHead)
	case r.skipFoot < 0:
		return nil, fmt.Errorf("csv: skip_footer_lines %d is negative", r.skipFoot)
	case r.skipFoot > maxFooterLines:
		return nil, fmt.Errorf("csv: skip_footer_lines %d is more than %d", r.skipFoot, maxFooterLines)
	}
	if r.max == 0 {
		r.max = format.DefaultMaxLineBytes
	}
	if r.maxField == 0 {
		r.maxField = format.DefaultMaxFieldBytes
	}
	return r, nil
}

// Read reads the file's header and rows into table "" of w.
//
// The first SkipHeaderLines lines are skipped as they are (quotes mean
// nothing in them). Then the first row that is not blank is the header;
// blank rows before it are skipped. A row is blank when it is one unquoted
// field of white space or nothing: an empty line. A row with a delimiter
// or a quoted field is not blank, even when all its fields are empty
// (",,", "\"\""): as a header it has no names, its columns are named as
// record.Names names empty names (column_0 ... column_n), an issue says so,
// and every row after it loads. A file with no row that is not blank
// (empty, or only a byte order mark and white space) declares table "" with
// no columns and writes no rows. A headerless file has columns column_0 ... column_n, as
// many as its first row that is not blank has fields, and that row is the
// first row. After the header, a blank line is a row of nulls, a short row
// is padded with nulls, and a row with more fields than the header is a
// row error, unless its extra fields are all empty and unquoted (a
// trailing delimiter), which are dropped. An empty field is null unless it
// was quoted: "" is a record.Empty cell, the empty string (as in
// PostgreSQL's COPY). An unquoted field equal to the null sequence is null
// too. The last SkipFooterLines records are dropped, rows
// and row errors alike. A field longer than MaxFieldBytes is a row error.
//
// Cells' text shares the reader's buffers: it is valid until Row returns.
func (r *Reader) Read(ctx context.Context, in *format.Input, w format.Writer) error {
	br := bufio.NewReaderSize(in.R, bufferSize)
	if err := format.SkipBOM(br); err != nil {
		return fmt.Errorf("%s: %w", in.Path, err)
	}
	p := newParser(br, r.d, r.max)
	if err := p.skipLines(r.skipHead); err != nil {
		return fmt.Errorf("%s: line %d: %w", in.Path, p.line+1, err)
	}
	if p.d.comma == nil {
		comma, err := r.delimiter(in.Path, br)
		if err != nil {
			return fmt.Errorf("%s: %w", in.Path, err)
		}
		p.d.setComma([]byte{comma})
	}
	t := table{path: in.Path, p: p, w: w, headerless: r.headerless}
	if r.maxField < r.max {
		t.maxField = r.maxField
	}
	if r.skipFoot > 0 {
		t.ring = &footer{slots: make([]held, r.skipFoot)}
	}
	return t.read(ctx)
}

// delimiter returns the delimiter of the file at name read by br: the one
// its extension implies, or the one its first records use; never one that
// clashes with the quote or escape character or the line separator.
func (r *Reader) delimiter(name string, br *bufio.Reader) (byte, error) {
	switch strings.ToLower(path.Ext(name)) {
	case ".tsv":
		if r.d.fits('\t') {
			return '\t', nil
		}
	case ".psv":
		if r.d.fits('|') {
			return '|', nil
		}
	}
	data, err := br.Peek(sniffBytes)
	switch {
	case err == nil || errors.Is(err, bufio.ErrBufferFull):
		return sniff(data, false, &r.d), nil
	case errors.Is(err, io.EOF):
		return sniff(data, true, &r.d), nil
	default:
		return 0, err
	}
}

// table reads one file's records into w.
type table struct {
	path       string
	p          *parser
	w          format.Writer
	headerless bool
	maxField   int     // cap on one field, 0 when the record cap covers it
	ring       *footer // the records held back, nil when none are
	cols       []format.Column
	cells      []record.Cell
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
		case err == nil || errors.Is(err, errTooLong):
		case errors.Is(err, io.EOF):
			return nil
		case errors.As(err, new(*syntaxError)):
		case errors.Is(err, errUnterminated):
			return t.fileError(line, err)
		default:
			return fmt.Errorf("%s: line %d: %w", t.path, line, err)
		}
		if err := t.take(line, err); err != nil {
			return err
		}
	}
}

// header reads up to the first record that is not blank and declares its
// fields as the columns (or, headerless, as many columns as it has fields,
// and takes it as the first row), or declares no columns at the end of
// the file.
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
		case err != nil && t.headerless && isRecordError(err):
			// No width yet: the record is an error of no column.
			if err := t.rowError(line, "", t.cause(err)); err != nil {
				return err
			}
			continue
		case err != nil:
			return t.fileError(line, err)
		}
		if t.p.cur.blank() {
			continue
		}
		t.cells = t.p.cur.cells(t.cells[:0], t.p.cur.count())
		if t.headerless {
			t.cols = make([]format.Column, len(t.cells))
			for i := range t.cols {
				t.cols[i].Name = "column_" + strconv.Itoa(i)
			}
		} else {
			if t.maxField > 0 && t.p.cur.longer(t.maxField) >= 0 {
				return &format.FileError{File: t.path, Line: line, Err: fmt.Errorf("header: field is longer than %d bytes (max field bytes)", t.maxField)}
			}
			t.cols = format.HeaderColumns(t.cells)
			if unnamed(t.cols) {
				t.w.Issue(unnamedIssue(line, len(t.cols)))
			}
		}
		t.cells = make([]record.Cell, len(t.cols))
		if err := t.w.Begin("", t.cols); err != nil {
			return err
		}
		if t.headerless {
			return t.take(line, nil)
		}
		return nil
	}
}

// unnamed reports whether no column of a header has a name: every field
// is empty or white space (",,", "\"\"").
func unnamed(cols []format.Column) bool {
	for _, c := range cols {
		if strings.TrimSpace(c.Name) != "" {
			return false
		}
	}
	return true
}

// unnamedIssue says that the header on line has n fields and no name, and
// what its columns are called: column_0 ... column_<n-1>, the names
// record.Names gives empty names, and those a headerless read gives.
func unnamedIssue(line int64, n int) string {
	if n == 1 {
		return fmt.Sprintf("the header row (line %d) is empty: its column is named column_0", line)
	}
	return fmt.Sprintf("the header row (line %d) is empty: columns named column_0..column_%d", line, n-1)
}

// isRecordError reports whether err is about one record, which the parser
// has stepped over.
func isRecordError(err error) bool {
	return errors.Is(err, errTooLong) || errors.As(err, new(*syntaxError))
}

// take takes the record the parser just read, which starts on line, or
// the error that the parser met reading it: it writes it, or, when
// records are held back for the footer, holds it back and writes the
// oldest one held, if the footer is full.
func (t *table) take(line int64, err error) error {
	if t.ring == nil {
		return t.write(line, err, &t.p.cur)
	}
	h := &t.ring.slots[t.ring.next]
	if t.ring.full {
		if err := t.write(h.line, h.err, &h.f); err != nil {
			return err
		}
	}
	h.line, h.err = line, err
	h.f.copyFrom(&t.p.cur)
	t.ring.next++
	if t.ring.next == len(t.ring.slots) {
		t.ring.next, t.ring.full = 0, true
	}
	return nil
}

// footer holds back the last records read: a ring of as many as the file
// has footer lines.
type footer struct {
	slots []held
	next  int  // the slot the next record goes to, the oldest when full
	full  bool // every slot holds a record
}

// held is a record held back: the line it starts on and its fields, or the
// error the parser met reading it.
type held struct {
	line int64
	err  error
	f    fields
}

// write writes the record f, which starts on line, or reports err, the
// parser's error for that record.
func (t *table) write(line int64, err error, f *fields) error {
	if err != nil {
		return t.fail(line, err)
	}
	n, width := f.count(), len(t.cols)
	if n > width && !f.emptyFrom(width) {
		if t.headerless {
			return t.rowError(line, "", fmt.Errorf("row has %d fields, the first row has %d", n, width))
		}
		return t.rowError(line, "", fmt.Errorf("row has %d fields, header has %d", n, width))
	}
	if t.maxField > 0 {
		if i := f.longer(t.maxField); i >= 0 && i < width {
			return t.rowError(line, t.cols[i].Name, fmt.Errorf("field is longer than %d bytes (max field bytes)", t.maxField))
		}
	}
	f.cells(t.cells[:0], width)
	return t.w.Row(line, t.cells)
}

// fail reports a record the parser could not read.
func (t *table) fail(line int64, err error) error {
	var se *syntaxError
	col := ""
	if errors.As(err, &se) && se.field < len(t.cols) {
		col = t.cols[se.field].Name
	}
	return t.rowError(line, col, t.cause(err))
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
	switch {
	case errors.Is(err, errUnterminated):
		return &format.FileError{File: t.path, Line: line, Err: fmt.Errorf("%w (missing %c)", err, t.p.d.quote)}
	case isRecordError(err):
		return &format.FileError{File: t.path, Line: line, Err: fmt.Errorf("header: %w", t.cause(err))}
	}
	return fmt.Errorf("%s: line %d: %w", t.path, line, err)
}
