package csv

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"unsafe"

	"github.com/filedge/filedge/pkg/record"
)

// parser splits delimited text into records (RFC 4180). Unlike
// encoding/csv it keeps blank lines (as one empty field), tells quoted
// fields from unquoted ones, keeps the bytes of a quoted field exactly
// (CRLF inside quotes stays CRLF), caps the bytes of one record, and steps
// over a malformed record to the next one.
//
// A record ends at a newline ("\n" or "\r\n") outside quotes, or at the end
// of the input. A field is quoted when its first byte is a double quote; a
// quote inside a quoted field is written twice. A quote anywhere else is a
// syntax error.
type parser struct {
	br    *bufio.Reader
	comma byte
	max   int // cap on the bytes of one record

	line int64  // lines consumed so far
	long []byte // a physical line longer than br's buffer

	// The current record: the fields' contents back to back in rec, field
	// i ending at ends[i] and quoted[i] when it was written in quotes. rec
	// is either buf or, for a line without quotes, the line itself in br's
	// buffer, where a delimiter separates the fields (gap 1).
	rec    []byte
	buf    []byte
	gap    int
	ends   []int
	quoted []bool
}

// errTooLong is a record longer than the parser's cap. The parser has
// stepped over the record.
var errTooLong = errors.New("record too long")

// errUnterminated is a quoted field still open at the end of the input.
var errUnterminated = errors.New(`quoted field not closed before the end of the file (missing ")`)

// syntaxError is a record the parser could not split, and has stepped over.
type syntaxError struct {
	line  int64 // physical line of the fault
	col   int   // byte in that line, from 1
	field int   // index of the field at fault
	msg   string
}

func (e *syntaxError) Error() string {
	return fmt.Sprintf("%s (line %d, byte %d)", e.msg, e.line, e.col)
}

func newParser(br *bufio.Reader, comma byte, max int) *parser {
	return &parser{br: br, comma: comma, max: max}
}

// fields returns the number of fields of the current record.
func (p *parser) fields() int { return len(p.ends) }

// read reads the next record and returns the line it starts on. Its error
// is io.EOF at the end of the input; errTooLong or a *syntaxError for a
// record stepped over; errUnterminated, which ends the input; or a read
// error.
func (p *parser) read() (int64, error) {
	p.rec, p.ends, p.quoted = nil, p.ends[:0], p.quoted[:0]
	start := p.line + 1
	line, complete, err := p.readLine(p.max)
	if errors.Is(err, errTooLong) {
		return start, p.skip(line, complete, false)
	}
	if err != nil {
		return start, err
	}
	if bytes.IndexByte(line, '"') < 0 {
		p.split(trimEOL(line))
		return start, nil
	}
	err = p.parse(start, line)
	p.rec, p.gap = p.buf, 0
	return start, err
}

// parse parses a record that starts on line start, whose first line, line,
// has a quote, into p.buf.
func (p *parser) parse(start int64, line []byte) error {
	p.buf = p.buf[:0]
	size := len(line) // bytes of the record so far
	phys := start     // physical line being parsed
	lineStart := line // that line whole, for error columns
	col := func(rest []byte) int { return len(lineStart) - len(rest) + 1 }
	q := -1 // index in lineStart of the next quote, when known
	for {
		if len(line) == 0 || line[0] != '"' {
			// An unquoted field.
			pos := len(lineStart) - len(line)
			if q < pos {
				if j := bytes.IndexByte(line, '"'); j >= 0 {
					q = pos + j
				} else {
					q = len(lineStart)
				}
			}
			field := line
			i := bytes.IndexByte(line, p.comma)
			if i >= 0 {
				field = line[:i]
			} else {
				field = trimEOL(line)
			}
			if q < pos+len(field) {
				return &syntaxError{line: phys, col: q + 1, field: len(p.ends), msg: `bare " in a field that is not quoted`}
			}
			p.buf = append(p.buf, field...)
			p.ends = append(p.ends, len(p.buf))
			p.quoted = append(p.quoted, false)
			if i < 0 {
				return nil
			}
			line = line[i+1:]
			continue
		}

		// A quoted field.
		line = line[1:]
		for {
			i := bytes.IndexByte(line, '"')
			if i >= 0 {
				p.buf = append(p.buf, line[:i]...)
				line = line[i+1:]
				if len(line) > 0 && line[0] == '"' {
					p.buf = append(p.buf, '"')
					line = line[1:]
					continue
				}
				p.ends = append(p.ends, len(p.buf))
				p.quoted = append(p.quoted, true)
				if len(line) > 0 && line[0] == p.comma {
					line = line[1:]
					break
				}
				if len(trimEOL(line)) == 0 {
					return nil
				}
				return &syntaxError{line: phys, col: col(line) - 1, field: len(p.ends) - 1, msg: `extraneous or missing " in a quoted field`}
			}
			if len(line) == 0 {
				return errUnterminated
			}
			// The field goes on past the end of this line.
			p.buf = append(p.buf, line...)
			var complete bool
			var err error
			line, complete, err = p.readLine(p.max - size)
			if errors.Is(err, errTooLong) {
				return p.skip(line, complete, true)
			}
			if errors.Is(err, io.EOF) {
				return errUnterminated
			}
			if err != nil {
				return err
			}
			size += len(line)
			phys++
			lineStart, q = line, -1
		}
	}
}

