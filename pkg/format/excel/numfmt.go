package excel

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// class is what a cell's number format makes of a number.
type class uint8

const (
	classNumber   class = iota // a plain number
	classDate                  // a date: the serial's integer part
	classDateTime              // a date and a time of day
	classTime                  // a time of day (h:mm)
	classElapsed               // a duration ([h]:mm:ss)
)

// builtinClass classifies Excel's built-in number formats by id: 14-17
// dates, 18-21 times, 22 date and time, 45-47 minutes and seconds (46
// elapsed hours), and the East Asian locales' date formats 27-36 and
// 50-58.
func builtinClass(id int) class {
	switch {
	case id >= 14 && id <= 17, id >= 27 && id <= 31, id >= 34 && id <= 36, id >= 50 && id <= 58:
		return classDate
	case id >= 18 && id <= 21, id == 32, id == 33, id == 45, id == 47:
		return classTime
	case id == 22:
		return classDateTime
	case id == 46:
		return classElapsed
	}
	return classNumber
}

// formatClass classifies a format code by its first section (the one for
// positive numbers). Text in quotes, characters escaped with \ or taking
// the width of another (_x, *x), and bracketed parts ([Red], [$-409],
// [>100]) are ignored, except the elapsed-time brackets [h], [m] and
// [s]. y and d are date tokens, h and s time tokens, AM/PM and A/P
// time markers; m is minutes right after an hour or before a second,
// else a month. A code that also has digit placeholders (0 # ?), other
// than the fractions of a second after "s.", is a number format, as in
// xlrd: a mix is too ambiguous to call a date.
func formatClass(code string) class {
	var date, clock, elapsed, digits bool
	var prev, mPrev byte // last date or time token seen ('y', 'm', 'd', 'h', 's'), and the one before a pending 'm'
	var pendingM bool    // an 'm' run whose meaning waits for the next token
	var afterSec bool    // just after "s." or "ss.": zeros are fractions of seconds
	lower := func(c byte) byte { return c | 0x20 }
	resolveM := func(next byte) {
		if !pendingM {
			return
		}
		pendingM = false
		if mPrev == 'h' || next == 's' {
			clock = true
		} else {
			date = true
		}
	}
	for i := 0; i < len(code); i++ {
		c := code[i]
		switch {
		case c == ';':
			i = len(code) // first section only
			continue
		case c == '"':
			if j := strings.IndexByte(code[i+1:], '"'); j >= 0 {
				i += j + 1
			} else {
				i = len(code)
			}
			afterSec = false
			continue
		case c == '\\' || c == '_' || c == '*':
			i++
			afterSec = false
			continue
		case c == '[':
			j := strings.IndexByte(code[i:], ']')
			if j < 0 {
				i = len(code)
				continue
			}
			inner := strings.ToLower(code[i+1 : i+j])
			if inner != "" && strings.Trim(inner, string(inner[0])) == "" && strings.ContainsAny(inner[:1], "hms") {
				elapsed, clock = true, true
				resolveM(inner[0])
				prev = inner[0]
			}
			i += j
			continue
		}
		l := lower(c)
		switch {
		case l == 'y' || l == 'd':
			resolveM(l)
			date = true
			prev = l
			afterSec = false
		case l == 'h':
			resolveM(l)
			clock = true
			prev = 'h'
			afterSec = false
		case l == 's':
			resolveM(l)
			clock = true
			prev = 's'
			for i+1 < len(code) && lower(code[i+1]) == 's' {
				i++
			}
			if i+1 < len(code) && code[i+1] == '.' {
				i++
				afterSec = true
				continue
			}
			afterSec = false
		case l == 'm':
			resolveM(l)
			for i+1 < len(code) && lower(code[i+1]) == 'm' {
				i++
			}
			pendingM, mPrev, prev = true, prev, 'm'
			afterSec = false
		case l == 'a' && (strings.HasPrefix(strings.ToLower(code[i:]), "am/pm") || strings.HasPrefix(strings.ToLower(code[i:]), "a/p")):
			clock = true
			if strings.HasPrefix(strings.ToLower(code[i:]), "am/pm") {
				i += 4
			} else {
				i += 2
			}
			afterSec = false
		case c == '0' && afterSec:
		case c == '0' || c == '#' || c == '?':
			digits = true
		default:
			afterSec = false
		}
	}
	resolveM(0)
	switch {
	case digits || (!date && !clock):
		return classNumber
	case elapsed && !date:
		return classElapsed
	case date && clock:
		return classDateTime
	case date:
		return classDate
	}
	return classTime
}

// Serial date limits: 9999-12-31 in each system.
const (
	maxSerial1900 = 2958465
	maxSerial1904 = 2957003
)

var (
	epoch1900 = time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)
	epoch1904 = time.Date(1904, 1, 1, 0, 0, 0, 0, time.UTC)
)

// serialTime converts an Excel serial date (days since the epoch, the
// fraction a time of day) to a time, rounded to the millisecond (Excel's
// own precision). In the 1900 system serials before 61 are one day off,
// as Excel counts a 29 February 1900 that never was (serial 60, read as 1
// March). ok is false outside 1900 (1904) to 9999.
func serialTime(v float64, date1904 bool) (time.Time, bool) {
	limit, base := float64(maxSerial1900), epoch1900
	if date1904 {
		limit, base = maxSerial1904, epoch1904
	}
	if !(v >= 0 && v < limit+1) {
		return time.Time{}, false
	}
	days := math.Floor(v)
	ms := math.Round((v - days) * 86400e3)
	if ms >= 86400e3 {
		days++
		ms -= 86400e3
	}
	if !date1904 && days < 61 {
		days++ // 1900-01-01 is serial 1
	}
	return base.AddDate(0, 0, int(days)).Add(time.Duration(ms) * time.Millisecond), true
}

// clockText renders a fraction of a day as a time of day, hh:mm:ss with
// milliseconds when there are any; elapsed time may pass 24 hours.
func clockText(v float64, elapsed bool) (string, bool) {
	if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 || (!elapsed && v >= 1) || v > 1e7 {
		return "", false
	}
	ms := int64(math.Round(v * 86400e3))
	if !elapsed && ms >= 86400e3 {
		ms -= 86400e3
	}
	h, rest := ms/3600e3, ms%3600e3
	b := make([]byte, 0, 16)
	if h < 10 {
		b = append(b, '0')
	}
	b = strconv.AppendInt(b, h, 10)
	b = append(b, ':', byte('0'+rest/600e3), byte('0'+rest/60e3%10), ':', byte('0'+rest%60e3/10e3), byte('0'+rest%10e3/1e3))
	if f := rest % 1e3; f != 0 {
		b = append(b, '.', byte('0'+f/100), byte('0'+f/10%10), byte('0'+f%10))
	}
	return string(b), true
}
