package parquet

import (
	"fmt"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/extensions"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/filedge/filedge/pkg/record"
)

// maxNesting caps how deep appendJSON descends; Parquet schemas are
// bounded, so only a hostile file comes near it.
const maxNesting = 512

// jsonState is what appendJSON needs to know of a batch beyond its arrays,
// and what it notes while it writes.
type jsonState struct {
	// int96 holds the leaf arrays of the batch that hold INT96 timestamps
	// as 12-byte binary (see sanitizeFooter).
	int96 []arrow.Array
	// lost counts the values appendJSON wrote as null since the caller
	// last cleared it, by kind (see losses.go).
	lost [numLosses]int64
}

// isInt96 reports whether a is one of the INT96 leaf arrays.
func (st *jsonState) isInt96(a arrow.Array) bool {
	for _, x := range st.int96 {
		if x == a {
			return true
		}
	}
	return false
}

// leafArrays appends the leaf arrays of a in the order of the Parquet leaf
// columns they come from: struct fields in order, list values, map keys
// then values, extension storage. They are the arrays appendJSON meets.
func leafArrays(a arrow.Array, out []arrow.Array) []arrow.Array {
	switch a := a.(type) {
	case *array.Map:
		out = leafArrays(a.Keys(), out)
		return leafArrays(a.Items(), out)
	case array.ListLike:
		return leafArrays(a.ListValues(), out)
	case *array.Struct:
		for f := 0; f < a.NumField(); f++ {
			out = leafArrays(a.Field(f), out)
		}
		return out
	case array.ExtensionArray:
		return leafArrays(a.Storage(), out)
	}
	return append(out, a)
}

// appendJSON appends value i of arr as JSON: lists as arrays, structs as
// objects in field order, maps as objects (a key that is not a string is
// written as the JSON text of its value), numbers as numbers (decimals
// exactly; NaN and infinities as null), strings as strings, binary as text
// when valid UTF-8 else base64, dates, times and instants as strings in
// the forms of values.go (null out of range, noted in st), INT96
// timestamps (the arrays st lists) as instants, UUIDs in their canonical
// form and variants as the JSON they hold.
func appendJSON(b []byte, arr arrow.Array, i, depth int, st *jsonState) ([]byte, error) {
	if depth > maxNesting {
		return b, fmt.Errorf("nested deeper than %d levels", maxNesting)
	}
	if arr.IsNull(i) {
		return append(b, "null"...), nil
	}
	var ok bool
	switch a := arr.(type) {
	case *array.Null:
		return append(b, "null"...), nil
	case *array.Boolean:
		return strconv.AppendBool(b, a.Value(i)), nil
	case *array.Int8:
		return strconv.AppendInt(b, int64(a.Value(i)), 10), nil
	case *array.Int16:
		return strconv.AppendInt(b, int64(a.Value(i)), 10), nil
	case *array.Int32:
		return strconv.AppendInt(b, int64(a.Value(i)), 10), nil
	case *array.Int64:
		return strconv.AppendInt(b, a.Value(i), 10), nil
	case *array.Uint8:
		return strconv.AppendUint(b, uint64(a.Value(i)), 10), nil
	case *array.Uint16:
		return strconv.AppendUint(b, uint64(a.Value(i)), 10), nil
	case *array.Uint32:
		return strconv.AppendUint(b, uint64(a.Value(i)), 10), nil
	case *array.Uint64:
		return strconv.AppendUint(b, a.Value(i), 10), nil
	case *array.Float16:
		b, ok = appendFloat(b, float64(a.Value(i).Float32()), 32)
		st.nan(ok)
	case *array.Float32:
		b, ok = appendFloat(b, float64(a.Value(i)), 32)
		st.nan(ok)
	case *array.Float64:
		b, ok = appendFloat(b, a.Value(i), 64)
		st.nan(ok)
	case *array.Decimal128:
		return appendDecimal128(b, a.Value(i), a.DataType().(*arrow.Decimal128Type).Scale), nil
	case *array.Decimal256:
		return appendDecimal256(b, a.Value(i), a.DataType().(*arrow.Decimal256Type).Scale), nil
	case *array.String:
		return record.AppendJSONString(b, a.Value(i)), nil
	case *array.LargeString:
		return record.AppendJSONString(b, a.Value(i)), nil
	case *array.Binary:
		return appendQuoted(b, func(b []byte) []byte { return appendBinary(b, a.Value(i), true) }), nil
	case *array.LargeBinary:
		return appendQuoted(b, func(b []byte) []byte { return appendBinary(b, a.Value(i), true) }), nil
	case *array.FixedSizeBinary:
		if st.isInt96(a) {
			us, fits := int96Micros(parquet.Int96(a.Value(i)))
			return st.instant(b, us, fits), nil
		}
		return appendQuoted(b, func(b []byte) []byte { return appendBinary(b, a.Value(i), false) }), nil
	case *extensions.UUIDArray:
		v := a.Value(i)
		return appendQuoted(b, func(b []byte) []byte { return appendUUID(b, v[:]) }), nil
	case *extensions.VariantArray:
		v, err := a.Value(i)
		if err != nil {
			return b, fmt.Errorf("variant: %w", err)
		}
		j, err := v.MarshalJSON()
		if err != nil {
			return b, fmt.Errorf("variant: %w", err)
		}
		return append(b, j...), nil
	case *array.Date32:
		return st.date(b, int64(a.Value(i))), nil
	case *array.Date64:
		return st.date(b, int64(a.Value(i))/86_400_000), nil
	case *array.Timestamp:
		us, fits := toMicros(int64(a.Value(i)), a.DataType().(*arrow.TimestampType).Unit)
		return st.instant(b, us, fits), nil
	case *array.Time32:
		us, _ := toMicros(int64(a.Value(i)), a.DataType().(*arrow.Time32Type).Unit)
		return st.time(b, us), nil
	case *array.Time64:
		us, _ := toMicros(int64(a.Value(i)), a.DataType().(*arrow.Time64Type).Unit)
		return st.time(b, us), nil
	case *array.Map:
		return appendMap(b, a, i, depth, st)
	case array.ListLike:
		start, end := a.ValueOffsets(i)
		values := a.ListValues()
		b = append(b, '[')
		for j := start; j < end; j++ {
			if j > start {
				b = append(b, ',')
			}
			var err error
			if b, err = appendJSON(b, values, int(j), depth+1, st); err != nil {
				return b, err
			}
		}
		return append(b, ']'), nil
	case *array.Struct:
		stype := a.DataType().(*arrow.StructType)
		b = append(b, '{')
		for f := 0; f < a.NumField(); f++ {
			if f > 0 {
				b = append(b, ',')
			}
			b = record.AppendJSONString(b, stype.Field(f).Name)
			b = append(b, ':')
			var err error
			if b, err = appendJSON(b, a.Field(f), i, depth+1, st); err != nil {
				return b, err
			}
		}
		return append(b, '}'), nil
	case *array.Dictionary:
		return appendJSON(b, a.Dictionary(), a.GetValueIndex(i), depth+1, st)
	case array.ExtensionArray:
		return appendJSON(b, a.Storage(), i, depth+1, st)
	default:
		return record.AppendJSONString(b, arr.ValueStr(i)), nil
	}
	if !ok {
		return append(b, "null"...), nil
	}
	return b, nil
}