// split splits a line without quotes into fields. The record is the line
// itself, in the read buffer.
func (p *parser) split(line []byte) {
	p.rec, p.gap = line, 1
	off := 0
	for {
		i := bytes.IndexByte(line[off:], p.comma)
		if i < 0 {
			p.ends = append(p.ends, len(line))
			p.quoted = append(p.quoted, false)
			return
		}
		off += i
		p.ends = append(p.ends, off)
		p.quoted = append(p.quoted, false)
		off++
	}
}

// readLine reads one physical line with its line end. At the end of the
// input it returns the last line without a line end, then io.EOF. A line
// longer than limit bytes returns errTooLong with what was read of it,
// complete reporting whether that is the whole line.
func (p *parser) readLine(limit int) (line []byte, complete bool, err error) {
	line, err = p.br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		p.long = append(p.long[:0], line...)
		for errors.Is(err, bufio.ErrBufferFull) {
			if len(p.long) > limit {
				return p.long, false, errTooLong
			}
			line, err = p.br.ReadSlice('\n')
			p.long = append(p.long, line...)
		}
		line = p.long
	}
	if len(line) > 0 && line[len(line)-1] == '\n' {
		p.line++
	}
	switch {
	case errors.Is(err, io.EOF) && len(line) > 0:
		err = nil
	case err != nil:
		return nil, false, err
	}
	if len(line) > limit {
		return line, true, errTooLong
	}
	return line, true, nil
}

// skip steps over the rest of a record that is too long, from the part
// line already read of its current physical line, which started inside a
// quoted field when inQuote. A quote toggles between inside and outside a
// quoted field (a doubled quote toggles twice), so the record ends at the
// first newline read outside quotes. It returns errTooLong, or a read
// error.
func (p *parser) skip(line []byte, complete, inQuote bool) error {
	if bytes.Count(line, quote)%2 == 1 {
		inQuote = !inQuote
	}
	if complete && !inQuote {
		return errTooLong
	}
	for {
		chunk, err := p.br.ReadSlice('\n')
		if bytes.Count(chunk, quote)%2 == 1 {
			inQuote = !inQuote
		}
		if len(chunk) > 0 && chunk[len(chunk)-1] == '\n' {
			p.line++
			if !inQuote {
				return errTooLong
			}
		}
		switch {
		case errors.Is(err, io.EOF):
			return errTooLong
		case err != nil && !errors.Is(err, bufio.ErrBufferFull):
			return err
		}
	}
}

var quote = []byte{'"'}

// trimEOL cuts a line end ("\n" or "\r\n", or "\r" at the end of the input)
// off a line.
func trimEOL(line []byte) []byte {
	n := len(line)
	if n > 0 && line[n-1] == '\n' {
		n--
	}
	if n > 0 && line[n-1] == '\r' {
		n--
	}
	return line[:n]
}

// cells appends the fields of the current record to dst as cells, cut or
// padded with nulls to width. An empty field is null unless it was quoted.
// The cells' text shares the parser's buffers: it is valid until the next
// call to read.
func (p *parser) cells(dst []record.Cell, width int) []record.Cell {
	text := unsafe.String(unsafe.SliceData(p.rec), len(p.rec))
	n := min(width, len(p.ends))
	start := 0
	for i, end := range p.ends[:n] {
		if end == start && !p.quoted[i] {
			dst = append(dst, record.Cell{Kind: record.Null})
		} else {
			dst = append(dst, record.Cell{Text: text[start:end], Kind: record.Text})
		}
		start = end + p.gap
	}
	for range width - n {
		dst = append(dst, record.Cell{Kind: record.Null})
	}
	return dst
}

// emptyFrom reports whether the fields of the current record from index i
// on are all empty and unquoted.
func (p *parser) emptyFrom(i int) bool {
	start := 0
	if i > 0 {
		start = p.ends[i-1] + p.gap
	}
	for k := i; k < len(p.ends); k++ {
		if p.quoted[k] || p.ends[k] != start {
			return false
		}
		start = p.ends[k] + p.gap
	}
	return true
}
