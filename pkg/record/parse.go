package record

import (
	"math"
	"strconv"
)

// This file holds the hand-written literal parsers behind Infer, the
// Convert functions and the Builder. They allocate nothing, use neither
// regexp nor time.Parse, and return the value with its type, so that one
// pass over a cell's text both infers and converts it.
//
// A value travels as a uint64: Boolean as 0 or 1, Integer as the int64's
// bits, Float as math.Float64bits, Date as days since 1970-01-01 and
// Timestamp as microseconds since 1970-01-01T00:00:00Z (both as int64 bits).

const (
	usPerSecond = 1_000_000
	usPerMinute = 60 * usPerSecond
	usPerHour   = 60 * usPerMinute
	usPerDay    = 24 * usPerHour
)

// numberMode selects how strict parseNumber is.
type numberMode uint8

const (
	// strictText is inference on untyped text: sign '-' only, no leading
	// zeros in the integer part, and an integer literal that overflows
	// int64 is not a number (it stays String, keeping its digits).
	strictText numberMode = iota
	// numericKind is a cell the file marked as a number: like strictText,
	// but a leading '+' and leading zeros are allowed, and an integer
	// literal that overflows int64 is a Float.
	numericKind
)

// float64pow10 holds the powers of ten that float64 represents exactly.
var float64pow10 = [...]float64{
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9,
	1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19,
	1e20, 1e21, 1e22,
}

// parseTextNumber is parseNumber(s, strictText), with a fast path for the
// common literals: an integer, or a decimal without exponent, of at most 18
// digits.
func parseTextNumber(s string) (Type, uint64) {
	n := len(s)
	i := 0
	neg := s[0] == '-'
	if neg {
		i = 1
	}
	start := i
	var mant uint64
	for ; i < n; i++ {
		c := s[i] - '0'
		if c > 9 {
			break
		}
		mant = mant*10 + uint64(c)
	}
	intDigits := i - start
	if intDigits > 18 || (intDigits > 1 && s[start] == '0') {
		return parseNumber(s, strictText)
	}
	if i == n {
		if intDigits == 0 {
			return String, 0
		}
		if neg {
			return Integer, uint64(-int64(mant))
		}
		return Integer, mant
	}
	if s[i] != '.' {
		return parseNumber(s, strictText)
	}
	i++
	fracStart := i
	for ; i < n; i++ {
		c := s[i] - '0'
		if c > 9 {
			break
		}
		mant = mant*10 + uint64(c)
	}
	fracDigits := i - fracStart
	if i != n || intDigits+fracDigits > 18 || mant >= 1<<53 || fracDigits > 22 {
		return parseNumber(s, strictText)
	}
	if intDigits == 0 && fracDigits == 0 {
		return String, 0
	}
	f := float64(mant) / float64pow10[fracDigits]
	if neg {
		f = -f
	}
	return Float, math.Float64bits(f)
}

// parseNumber parses s as a number literal. The grammar (strictText) is
//
//	integer  -?(0|[1-9][0-9]*)
//	float    -?(0|[1-9][0-9]*)?\.[0-9]*([eE][+-]?[0-9]+)?   at least one digit around the '.'
//	         -?(0|[1-9][0-9]*)[eE][+-]?[0-9]+
//
// so "1.", ".5", "-.5", "1e3" and "3.0E-2" are floats while "00", "0123",
// "+5", "1,000", "NaN" and "Inf" are not numbers. It returns Integer, Float
// or String (not a number, or a float that overflows float64).
func parseNumber(s string, mode numberMode) (Type, uint64) {
	n := len(s)
	i := 0
	neg := false
	if i < n && (s[i] == '-' || (s[i] == '+' && mode != strictText)) {
		neg = s[i] == '-'
		i++
	}
	intStart := i
	var mant uint64 // significant digits, while they fit
	sig := 0        // significant digits seen
	dropped := 0    // significant integer digits beyond what mant holds
	for ; i < n; i++ {
		c := s[i] - '0'
		if c > 9 {
			break
		}
		if sig == 0 && c == 0 {
			continue
		}
		if sig < 19 {
			mant = mant*10 + uint64(c)
		} else {
			dropped++
		}
		sig++
	}
	intDigits := i - intStart
	if mode == strictText && intDigits > 1 && s[intStart] == '0' {
		return String, 0
	}
	if i == n {
		if intDigits == 0 {
			return String, 0
		}
		if v, ok := intValue(mant, sig, neg); ok {
			return Integer, uint64(v)
		}
		if mode == strictText {
			return String, 0
		}
		return floatSlow(s)
	}
	exp10 := dropped // decimal exponent of mant
	fracDigits := 0
	if s[i] == '.' {
		i++
		fracStart := i
		for ; i < n; i++ {
			c := s[i] - '0'
			if c > 9 {
				break
			}
			if sig == 0 && c == 0 {
				exp10--
				continue
			}
			if sig < 19 {
				mant = mant*10 + uint64(c)
				exp10--
			}
			sig++
		}
		fracDigits = i - fracStart
		if intDigits == 0 && fracDigits == 0 {
			return String, 0
		}
	} else if intDigits == 0 {
		return String, 0
	}
	if i < n {
		if s[i] != 'e' && s[i] != 'E' {
			return String, 0
		}
		e, ok := parseExponent(s[i+1:], 100_000)
		if !ok {
			return String, 0
		}
		exp10 += e
	}
	// Exact fast path (Clinger): an exactly representable mantissa scaled
	// by an exactly representable power of ten rounds once, correctly.
	if sig <= 19 && mant < 1<<53 && exp10 >= -22 && exp10 <= 22 {
		f := float64(mant)
		if exp10 < 0 {
			f /= float64pow10[-exp10]
		} else {
			f *= float64pow10[exp10]
		}
		if neg {
			f = -f
		}
		return Float, math.Float64bits(f)
	}
	return floatSlow(s)
}

