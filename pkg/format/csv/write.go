package csv

import (
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/filedge/filedge/pkg/format"
	"github.com/filedge/filedge/pkg/record"
)

// This init runs after the one in csv.go (the go tool hands a package's
// files to the compiler sorted by name, and init functions run in that
// order), so the reader is registered first, as RegisterWriter requires.
func init() {
	format.RegisterWriter("csv", func(w io.Writer, schema *arrow.Schema, opts format.Options) (format.RecordWriter, error) {
		return NewWriter(w, schema, opts)
	})
}

// writeFlushBytes is how much text the Writer gathers before it hands it to
// the underlying io.Writer in one Write.
const writeFlushBytes = 64 << 10

// Writer writes the record batches of one table as delimited text: a header
// row of the column names, then one record per row. Make one with
// NewWriter. It is not safe for concurrent use.
//
// Values are written so that the reader of this package, inferring types,
// reads the same values and types back, except for what untyped text
// cannot carry: a JSON column reads back as a string column of the same
// text; a string column whose every value looks like a number, a boolean,
// a date or a timestamp reads back as that type. An empty string is
// written "", which reads back as an empty string (and a null as an empty
// unquoted field, which reads back as a null). The values:
//
//   - Boolean: true or false.
//   - Integer: decimal digits, with '-' when negative.
//   - Float: the shortest text that parses back to the same float64, in
//     plain notation between 1e-6 and 1e21 and in exponent notation
//     outside ("1e+21", "1.5e-7"), with ".0" added to a whole number
//     ("3.0") so that it is not read back as an integer. NaN and the
//     infinities, which no column of ours holds as a number, are nulls.
//   - Date: 2006-01-02.
//   - Timestamp: RFC 3339 in UTC with microseconds,
//     2006-01-02T15:04:05.000000Z.
//   - Decimal: its exact digits with its scale after the point ("12.50",
//     "-0.01"), never through a float. Untyped text reads back as a float
//     (or an integer) unless the column is declared a decimal, as
//     pipeline.yaml's columns: does.
//   - String, JSON (its text) and columns of nulls only: the text, quoted
//     when needed.
//   - A null: an empty unquoted field, or the null sequence when one is
//     set.
//
// A field is quoted (RFC 4180: in the quote character, a quote inside
// written twice, or preceded by the escape character when one is set) when
// it is empty (so that it is not read as a null), when it holds a byte of
// the delimiter, the quote or escape character, CR, LF or a byte of the
// line separator, when it starts or ends with a space or a tab, when it
// starts with a byte order mark, or when it is the null sequence.
type Writer struct {
	out   io.Writer
	names []string

	delim  string
	quote  byte
	escape byte   // 0: quotes inside a field are doubled
	eol    string // line separator
	null   string // what a null is written as
	// special marks the bytes that make a field quoted.
	special [256]bool

	buf  []byte
	cols []format.WriteColumn
	rows int64 // rows written so far, for error messages
	err  error // the first error of the underlying writer; sticky
	done bool  // closed
}

// NewWriter returns a Writer that writes a table of the given schema to w,
// with these settings of opts (the others are ignored):
//
//   - Delimiter: "" for a comma, else the text itself: one character or
//     several ("||"). Settings are taken as written, as the reader takes
//     them: pkg/config has decoded `\t` and `\s` already.
//   - QuoteChar: "" for '"', or one ASCII character; format.NoQuote (none)
//     is refused, as a field holding a delimiter could not be written.
//   - EscapeChar: "" to double quotes inside quoted fields, or one ASCII
//     character written before a quote or itself inside quoted fields.
//   - NullSequence: written for a null instead of an empty field (such as
//     `\N`); a string equal to it is quoted.
//   - LineSeparator: "" for "\n", else the separator ("\r\n").
//   - Headerless: no header row.
//
// Every column must be typed as pkg/record makes them (see record.Field):
// a column of another Arrow type is an error. A file of zero columns has
// no header and no records. NewWriter writes nothing until the first Write
// or Close.
func NewWriter(w io.Writer, schema *arrow.Schema, opts format.Options) (*Writer, error) {
	if w == nil || schema == nil {
		return nil, errors.New("csv: NewWriter needs a writer and a schema")
	}
	cw := &Writer{out: w}
	if err := cw.configure(opts); err != nil {
		return nil, err
	}
	cw.names = make([]string, schema.NumFields())
	cw.cols = make([]format.WriteColumn, schema.NumFields())
	for i, f := range schema.Fields() {
		if _, err := format.WriteType(f); err != nil {
			return nil, fmt.Errorf("csv: %w", err)
		}
		cw.names[i] = f.Name
	}
	cw.buf = make([]byte, 0, writeFlushBytes+writeFlushBytes/4)
	if !opts.Headerless && len(cw.names) > 0 {
		for i, name := range cw.names {
			if i > 0 {
				cw.buf = append(cw.buf, cw.delim...)
			}
			cw.buf = cw.appendText(cw.buf, name)
		}
		cw.buf = append(cw.buf, cw.eol...)
	}
	return cw, nil
}

