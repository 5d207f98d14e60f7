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
// text, the common case, is checked eight bytes at a time.
func isClean(s string) bool {
	i := 0
	for ; i+8 <= len(s); i += 8 {
		x := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		if x&highs != 0 || (x-lows)&^x&highs != 0 {
			return slowClean(s[i:])
		}
	}
	for ; i < len(s); i++ {
		if c := s[i]; c == 0 || c >= utf8.RuneSelf {
			return slowClean(s[i:])
		}
	}
	return true
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
