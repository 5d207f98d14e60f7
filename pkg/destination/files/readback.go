package files

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/filedge/filedge/pkg/format"
	"github.com/filedge/filedge/pkg/record"
)

// readOptions are the format options an output is read back with: those it
// was written with (format.Options{}), made explicit where a reader would
// otherwise guess (the CSV delimiter), and with no cap on a value's size,
// since the destination wrote them all.
var readOptions = format.Options{
	Delimiter:     ",",
	MaxLineBytes:  1 << 30,
	MaxFieldBytes: 1 << 30,
}

// readBackRows is how many rows a batch read back holds at most, and
// readBackBytes about how many bytes of text.
const (
	readBackRows  = 16384
	readBackBytes = 8 << 20
)

// readOutput reads the output file at path, written in format code, with
// the format's reader, and calls fn with its rows in batches of schema s:
// each column's values converted from the file's text to the column's type
// (as pipeline.yaml's columns: declares a type), a column the file lacks
// NULL. A column the file has and s does not, or a value that does not
// convert, is an error: the file is not what the destination wrote. A
// batch is valid until fn returns.
func readOutput(ctx context.Context, code, path string, s *shape, mem memory.Allocator, fn func(arrow.RecordBatch) error) error {
	_, newReader, ok := format.Lookup(code)
	if !ok {
		return fmt.Errorf("no reader for format %q", code)
	}
	r, err := newReader(readOptions)
	if err != nil {
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	rb := &readBack{code: code, path: path, shape: s, fn: fn, b: array.NewRecordBuilder(mem, s.schema)}
	defer rb.b.Release()
	cols := s.allColumns()
	rb.types = make([]record.Type, len(cols))
	for i, c := range cols {
		rb.types[i] = c.Type
	}
	err = format.Guard(ctx, r, &format.Input{Path: path, R: f, ReaderAt: f, Size: fi.Size()}, rb)
	if err == nil {
		err = rb.err
	}
	if err == nil {
		err = rb.flush()
	}
	if err != nil {
		return fmt.Errorf("read back %s: %w", path, err)
	}
	return nil
}

// readBack is the format.Writer that readOutput hands a format's reader.
type readBack struct {
	code  string
	path  string
	shape *shape
	types []record.Type // of every column of shape.schema
	fn    func(arrow.RecordBatch) error
	b     *array.RecordBuilder
	at    []int // the shape's column index of each column of the file
	// filled marks the columns of the row being read that the file has.
	filled []bool
	bytes  int
	err    error // the first problem Issue reported
}

// Begin implements format.Writer. A workbook of more rows than a sheet
// holds begins one table per sheet, each with the same columns.
func (r *readBack) Begin(_ string, cols []format.Column) error {
	r.at = r.at[:0]
	seen := map[int]bool{}
	for _, c := range cols {
		idx := r.shape.schema.FieldIndices(c.Name)
		if len(idx) == 0 || seen[idx[0]] {
			return fmt.Errorf("the file has a column %q that its table does not (or twice)", c.Name)
		}
		seen[idx[0]] = true
		r.at = append(r.at, idx[0])
	}
	return nil
}

// Row implements format.Writer.
func (r *readBack) Row(line int64, cells []record.Cell) error {
	if r.filled == nil {
		r.filled = make([]bool, len(r.types))
	}
	filled := r.filled
	clear(filled)
	for i, c := range cells {
		if i >= len(r.at) {
			return fmt.Errorf("line %d has more values than columns", line)
		}
		j := r.at[i]
		if err := appendCell(r.b.Field(j), r.types[j], c, r.code); err != nil {
			return fmt.Errorf("line %d, column %q: %w", line, r.shape.schema.Field(j).Name, err)
		}
		filled[j] = true
		r.bytes += len(c.Text) + 8
	}
	for j, ok := range filled {
		if !ok {
			r.b.Field(j).AppendNull()
		}
	}
	if r.b.Field(0).Len() >= readBackRows || r.bytes >= readBackBytes {
		return r.flush()
	}
	return nil
}

// RowError implements format.Writer: a row of an output that does not
// read is an error.
func (r *readBack) RowError(err *format.RowError) error { return err }

// Issue implements format.Writer: an output read with a loss is an error.
func (r *readBack) Issue(msg string) {
	if r.err == nil {
		r.err = errors.New(msg)
	}
}

// flush hands the rows gathered so far to fn.
func (r *readBack) flush() error {
	if len(r.types) == 0 || r.b.Field(0).Len() == 0 {
		return nil
	}
	rec := r.b.NewRecordBatch()
	defer rec.Release()
	r.bytes = 0
	return r.fn(rec)
}

// appendCell appends cell c, read from a file of format code, to b as a
// value of type t.
func appendCell(b array.Builder, t record.Type, c record.Cell, code string) error {
	if c.Kind == record.Null || c.Kind == record.Empty && t != record.String {
		b.AppendNull()
		return nil
	}
	switch {
	case t == record.Boolean:
		v, err := record.ConvertBoolean(c)
		if err != nil {
			return err
		}
		b.(*array.BooleanBuilder).Append(v)
	case t == record.Integer:
		v, err := record.ConvertInteger(c)
		if err != nil {
			return err
		}
		b.(*array.Int64Builder).Append(v)
	case t == record.Float:
		v, err := record.ConvertFloat(c)
		if err != nil {
			return err
		}
		b.(*array.Float64Builder).Append(v)
	case t == record.Date:
		v, err := record.ConvertDate(c)
		if err != nil {
			return err
		}
		b.(*array.Date32Builder).Append(v)
	case t == record.Timestamp:
		v, err := record.ConvertTimestamp(c)
		if err != nil {
			return err
		}
		b.(*array.TimestampBuilder).Append(v)
	case t.IsDecimal():
		return record.AppendDecimalValue(b, c.Text)
	case t == record.JSON && code == "json" && c.Kind == record.Quoted:
		// JSON lines hold a document that is a string as a JSON string,
		// which the reader hands over unquoted.
		b.(*array.StringBuilder).BinaryBuilder.Append(record.AppendJSONString(nil, c.Text))
	default: // String, JSON: the text as the file holds it
		b.(*array.StringBuilder).Append(record.ConvertString(c))
	}
	return nil
}