// configure reads the delimiter, quoting, null and line settings.
func (w *Writer) configure(opts format.Options) error {
	w.delim, w.eol = opts.Delimiter, opts.LineSeparator
	if w.delim == "" {
		w.delim = ","
	}
	if w.eol == "" {
		w.eol = "\n"
	}
	if opts.QuoteChar == format.NoQuote {
		return errors.New("csv: quote_char none: the writer quotes the fields that hold a delimiter, a quote or a line end; give it a quote character")
	}
	var err error
	if w.quote, err = writeChar("quote character", opts.QuoteChar, '"'); err != nil {
		return err
	}
	if w.escape, err = writeChar("escape character", opts.EscapeChar, 0); err != nil {
		return err
	}
	if w.escape == w.quote {
		w.escape = 0 // escaping a quote with a quote is doubling it
	}
	if !utf8.ValidString(w.delim) || strings.ContainsAny(w.delim, "\r\n") ||
		strings.IndexByte(w.delim, w.quote) >= 0 || (w.escape != 0 && strings.IndexByte(w.delim, w.escape) >= 0) {
		return fmt.Errorf("csv: delimiter %q cannot hold a quote or escape character or a line end", opts.Delimiter)
	}
	if strings.IndexByte(w.eol, w.quote) >= 0 || (w.escape != 0 && strings.IndexByte(w.eol, w.escape) >= 0) {
		return fmt.Errorf("csv: line separator %q cannot hold the quote or escape character", w.eol)
	}
	if strings.Contains(w.eol, w.delim) {
		return fmt.Errorf("csv: line separator %q cannot hold the delimiter %q", w.eol, w.delim)
	}
	for _, s := range []string{w.delim, w.eol, "\r\n", string(w.quote)} {
		for i := 0; i < len(s); i++ {
			w.special[s[i]] = true
		}
	}
	if w.escape != 0 {
		w.special[w.escape] = true
	}
	if opts.NullSequence != "" && w.quoted(opts.NullSequence) {
		return fmt.Errorf("csv: null sequence %q would need quotes, and a quoted field is a string: choose one without delimiters, quotes, line ends or surrounding spaces", opts.NullSequence)
	}
	w.null = opts.NullSequence
	return nil
}

// writeChar reads a quote or escape character setting: "" is def.
func writeChar(what, s string, def byte) (byte, error) {
	switch {
	case s == "":
		return def, nil
	case len(s) != 1 || s[0] >= utf8.RuneSelf || s[0] == '\r' || s[0] == '\n':
		return 0, fmt.Errorf("csv: %s %q: want one ASCII character other than a line end", what, s)
	}
	return s[0], nil
}

// Write writes the rows of rec. Its columns must have the names of the
// schema the Writer was made with, in the same order; their types may be
// wider than the schema's (a Builder widens a column from batch to batch),
// as each value is written as its batch types it. Write keeps no reference
// to rec.
func (w *Writer) Write(rec arrow.RecordBatch) error {
	switch {
	case w.err != nil:
		return w.err
	case w.done:
		return errors.New("csv: Write after Close")
	}
	defer clear(w.cols) // keep no reference to rec's arrays
	if err := w.bind(rec); err != nil {
		return err
	}
	n := int(rec.NumRows())
	if len(w.cols) == 0 {
		w.rows += int64(n)
		return nil
	}
	for i := range n {
		for j := range w.cols {
			if j > 0 {
				w.buf = append(w.buf, w.delim...)
			}
			w.buf = w.appendValue(w.buf, &w.cols[j], i)
		}
		w.buf = append(w.buf, w.eol...)
		if len(w.buf) >= writeFlushBytes {
			if err := w.flush(); err != nil {
				return err
			}
		}
	}
	w.rows += int64(n)
	return nil
}

