package csv

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
)

// parser splits delimited text into records (RFC 4180, with the settings
// of a dialect). Unlike encoding/csv it keeps blank lines (as one empty
// field), tells quoted fields from unquoted ones, keeps the bytes of a
// quoted field exactly (CRLF inside quotes stays CRLF), caps the bytes of
// one record, and steps over a malformed record to the next one.
//
// A line ends at the dialect's line separator (by default "\n", a "\r"
// before it being part of the line end), or at the end of the input; a
// record is one line, or more when a quoted field (or an escaped line end)
// goes on past the end of one. A field is quoted when its first byte is
// the quote character; a quote inside a quoted field is written twice. A
// quote anywhere else is a syntax error. With an escape character, the
// byte after an escape, inside quotes or not, is taken as it is.
type parser struct {
	br  *bufio.Reader
	d   dialect
	max int // cap on the bytes of one record

	line int64  // lines consumed so far
	long []byte // a line longer than br's buffer, or read in pieces
	tail []byte // the last bytes read of the current line, to find a separator read in two pieces

	cur fields // the current record
	buf []byte // the current record's fields when they are not the line itself
}

// fieldKind says how a field was written.
type fieldKind uint8

const (
	plain   fieldKind = iota // unquoted
	quoted                   // in quotes
	nullSeq                  // unquoted and equal to the null sequence
)

// errTooLong is a record longer than the parser's cap. The parser has
// stepped over the record.
var errTooLong = errors.New("record too long")

// errUnterminated is a quoted field still open at the end of the input.
var errUnterminated = errors.New("quoted field not closed before the end of the file")

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

func newParser(br *bufio.Reader, d dialect, max int) *parser {
	return &parser{br: br, d: d, max: max}
}

// read reads the next record into p.cur and returns the line it starts on.
// Its error is io.EOF at the end of the input; errTooLong or a
// *syntaxError for a record stepped over; errUnterminated, which ends the
// input; or a read error.
func (p *parser) read() (int64, error) {
	p.cur.reset()
	start := p.line + 1
	line, complete, err := p.readLine(p.max)
	if errors.Is(err, errTooLong) {
		return start, p.skip(line, complete, false)
	}
	if err != nil {
		return start, err
	}
	if bytes.IndexByte(line, p.d.quote) < 0 && (p.d.escape == 0 || bytes.IndexByte(line, p.d.escape) < 0) {
		p.split(p.d.trimEnd(line))
		return start, nil
	}
	if p.d.simple {
		err = p.parseSimple(start, line)
	} else {
		err = p.parse(start, line)
	}
	p.cur.text, p.cur.gap = p.buf, 0
	return start, err
}

// split splits a line without quotes or escapes into fields. The record is
// the line itself, in the read buffer.
func (p *parser) split(line []byte) {
	f := &p.cur
	f.text, f.gap = line, len(p.d.comma)
	if !p.d.multi {
		c := p.d.c
		off := 0
		for {
			i := bytes.IndexByte(line[off:], c)
			if i < 0 {
				break
			}
			off += i
			f.ends = append(f.ends, off)
			f.kinds = append(f.kinds, plain)
			off++
		}
	} else {
		off := 0
		for {
			i := bytes.Index(line[off:], p.d.comma)
			if i < 0 {
				break
			}
			off += i
			f.ends = append(f.ends, off)
			f.kinds = append(f.kinds, plain)
			off += len(p.d.comma)
		}
	}
	f.ends = append(f.ends, len(line))
	f.kinds = append(f.kinds, plain)
	if p.d.null != nil {
		start := 0
		for i, end := range f.ends {
			if bytes.Equal(line[start:end], p.d.null) {
				f.kinds[i], f.nulls = nullSeq, true
			}
			start = end + f.gap
		}
	}
}

