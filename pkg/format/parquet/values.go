package parquet

import (
	"encoding/base64"
	"math"
	"strconv"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/decimal256"
)

// The append functions render values as the text pkg/record reads back:
// dates as YYYY-MM-DD, instants as YYYY-MM-DDTHH:MM:SS[.ffffff]Z, times of
// day as HH:MM:SS.ffffff, decimals exactly. Those that report a bool report
// false, appending nothing, for a value out of the range pkg/record holds
// (years 1 to 9999; a time of day within 24 hours).

const (
	usPerSecond = 1_000_000
	usPerDay    = 86_400 * usPerSecond
	// minDay and maxDay are 0001-01-01 and 9999-12-31 as days since
	// 1970-01-01.
	minDay = -719_162
	maxDay = 2_932_896
)

// civil converts days since 1970-01-01 to a proleptic Gregorian date
// (Howard Hinnant's civil_from_days).
func civil(days int64) (y, m, d int64) {
	z := days + 719_468
	era := z / 146_097
	if z < 0 && z%146_097 != 0 {
		era--
	}
	doe := z - era*146_097
	yoe := (doe - doe/1460 + doe/36_524 - doe/146_096) / 365
	y = yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = doy - (153*mp+2)/5 + 1
	if mp < 10 {
		m = mp + 3
	} else {
		m = mp - 9
	}
	if m <= 2 {
		y++
	}
	return y, m, d
}

func append2(b []byte, v int64) []byte { return append(b, byte('0'+v/10), byte('0'+v%10)) }

func append4(b []byte, v int64) []byte {
	return append(b, byte('0'+v/1000), byte('0'+v/100%10), byte('0'+v/10%10), byte('0'+v%10))
}

// appendDate appends days since 1970-01-01 as YYYY-MM-DD.
func appendDate(b []byte, days int64) ([]byte, bool) {
	if days < minDay || days > maxDay {
		return b, false
	}
	y, m, d := civil(days)
	b = append4(b, y)
	b = append(b, '-')
	b = append2(b, m)
	b = append(b, '-')
	return append2(b, d), true
}

// appendClock appends a time of day in microseconds as HH:MM:SS, then
// .ffffff: always when full is set, else only when not zero, without
// trailing zeros.
func appendClock(b []byte, us int64, full bool) []byte {
	s := us / usPerSecond
	b = append2(b, s/3600)
	b = append(b, ':')
	b = append2(b, s/60%60)
	b = append(b, ':')
	b = append2(b, s%60)
	frac := us % usPerSecond
	if frac == 0 && !full {
		return b
	}
	b = append(b, '.')
	digits := 6
	if !full {
		for frac%10 == 0 {
			frac /= 10
			digits--
		}
	}
	var tmp [6]byte
	for i := digits - 1; i >= 0; i-- {
		tmp[i] = byte('0' + frac%10)
		frac /= 10
	}
	return append(b, tmp[:digits]...)
}

// appendTimestamp appends microseconds since 1970-01-01T00:00:00Z as
// YYYY-MM-DDTHH:MM:SS[.ffffff]Z.
func appendTimestamp(b []byte, us int64) ([]byte, bool) {
	days := us / usPerDay
	rem := us % usPerDay
	if rem < 0 {
		days--
		rem += usPerDay
	}
	b, ok := appendDate(b, days)
	if !ok {
		return b, false
	}
	b = append(b, 'T')
	b = appendClock(b, rem, false)
	return append(b, 'Z'), true
}

// appendTime appends a time of day in microseconds as HH:MM:SS.ffffff.
func appendTime(b []byte, us int64) ([]byte, bool) {
	if us < 0 || us >= usPerDay {
		return b, false
	}
	return appendClock(b, us, true), true
}

// toMicros converts v in unit to microseconds, rounding towards negative
// infinity; ok is false when the result overflows.
func toMicros(v int64, unit arrow.TimeUnit) (int64, bool) {
	switch unit {
	case arrow.Second:
		if v > math.MaxInt64/usPerSecond || v < math.MinInt64/usPerSecond {
			return 0, false
		}
		return v * usPerSecond, true
	case arrow.Millisecond:
		if v > math.MaxInt64/1000 || v < math.MinInt64/1000 {
			return 0, false
		}
		return v * 1000, true
	case arrow.Nanosecond:
		q := v / 1000
		if v%1000 < 0 {
			q--
		}
		return q, true
	}
	return v, true
}

// appendScaled appends the decimal digits of an integer (digits, with a
// leading '-' when negative) divided by 10^scale.
func appendScaled(b []byte, digits []byte, scale int32) []byte {
	neg := len(digits) > 0 && digits[0] == '-'
	if neg {
		b = append(b, '-')
		digits = digits[1:]
	}
	if scale <= 0 {
		b = append(b, digits...)
		if len(digits) == 1 && digits[0] == '0' {
			return b
		}
		for i := int32(0); i < -scale; i++ {
			b = append(b, '0')
		}
		return b
	}
	if n := int(scale); len(digits) <= n {
		b = append(b, '0', '.')
		for i := len(digits); i < n; i++ {
			b = append(b, '0')
		}
		return append(b, digits...)
	}
	point := len(digits) - int(scale)
	b = append(b, digits[:point]...)
	b = append(b, '.')
	return append(b, digits[point:]...)
}

// appendDecimal128 appends v / 10^scale exactly.
func appendDecimal128(b []byte, v decimal128.Num, scale int32) []byte {
	var tmp [48]byte
	var digits []byte
	hi, lo := v.HighBits(), v.LowBits()
	if (hi == 0 && lo <= math.MaxInt64) || (hi == -1 && lo > math.MaxInt64) {
		digits = strconv.AppendInt(tmp[:0], int64(lo), 10)
	} else {
		digits = v.BigInt().Append(tmp[:0], 10)
	}
	return appendScaled(b, digits, scale)
}

// appendDecimal256 appends v / 10^scale exactly.
func appendDecimal256(b []byte, v decimal256.Num, scale int32) []byte {
	var tmp [96]byte
	return appendScaled(b, v.BigInt().Append(tmp[:0], 10), scale)
}

// appendFloat appends f as the shortest text that reads back as the same
// float of bits bits; ok is false for NaN and infinities.
func appendFloat(b []byte, f float64, bits int) ([]byte, bool) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return b, false
	}
	return strconv.AppendFloat(b, f, 'g', -1, bits), true
}

// appendBinary appends bytes as text when asText is set and they are valid
// UTF-8, else as standard base64.
func appendBinary(b []byte, v []byte, asText bool) []byte {
	if asText && utf8.Valid(v) {
		return append(b, v...)
	}
	return base64.StdEncoding.AppendEncode(b, v)
}

const hexDigits = "0123456789abcdef"

// appendUUID appends 16 bytes in the canonical 8-4-4-4-12 form.
func appendUUID(b []byte, v []byte) []byte {
	for i, c := range v {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			b = append(b, '-')
		}
		b = append(b, hexDigits[c>>4], hexDigits[c&0x0f])
	}
	return b
}
