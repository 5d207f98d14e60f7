package record

import "unicode/utf8"

const hexDigits = "0123456789abcdef"

// AppendJSONString appends s, text or bytes, as a JSON string, the one way
// filedge writes them everywhere (documents it builds, JSON lines it
// writes): quoted; '"', '\\' and control characters escaped (\n, \r, \t,
// else \u00XX, so a NUL is \u0000); U+2028 and U+2029 escaped, so that a
// line of JSON is also a line of JavaScript. The rest is copied as it is,
// bytes that are not UTF-8 included: the document is then not valid JSON
// until CleanJSON replaces them (and \u0000, which PostgreSQL refuses),
// as the parser does to every value, counting what it replaces.
func AppendJSONString[S ~string | ~[]byte](dst []byte, s S) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '"', '\\':
				dst = append(dst, '\\', b)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xF])
			}
			i++
			start = i
			continue
		}
		// At most UTFMax bytes converted: no allocation for bytes.
		r, size := utf8.DecodeRuneInString(string(s[i:min(i+utf8.UTFMax, len(s))]))
		switch {
		case r == '\u2028' || r == '\u2029':
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
