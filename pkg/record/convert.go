package record

import (
	"encoding/json"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
)

// The Convert functions turn a cell into a value of one type, the way the
// Builder fills a column of a declared type. They agree with Infer: a
// non-null cell converts to every type t with Widen(Infer(c), t) == t
// (Integer to Float, Date to Timestamp, anything to String). They also
// accept what a user who declared the type means, regardless of the cell's
// Kind: a leading '+' and leading zeros in numbers, "NaN" and "Inf" for
// floats, more spellings of booleans. A null cell (see Cell.IsNull) gives
// ErrNull, and so does an Empty cell, which is null in any column but a
// String one; a value that does not convert gives an error wrapping
// ErrConvert.

// ConvertInteger converts c to an int64.
func ConvertInteger(c Cell) (int64, error) {
	if c.nullIn(Integer) {
		return 0, ErrNull
	}
	if t, v := parseNumber(c.Text, numericKind); t == Integer {
		return int64(v), nil
	}
	return 0, convertError(c.Text, Integer)
}

// ConvertFloat converts c to a float64. Integers convert to the nearest
// float64.
func ConvertFloat(c Cell) (float64, error) {
	if c.nullIn(Float) {
		return 0, ErrNull
	}
	if v, ok := toFloat(c.Text); ok {
		return v, nil
	}
	return 0, convertError(c.Text, Float)
}

// toFloat is ConvertFloat on text, as a value in the encoding of parse.go.
func toFloat(s string) (float64, bool) {
	t, v := parseNumeric(s)
	switch t {
	case Integer:
		return float64(int64(v)), true
	case Float:
		return math.Float64frombits(v), true
	}
	return 0, false
}

// ConvertBoolean converts c to a bool. It accepts true/false, t/f, yes/no,
// y/n, on/off and 1/0, in any letter case.
func ConvertBoolean(c Cell) (bool, error) {
	if c.nullIn(Boolean) {
		return false, ErrNull
	}
	if v, ok := parseBoolLenient(c.Text); ok {
		return v == 1, nil
	}
	return false, convertError(c.Text, Boolean)
}

// ConvertDate converts c, a YYYY-MM-DD date (see Infer), to days since
// 1970-01-01. A timestamp does not convert: it would lose its time of day.
func ConvertDate(c Cell) (arrow.Date32, error) {
	if c.nullIn(Date) {
		return 0, ErrNull
	}
	if t, v, ok := parseDateTime(c.Text); ok && t == Date {
		return arrow.Date32(int64(v)), nil
	}
	return 0, convertError(c.Text, Date)
}

// ConvertTimestamp converts c, a timestamp or a date (see Infer), to
// microseconds since 1970-01-01T00:00:00Z. A date is its midnight, UTC.
func ConvertTimestamp(c Cell) (arrow.Timestamp, error) {
	if c.nullIn(Timestamp) {
		return 0, ErrNull
	}
	if t, v, ok := parseDateTime(c.Text); ok {
		return arrow.Timestamp(lift(v, t, Timestamp)), nil
	}
	return 0, convertError(c.Text, Timestamp)
}

// ConvertString returns c's text as is, whatever its Kind (a Document's
// JSON text too; "" for an Empty cell). The Builder passes it through
// CleanText before storing it.
func ConvertString(c Cell) string {
	if c.Kind == Empty {
		return ""
	}
	return c.Text
}

// ConvertJSON returns c as a JSON document, so that a JSON column always
// holds valid JSON:
//
//   - Document: its text as is.
//   - Number: its text when it is a JSON number, else a JSON string.
//   - Bool: true or false when it is a boolean, else a JSON string.
//   - Quoted: a JSON string.
//   - Text: its text when it is valid JSON (a column of JSON documents in
//     a CSV file), else a JSON string.
//   - Null and Empty: null (an Empty cell is null in a JSON column).
//
// Strings are escaped as AppendJSONString escapes them, and the result is
// cleaned as CleanJSON cleans it: NUL characters, bytes that are not UTF-8
// and escapes of unpaired surrogates become U+FFFD.
func ConvertJSON(c Cell) string {
	return CleanJSON(string(appendJSON(nil, c)))
}

// appendJSON appends ConvertJSON(c) to dst.
func appendJSON(dst []byte, c Cell) []byte {
	s := c.Text
	switch c.Kind {
	case Null, Empty:
		return append(dst, "null"...)
	case Document:
		return append(dst, s...)
	case Number:
		if isJSONNumber(s) {
			return append(dst, s...)
		}
	case Bool:
		if v, ok := parseBoolStrict(s); ok {
			if v == 1 {
				return append(dst, "true"...)
			}
			return append(dst, "false"...)
		}
	case Text:
		if s == "" {
			return append(dst, "null"...)
		}
		if json.Valid([]byte(s)) {
			return append(dst, s...)
		}
	}
	return AppendJSONString(dst, s)
}

// isJSONNumber reports whether s is a number as JSON (RFC 8259) writes it:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func isJSONNumber(s string) bool {
	i, n := 0, len(s)
	if i < n && s[i] == '-' {
		i++
	}
	switch {
	case i < n && s[i] == '0':
		i++
	case i < n && s[i] >= '1' && s[i] <= '9':
		for i < n && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	default:
		return false
	}
	if i < n && s[i] == '.' {
		i++
		start := i
		for i < n && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == start {
			return false
		}
	}
	if i < n && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < n && (s[i] == '+' || s[i] == '-') {
			i++
		}
		start := i
		for i < n && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == start {
			return false
		}
	}
	return i == n
}

// lift converts a value of type from to the wider type to (Integer to
// Float, Date to Timestamp); any other pair is returned unchanged.
func lift(v uint64, from, to Type) uint64 {
	switch {
	case from == Integer && to == Float:
		return math.Float64bits(float64(int64(v)))
	case from == Date && to == Timestamp:
		return uint64(int64(v) * usPerDay)
	}
	return v
}
