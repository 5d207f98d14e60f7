package json

import (
	"bytes"
	stdjson "encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/filedge/filedge/pkg/format"
	"github.com/filedge/filedge/pkg/record"
)

// This init runs after the one in json.go (the go tool hands a package's
// files to the compiler sorted by name, and init functions run in that
// order), so the reader is registered first, as RegisterWriter requires.
func init() {
	format.RegisterWriter("json", func(w io.Writer, schema *arrow.Schema, opts format.Options) (format.RecordWriter, error) {
		return NewWriter(w, schema, opts)
	})
}

// writeFlushBytes is how much text the Writer gathers before it hands it to
// the underlying io.Writer in one Write.
const writeFlushBytes = 64 << 10

// Writer writes the record batches of one table as JSON lines: one object
// per row, a member per column in the schema's order, keyed by the column
// name. Make one with NewWriter. It is not safe for concurrent use.
//
// Values are typed JSON, so that the reader of this package reads the same
// values and types back:
//
//   - Boolean: true or false. Integer: a JSON integer.
//   - Float: the shortest number that parses back to the same float64, in
//     plain notation between 1e-6 and 1e21 and in exponent notation
//     outside, with ".0" added to a whole number ("3.0") so that it is not
//     read back as an integer. NaN and the infinities, which JSON cannot
//     write, are null.
//   - Date: "2006-01-02". Timestamp: "2006-01-02T15:04:05.000000Z" (RFC
//     3339, UTC, microseconds). Both are strings, which the reader infers
//     back to dates and timestamps.
//   - Decimal: a JSON number of its exact digits with its scale after
//     the point (12.50, -0.01), never through a float; it reads back as a
//     float unless the column is declared a decimal (pipeline.yaml's
//     columns:).
//   - String (and columns of nulls only): a JSON string.
//   - JSON: the document itself, not a string; compacted onto one line if
//     it spans several. A value that is not valid JSON is an error.
//   - A null: null. Every row has every key, so that a reader sees each
//     column, in order, from the first row.
type Writer struct {
	out  io.Writer
	keys []string // `{"name":` for the first column, `,"name":` for the others
	// names are the column names, which the batches must have.
	names []string

	buf  []byte
	cols []format.WriteColumn
	rows int64 // rows written so far, for error messages
	err  error // the first error of the underlying writer; sticky
	done bool  // closed
}

// NewWriter returns a Writer that writes a table of the given schema to w.
// No option applies to JSON lines: opts is accepted for the WriterFactory
// signature. Every column must be typed as pkg/record makes them (see
// record.Field): a column of another Arrow type is an error. NewWriter
// writes nothing until the first Write or Close.
func NewWriter(w io.Writer, schema *arrow.Schema, opts format.Options) (*Writer, error) {
	if w == nil || schema == nil {
		return nil, errors.New("json: NewWriter needs a writer and a schema")
	}
	jw := &Writer{
		out:   w,
		keys:  make([]string, schema.NumFields()),
		names: make([]string, schema.NumFields()),
		cols:  make([]format.WriteColumn, schema.NumFields()),
		buf:   make([]byte, 0, writeFlushBytes+writeFlushBytes/4),
	}
	for i, f := range schema.Fields() {
		if _, err := format.WriteType(f); err != nil {
			return nil, fmt.Errorf("json: %w", err)
		}
		jw.names[i] = f.Name
		key := []byte{','}
		if i == 0 {
			key[0] = '{'
		}
		key = record.AppendJSONString(key, record.CleanText(f.Name))
		jw.keys[i] = string(append(key, ':'))
	}
	return jw, nil
}