// appendMap appends map value i of a as a JSON object.
func appendMap(b []byte, a *array.Map, i, depth int, st *jsonState) ([]byte, error) {
	start, end := a.ValueOffsets(i)
	keys, items := a.Keys(), a.Items()
	b = append(b, '{')
	var err error
	for j := int(start); j < int(end); j++ {
		if j > int(start) {
			b = append(b, ',')
		}
		switch k := keys.(type) {
		case *array.String:
			b = record.AppendJSONString(b, k.Value(j))
		default:
			mark := len(b)
			if b, err = appendJSON(b, keys, j, depth+1, st); err != nil {
				return b, err
			}
			if b[mark] != '"' {
				text := string(b[mark:])
				b = record.AppendJSONString(b[:mark], text)
			}
		}
		b = append(b, ':')
		if b, err = appendJSON(b, items, j, depth+1, st); err != nil {
			return b, err
		}
	}
	return append(b, '}'), nil
}

// appendQuoted appends the text that add appends as a JSON string; add
// appends nothing that JSON would escape.
func appendQuoted(b []byte, add func([]byte) []byte) []byte {
	b = append(b, '"')
	mark := len(b)
	b = add(b)
	if needsEscape(b[mark:]) {
		text := string(b[mark:])
		return record.AppendJSONString(b[:mark-1], text)
	}
	return append(b, '"')
}

// date appends days since 1970-01-01 as a JSON string, or null (noted)
// outside the years 1 to 9999.
func (st *jsonState) date(b []byte, days int64) []byte {
	b = append(b, '"')
	b, ok := appendDate(b, days)
	if !ok {
		st.lost[lossRange]++
		return append(b[:len(b)-1], "null"...)
	}
	return append(b, '"')
}

// instant appends microseconds since the Unix epoch as a JSON string, or
// null (noted) when fits is false or it falls outside the years 1 to 9999.
func (st *jsonState) instant(b []byte, us int64, fits bool) []byte {
	if fits {
		b = append(b, '"')
		if b, fits = appendTimestamp(b, us); fits {
			return append(b, '"')
		}
		b = b[:len(b)-1]
	}
	st.lost[lossRange]++
	return append(b, "null"...)
}

// time appends a time of day in microseconds as a JSON string, or null
// (noted) outside 00:00 to 24:00.
func (st *jsonState) time(b []byte, us int64) []byte {
	b = append(b, '"')
	b, ok := appendTime(b, us)
	if !ok {
		st.lost[lossTime]++
		return append(b[:len(b)-1], "null"...)
	}
	return append(b, '"')
}

// nan counts a float written as null (NaN or an infinity) unless ok.
func (st *jsonState) nan(ok bool) {
	if !ok {
		st.lost[lossNaN]++
	}
}

// needsEscape reports whether text holds a byte that a JSON string
// escapes, or bytes that are not UTF-8.
func needsEscape(text []byte) bool {
	for _, c := range text {
		if c < 0x20 || c == '"' || c == '\\' || c >= 0x80 {
			return true
		}
	}
	return false
}
