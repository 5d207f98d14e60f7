package record

import (
	"strings"
	"unicode/utf8"
)

// Text that every destination stores: no byte that is not UTF-8, and no
// NUL character. PostgreSQL refuses both in text and in jsonb (where the
// escape \u0000 and escapes of unpaired surrogates are refused too), and
// one such value would abort a whole COPY. So that the same file gives
// the same table in every destination, SQLite (which would keep a NUL)
// included, one rule applies everywhere, before a value is stored: each
// NUL character and each byte that is not UTF-8 becomes U+FFFD, the
// replacement character; in JSON text, so do the escape \u0000 and the
// escape of an unpaired surrogate (written \ufffd). The parser applies the
// rule with CleanValue and reports, per column, how many values it
// changed (docs/formats.md).

// TextFix says what CleanValue changed in a value: a set of the Fixed*
// flags.
type TextFix uint8

const (
	// FixedNUL is a value that held NUL characters (or, in JSON, \u0000
	// escapes): each became U+FFFD.
	FixedNUL TextFix = 1 << iota
	// FixedInvalid is a value that held bytes that are not UTF-8 (or, in
	// JSON, escapes of unpaired surrogates): each became U+FFFD.
	FixedInvalid
)

// CleanText returns s with every NUL character and every byte that is
// not UTF-8 replaced by U+FFFD (see CleanValue). A clean s, the common
// case, is returned as it is, without allocating.
func CleanText(s string) string {
	clean, _ := CleanValue(s, false)
	return clean
}

// CleanJSON is CleanText for JSON text: the escapes \u0000 and those of
// unpaired surrogates become \ufffd too.
func CleanJSON(s string) string {
	clean, _ := CleanValue(s, true)
	return clean
}

// CleanValue returns s with every NUL character and every byte that is
// not UTF-8 replaced by U+FFFD, and, when s is JSON text, every \u0000
// escape and every escape of an unpaired surrogate replaced by \ufffd; and
// what it changed. A clean s, the common case, is returned as it is,
// without allocating.
func CleanValue(s string, json bool) (string, TextFix) {
	if isClean(s) && (!json || strings.IndexByte(s, '\\') < 0 || jsonFixes(s) == 0) {
		return s, 0
	}
	fix := textFixes(s)
	out := s
	if fix != 0 {
		out = string(appendDirty(make([]byte, 0, len(s)+8), s))
	}
	if json {
		if f := jsonFixes(out); f != 0 {
			out = fixJSON(out)
			fix |= f
		}
	}
	return out, fix
}

const (
	lows  = 0x0101010101010101
	highs = 0x8080808080808080
)

// isClean reports whether s is valid UTF-8 without NUL characters. ASCII
// text, the common case, is checked eight bytes at a time (a short string
// in two overlapping halves, and a longer one's tail as its last eight
// bytes).
func isClean(s string) bool {
	n := len(s)
	if n < 8 {
		if n < 4 {
			for i := 0; i < n; i++ {
				if c := s[i]; c == 0 || c >= utf8.RuneSelf {
					return slowClean(s)
				}
			}
			return true
		}
		if dirty(uint64(load32(s, 0)) | uint64(load32(s, n-4))<<32) {
			return slowClean(s)
		}
		return true
	}
	i := 0
	for ; i+8 <= n; i += 8 {
		if dirty(load64(s, i)) {
			return slowClean(s[i:])
		}
	}
	if i < n && dirty(load64(s, n-8)) {
		return slowClean(s[i:]) // the bytes before i are ASCII: i starts a character
	}
	return true
}

// dirty reports whether one of the eight bytes of x is not ASCII or is
// zero. (A zero byte's borrow may flag the byte above it too: it does not
// matter here.)
func dirty(x uint64) bool {
	return (x|(x-lows)&^x)&highs != 0
}

func load64(s string, i int) uint64 {
	s = s[i : i+8]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

func load32(s string, i int) uint32 {
	s = s[i : i+4]
	return uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24
}

func slowClean(s string) bool {
	return strings.IndexByte(s, 0) < 0 && utf8.ValidString(s)
}

// textFixes returns what appendDirty changes in s.
func textFixes(s string) TextFix {
	var fix TextFix
	if strings.IndexByte(s, 0) >= 0 {
		fix |= FixedNUL
	}
	if !utf8.ValidString(s) {
		fix |= FixedInvalid
	}
	return fix
}

// appendClean appends CleanText(s) to dst.
func appendClean(dst []byte, s string) []byte {
	if isClean(s) {
		return append(dst, s...)
	}
	return appendDirty(dst, s)
}

// appendDirty appends s to dst, each NUL and each byte that is not UTF-8
// replaced by U+FFFD.
func appendDirty(dst []byte, s string) []byte {
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			if b == 0 {
				dst = utf8.AppendRune(dst, utf8.RuneError)
			} else {
				dst = append(dst, b)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = utf8.AppendRune(dst, utf8.RuneError)
		} else {
			dst = append(dst, s[i:i+size]...)
		}
		i += size
	}
	return dst
}

// jsonFixes returns what fixJSON changes in the JSON text s: FixedNUL for
// a \u0000 escape, FixedInvalid for the escape of an unpaired surrogate.
func jsonFixes(s string) TextFix {
	var fix TextFix
	eachEscape(s, func(_ int, bad TextFix) { fix |= bad })
	return fix
}

// fixJSON returns the JSON text s with each \u0000 escape and each escape
// of an unpaired surrogate written \ufffd.
func fixJSON(s string) string {
	b := []byte(s)
	eachEscape(s, func(at int, _ TextFix) { copy(b[at:], `\ufffd`) })
	return string(b)
}

// eachEscape calls bad with the index and the fault of each \u escape of
// the JSON text s that a destination refuses: \u0000 (FixedNUL), or the
// escape of a surrogate that is not one of a high and low pair
// (FixedInvalid). In JSON a backslash only ever starts an escape, so the
// escapes are found without parsing the document; text that is not JSON
// is taken the same way.
func eachEscape(s string, bad func(at int, fault TextFix)) {
	for i := 0; i < len(s); {
		k := strings.IndexByte(s[i:], '\\')
		if k < 0 {
			return
		}
		i += k
		if i+1 < len(s) && s[i+1] != 'u' {
			i += 2 // \" \\ \n ...: a backslash escaped is not an escape's start
			continue
		}
		r, ok := hexEscape(s, i)
		if !ok {
			i++
			continue
		}
		switch {
		case r == 0:
			bad(i, FixedNUL)
		case r >= 0xD800 && r < 0xDC00:
			if low, ok := hexEscape(s, i+6); ok && low >= 0xDC00 && low < 0xE000 {
				i += 12 // a pair
				continue
			}
			bad(i, FixedInvalid)
		case r >= 0xDC00 && r < 0xE000:
			bad(i, FixedInvalid)
		}
		i += 6
	}
}

// hexEscape reads the escape \uXXXX at s[i:], if there is one there.
func hexEscape(s string, i int) (rune, bool) {
	if i+6 > len(s) || s[i] != '\\' || s[i+1] != 'u' {
		return 0, false
	}
	var r rune
	for _, c := range []byte(s[i+2 : i+6]) {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}
