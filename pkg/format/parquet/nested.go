package parquet

import (
	"fmt"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/extensions"
)

// maxNesting caps how deep appendJSON descends; Parquet schemas are
// bounded, so only a hostile file comes near it.
const maxNesting = 512

// appendJSON appends value i of arr as JSON: lists as arrays, structs as
// objects in field order, maps as objects (a key that is not a string is
// written as the JSON text of its value), numbers as numbers (decimals
// exactly; NaN and infinities as null), strings as strings, binary as text
// when valid UTF-8 else base64, dates, times and instants as strings in
// the forms of values.go (null out of range), UUIDs in their canonical
// form and variants as the JSON they hold.
func appendJSON(b []byte, arr arrow.Array, i, depth int) ([]byte, error) {
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
	case *array.Float32:
		b, ok = appendFloat(b, float64(a.Value(i)), 32)
	case *array.Float64:
		b, ok = appendFloat(b, a.Value(i), 64)
	case *array.Decimal128:
		return appendDecimal128(b, a.Value(i), a.DataType().(*arrow.Decimal128Type).Scale), nil
	case *array.Decimal256:
		return appendDecimal256(b, a.Value(i), a.DataType().(*arrow.Decimal256Type).Scale), nil
	case *array.String:
		return appendJSONString(b, a.Value(i)), nil
	case *array.LargeString:
		return appendJSONString(b, a.Value(i)), nil
	case *array.Binary:
		return appendQuoted(b, func(b []byte) []byte { return appendBinary(b, a.Value(i), true) }), nil
	case *array.LargeBinary:
		return appendQuoted(b, func(b []byte) []byte { return appendBinary(b, a.Value(i), true) }), nil
	case *array.FixedSizeBinary:
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
		return appendQuotedOK(b, func(b []byte) ([]byte, bool) { return appendDate(b, int64(a.Value(i))) }), nil
	case *array.Date64:
		return appendQuotedOK(b, func(b []byte) ([]byte, bool) { return appendDate(b, int64(a.Value(i))/86_400_000) }), nil
	case *array.Timestamp:
		us, fits := toMicros(int64(a.Value(i)), a.DataType().(*arrow.TimestampType).Unit)
		if !fits {
			return append(b, "null"...), nil
		}
		return appendQuotedOK(b, func(b []byte) ([]byte, bool) { return appendTimestamp(b, us) }), nil
	case *array.Time32:
		us, _ := toMicros(int64(a.Value(i)), a.DataType().(*arrow.Time32Type).Unit)
		return appendQuotedOK(b, func(b []byte) ([]byte, bool) { return appendTime(b, us) }), nil
	case *array.Time64:
		us, _ := toMicros(int64(a.Value(i)), a.DataType().(*arrow.Time64Type).Unit)
		return appendQuotedOK(b, func(b []byte) ([]byte, bool) { return appendTime(b, us) }), nil
	case *array.Map:
		return appendMap(b, a, i, depth)
	case array.ListLike:
		start, end := a.ValueOffsets(i)
		values := a.ListValues()
		b = append(b, '[')
		for j := start; j < end; j++ {
			if j > start {
				b = append(b, ',')
			}
			var err error
			if b, err = appendJSON(b, values, int(j), depth+1); err != nil {
				return b, err
			}
		}
		return append(b, ']'), nil
	case *array.Struct:
		st := a.DataType().(*arrow.StructType)
		b = append(b, '{')
		for f := 0; f < a.NumField(); f++ {
			if f > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, st.Field(f).Name)
			b = append(b, ':')
			var err error
			if b, err = appendJSON(b, a.Field(f), i, depth+1); err != nil {
				return b, err
			}
		}
		return append(b, '}'), nil
	case *array.Dictionary:
		return appendJSON(b, a.Dictionary(), a.GetValueIndex(i), depth+1)
	case array.ExtensionArray:
		return appendJSON(b, a.Storage(), i, depth+1)
	default:
		return appendJSONString(b, arr.ValueStr(i)), nil
	}
	if !ok {
		return append(b, "null"...), nil
	}
	return b, nil
}

// appendMap appends map value i of a as a JSON object.
func appendMap(b []byte, a *array.Map, i, depth int) ([]byte, error) {
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
			b = appendJSONString(b, k.Value(j))
		default:
			mark := len(b)
			if b, err = appendJSON(b, keys, j, depth+1); err != nil {
				return b, err
			}
			if b[mark] != '"' {
				text := string(b[mark:])
				b = appendJSONString(b[:mark], text)
			}
		}
		b = append(b, ':')
		if b, err = appendJSON(b, items, j, depth+1); err != nil {
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
		return appendJSONString(b[:mark-1], text)
	}
	return append(b, '"')
}

// appendQuotedOK is appendQuoted for a value that may be out of range,
// which is written as null.
func appendQuotedOK(b []byte, add func([]byte) ([]byte, bool)) []byte {
	b = append(b, '"')
	b, ok := add(b)
	if !ok {
		return append(b[:len(b)-1], "null"...)
	}
	return append(b, '"')
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