// parseSimple is parse for the simple dialects (see dialect.simple): a
// one-byte delimiter, no escape character, no null sequence, lines ending
// in LF or CRLF. It is parse written for them alone, which makes it faster
// on the files most users have; a fuzz test checks that both agree.
func (p *parser) parseSimple(start int64, line []byte) error {
	quote, comma := p.d.quote, p.d.c
	p.buf = p.buf[:0]
	size := len(line) // bytes of the record so far
	phys := start     // physical line being parsed
	lineStart := line // that line whole, for error columns
	col := func(rest []byte) int { return len(lineStart) - len(rest) + 1 }
	q := -1 // index in lineStart of the next quote, when known
	for {
		if len(line) == 0 || line[0] != quote {
			// An unquoted field.
			pos := len(lineStart) - len(line)
			if q < pos {
				if j := bytes.IndexByte(line, quote); j >= 0 {
					q = pos + j
				} else {
					q = len(lineStart)
				}
			}
			field := line
			i := bytes.IndexByte(line, comma)
			if i >= 0 {
				field = line[:i]
			} else {
				field = trimEOL(line)
			}
			if q < pos+len(field) {
				return &syntaxError{line: phys, col: q + 1, field: len(p.cur.ends), msg: fmt.Sprintf("bare %c in a field that is not quoted", quote)}
			}
			p.buf = append(p.buf, field...)
			p.cur.ends = append(p.cur.ends, len(p.buf))
			p.cur.kinds = append(p.cur.kinds, plain)
			if i < 0 {
				return nil
			}
			line = line[i+1:]
			continue
		}

		// A quoted field.
		line = line[1:]
		for {
			i := bytes.IndexByte(line, quote)
			if i >= 0 {
				p.buf = append(p.buf, line[:i]...)
				line = line[i+1:]
				if len(line) > 0 && line[0] == quote {
					p.buf = append(p.buf, quote)
					line = line[1:]
					continue
				}
				p.cur.ends = append(p.cur.ends, len(p.buf))
				p.cur.kinds = append(p.cur.kinds, quoted)
				if len(line) > 0 && line[0] == comma {
					line = line[1:]
					break
				}
				if len(trimEOL(line)) == 0 {
					return nil
				}
				return &syntaxError{line: phys, col: col(line) - 1, field: len(p.cur.ends) - 1, msg: fmt.Sprintf("extraneous or missing %c in a quoted field", quote)}
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

// parse parses a record that starts on line start, whose first line, line,
// has a quote or an escape, into p.buf.
//
// It looks for each quote and escape of a line once: q and e are the
// indexes in the line of the next quote and escape at or after the field
// being parsed (or the line's length when there is none).
func (p *parser) parse(start int64, line []byte) error {
	d := &p.d
	quote, c, multi := d.quote, d.c, d.multi
	p.buf = p.buf[:0]
	size := len(line) // bytes of the record so far
	phys := start     // physical line being parsed
	lineStart := line // that line whole
	bodyEnd := len(d.trimEnd(line))
	noEscape := math.MaxInt
	if d.escape != 0 {
		noEscape = -1
	}
	q, e := -1, noEscape
	for {
		var pos int // where line starts in lineStart: set before each use
		if len(line) == 0 || line[0] != quote {
			// An unquoted field, up to the next delimiter or the line end.
			from := line
			raw := true // the field is from[:len(from)-len(line)] as written
			for {
				pos = len(lineStart) - len(line)
				body := line[:max(bodyEnd-pos, 0)]
				var stop int
				if !multi {
					stop = bytes.IndexByte(body, c)
				} else {
					stop = bytes.Index(body, d.comma)
				}
				if stop < 0 {
					stop = len(body)
				}
				if q < pos {
					q = pos + indexOr(lineStart[pos:], quote)
				}
				if e < pos {
					e = pos + indexOr(lineStart[pos:], d.escape)
				}
				if q-pos < stop && q < e {
					return &syntaxError{line: phys, col: q + 1, field: len(p.cur.ends), msg: fmt.Sprintf("bare %c in a field that is not quoted", d.quote)}
				}
				if e-pos >= stop {
					p.buf = append(p.buf, line[:stop]...)
					line = line[stop:]
					break
				}
				// An escape: the byte after it is data.
				k := e - pos
				p.buf = append(p.buf, line[:k]...)
				line = line[k+1:]
				switch {
				case k+1 < len(body):
					p.buf = append(p.buf, line[0])
					line = line[1:]
				case len(line) > 0:
					// An escaped line end is data: the field goes on on
					// the next line.
					p.buf = append(p.buf, line...)
					raw = false
					var err error
					line, err = p.more(p.max-size, false)
					if errors.Is(err, io.EOF) {
						line, lineStart, bodyEnd = nil, nil, 0 // the field ends with the input
						continue
					}
					if err != nil {
						return err
					}
					size += len(line)
					phys++
					lineStart, bodyEnd, q, e = line, len(d.trimEnd(line)), -1, noEscape
				default:
					// An escape that ends the input is itself.
					p.buf = append(p.buf, d.escape)
				}
			}
			kind := plain
			if d.null != nil && raw && bytes.Equal(from[:len(from)-len(line)], d.null) {
				kind = nullSeq
			}
			p.cur.add(len(p.buf), kind)
			if len(lineStart)-len(line) >= bodyEnd {
				return nil
			}
			line = line[len(d.comma):]
			continue
		}

		// A quoted field.
		line = line[1:]
		for {
			pos = len(lineStart) - len(line)
			if q < pos {
				q = pos + indexOr(lineStart[pos:], quote)
			}
			if e < pos {
				e = pos + indexOr(lineStart[pos:], d.escape)
			}
			if e < q {
				k := e - pos
				p.buf = append(p.buf, line[:k]...)
				line = line[k+1:]
				if len(line) > 0 {
					p.buf = append(p.buf, line[0])
					line = line[1:]
				} else {
					p.buf = append(p.buf, d.escape)
				}
				continue
			}
			if i := q - pos; i < len(line) {
				p.buf = append(p.buf, line[:i]...)
				line = line[i+1:]
				if len(line) > 0 && line[0] == quote {
					p.buf = append(p.buf, quote)
					line = line[1:]
					continue
				}
				p.cur.add(len(p.buf), quoted)
				if len(lineStart)-len(line) >= bodyEnd {
					return nil
				}
				if len(line) > 0 && line[0] == c && (!multi || bytes.HasPrefix(line, d.comma)) {
					line = line[len(d.comma):]
					break
				}
				return &syntaxError{line: phys, col: q + 1, field: len(p.cur.ends) - 1, msg: fmt.Sprintf("extraneous or missing %c in a quoted field", d.quote)}
			}
			// The field goes on past the end of this line.
			p.buf = append(p.buf, line...)
			var err error
			line, err = p.more(p.max-size, true)
			if errors.Is(err, io.EOF) {
				return errUnterminated
			}
			if err != nil {
				return err
			}
			size += len(line)
			phys++
			lineStart, bodyEnd, q, e = line, len(d.trimEnd(line)), -1, noEscape
		}
	}
}

// more reads the next line of a record that goes on past the end of the
// current line, inside a quoted field when inQuote, and may hold limit
// bytes more. A line too long is stepped over, with the rest of the
// record.
func (p *parser) more(limit int, inQuote bool) ([]byte, error) {
	line, complete, err := p.readLine(limit)
	if errors.Is(err, errTooLong) {
		return nil, p.skip(line, complete, inQuote)
	}
	return line, err
}

// indexOr returns the index of the first c in b, or len(b) when there is
// none.
func indexOr(b []byte, c byte) int {
	if i := bytes.IndexByte(b, c); i >= 0 {
		return i
	}
	return len(b)
}

// chunk reads the input up to the next byte that may end a line, or as
// much as br's buffer holds. end reports whether the chunk ends a line.
func (p *parser) chunk() (b []byte, end bool, err error) {
	sep := p.d.sep
	if sep == nil {
		b, err = p.br.ReadSlice('\n')
		return b, len(b) > 0 && b[len(b)-1] == '\n', err
	}
	b, err = p.br.ReadSlice(sep[len(sep)-1])
	n := len(sep)
	if len(b) >= n {
		end = bytes.HasSuffix(b, sep)
	} else {
		p.tail = append(p.tail, b...)
		end = bytes.HasSuffix(p.tail, sep)
	}
	switch {
	case end:
		p.tail = p.tail[:0]
	case len(b) >= n-1:
		p.tail = append(p.tail[:0], b[len(b)-(n-1):]...)
	case len(p.tail) > n-1:
		k := copy(p.tail, p.tail[len(p.tail)-(n-1):])
		p.tail = p.tail[:k]
	}
	return b, end, err
}

// readLine reads one line with its line end. At the end of the input it
// returns the last line without a line end, then io.EOF. A line longer
// than limit bytes returns errTooLong with what was read of it, complete
// reporting whether that is the whole line.
func (p *parser) readLine(limit int) (line []byte, complete bool, err error) {
	var end bool
	if p.d.sep == nil {
		line, err = p.br.ReadSlice('\n')
		end = len(line) > 0 && line[len(line)-1] == '\n'
	} else {
		line, end, err = p.chunk()
	}
	if !end && (err == nil || errors.Is(err, bufio.ErrBufferFull)) {
		p.long = append(p.long[:0], line...)
		for !end && (err == nil || errors.Is(err, bufio.ErrBufferFull)) {
			if len(p.long) > limit {
				return p.long, false, errTooLong
			}
			line, end, err = p.chunk()
			p.long = append(p.long, line...)
		}
		line = p.long
	}
	if end {
		p.line++
	}
	switch {
	case errors.Is(err, io.EOF) && len(line) > 0:
		if p.d.sep != nil && len(p.d.trimEnd(line)) == 0 {
			// A line end after the last separator is not a line.
			return nil, false, io.EOF
		}
		err = nil
	case err != nil:
		return nil, false, err
	}
	if len(line) > limit {
		return line, true, errTooLong
	}
	return line, true, nil
}

// skipLines steps over n lines, whatever they hold.
func (p *parser) skipLines(n int) error {
	for range n {
		for {
			_, end, err := p.chunk()
			if end {
				p.line++
				break
			}
			switch {
			case errors.Is(err, io.EOF):
				return nil
			case err != nil && !errors.Is(err, bufio.ErrBufferFull):
				return err
			}
		}
	}
	return nil
}

// skip steps over the rest of a record that is too long, from the part
// line already read of its current line, which started inside a quoted
// field when inQuote. Without an escape character a quote toggles between
// inside and outside a quoted field (a doubled quote toggles twice), so
// the record ends at the first line end read outside quotes; with one, an
// escaped quote does not toggle and an escaped line end does not end the
// record. It returns errTooLong, or a read error.
func (p *parser) skip(line []byte, complete, inQuote bool) error {
	s := skipState{inQuote: inQuote, escaped: -1}
	p.scan(&s, line)
	if complete && !s.inQuote && !p.escapedEnd(&s) {
		return errTooLong
	}
	for {
		chunk, end, err := p.chunk()
		p.scan(&s, chunk)
		if end {
			p.line++
			if !s.inQuote && !p.escapedEnd(&s) {
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

// skipState is where skip is in a record it steps over.
type skipState struct {
	inQuote bool
	esc     bool  // the next byte is escaped
	pos     int64 // bytes scanned
	escaped int64 // the index of the last escaped byte scanned, or -1
	b1, b2  byte  // the last byte scanned and the one before
}

// scan moves s over b.
func (p *parser) scan(s *skipState, b []byte) {
	if p.d.escape == 0 {
		if bytes.Count(b, []byte{p.d.quote})%2 == 1 {
			s.inQuote = !s.inQuote
		}
		return
	}
	for _, c := range b {
		switch {
		case s.esc:
			s.esc, s.escaped = false, s.pos
		case c == p.d.escape:
			s.esc = true
		case c == p.d.quote:
			s.inQuote = !s.inQuote
		}
		s.pos++
		s.b2, s.b1 = s.b1, c
	}
}

// escapedEnd reports whether the line end just scanned was escaped.
func (p *parser) escapedEnd(s *skipState) bool {
	if p.d.escape == 0 {
		return false
	}
	n := int64(1)
	switch {
	case p.d.sep != nil:
		n = int64(len(p.d.sep))
	case s.b2 == '\r':
		n = 2
	}
	return s.escaped == s.pos-n
}