// parseExponent parses the exponent of a number literal, what follows its
// 'e' or 'E': [+-]?[0-9]+ and nothing else. A magnitude of limit or more
// stops growing (the caller treats it as too large), so that no exponent
// overflows.
func parseExponent(s string, limit int) (int, bool) {
	i, neg := 0, false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	if i == len(s) {
		return 0, false
	}
	e := 0
	for ; i < len(s); i++ {
		c := s[i] - '0'
		if c > 9 {
			return 0, false
		}
		if e < limit {
			e = e*10 + int(c)
		}
	}
	if neg {
		e = -e
	}
	return e, true
}

// intValue returns the int64 of an integer literal with sig significant
// digits, held in mant when sig <= 19, or ok false when it overflows.
func intValue(mant uint64, sig int, neg bool) (int64, bool) {
	if sig > 19 {
		return 0, false
	}
	if sig == 19 {
		// mant may be up to 9999999999999999999, which fits uint64.
		if neg {
			if mant > 1<<63 {
				return 0, false
			}
			return int64(-mant), true // -(1<<63) wraps to math.MinInt64, as meant
		}
		if mant > math.MaxInt64 {
			return 0, false
		}
	}
	if neg {
		return -int64(mant), true
	}
	return int64(mant), true
}

// floatSlow parses a syntactically valid number with strconv, for the rare
// literals the exact fast path does not cover. An overflow is not a Float.
func floatSlow(s string) (Type, uint64) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return String, 0
	}
	return Float, math.Float64bits(f)
}

// parseBoolStrict parses "true" or "false" in any letter case.
func parseBoolStrict(s string) (uint64, bool) {
	switch len(s) {
	case 4:
		if s[0]|0x20 == 't' && s[1]|0x20 == 'r' && s[2]|0x20 == 'u' && s[3]|0x20 == 'e' {
			return 1, true
		}
	case 5:
		if s[0]|0x20 == 'f' && s[1]|0x20 == 'a' && s[2]|0x20 == 'l' && s[3]|0x20 == 's' && s[4]|0x20 == 'e' {
			return 0, true
		}
	}
	return 0, false
}

// parseBoolLenient parses the boolean spellings a declared boolean column
// accepts: true/false, t/f, yes/no, y/n, on/off and 1/0, in any letter case.
func parseBoolLenient(s string) (uint64, bool) {
	if v, ok := parseBoolStrict(s); ok {
		return v, true
	}
	var buf [3]byte
	if len(s) > len(buf) {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		buf[i] = s[i] | 0x20
	}
	switch string(buf[:len(s)]) {
	case "t", "yes", "y", "on", "1":
		return 1, true
	case "f", "no", "n", "off", "0":
		return 0, true
	}
	return 0, false
}

// looksLikeDate reports whether s may start with a YYYY-MM-DD date, the
// cheap test before parseDateTime.
func looksLikeDate(s string) bool {
	return len(s) >= 10 && s[4] == '-' && s[7] == '-'
}

