package record

import (
	"strings"
	"unicode/utf8"
)

// CleanText returns s with every byte of invalid UTF-8 replaced by U+FFFD
// and every NUL character removed: PostgreSQL rejects both, and one such
// value would abort a whole COPY. A clean s (the common case) is returned
// as is, without allocating.
func CleanText(s string) string {
	if isClean(s) {
		return s
	}
	return string(appendDirty(make([]byte, 0, len(s)+8), s))
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

// appendClean appends CleanText(s) to dst.
func appendClean(dst []byte, s string) []byte {
	if isClean(s) {
		return append(dst, s...)
	}
	return appendDirty(dst, s)
}

// appendDirty appends s to dst, replacing invalid UTF-8 and dropping NULs.
func appendDirty(dst []byte, s string) []byte {
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			if b != 0 {
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
