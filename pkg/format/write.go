package format

import (
	"fmt"
	"io"
	"sort"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/filedge/filedge/pkg/record"
)

// RecordWriter writes the record batches of one table to a file, in a
// format. Close flushes what is buffered and writes any footer; it does not
// close the underlying io.Writer.
type RecordWriter interface {
	Write(rec arrow.RecordBatch) error
	Close() error
}

// WriterFactory starts a file of one table with the given schema (columns
// typed as pkg/record makes them: see record.Field).
type WriterFactory func(w io.Writer, schema *arrow.Schema, opts Options) (RecordWriter, error)

var writers = struct {
	sync.RWMutex
	m map[string]WriterFactory
}{m: map[string]WriterFactory{}}

// RegisterWriter makes a format's writer available by code. It panics on a
// duplicate, or on a code no reader registered, so that a mistake fails at
// start-up. Formats call it from init, after Register.
func RegisterWriter(code string, f WriterFactory) {
	if _, _, ok := Lookup(code); !ok {
		panic(fmt.Sprintf("format: writer for unregistered format %q", code))
	}
	writers.Lock()
	defer writers.Unlock()
	if _, dup := writers.m[code]; dup || f == nil {
		panic(fmt.Sprintf("format: writer %q registered twice", code))
	}
	writers.m[code] = f
}

// LookupWriter returns the writer of the format registered under code.
func LookupWriter(code string) (WriterFactory, bool) {
	writers.RLock()
	defer writers.RUnlock()
	f, ok := writers.m[code]
	return f, ok
}

// Writers lists the codes of the formats that have a writer.
func Writers() []string {
	writers.RLock()
	defer writers.RUnlock()
	var out []string
	for c := range writers.m {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}

// WriteType returns the logical type a writer writes the values of field f
// as: by its Arrow type, the one pkg/record carries each type in (see
// record.Type.ArrowType), for strings by its metadata (JSON or not), and
// for decimals with the precision and scale of the Arrow type. Another
// Arrow type is an error. WriteType allocates nothing when it succeeds, as
// writers call it for every column of every batch.
func WriteType(f arrow.Field) (record.Type, error) {
	switch f.Type.ID() {
	case arrow.BOOL:
		return record.Boolean, nil
	case arrow.INT64:
		return record.Integer, nil
	case arrow.FLOAT64:
		return record.Float, nil
	case arrow.DATE32:
		return record.Date, nil
	case arrow.TIMESTAMP:
		if ts, ok := f.Type.(*arrow.TimestampType); ok && ts.Unit == arrow.Microsecond {
			return record.Timestamp, nil
		}
	case arrow.STRING:
		if k := f.Metadata.FindKey(record.MetadataType); k >= 0 && f.Metadata.Values()[k] == record.JSON.String() {
			return record.JSON, nil
		}
		return record.String, nil
	case arrow.DECIMAL128, arrow.DECIMAL256:
		if t := record.TypeOf(f); t.IsDecimal() {
			return t, nil
		}
	}
	t := record.TypeOf(f)
	return t, fmt.Errorf("column %q: Arrow type %s cannot be written (a %v column is %s)", f.Name, f.Type, t, t.Stored().ArrowType())
}

// WriteColumn is one column of a batch being written, as its typed Arrow
// array: the one field of its type is set (see BindColumn).
type WriteColumn struct {
	Type      record.Type
	Bool      *array.Boolean
	Int       *array.Int64
	Float     *array.Float64
	Date      *array.Date32
	Timestamp *array.Timestamp
	String    *array.String // String and JSON
	Decimal   arrow.Array   // *array.Decimal128 or *array.Decimal256 (see record.AppendDecimal)
}

// BindColumn returns column a of a batch, whose field is f, typed by
// WriteType.
func BindColumn(f arrow.Field, a arrow.Array) (WriteColumn, error) {
	t, err := WriteType(f)
	if err != nil {
		return WriteColumn{}, err
	}
	c := WriteColumn{Type: t}
	var ok bool
	switch {
	case t == record.Boolean:
		c.Bool, ok = a.(*array.Boolean)
	case t == record.Integer:
		c.Int, ok = a.(*array.Int64)
	case t == record.Float:
		c.Float, ok = a.(*array.Float64)
	case t == record.Date:
		c.Date, ok = a.(*array.Date32)
	case t == record.Timestamp:
		c.Timestamp, ok = a.(*array.Timestamp)
	case t.IsDecimal():
		switch a.(type) {
		case *array.Decimal128, *array.Decimal256:
			c.Decimal, ok = a, true
		}
	default:
		c.String, ok = a.(*array.String)
	}
	if !ok {
		return WriteColumn{}, fmt.Errorf("column %q: array %T does not match its field type %s", f.Name, a, f.Type)
	}
	return c, nil
}
