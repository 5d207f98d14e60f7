package avro

import (
	"encoding/base64"
	"encoding/binary"
	"math/big"
	"strconv"
	"unicode/utf8"
)

// The append functions render Avro values as text, appending to a buffer
// so that a row's text takes no allocation of its own.

// Days from 1970-01-01 of the first and last dates a Date column holds
// (0001-01-01 and 9999-12-31, the range pkg/record reads).
const (
	minDay = -719162
	maxDay = 2932896
)

// floorDiv returns a/b rounded towards negative infinity, and the
// remainder, in [0, b).
func floorDiv(a, b int64) (q, r int64) {
	q, r = a/b, a%b
	if r < 0 {
		q, r = q-1, r+b
	}
	return q, r
}

// civil returns the calendar date of a day counted from 1970-01-01 in the
// proleptic Gregorian calendar (Howard Hinnant's days_from_civil, inverted).
func civil(days int64) (year int64, month, day int) {
	era, doe := floorDiv(days+719468, 146097)
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	day = int(doy - (153*mp+2)/5 + 1)
	month = int(mp + 3)
	if month > 12 {
		month -= 12
	}
	year = yoe + era*400
	if month <= 2 {
		year++
	}
	return year, month, day
}

// appendDigits appends v in decimal, zero-padded to width digits.
func appendDigits(dst []byte, v uint64, width int) []byte {
	var buf [20]byte
	i := len(buf)
	for v >= 10 || width > 1 {
		i--
		buf[i] = byte('0' + v%10)
		v /= 10
		width--
	}
	i--
	buf[i] = byte('0' + v)
	return append(dst, buf[i:]...)
}

// appendDate appends the date days after 1970-01-01 as YYYY-MM-DD; a year
// outside 0 to 9999 is written with as many digits as it takes, and its
// sign.
func appendDate(dst []byte, days int64) []byte {
	y, m, d := civil(days)
	if y < 0 {
		dst = append(dst, '-')
		y = -y
	}
	dst = appendDigits(dst, uint64(y), 4)
	dst = append(dst, '-')
	dst = appendDigits(dst, uint64(m), 2)
	dst = append(dst, '-')
	return appendDigits(dst, uint64(d), 2)
}

// perSecond[u] is 10^u.
var perSecond = [...]int64{millis: 1e3, micros: 1e6, nanos: 1e9}

// splitTimestamp splits v, in units of 10^-unit seconds from the epoch,
// into days from 1970-01-01, seconds into that day and microseconds into
// that second (nanoseconds are truncated towards the past).
func splitTimestamp(v int64, unit int) (days, secs, us int64) {
	sec, frac := floorDiv(v, perSecond[unit])
	switch unit {
	case millis:
		frac *= 1000
	case nanos:
		frac /= 1000
	}
	days, secs = floorDiv(sec, 86400)
	return days, secs, frac
}

// appendTimestamp appends the instant v (see splitTimestamp) as
// format.TimestampCell writes it: 2006-01-02T15:04:05.999999Z, the
// fraction without trailing zeros and left out when zero.
func appendTimestamp(dst []byte, v int64, unit int) []byte {
	days, secs, us := splitTimestamp(v, unit)
	dst = appendDate(dst, days)
	dst = append(dst, 'T')
	dst = appendDigits(dst, uint64(secs/3600), 2)
	dst = append(dst, ':')
	dst = appendDigits(dst, uint64(secs/60%60), 2)
	dst = append(dst, ':')
	dst = appendDigits(dst, uint64(secs%60), 2)
	if us != 0 {
		width := 6
		for us%10 == 0 {
			us /= 10
			width--
		}
		dst = append(dst, '.')
		dst = appendDigits(dst, uint64(us), width)
	}
	return append(dst, 'Z')
}

