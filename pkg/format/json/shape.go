package json

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
)

// A file that is not an array is JSON lines, one JSON document, or JSON
// documents one after another (as jq writes them). The reader tells them
// apart by reading the file's first value, once:
//
//   - A first value that ends on the line where it starts makes the file
//     JSON lines: one record a line, read line by line, so that a broken
//     line is a row error and reading goes on at the next one.
//   - A first value that spans lines and is valid JSON makes the file
//     documents: each value, found by matching brackets and quotes
//     whatever its lines, is a record. A file of one pretty-printed
//     object is one row.
//   - A first value that spans lines but is not valid JSON is the broken
//     first line of a JSON-lines file: the bytes read are read again as
//     lines.
//
// The first value is held in memory up to the record cap; a longer one
// that is valid so far is a document larger than the cap, a file error.
// Nothing else is read twice.

// values reads a file whose first value (at the next byte, indent bytes of
// white space after the start of its line) is not an array.
func (s *stream) values(ctx context.Context, indent int) error {
	line := s.line
	b, err := s.element(false)
	multiline := s.line > line
	switch {
	case errors.Is(err, errTooLong) && !multiline:
		// One line longer than the cap: a JSON-lines record too long.
		if err := s.skipLine(); err != nil {
			return err
		}
		if err := s.tooLong(line); err != nil {
			return err
		}
		return s.lines(ctx)
	case errors.Is(err, errTooLong):
		if _, serr := scanValue(b, 0, 0); serr == nil || isShort(serr, len(b)) {
			return s.fileError(line, fmt.Errorf("the JSON document that starts here is longer than %d bytes (max line bytes): raise limits.max_line_bytes, or write one record a line (JSON lines)", s.max))
		}
		return s.replay(ctx, line, indent, b)
	case errors.Is(err, errEndInElement):
		if _, serr := scanValue(b, 0, 0); multiline && isShort(serr, len(b)) {
			return s.fileError(s.line, fmt.Errorf("the file ends inside the JSON document that starts at line %d", line))
		}
		return s.replay(ctx, line, indent, b)
	case err != nil:
		return s.readError(err)
	}
	if !multiline {
		return s.firstLine(ctx, line, indent, b)
	}
	if _, err := scanValue(b, 0, 0); err != nil {
		return s.replay(ctx, line, indent, b)
	}
	if err := s.record(line, b); err != nil {
		return err
	}
	return s.documents(ctx)
}

// firstLine reads a JSON-lines file whose first record, at line, starts
// with the value b, which ends on that line.
func (s *stream) firstLine(ctx context.Context, line int64, indent int, b []byte) error {
	rec := make([]byte, 0, indent+len(b)+1)
	for range indent {
		rec = append(rec, ' ') // the same bytes before the value, for describeError
	}
	rec = append(rec, b...)
	rest, err := s.readLine()
	switch {
	case errors.Is(err, io.EOF):
	case errors.Is(err, errTooLong):
		if err := s.tooLong(line); err != nil {
			return err
		}
		return s.lines(ctx)
	case err != nil:
		return s.readError(err)
	default:
		rec = append(rec, rest...)
	}
	rec = bytes.TrimSuffix(bytes.TrimSuffix(rec, newline), carriageReturn)
	if len(rec)-indent > s.max {
		if err := s.tooLong(line); err != nil {
			return err
		}
		return s.lines(ctx)
	}
	if err := s.single(line, rec); err != nil {
		return err
	}
	if err := s.record(line, rec); err != nil {
		return err
	}
	return s.lines(ctx)
}

// single fails a file that holds nothing but one value that is not an
// object, rec at line: a JSON text that is a scalar has no record.
func (s *stream) single(line int64, rec []byte) error {
	i := skipSpace(rec, 0)
	if i == len(rec) || rec[i] == '{' {
		return nil
	}
	end, err := scanValue(rec, i, 0)
	if err != nil || skipSpace(rec, end) != len(rec) || !s.atEnd() {
		return nil
	}
	return s.fileError(line, fmt.Errorf("the file is %s, not JSON records: want one object, an array of objects, or one object a line (JSON lines)", kindOf(rec[i])))
}

// atEnd reports whether nothing but white space is left to read, looking
// no further than the read buffer.
func (s *stream) atEnd() bool {
	for n := 1; n <= bufferSize; n++ {
		p, err := s.br.Peek(n)
		if len(p) < n {
			return errors.Is(err, io.EOF)
		}
		if !isSpace(p[n-1]) {
			return false
		}
	}
	return false
}

// skipLine consumes the rest of the current line.
func (s *stream) skipLine() error {
	for {
		_, err := s.br.ReadSlice('\n')
		switch {
		case err == nil:
			s.line++
			return nil
		case errors.Is(err, io.EOF):
			return nil
		case !errors.Is(err, bufio.ErrBufferFull):
			return s.readError(err)
		}
	}
}

// replay reads the file as JSON lines from line on, its bytes being
// indent bytes of white space, then head, then what is left to read.
func (s *stream) replay(ctx context.Context, line int64, indent int, head []byte) error {
	held := make([]byte, 0, indent+len(head))
	for range indent {
		held = append(held, ' ')
	}
	held = append(held, head...)
	s.br = bufio.NewReaderSize(io.MultiReader(bytes.NewReader(held), s.br), bufferSize)
	s.line = line
	return s.lines(ctx)
}

// documents reads JSON values one after another, separated by white space
// or nothing, each a record at the line where it starts, up to the end of
// the file. A value that does not end before the file does is a file
// error.
func (s *stream) documents(ctx context.Context) error {
	for n := 0; ; n++ {
		if n%checkEvery == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		_, err := s.skipSpace()
		switch {
		case errors.Is(err, io.EOF):
			return nil
		case err != nil:
			return s.readError(err)
		}
		line := s.line
		b, err := s.element(true)
		switch {
		case errors.Is(err, errTooLong):
			err = s.tooLong(line)
		case errors.Is(err, errEndInElement):
			return s.fileError(s.line, fmt.Errorf("the file ends inside the JSON document that starts at line %d", line))
		case err != nil:
			return s.readError(err)
		default:
			err = s.record(line, b)
		}
		if err != nil {
			return err
		}
	}
}
