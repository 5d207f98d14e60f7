package files

import (
	"fmt"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/filedge/filedge/pkg/format"
	"github.com/filedge/filedge/pkg/record"
)

// shape is the schema of a table's outputs: its data columns, then the
// system columns.
type shape struct {
	cols   []column // the data columns
	schema *arrow.Schema
}

func newShape(cols []column) *shape {
	fields := make([]arrow.Field, 0, len(cols)+len(record.SystemColumns))
	for _, c := range cols {
		fields = append(fields, record.Field(c.Name, c.Type))
	}
	for _, c := range record.SystemColumns {
		fields = append(fields, record.Field(c.Name, c.Type))
	}
	return &shape{cols: cols, schema: arrow.NewSchema(fields, nil)}
}

// allColumns returns the data columns and the system columns.
func (s *shape) allColumns() []column {
	out := append([]column{}, s.cols...)
	for _, c := range record.SystemColumns {
		out = append(out, column{Name: c.Name, Type: c.Type})
	}
	return out
}

// stamp holds the system columns' values that are the same on every row
// of a file version.
type stamp struct {
	path     string // _file of a batch without an archive member's name
	modified arrow.Timestamp
	synced   arrow.Timestamp
	sha      string // "" for NULL
}

// conform returns the rows of rec in s's schema, which holds rec's
// columns with types at least as wide: each data column converted to its
// type (a column rec lacks is NULL), then the system columns. With st, rec
// is a batch of the parser's (its _line, and its _file if it has one), and
// st fills the other system columns; without, rec is an output read back,
// which has them all. The caller releases the result.
func (s *shape) conform(mem memory.Allocator, rec arrow.RecordBatch, st *stamp) (arrow.RecordBatch, error) {
	n := int(rec.NumRows())
	arrs := make([]arrow.Array, 0, s.schema.NumFields())
	defer func() {
		for _, a := range arrs {
			a.Release()
		}
	}()
	have := rec.Schema()
	column := func(name string) (arrow.Array, record.Type, bool) {
		idx := have.FieldIndices(name)
		if len(idx) == 0 {
			return nil, record.Unknown, false
		}
		return rec.Column(idx[0]), record.TypeOf(have.Field(idx[0])), true
	}
	for _, c := range s.cols {
		a, from, ok := column(c.Name)
		if !ok {
			arrs = append(arrs, array.MakeArrayOfNull(mem, c.Type.ArrowType(), n))
			continue
		}
		out, err := convertArray(mem, a, from, c.Type)
		if err != nil {
			return nil, fmt.Errorf("column %q: %w", c.Name, err)
		}
		arrs = append(arrs, out)
	}
	for _, c := range record.SystemColumns {
		a, _, ok := column(c.Name)
		switch {
		case ok && c.Name == record.FileColumn:
			out, err := convertArray(mem, a, record.String, record.String)
			if err != nil {
				return nil, fmt.Errorf("column %q: %w", c.Name, err)
			}
			arrs = append(arrs, out)
		case ok && (st == nil || c.Name == record.LineColumn):
			a.Retain()
			arrs = append(arrs, a)
		case st == nil || c.Name == record.LineColumn:
			arrs = append(arrs, array.MakeArrayOfNull(mem, c.Type.ArrowType(), n))
		case c.Name == record.FileColumn:
			arrs = append(arrs, constString(mem, st.path, n))
		case c.Name == record.HashColumn:
			if st.sha == "" {
				arrs = append(arrs, array.MakeArrayOfNull(mem, c.Type.ArrowType(), n))
			} else {
				arrs = append(arrs, constString(mem, st.sha, n))
			}
		case c.Name == record.ModifiedColumn:
			arrs = append(arrs, constTimestamp(mem, st.modified, n))
		case c.Name == record.SyncedColumn:
			arrs = append(arrs, constTimestamp(mem, st.synced, n))
		default:
			return nil, fmt.Errorf("no value for system column %q", c.Name)
		}
	}
	for i, a := range arrs {
		if !arrow.TypeEqual(a.DataType(), s.schema.Field(i).Type) {
			return nil, fmt.Errorf("column %q is Arrow %s, want %s", s.schema.Field(i).Name, a.DataType(), s.schema.Field(i).Type)
		}
	}
	return array.NewRecordBatch(s.schema, arrs, int64(n)), nil
}

