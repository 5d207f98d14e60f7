package parquet

import (
	"errors"
	"fmt"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/extensions"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/filedge/filedge/pkg/format"
	"github.com/filedge/filedge/pkg/record"
)

// Codec is the compression of the pages a RecordWriter writes.
type Codec string

// Codecs a RecordWriter writes.
const (
	Snappy Codec = "snappy" // the default: fast, and read by every Parquet reader
	Zstd   Codec = "zstd"   // smaller files, a little slower to write
)

// Default row group bounds of a RecordWriter.
const (
	DefaultMaxRowGroupRows  = 1 << 20
	DefaultMaxRowGroupBytes = 128 << 20
)

// WriterOptions configure a RecordWriter. The zero value writes Snappy row
// groups of up to DefaultMaxRowGroupRows rows and DefaultMaxRowGroupBytes
// bytes.
type WriterOptions struct {
	Codec Codec
	// MaxRowGroupRows and MaxRowGroupBytes bound a row group: the writer
	// buffers a row group in memory and writes it out when either is
	// reached (rows exactly; bytes as the Arrow size of the batches
	// written, checked after each batch). Zero means the default.
	MaxRowGroupRows  int64
	MaxRowGroupBytes int64
}

// RecordWriter writes record batches of one table (as pkg/record makes
// them) to a Parquet file: Boolean as BOOLEAN, Integer as INT64, Float as
// DOUBLE, Date as DATE (INT32), Timestamp as TIMESTAMP(MICROS, adjusted to
// UTC), decimal(p,s) as FIXED_LEN_BYTE_ARRAY annotated DECIMAL(p,s) (every
// digit), String as BYTE_ARRAY annotated STRING, JSON as BYTE_ARRAY
// annotated JSON, and a column of nulls only as STRING; every column is
// optional. It is not safe for concurrent use.
type RecordWriter struct {
	fw       *pqarrow.FileWriter
	in, out  *arrow.Schema
	json     []bool
	jsonType arrow.ExtensionType
	maxRows  int64
	maxBytes int64
	// groupBytes is the Arrow size of the batches in the current row group.
	groupBytes int64
	closed     bool
}

var _ format.RecordWriter = (*RecordWriter)(nil)

// newRecordWriter is the registered format.WriterFactory.
func newRecordWriter(w io.Writer, schema *arrow.Schema, _ format.Options) (format.RecordWriter, error) {
	return NewRecordWriter(w, schema, WriterOptions{})
}

// NewRecordWriter starts a Parquet file on w for batches of schema, whose
// fields must carry the Arrow types of their record.Type (see
// record.Field and record.TypeOf).
func NewRecordWriter(w io.Writer, schema *arrow.Schema, o WriterOptions) (*RecordWriter, error) {
	codec := compress.Codecs.Snappy
	switch o.Codec {
	case "", Snappy:
	case Zstd:
		codec = compress.Codecs.Zstd
	default:
		return nil, fmt.Errorf("parquet: unknown codec %q (want snappy or zstd)", o.Codec)
	}
	if o.MaxRowGroupRows < 0 || o.MaxRowGroupBytes < 0 {
		return nil, errors.New("parquet: row group bounds must not be negative")
	}
	rw := &RecordWriter{in: schema, maxRows: o.MaxRowGroupRows, maxBytes: o.MaxRowGroupBytes}
	if rw.maxRows == 0 {
		rw.maxRows = DefaultMaxRowGroupRows
	}
	if rw.maxBytes == 0 {
		rw.maxBytes = DefaultMaxRowGroupBytes
	}
	jt, err := extensions.NewJSONType(arrow.BinaryTypes.String)
	if err != nil {
		return nil, fmt.Errorf("parquet: %w", err)
	}
	rw.jsonType = jt
	fields := make([]arrow.Field, schema.NumFields())
	rw.json = make([]bool, len(fields))
	for i, f := range schema.Fields() {
		t := record.TypeOf(f).Stored()
		want := t.ArrowType()
		if !arrow.TypeEqual(f.Type, want) {
			return nil, fmt.Errorf("parquet: column %q is Arrow %s; a %s column must be %s", f.Name, f.Type, t, want)
		}
		fields[i] = arrow.Field{Name: f.Name, Type: want, Nullable: true}
		if t == record.JSON {
			fields[i].Type = jt
			rw.json[i] = true
		}
	}
	rw.out = arrow.NewSchema(fields, nil)
	props := parquet.NewWriterProperties(
		parquet.WithCompression(codec),
		parquet.WithMaxRowGroupLength(rw.maxRows),
		parquet.WithCreatedBy("filedge"),
	)
	fw, err := pqarrow.NewFileWriter(rw.out, writeOnly{w}, props, pqarrow.DefaultWriterProps())
	if err != nil {
		return nil, fmt.Errorf("parquet: %w", err)
	}
	rw.fw = fw
	return rw, nil
}

// Write adds the rows of rec, whose schema must be the writer's, to the
// current row group, and writes the row group out when it is full.
func (rw *RecordWriter) Write(rec arrow.RecordBatch) error {
	if rw.closed {
		return errors.New("parquet: write after close")
	}
	if !rec.Schema().Equal(rw.in) {
		return fmt.Errorf("parquet: batch schema %s is not the writer's %s", rec.Schema(), rw.in)
	}
	cols := make([]arrow.Array, rec.NumCols())
	for i, c := range rec.Columns() {
		if rw.json[i] {
			ext := array.NewExtensionArrayWithStorage(rw.jsonType, c)
			defer ext.Release()
			cols[i] = ext
			continue
		}
		cols[i] = c
	}
	out := array.NewRecordBatch(rw.out, cols, rec.NumRows())
	defer out.Release()
	if err := rw.fw.WriteBuffered(out); err != nil {
		return fmt.Errorf("parquet: %w", err)
	}
	rows, err := rw.fw.RowGroupNumRows()
	if err != nil {
		return fmt.Errorf("parquet: %w", err)
	}
	for _, c := range rec.Columns() {
		rw.groupBytes += dataSize(c.Data())
	}
	if int64(rows) >= rw.maxRows || rw.groupBytes >= rw.maxBytes {
		rw.fw.NewBufferedRowGroup()
		rw.groupBytes = 0
	}
	return nil
}

// Close writes the last row group and the footer. It does not close the
// io.Writer.
func (rw *RecordWriter) Close() error {
	if rw.closed {
		return nil
	}
	rw.closed = true
	if err := rw.fw.Close(); err != nil {
		return fmt.Errorf("parquet: %w", err)
	}
	return nil
}

// writeOnly hides an io.Writer's Close from arrow-go, which closes a
// writer it can (a RecordWriter leaves that to its caller).
type writeOnly struct{ io.Writer }

// dataSize returns the bytes of the buffers of d and its children.
func dataSize(d arrow.ArrayData) int64 {
	var n int64
	for _, b := range d.Buffers() {
		if b != nil {
			n += int64(b.Len())
		}
	}
	for _, c := range d.Children() {
		n += dataSize(c)
	}
	return n
}
