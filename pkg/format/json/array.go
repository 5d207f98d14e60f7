package json

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
)

// errEndInElement is a file that ends inside an array element.
var errEndInElement = errors.New("the file ends inside an array element")

// array reads a JSON array of records, one element at a time, from the
// opening bracket, which is the next byte.
func (s *stream) array(ctx context.Context) error {
	if _, err := s.br.ReadByte(); err != nil {
		return s.readError(err)
	}
	c, err := s.expectValue("after '['", true)
	if err != nil {
		return err
	}
	if c == ']' {
		s.br.ReadByte() //nolint:errcheck // the byte is buffered
		return s.trailing()
	}
	for n := 0; ; n++ {
		if n%checkEvery == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		line := s.line
		b, err := s.element(true)
		switch {
		case errors.Is(err, errTooLong):
			if err := s.tooLong(line); err != nil {
				return err
			}
		case errors.Is(err, errEndInElement):
			return s.fileError(line, err)
		case err != nil:
			return s.readError(err)
		default:
			if err := s.record(line, b); err != nil {
				return err
			}
		}

		c, err := s.skipSpace()
		switch {
		case errors.Is(err, io.EOF):
			return s.fileError(s.line, errors.New("the file ends before the array is closed (missing ']')"))
		case err != nil:
			return s.readError(err)
		case c == ']':
			s.br.ReadByte() //nolint:errcheck // the byte is buffered
			return s.trailing()
		case c != ',':
			return s.fileError(s.line, fmt.Errorf("invalid character %q after an array element, want ',' or ']'", c))
		}
		s.br.ReadByte() //nolint:errcheck // the byte is buffered
		if _, err := s.expectValue("after ','", false); err != nil {
			return err
		}
	}
}

// expectValue skips white space up to the next value of the array and
// returns its first byte; a closing bracket may take its place when
// closeOK.
func (s *stream) expectValue(after string, closeOK bool) (byte, error) {
	c, err := s.skipSpace()
	switch {
	case errors.Is(err, io.EOF):
		return 0, s.fileError(s.line, errors.New("the file ends before the array is closed (missing ']')"))
	case err != nil:
		return 0, s.readError(err)
	case c == ']' && closeOK:
		return c, nil
	case c == ',' || c == ']' || c == '}' || c == ':':
		return 0, s.fileError(s.line, fmt.Errorf("invalid character %q %s, want an array element", c, after))
	}
	return c, nil
}

// trailing checks that nothing but white space follows the array.
func (s *stream) trailing() error {
	c, err := s.skipSpace()
	switch {
	case errors.Is(err, io.EOF):
		return nil
	case err != nil:
		return s.readError(err)
	}
	return s.fileError(s.line, fmt.Errorf("invalid character %q after the array", c))
}

// isDelimiter reports whether c ends a number or literal in an array.
func isDelimiter(c byte) bool {
	switch c {
	case ',', ']', '}', '[', '{', '"', ':', ' ', '\t', '\n', '\r':
		return true
	}
	return false
}

// element reads the value that starts at the next byte (not white space)
// up to its end, found by matching brackets and quotes (a scalar ends at
// the next delimiter); its content is checked when it is decoded. A value
// longer than the cap returns errTooLong: when skip is set, the value is
// consumed to its end first; otherwise the reader stops where the cap was
// passed, with the bytes read so far in the returned slice. A file that
// ends inside an object, array or string returns what was read and
// errEndInElement.
func (s *stream) element(skip bool) ([]byte, error) {
	s.buf = s.buf[:0]
	tooLong := false
	depth, inStr, esc, scalar := 0, false, false, false
	for first := true; ; first = false {
		if s.br.Buffered() == 0 {
			if _, err := s.br.Peek(1); err != nil {
				if errors.Is(err, io.EOF) {
					if scalar {
						break // the caller finds what follows missing
					}
					return s.buf, errEndInElement
				}
				return nil, err
			}
		}
		chunk, _ := s.br.Peek(s.br.Buffered())
		n, done := 0, false
		if first {
			switch chunk[0] {
			case '{', '[':
				depth = 1
			case '"':
				inStr = true
			default:
				scalar = true
			}
			n = 1
		}
	scan:
		for n < len(chunk) {
			c := chunk[n]
			if scalar {
				if isDelimiter(c) {
					done = true
					break
				}
				n++
				continue
			}
			n++
			if c == '\n' {
				s.line++
			}
			switch {
			case inStr:
				switch {
				case esc:
					esc = false
				case c == '\\':
					esc = true
				case c == '"':
					inStr = false
					if depth == 0 {
						done = true
						break scan
					}
				}
			case c == '"':
				inStr = true
			case c == '{' || c == '[':
				depth++
			case c == '}' || c == ']':
				depth--
				if depth == 0 {
					done = true
					break scan
				}
			}
		}
		if !tooLong && len(s.buf)+n > s.max {
			tooLong = true
			if !skip {
				s.buf = append(s.buf, chunk[:n]...)
				s.br.Discard(n) //nolint:errcheck // n bytes are buffered
				return s.buf, errTooLong
			}
		}
		if !tooLong {
			s.buf = append(s.buf, chunk[:n]...)
		}
		s.br.Discard(n) //nolint:errcheck // n bytes are buffered
		if done {
			break
		}
	}
	if tooLong {
		return nil, errTooLong
	}
	return s.buf, nil
}

// describeError explains a record error for a row error; for a syntax
// error, it names the line and byte of the fault, the record starting at
// line.
func describeError(b []byte, line int64, err error) error {
	var se *syntaxError
	if !errors.As(err, &se) {
		return err
	}
	before := b[:min(se.off, len(b))]
	line += int64(bytes.Count(before, newline))
	col := len(before) - bytes.LastIndexByte(before, '\n')
	return fmt.Errorf("invalid JSON: %s (line %d, byte %d)", se.msg, line, col)
}