// appendTime appends a time of day, v in units of 10^-unit seconds since
// midnight, as 15:04:05.000 (millis) or 15:04:05.000000 (micros). A value
// outside one day is written as it is: negative with a sign, or with more
// than 23 hours.
func appendTime(dst []byte, v int64, unit int) []byte {
	u := uint64(v)
	if v < 0 {
		dst = append(dst, '-')
		u = -u
	}
	per := uint64(perSecond[unit])
	secs, frac := u/per, u%per
	dst = appendDigits(dst, secs/3600, 2)
	dst = append(dst, ':')
	dst = appendDigits(dst, secs/60%60, 2)
	dst = append(dst, ':')
	dst = appendDigits(dst, secs%60, 2)
	dst = append(dst, '.')
	return appendDigits(dst, frac, unit)
}

// appendDecimal appends the decimal whose unscaled value is b, a big-endian
// two's-complement integer, with scale digits after the point, in the form
// of a JSON number: -12.50, 0.05, 7. An empty b is zero.
func appendDecimal(dst, b []byte, scale int) []byte {
	neg := len(b) > 0 && b[0]&0x80 != 0
	for len(b) > 1 && ((b[0] == 0 && b[1]&0x80 == 0) || (b[0] == 0xff && b[1]&0x80 != 0)) {
		b = b[1:]
	}
	var small [24]byte
	var digits []byte
	if len(b) <= 8 {
		var v uint64
		for _, c := range b {
			v = v<<8 | uint64(c)
		}
		if neg && len(b) < 8 {
			v |= ^uint64(0) << (8 * len(b))
		}
		if neg {
			v = -v
		}
		digits = strconv.AppendUint(small[:0], v, 10)
	} else {
		x := new(big.Int).SetBytes(b)
		if neg {
			x.Sub(new(big.Int).Lsh(big.NewInt(1), uint(8*len(b))), x)
		}
		digits = x.Append(nil, 10)
	}
	if neg {
		dst = append(dst, '-')
	}
	if scale == 0 {
		return append(dst, digits...)
	}
	if n := len(digits); n > scale {
		dst = append(dst, digits[:n-scale]...)
		dst = append(dst, '.')
		return append(dst, digits[n-scale:]...)
	}
	dst = append(dst, '0', '.')
	for range scale - len(digits) {
		dst = append(dst, '0')
	}
	return append(dst, digits...)
}

const hexDigits = "0123456789abcdef"

// appendUUID appends 16 bytes as a UUID: 8-4-4-4-12 lower-case hex digits.
func appendUUID(dst, b []byte) []byte {
	for i, c := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			dst = append(dst, '-')
		}
		dst = append(dst, hexDigits[c>>4], hexDigits[c&0xF])
	}
	return dst
}

// appendDuration appends an Avro duration (12 bytes: months, days and
// milliseconds, each an unsigned 32-bit little-endian integer) as an ISO
// 8601 duration, always in full: P1M2DT3.004S.
func appendDuration(dst, b []byte) []byte {
	months := binary.LittleEndian.Uint32(b)
	days := binary.LittleEndian.Uint32(b[4:])
	ms := binary.LittleEndian.Uint32(b[8:])
	dst = append(dst, 'P')
	dst = strconv.AppendUint(dst, uint64(months), 10)
	dst = append(dst, 'M')
	dst = strconv.AppendUint(dst, uint64(days), 10)
	dst = append(dst, 'D', 'T')
	dst = strconv.AppendUint(dst, uint64(ms/1000), 10)
	dst = append(dst, '.')
	dst = appendDigits(dst, uint64(ms%1000), 3)
	return append(dst, 'S')
}

// appendBase64 appends b in standard, padded base64, as encoding/json
// writes bytes.
func appendBase64(dst, b []byte) []byte {
	return base64.StdEncoding.AppendEncode(dst, b)
}

// appendValidUTF8 appends b with each byte of invalid UTF-8 replaced by
// U+FFFD, as encoding/json and record.CleanText replace them.
func appendValidUTF8(dst, b []byte) []byte {
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			dst = utf8.AppendRune(dst, utf8.RuneError)
		} else {
			dst = append(dst, b[i:i+size]...)
		}
		i += size
	}
	return dst
}
