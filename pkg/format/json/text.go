package json

import (
	"unicode/utf16"
	"unicode/utf8"
)

// appendUnquoted appends the text of the scanned JSON string s (with its
// quotes) to dst, decoding escapes as encoding/json does, but for what
// encoding/json replaces by U+FFFD: a byte that is not UTF-8 is copied as
// it is, and a lone or ill-paired surrogate escape becomes the byte 0xFF,
// which is never UTF-8. The parser replaces each such byte by U+FFFD, as
// it does in every value, and counts the values it changed
// (record.CleanValue): nothing is replaced in silence.
func appendUnquoted(dst, s []byte) []byte {
	s = s[1 : len(s)-1]
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '\\':
			switch e := s[i+1]; e {
			case 'b':
				dst = append(dst, '\b')
			case 'f':
				dst = append(dst, '\f')
			case 'n':
				dst = append(dst, '\n')
			case 'r':
				dst = append(dst, '\r')
			case 't':
				dst = append(dst, '\t')
			case 'u':
				r := hex4(s[i+2 : i+6])
				i += 6
				if utf16.IsSurrogate(r) {
					r2 := rune(-1)
					if i+6 <= len(s) && s[i] == '\\' && s[i+1] == 'u' {
						r2 = hex4(s[i+2 : i+6])
					}
					dec := utf16.DecodeRune(r, r2)
					if dec == utf8.RuneError {
						dst = append(dst, unpairedSurrogate)
						continue
					}
					r = dec
					i += 6
				}
				dst = utf8.AppendRune(dst, r)
				continue
			default: // '"', '\\', '/'
				dst = append(dst, e)
			}
			i += 2
		case c < utf8.RuneSelf:
			dst = append(dst, c)
			i++
		default:
			_, size := utf8.DecodeRune(s[i:])
			dst = append(dst, s[i:i+size]...)
			i += size
		}
	}
	return dst
}

// unpairedSurrogate stands for an escape of an unpaired surrogate in
// decoded text: a byte that is never UTF-8, for the parser to replace and
// count.
const unpairedSurrogate = 0xFF

// hex4 decodes four hex digits, already checked by the scanner.
func hex4(b []byte) rune {
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		default:
			c = c - 'A' + 10
		}
		r = r<<4 | rune(c)
	}
	return r
}

// appendCompact appends the scanned JSON value v to dst without the white
// space outside its strings, as json.Compact does.
func appendCompact(dst, v []byte) []byte {
	inStr := false
	start := 0
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case inStr:
			switch c {
			case '\\':
				i++
			case '"':
				inStr = false
			}
		case c == '"':
			inStr = true
		case isSpace(c):
			dst = append(dst, v[start:i]...)
			start = i + 1
		}
	}
	return append(dst, v[start:]...)
}