// Write writes the rows of rec. Its columns must have the names of the
// schema the Writer was made with, in the same order; their types may be
// wider than the schema's (a Builder widens a column from batch to batch),
// as each value is written as its batch types it. A JSON value that is not
// valid JSON fails the Write: the rows before its row are written, its row
// and those after it are not. Write keeps no reference to rec.
func (w *Writer) Write(rec arrow.RecordBatch) error {
	switch {
	case w.err != nil:
		return w.err
	case w.done:
		return errors.New("json: Write after Close")
	}
	defer clear(w.cols) // keep no reference to rec's arrays
	if err := w.bind(rec); err != nil {
		return err
	}
	n := int(rec.NumRows())
	for i := range n {
		start := len(w.buf)
		if len(w.cols) == 0 {
			w.buf = append(w.buf, '{')
		}
		for j := range w.cols {
			w.buf = append(w.buf, w.keys[j]...)
			var err error
			if w.buf, err = w.appendValue(w.buf, &w.cols[j], i); err != nil {
				w.buf = w.buf[:start] // no partial row
				w.rows += int64(i)
				return fmt.Errorf("json: row %d, column %q: %w", w.rows+1, w.names[j], err)
			}
		}
		w.buf = append(w.buf, '}', '\n')
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
		return errors.New("json: Write of a nil batch")
	}
	if int(rec.NumCols()) != len(w.names) {
		return fmt.Errorf("json: batch has %d columns, the file has %d", rec.NumCols(), len(w.names))
	}
	schema := rec.Schema()
	for j := range w.names {
		f := schema.Field(j)
		if f.Name != w.names[j] {
			return fmt.Errorf("json: batch column %d is %q, the file's is %q", j+1, f.Name, w.names[j])
		}
		c, err := format.BindColumn(f, rec.Column(j))
		if err != nil {
			return fmt.Errorf("json: %w", err)
		}
		w.cols[j] = c
	}
	return nil
}

var jsonNull = []byte("null")

// appendValue appends row i of column c as a JSON value.
func (w *Writer) appendValue(dst []byte, c *format.WriteColumn, i int) ([]byte, error) {
	switch c.Type {
	case record.Boolean:
		if c.Bool.IsNull(i) {
			return append(dst, jsonNull...), nil
		}
		return strconv.AppendBool(dst, c.Bool.Value(i)), nil
	case record.Integer:
		if c.Int.IsNull(i) {
			return append(dst, jsonNull...), nil
		}
		return strconv.AppendInt(dst, c.Int.Value(i), 10), nil
	case record.Float:
		v := c.Float.Value(i)
		if c.Float.IsNull(i) || math.IsNaN(v) || math.IsInf(v, 0) {
			return append(dst, jsonNull...), nil
		}
		return format.AppendFloat(dst, v), nil
	case record.Date:
		if c.Date.IsNull(i) {
			return append(dst, jsonNull...), nil
		}
		dst = append(dst, '"')
		dst = format.AppendDate(dst, int64(c.Date.Value(i)))
		return append(dst, '"'), nil
	case record.Timestamp:
		if c.Timestamp.IsNull(i) {
			return append(dst, jsonNull...), nil
		}
		dst = append(dst, '"')
		dst = format.AppendTimestamp(dst, int64(c.Timestamp.Value(i)))
		return append(dst, '"'), nil
	}
	if c.Decimal != nil {
		if c.Decimal.IsNull(i) {
			return append(dst, jsonNull...), nil
		}
		// A JSON number of every digit: readers that parse numbers as
		// exact decimals (Python's decimal, Java's BigDecimal, a decimal
		// column of filedge) keep them all.
		dst, _ = record.AppendDecimal(dst, c.Decimal, i)
		return dst, nil
	}
	if c.String.IsNull(i) {
		return append(dst, jsonNull...), nil
	}
	s := c.String.Value(i)
	if c.Type != record.JSON {
		// Batches the parser made are clean already; CleanText keeps the
		// line valid JSON whatever a batch holds.
		return record.AppendJSONString(dst, record.CleanText(s)), nil
	}
	return appendDocument(dst, s)
}

// appendDocument appends the JSON document s as it is, or compacted when
// it spans several lines.
func appendDocument(dst []byte, s string) ([]byte, error) {
	b := unsafe.Slice(unsafe.StringData(s), len(s)) // read only
	if !stdjson.Valid(b) {
		return dst, errors.New("value is not valid JSON")
	}
	if bytes.IndexByte(b, '\n') < 0 && bytes.IndexByte(b, '\r') < 0 {
		return append(dst, bytes.TrimSpace(b)...), nil
	}
	buf := bytes.NewBuffer(dst)
	if err := stdjson.Compact(buf, b); err != nil {
		return dst, err
	}
	return buf.Bytes(), nil
}

// flush hands the gathered text to the underlying writer.
func (w *Writer) flush() error {
	if len(w.buf) == 0 {
		return nil
	}
	if _, err := w.out.Write(w.buf); err != nil {
		w.err = fmt.Errorf("json: writing after row %d: %w", w.rows, err)
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
