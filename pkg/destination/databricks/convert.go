package databricks

import (
	"fmt"
	"strconv"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/filedge/filedge/pkg/record"
)

// convert returns the values of arr, a column of type from, as a column of
// the staged type of to (see stagedType), which holds them (to is
// record.Widen of from and something): the way the other destinations
// convert batch values into a wider column, so that rows read alike
// whichever file brought them. Integers become floats or decimals, dates
// midnight UTC, decimals rescale exactly, and text is written as filedge
// writes it everywhere: integers in decimal, floats in Go's shortest form,
// dates as 2006-01-02, timestamps in RFC 3339 (UTC), decimals exactly with
// to's scale when to is a decimal kept as text. The caller releases the
// result.
func convert(mem memory.Allocator, arr arrow.Array, from, to record.Type) (arrow.Array, error) {
	out := stagedType(to)
	if arrow.TypeEqual(arr.DataType(), out.ArrowType()) && (from == to || stagedType(from) == out && !to.IsDecimal() && !from.IsDecimal()) {
		arr.Retain()
		return arr, nil
	}
	n := arr.Len()
	b := array.NewBuilder(mem, out.ArrowType())
	defer b.Release()
	b.Reserve(n)
	if from == record.Unknown {
		b.AppendNulls(n)
		return b.NewArray(), nil
	}
	bad := func() (arrow.Array, error) {
		return nil, fmt.Errorf("cannot convert a %v column (Arrow %s) to %v", from, arr.DataType(), to)
	}
	switch ob := b.(type) {
	case *array.Float64Builder:
		a, ok := arr.(*array.Int64)
		if !ok {
			return bad()
		}
		each(a, ob, func(i int) float64 { return float64(a.Value(i)) })
	case *array.TimestampBuilder:
		a, ok := arr.(*array.Date32)
		if !ok {
			return bad()
		}
		each(a, ob, func(i int) arrow.Timestamp { return arrow.Timestamp(int64(a.Value(i)) * 86400 * 1e6) })
	case *array.Decimal128Builder:
		scale := int32(to.Scale())
		switch a := arr.(type) {
		case *array.Int64:
			each(a, ob, func(i int) decimal128.Num { return decimal128.FromI64(a.Value(i)).IncreaseScaleBy(scale) })
		case *array.Decimal128:
			by := scale - a.DataType().(*arrow.Decimal128Type).Scale
			if by < 0 {
				return bad()
			}
			each(a, ob, func(i int) decimal128.Num { return a.Value(i).IncreaseScaleBy(by) })
		default:
			return bad()
		}
	case *array.StringBuilder:
		text, err := texts(arr, from, to)
		if err != nil {
			return nil, err
		}
		for i := range n {
			if arr.IsNull(i) {
				ob.AppendNull()
				continue
			}
			v, err := text(i)
			if err != nil {
				return nil, err
			}
			ob.Append(v)
		}
	default:
		return bad()
	}
	return b.NewArray(), nil
}

// each appends to b, for each value of a, NULL or value of its index.
func each[V any](a arrow.Array, b interface {
	Append(V)
	AppendNull()
}, value func(int) V) {
	for i := range a.Len() {
		if a.IsNull(i) {
			b.AppendNull()
		} else {
			b.Append(value(i))
		}
	}
}

// texts returns the text of each value of arr, a column of type from, as
// a column of type to (text, or a decimal kept as text) holds it.
func texts(arr arrow.Array, from, to record.Type) (func(int) (string, error), error) {
	var text func(int) string
	switch a := arr.(type) {
	case *array.Boolean:
		text = func(i int) string { return strconv.FormatBool(a.Value(i)) }
	case *array.Int64:
		text = func(i int) string { return strconv.FormatInt(a.Value(i), 10) }
	case *array.Float64:
		text = func(i int) string { return strconv.FormatFloat(a.Value(i), 'g', -1, 64) }
	case *array.Date32:
		text = func(i int) string { return a.Value(i).ToTime().UTC().Format(time.DateOnly) }
	case *array.Timestamp:
		text = func(i int) string { return time.UnixMicro(int64(a.Value(i))).UTC().Format(time.RFC3339Nano) }
	case *array.String:
		text = a.Value
	case *array.Decimal128, *array.Decimal256:
		var buf []byte
		text = func(i int) string {
			buf, _ = record.AppendDecimal(buf[:0], arr, i)
			return string(buf)
		}
	default:
		return nil, fmt.Errorf("cannot convert a %v column (Arrow %s) to %v", from, arr.DataType(), to)
	}
	if !to.IsDecimal() {
		return func(i int) (string, error) { return text(i), nil }, nil
	}
	// A decimal kept as text carries its column's scale.
	return func(i int) (string, error) {
		out, err := record.ConvertDecimal(record.Cell{Text: text(i), Kind: record.Quoted}, to)
		if err != nil { // to holds from (record.Widen): a broken batch
			return "", fmt.Errorf("a %v value does not fit %v: %w", from, to, err)
		}
		return out, nil
	}, nil
}