// bind checks rec's columns against the schema and keeps their arrays.
func (w *Writer) bind(rec arrow.RecordBatch) error {
	if rec == nil {
		return errors.New("csv: Write of a nil batch")
	}
	if int(rec.NumCols()) != len(w.names) {
		return fmt.Errorf("csv: batch has %d columns, the file has %d", rec.NumCols(), len(w.names))
	}
	schema := rec.Schema()
	for j := range w.names {
		f := schema.Field(j)
		if f.Name != w.names[j] {
			return fmt.Errorf("csv: batch column %d is %q, the file's is %q", j+1, f.Name, w.names[j])
		}
		c, err := format.BindColumn(f, rec.Column(j))
		if err != nil {
			return fmt.Errorf("csv: %w", err)
		}
		w.cols[j] = c
	}
	return nil
}

// appendValue appends row i of column c as a field.
func (w *Writer) appendValue(dst []byte, c *format.WriteColumn, i int) []byte {
	switch c.Type {
	case record.Boolean:
		if c.Bool.IsNull(i) {
			return append(dst, w.null...)
		}
		if c.Bool.Value(i) {
			return append(dst, "true"...)
		}
		return append(dst, "false"...)
	case record.Integer:
		if c.Int.IsNull(i) {
			return append(dst, w.null...)
		}
		return strconv.AppendInt(dst, c.Int.Value(i), 10)
	case record.Float:
		v := c.Float.Value(i)
		if c.Float.IsNull(i) || math.IsNaN(v) || math.IsInf(v, 0) {
			return append(dst, w.null...)
		}
		return format.AppendFloat(dst, v)
	case record.Date:
		if c.Date.IsNull(i) {
			return append(dst, w.null...)
		}
		return format.AppendDate(dst, int64(c.Date.Value(i)))
	case record.Timestamp:
		if c.Timestamp.IsNull(i) {
			return append(dst, w.null...)
		}
		return format.AppendTimestamp(dst, int64(c.Timestamp.Value(i)))
	}
	if c.Decimal != nil {
		if c.Decimal.IsNull(i) {
			return append(dst, w.null...)
		}
		dst, _ = record.AppendDecimal(dst, c.Decimal, i) // digits, '-' and '.': never quoted
		return dst
	}
	if c.String.IsNull(i) {
		return append(dst, w.null...)
	}
	return w.appendText(dst, c.String.Value(i))
}

// quoted reports whether s must be written in quotes.
func (w *Writer) quoted(s string) bool {
	n := len(s)
	if n == 0 {
		return true
	}
	if c := s[0]; c == ' ' || c == '\t' || (c == 0xEF && strings.HasPrefix(s, "\uFEFF")) {
		return true
	}
	if c := s[n-1]; c == ' ' || c == '\t' {
		return true
	}
	for i := 0; i < n; i++ {
		if w.special[s[i]] {
			return true
		}
	}
	return w.null != "" && s == w.null
}

// appendText appends s as a field, quoted if it needs to be.
func (w *Writer) appendText(dst []byte, s string) []byte {
	if !w.quoted(s) {
		return append(dst, s...)
	}
	dst = append(dst, w.quote)
	if w.escape == 0 {
		for {
			k := strings.IndexByte(s, w.quote)
			if k < 0 {
				break
			}
			dst = append(dst, s[:k+1]...)
			dst = append(dst, w.quote)
			s = s[k+1:]
		}
		dst = append(dst, s...)
		return append(dst, w.quote)
	}
	start := 0
	for k := 0; k < len(s); k++ {
		if c := s[k]; c == w.quote || c == w.escape {
			dst = append(dst, s[start:k]...)
			dst = append(dst, w.escape, c)
			start = k + 1
		}
	}
	dst = append(dst, s[start:]...)
	return append(dst, w.quote)
}

// flush hands the gathered text to the underlying writer.
func (w *Writer) flush() error {
	if len(w.buf) == 0 {
		return nil
	}
	if _, err := w.out.Write(w.buf); err != nil {
		w.err = fmt.Errorf("csv: writing after row %d: %w", w.rows, err)
		return w.err
	}
	if cap(w.buf) > 16*writeFlushBytes {
		w.buf = make([]byte, 0, writeFlushBytes+writeFlushBytes/4) // one huge row must not pin its buffer
	}
	w.buf = w.buf[:0]
	return nil
}

// Close writes what is gathered. It does not close the underlying writer.
// Closing again does nothing.
func (w *Writer) Close() error {
	if w.done {
		return w.err
	}
	w.done = true
	if w.err != nil {
		return w.err
	}
	err := w.flush()
	w.buf = nil
	return err
}
