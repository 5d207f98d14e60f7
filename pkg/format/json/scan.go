package json

import (
	"errors"
	"fmt"
)

// A validating scanner for one JSON value held whole in memory (RFC 8259).
// It finds where values end without building them, so the reader can take
// a record's members apart in one pass and copy only what it keeps.

// maxDepth caps the nesting of arrays and objects in a record.
const maxDepth = 1000

// syntaxError is a record that is not valid JSON.
type syntaxError struct {
	off int // byte offset of the fault in the record
	msg string
	// short is set when the record is valid as far as it goes and only
	// ends too soon: more bytes could make it valid.
	short bool
}

func (e *syntaxError) Error() string { return e.msg }

func errAt(off int, f string, args ...any) error {
	return &syntaxError{off: off, msg: fmt.Sprintf(f, args...)}
}

// errShort is errAt for a record that is valid as far as it goes: more
// bytes could make it valid.
func errShort(off int, f string, args ...any) error {
	return &syntaxError{off: off, msg: fmt.Sprintf(f, args...), short: true}
}

// isShort reports whether err is a *syntaxError of a record of n bytes
// that is valid as far as it goes: a prefix of a valid value.
func isShort(err error, n int) bool {
	var se *syntaxError
	return errors.As(err, &se) && (se.short || se.off >= n)
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// skipSpace returns the index of the first byte from i on that is not
// white space.
func skipSpace(b []byte, i int) int {
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
}

// describe names a byte for a message.
func describe(b []byte, i int) string {
	if i >= len(b) {
		return "end of record"
	}
	return fmt.Sprintf("character %q", b[i])
}

// scanValue returns the end of the value that starts at b[i].
func scanValue(b []byte, i, depth int) (int, error) {
	if i >= len(b) {
		return i, errAt(i, "unexpected end of record, want a value")
	}
	switch c := b[i]; {
	case c == '{':
		return scanObject(b, i, depth+1, nil)
	case c == '[':
		return scanArray(b, i, depth+1)
	case c == '"':
		end, _, err := scanString(b, i)
		return end, err
	case c == 't':
		return scanLiteral(b, i, "true")
	case c == 'f':
		return scanLiteral(b, i, "false")
	case c == 'n':
		return scanLiteral(b, i, "null")
	case c == '-' || c >= '0' && c <= '9':
		return scanNumber(b, i)
	}
	return i, errAt(i, "unexpected %s, want a value", describe(b, i))
}

// member is one member of an object: b[keyStart:keyEnd] is its key as
// written (with quotes), plain when it has no escape sequence and is valid
// UTF-8; b[valStart:valEnd] is its value.
type member struct {
	keyStart, keyEnd int
	keyPlain         bool
	valStart, valEnd int
}

// scanObject returns the end of the object that starts at b[i]. When
// members is not nil, it appends the object's members to *members.
func scanObject(b []byte, i, depth int, members *[]member) (int, error) {
	if depth > maxDepth {
		return i, errAt(i, "nested deeper than %d levels", maxDepth)
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return i + 1, nil
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return i, errAt(i, "unexpected %s, want a member name", describe(b, i))
		}
		var m member
		var err error
		m.keyStart = i
		i, m.keyPlain, err = scanString(b, i)
		if err != nil {
			return i, err
		}
		m.keyEnd = i
		i = skipSpace(b, i)
		if i >= len(b) || b[i] != ':' {
			return i, errAt(i, "unexpected %s after a member name, want ':'", describe(b, i))
		}
		i = skipSpace(b, i+1)
		m.valStart = i
		if i, err = scanValue(b, i, depth); err != nil {
			return i, err
		}
		m.valEnd = i
		if members != nil {
			*members = append(*members, m)
		}
		i = skipSpace(b, i)
		if i < len(b) && b[i] == ',' {
			i = skipSpace(b, i+1)
			continue
		}
		if i < len(b) && b[i] == '}' {
			return i + 1, nil
		}
		return i, errAt(i, "unexpected %s after an object member, want ',' or '}'", describe(b, i))
	}
}

// scanArray returns the end of the array that starts at b[i].
func scanArray(b []byte, i, depth int) (int, error) {
	if depth > maxDepth {
		return i, errAt(i, "nested deeper than %d levels", maxDepth)
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == ']' {
		return i + 1, nil
	}
	for {
		var err error
		if i, err = scanValue(b, i, depth); err != nil {
			return i, err
		}
		i = skipSpace(b, i)
		if i < len(b) && b[i] == ',' {
			i = skipSpace(b, i+1)
			continue
		}
		if i < len(b) && b[i] == ']' {
			return i + 1, nil
		}
		return i, errAt(i, "unexpected %s after an array element, want ',' or ']'", describe(b, i))
	}
}

// scanString returns the end of the string that starts at b[i], and
// whether it is plain: no escape sequence, so that its text is the bytes
// between its quotes (bytes that are not UTF-8 included: the parser
// cleans every value).
func scanString(b []byte, i int) (end int, plain bool, err error) {
	start := i
	plain = true
	for i++; i < len(b); {
		switch c := b[i]; {
		case c == '"':
			return i + 1, plain, nil
		case c == '\\':
			plain = false
			if i+1 >= len(b) {
				return i, false, errShort(i, "unexpected end of record in a string escape")
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(b) && allHex(b[i+2:]) {
					return i, false, errShort(i, `invalid \u escape in a string`)
				}
				if i+6 > len(b) || !isHex(b[i+2]) || !isHex(b[i+3]) || !isHex(b[i+4]) || !isHex(b[i+5]) {
					return i, false, errAt(i, `invalid \u escape in a string`)
				}
				i += 6
			default:
				return i, false, errAt(i, "invalid escape %q in a string", b[i:i+2])
			}
		case c < 0x20:
			return i, false, errAt(i, "control character %q in a string", c)
		default:
			i++
		}
	}
	return start, false, errShort(start, "string not closed before the end of the record")
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func allHex(b []byte) bool {
	for _, c := range b {
		if !isHex(c) {
			return false
		}
	}
	return true
}

// scanLiteral returns the end of the literal lit at b[i].
func scanLiteral(b []byte, i int, lit string) (int, error) {
	if len(b)-i < len(lit) && string(b[i:]) == lit[:len(b)-i] {
		return i, errShort(i, "invalid literal, want %s", lit)
	}
	if len(b)-i < len(lit) || string(b[i:i+len(lit)]) != lit {
		return i, errAt(i, "invalid literal, want %s", lit)
	}
	return i + len(lit), nil
}

// scanNumber returns the end of the number at b[i]:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func scanNumber(b []byte, i int) (int, error) {
	start := i
	if b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		i = digits(b, i)
	default:
		return i, errAt(i, "invalid number %q", b[start:i])
	}
	if i < len(b) && b[i] == '.' {
		j := digits(b, i+1)
		if j == len(b) && j == i+1 {
			return i, errShort(i, "invalid number %q: no digit after the decimal point", b[start:j])
		}
		if j == i+1 {
			return i, errAt(i, "invalid number %q: no digit after the decimal point", b[start:j])
		}
		i = j
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		j := i + 1
		if j < len(b) && (b[j] == '+' || b[j] == '-') {
			j++
		}
		k := digits(b, j)
		if k == len(b) && k == j {
			return i, errShort(i, "invalid number %q: no digit in the exponent", b[start:k])
		}
		if k == j {
			return i, errAt(i, "invalid number %q: no digit in the exponent", b[start:k])
		}
		i = k
	}
	return i, nil
}

func digits(b []byte, i int) int {
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	return i
}