func constString(mem memory.Allocator, v string, n int) arrow.Array {
	b := array.NewStringBuilder(mem)
	defer b.Release()
	b.ReserveData(len(v) * n)
	for range n {
		b.Append(v)
	}
	return b.NewArray()
}

func constTimestamp(mem memory.Allocator, v arrow.Timestamp, n int) arrow.Array {
	b := array.NewTimestampBuilder(mem, arrow.FixedWidthTypes.Timestamp_us.(*arrow.TimestampType))
	defer b.Release()
	b.Reserve(n)
	for range n {
		b.UnsafeAppend(v)
	}
	return b.NewArray()
}

// convertArray returns a, whose values are of type from, as an array of
// type to, which from widens to (record.Widen): the same array when the
// types are equal, and otherwise each value converted exactly (an integer
// to a float or a decimal, a decimal to a wider one, a date to midnight
// UTC, any value to its text). The caller releases the result.
func convertArray(mem memory.Allocator, a arrow.Array, from, to record.Type) (arrow.Array, error) {
	want := to.ArrowType()
	if from == record.Unknown {
		return array.MakeArrayOfNull(mem, want, a.Len()), nil
	}
	if from == to && arrow.TypeEqual(a.DataType(), want) {
		a.Retain()
		return a, nil
	}
	if record.Widen(to, from) != to {
		return nil, fmt.Errorf("cannot convert %v to %v", from, to)
	}
	src, err := format.BindColumn(record.Field("", from), a)
	if err != nil {
		return nil, err
	}
	b := array.NewBuilder(mem, want)
	defer b.Release()
	b.Reserve(a.Len())
	var text []byte
	for i := range a.Len() {
		if a.IsNull(i) {
			b.AppendNull()
			continue
		}
		switch {
		case to == record.Float && from == record.Integer:
			b.(*array.Float64Builder).Append(float64(src.Int.Value(i)))
		case to == record.Timestamp && from == record.Date:
			b.(*array.TimestampBuilder).Append(arrow.Timestamp(int64(src.Date.Value(i)) * 86_400_000_000))
		case to.IsDecimal():
			text = appendText(text[:0], &src, i)
			if err := record.AppendDecimalValue(b, string(text)); err != nil {
				return nil, err
			}
		case to == record.String:
			text = appendText(text[:0], &src, i)
			b.(*array.StringBuilder).BinaryBuilder.Append(text)
		default:
			return nil, fmt.Errorf("cannot convert %v to %v", from, to)
		}
	}
	return b.NewArray(), nil
}

// appendText appends the text of value i of c, which is not null: what a
// column widened to string holds of it.
func appendText(dst []byte, c *format.WriteColumn, i int) []byte {
	switch {
	case c.Bool != nil:
		return strconv.AppendBool(dst, c.Bool.Value(i))
	case c.Int != nil:
		return strconv.AppendInt(dst, c.Int.Value(i), 10)
	case c.Float != nil:
		return strconv.AppendFloat(dst, c.Float.Value(i), 'g', -1, 64)
	case c.Date != nil:
		return format.AppendDate(dst, int64(c.Date.Value(i)))
	case c.Timestamp != nil:
		return format.AppendTimestamp(dst, int64(c.Timestamp.Value(i)))
	case c.Decimal != nil:
		dst, _ = record.AppendDecimal(dst, c.Decimal, i)
		return dst
	}
	return append(dst, c.String.Value(i)...)
}
