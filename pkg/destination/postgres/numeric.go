package postgres

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/big"
	"strconv"

	"github.com/jackc/pgx/v5/pgtype"
)

// NUMERIC's binary format (numeric_send): the number of base-10000 digits,
// the weight of the first (its power of 10000), the sign, the display
// scale (digits after the point), then the digits, each an int16, with no
// leading or trailing zero digit.
const (
	numericPositive = 0x0000
	numericNegative = 0x4000
)

// The special values of NUMERIC's sign field (PostgreSQL 14 and later
// for the infinities).
const (
	numericNaN    = 0xC000
	numericPosInf = 0xD000
	numericNegInf = 0xF000
)

// appendFloatDecimal appends f as the shortest decimal text that reads
// back as f, in plain notation, or as "NaN", "Infinity" or "-Infinity",
// which appendNumeric writes as NUMERIC's special values.
func appendFloatDecimal(b []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(b, "NaN"...)
	case math.IsInf(f, 1):
		return append(b, "Infinity"...)
	case math.IsInf(f, -1):
		return append(b, "-Infinity"...)
	}
	return strconv.AppendFloat(b, f, 'f', -1, 64)
}

// appendNumeric appends exact decimal text (an optional '-', digits, and
// optionally '.' and digits, as record.AppendDecimal writes) as a COPY field
// in NUMERIC's binary format, with display scale the number of digits after
// the point: "12.50" is 12.50, never 12.5, and never through a float. The
// server fits the value to the column's scale, which is at least as large
// (the column was widened first), so nothing is rounded.
func appendNumeric(buf, text []byte) []byte {
	switch string(text) {
	case "NaN":
		return appendNumericSpecial(buf, numericNaN)
	case "Infinity":
		return appendNumericSpecial(buf, numericPosInf)
	case "-Infinity":
		return appendNumericSpecial(buf, numericNegInf)
	}
	sign := uint16(numericPositive)
	if len(text) > 0 && text[0] == '-' {
		sign, text = numericNegative, text[1:]
	}
	intPart, frac := text, []byte(nil)
	if i := bytes.IndexByte(text, '.'); i >= 0 {
		intPart, frac = text[:i], text[i+1:]
	}
	for len(intPart) > 0 && intPart[0] == '0' {
		intPart = intPart[1:]
	}
	var stack [48]uint16
	digits := stack[:0]
	// The integer part in groups of four from the point leftwards, the
	// first group possibly shorter.
	first := len(intPart) % 4
	if first == 0 {
		first = 4
	}
	for i := 0; i < len(intPart); {
		n := 4
		if i == 0 {
			n = first
		}
		digits = append(digits, group(intPart[i:i+n], n))
		i += n
	}
	weight := len(digits) - 1
	// The fraction in groups of four from the point rightwards, the last
	// padded with zeros.
	for i := 0; i < len(frac); i += 4 {
		digits = append(digits, group(frac[i:min(i+4, len(frac))], 4))
	}
	for len(digits) > 0 && digits[0] == 0 { // a value below 1: leading zero groups of the fraction
		digits = digits[1:]
		weight--
	}
	for len(digits) > 0 && digits[len(digits)-1] == 0 {
		digits = digits[:len(digits)-1]
	}
	if len(digits) == 0 {
		sign, weight = numericPositive, 0
	}
	buf = appendField(buf, 8+2*len(digits))
	buf = binary.BigEndian.AppendUint16(buf, uint16(len(digits)))
	buf = binary.BigEndian.AppendUint16(buf, uint16(int16(weight)))
	buf = binary.BigEndian.AppendUint16(buf, sign)
	buf = binary.BigEndian.AppendUint16(buf, uint16(len(frac)))
	for _, d := range digits {
		buf = binary.BigEndian.AppendUint16(buf, d)
	}
	return buf
}

// appendNumericSpecial appends a NUMERIC of no digits with the given sign
// field: NaN or an infinity.
func appendNumericSpecial(buf []byte, sign uint16) []byte {
	buf = appendField(buf, 8)
	buf = binary.BigEndian.AppendUint32(buf, 0) // no digits, weight 0
	buf = binary.BigEndian.AppendUint16(buf, sign)
	return binary.BigEndian.AppendUint16(buf, 0)
}

// appendNumericInt appends the decimal of unscaled value v and the given
// scale (v / 10^scale) as appendNumeric does its text, straight from the
// integer: the common case of a Decimal128 that fits an int64. It reports
// false, appending nothing, when v is too large for that path.
func appendNumericInt(buf []byte, v int64, scale int) ([]byte, bool) {
	if scale < 0 {
		return buf, false
	}
	sign := uint16(numericPositive)
	u := uint64(v)
	if v < 0 {
		sign, u = numericNegative, -u
	}
	// Align the scale on whole base-10000 digits of the fraction.
	pad := (4 - scale%4) % 4
	if u > math.MaxUint64/1000 {
		return buf, false
	}
	for range pad {
		u *= 10
	}
	var groups [5]uint16 // least significant first; 10^20 > 2^64
	n := 0
	for ; u > 0; n++ {
		groups[n] = uint16(u % 10000)
		u /= 10000
	}
	lo := 0
	for lo < n && groups[lo] == 0 {
		lo++
	}
	weight := n - 1 - (scale+pad)/4
	if lo == n {
		sign, weight, n, lo = numericPositive, 0, 0, 0
	}
	buf = appendField(buf, 8+2*(n-lo))
	buf = binary.BigEndian.AppendUint16(buf, uint16(n-lo))
	buf = binary.BigEndian.AppendUint16(buf, uint16(int16(weight)))
	buf = binary.BigEndian.AppendUint16(buf, sign)
	buf = binary.BigEndian.AppendUint16(buf, uint16(scale))
	for i := n - 1; i >= lo; i-- {
		buf = binary.BigEndian.AppendUint16(buf, groups[i])
	}
	return buf, true
}

// group reads up to four decimal digits as a base-10000 digit, the missing
// ones (to the right) zero: "5" with width 4 is 5000.
func group(s []byte, width int) uint16 {
	var v uint16
	for i := range width {
		v *= 10
		if i < len(s) {
			v += uint16(s[i] - '0')
		}
	}
	return v
}

// numericSlot is a decimal as its exact text, for NUMERIC columns.
type numericSlot struct{ text []byte }

func (s numericSlot) appendBinary(buf []byte) []byte { return appendNumeric(buf, s.text) }

// NumericValue is the value for pgx, which a cell hands out only for a
// column whose type filedge did not create (never a NUMERIC one).
func (s numericSlot) NumericValue() (pgtype.Numeric, error) {
	text := s.text
	exp := 0
	if i := bytes.IndexByte(text, '.'); i >= 0 {
		exp = -(len(text) - i - 1)
		text = append(append([]byte(nil), text[:i]...), text[i+1:]...)
	}
	n, ok := new(big.Int).SetString(string(text), 10)
	if !ok {
		return pgtype.Numeric{}, nil
	}
	return pgtype.Numeric{Int: n, Exp: int32(exp), Valid: true}, nil
}