// parseDateTime parses a date or a timestamp:
//
//	YYYY-MM-DD
//	YYYY-MM-DD(T|t| )HH:MM[:SS[.F]][Z|z|±HH|±HH:MM|±HHMM]
//
// where F is 1 to 9 digits (kept to the microsecond, truncated). A
// timestamp without a zone is UTC. Years run from 0001 to 9999; every field
// must be valid (no February 30th, no hour 24, no leap second). It returns
// Date (days since the epoch), Timestamp (microseconds since the epoch, UTC)
// or ok false.
func parseDateTime(s string) (Type, uint64, bool) {
	if !looksLikeDate(s) {
		return 0, 0, false
	}
	y, ok1 := digits4(s[0:4])
	m, ok2 := digits2(s[5:7])
	d, ok3 := digits2(s[8:10])
	if !(ok1 && ok2 && ok3) || y == 0 || m < 1 || m > 12 || d < 1 || d > daysIn(y, m) {
		return 0, 0, false
	}
	days := epochDays(y, m, d)
	if len(s) == 10 {
		return Date, uint64(days), true
	}
	if len(s) < 16 || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || s[13] != ':' {
		return 0, 0, false
	}
	hh, ok1 := digits2(s[11:13])
	mm, ok2 := digits2(s[14:16])
	if !ok1 || !ok2 || hh > 23 || mm > 59 {
		return 0, 0, false
	}
	us := days*usPerDay + hh*usPerHour + mm*usPerMinute
	i := 16
	if i < len(s) && s[i] == ':' {
		if i+3 > len(s) {
			return 0, 0, false
		}
		ss, ok := digits2(s[i+1 : i+3])
		if !ok || ss > 59 {
			return 0, 0, false
		}
		us += ss * usPerSecond
		i += 3
		if i < len(s) && s[i] == '.' {
			i++
			start := i
			var frac int64
			for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
				if i-start < 6 {
					frac = frac*10 + int64(s[i]-'0')
				}
			}
			nd := i - start
			if nd == 0 || nd > 9 {
				return 0, 0, false
			}
			for k := nd; k < 6; k++ {
				frac *= 10
			}
			us += frac
		}
	}
	if i < len(s) {
		switch s[i] {
		case 'Z', 'z':
			i++
		case '+', '-':
			sign := int64(1)
			if s[i] == '-' {
				sign = -1
			}
			rest := s[i+1:]
			var oh, om int64
			var ok bool
			switch {
			case len(rest) == 2:
				oh, ok = digits2(rest)
			case len(rest) == 4:
				oh, ok = digits2(rest[0:2])
				var ok2 bool
				om, ok2 = digits2(rest[2:4])
				ok = ok && ok2
			case len(rest) == 5 && rest[2] == ':':
				oh, ok = digits2(rest[0:2])
				var ok2 bool
				om, ok2 = digits2(rest[3:5])
				ok = ok && ok2
			}
			if !ok || oh > 23 || om > 59 {
				return 0, 0, false
			}
			// Local time = UTC + offset, so UTC = local - offset.
			us -= sign * (oh*usPerHour + om*usPerMinute)
			i = len(s)
		default:
			return 0, 0, false
		}
	}
	if i != len(s) {
		return 0, 0, false
	}
	return Timestamp, uint64(us), true
}

func digits2(s string) (int64, bool) {
	a, b := s[0]-'0', s[1]-'0'
	if a > 9 || b > 9 {
		return 0, false
	}
	return int64(a)*10 + int64(b), true
}

func digits4(s string) (int64, bool) {
	hi, ok1 := digits2(s[0:2])
	lo, ok2 := digits2(s[2:4])
	return hi*100 + lo, ok1 && ok2
}

// daysIn returns the number of days in month m of year y.
func daysIn(y, m int64) int64 {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// Days since the epoch of the first of every month from January of
// tableFirstYear, so that the common dates need no arithmetic.
const (
	tableFirstYear = 1900
	tableYears     = 300
)

var monthStarts = func() (t [tableYears * 12]int32) {
	for i := range t {
		t[i] = int32(daysFromCivil(int64(tableFirstYear+i/12), int64(i%12+1), 1))
	}
	return t
}()

// epochDays returns the days since 1970-01-01 of a valid date with y >= 1.
func epochDays(y, m, d int64) int64 {
	if k := uint64(y-tableFirstYear)*12 + uint64(m-1); k < uint64(len(monthStarts)) {
		return int64(monthStarts[k]) + d - 1
	}
	return daysFromCivil(y, m, d)
}

// daysFromCivil returns the days since 1970-01-01 of a proleptic Gregorian
// date with y >= 1 (Howard Hinnant's algorithm).
func daysFromCivil(y, m, d int64) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}
