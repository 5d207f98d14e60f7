package format

import (
	"math"
	"strconv"
	"time"
)

// Text forms of typed values shared by the writers: each appends to dst the
// text that pkg/record reads back as the same value and type.

const (
	usPerSecond = 1_000_000
	usPerMinute = 60 * usPerSecond
	usPerHour   = 60 * usPerMinute
	usPerDay    = 24 * usPerHour
)

// AppendFloat appends a finite float64 as the shortest text that parses
// back to it: plain between 1e-6 and 1e21, with ".0" added to a whole
// number, and in exponent notation outside (as encoding/json writes).
func AppendFloat(dst []byte, v float64) []byte {
	abs := math.Abs(v)
	fmtc := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		fmtc = 'e'
	}
	start := len(dst)
	dst = strconv.AppendFloat(dst, v, fmtc, -1, 64)
	if fmtc == 'e' {
		// e-09 to e-9
		n := len(dst)
		if n >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1]
			dst = dst[:n-1]
		}
		return dst
	}
	for _, c := range dst[start:] {
		if c == '.' {
			return dst
		}
	}
	return append(dst, ".0"...)
}

// AppendDate appends the date days after 1970-01-01 as YYYY-MM-DD.
func AppendDate(dst []byte, days int64) []byte {
	y, m, d := civilDate(days)
	if y < 1 || y > 9999 {
		return time.Unix(days*86400, 0).UTC().AppendFormat(dst, "2006-01-02")
	}
	return appendYMD(dst, y, m, d)
}

// appendYMD appends a date of year 1 to 9999 as YYYY-MM-DD.
func appendYMD(dst []byte, y, m, d int64) []byte {
	dst = appendPair(dst, y/100)
	dst = appendPair(dst, y%100)
	dst = append(dst, '-')
	dst = appendPair(dst, m)
	dst = append(dst, '-')
	return appendPair(dst, d)
}

// AppendTimestamp appends the instant us microseconds after the epoch as
// RFC 3339 in UTC with microseconds: 2006-01-02T15:04:05.000000Z.
func AppendTimestamp(dst []byte, us int64) []byte {
	days, rem := us/usPerDay, us%usPerDay
	if rem < 0 {
		days, rem = days-1, rem+usPerDay
	}
	y, m, d := civilDate(days)
	if y < 1 || y > 9999 {
		return time.UnixMicro(us).UTC().AppendFormat(dst, "2006-01-02T15:04:05.000000Z07:00")
	}
	dst = appendYMD(dst, y, m, d)
	dst = append(dst, 'T')
	dst = appendPair(dst, rem/usPerHour)
	dst = append(dst, ':')
	dst = appendPair(dst, rem%usPerHour/usPerMinute)
	dst = append(dst, ':')
	dst = appendPair(dst, rem%usPerMinute/usPerSecond)
	dst = append(dst, '.')
	frac := rem % usPerSecond
	dst = appendPair(dst, frac/10000)
	dst = appendPair(dst, frac/100%100)
	dst = appendPair(dst, frac%100)
	return append(dst, 'Z')
}

// digitPairs holds "00" to "99".
const digitPairs = "00010203040506070809" +
	"10111213141516171819" +
	"20212223242526272829" +
	"30313233343536373839" +
	"40414243444546474849" +
	"50515253545556575859" +
	"60616263646566676869" +
	"70717273747576777879" +
	"80818283848586878889" +
	"90919293949596979899"

// appendPair appends v (0 <= v < 100) as two digits.
func appendPair(dst []byte, v int64) []byte {
	return append(dst, digitPairs[2*v], digitPairs[2*v+1])
}

// civilDate returns the proleptic Gregorian year, month and day of the
// date days after 1970-01-01 (H. Hinnant's days_from_civil, inverted).
func civilDate(days int64) (y, m, d int64) {
	z := days + 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era--
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y = yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = doy - (153*mp+2)/5 + 1
	m = mp + 3
	if mp >= 10 {
		m = mp - 9
	}
	if m <= 2 {
		y++
	}
	return y, m, d
}
