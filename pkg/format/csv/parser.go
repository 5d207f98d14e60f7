package csv

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/bits"
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
// quote anywhere else, in a field that is not quoted, is data (in strict
// mode, a syntax error); text after a quoted field's closing quote is a
// syntax error. Without a quote character (quote_char: none) no field is
// quoted. With an escape character, the byte after an escape, inside
// quotes or not, is taken as it is.
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
	if err != nil {
		if errors.Is(err, errTooLong) {
			return start, p.skip(line, complete, false, true)
		}
		return start, err
	}
	if p.d.simple {
		return start, p.parseSimple(start, line)
	}
	if (p.d.noQuote || bytes.IndexByte(line, p.d.quote) < 0) && (p.d.escape == 0 || bytes.IndexByte(line, p.d.escape) < 0) {
		p.split(p.d.trimEnd(line))
		return start, nil
	}
	err = p.parse(start, line)
	p.cur.text = p.buf
	return start, err
}

// split splits a line without quotes or escapes into fields. The record is
// the line itself, in the read buffer.
func (p *parser) split(line []byte) {
	f := &p.cur
	f.text = line
	n := len(p.d.comma)
	start := 0
	for {
		var i int
		if !p.d.multi {
			i = bytes.IndexByte(line[start:], p.d.c)
		} else {
			i = bytes.Index(line[start:], p.d.comma)
		}
		if i < 0 {
			break
		}
		f.spans = append(f.spans, span{start, start + i, p.kind(line[start : start+i])})
		start += i + n
	}
	f.spans = append(f.spans, span{start, len(line), p.kind(line[start:])})
}

// kind returns the kind of an unquoted field as written: plain, or nullSeq
// when it is the null sequence.
func (p *parser) kind(field []byte) fieldKind {
	if p.d.null != nil && bytes.Equal(field, p.d.null) {
		return nullSeq
	}
	return plain
}

// parseSimple reads a record for the simple dialects (see dialect.simple):
// a one-byte delimiter, no escape character, no null sequence, lines
// ending in LF or CRLF. It is parse written for them alone, which makes
// it faster on the files most users have; a fuzz test checks that both
// agree. A record on one line, with its quotes in place, is split by
// splitQuick; parseSimple reads the others (a quoted field going on past
// the end of its line, a misplaced quote) with splitSlow.
func (p *parser) parseSimple(start int64, line []byte) error {
	if p.splitQuick(line) {
		return nil
	}
	p.cur.reset()
	err := p.splitSlow(start, line)
	p.cur.text = p.buf
	return err
}

// splitQuick splits a record that is the one line line, when every quote
// in it opens or closes a quoted field or is one of a doubled pair inside
// one, and reports whether it did. It finds delimiters and quotes 64
// bytes at a time, and tells those inside quotes by the parity of the
// quotes before them (a doubled quote leaves the parity as it was). Then
// a field that starts and ends with a quote is quoted; and if the quotes
// of the line are exactly those of its quoted fields and their doubled
// pairs, the split is right.
//
// The fields stay in line, the read buffer, unless a doubled quote has to
// be rewritten as one: the line is then copied into p.buf, and such a
// field rewritten in place.
func (p *parser) splitQuick(line []byte) bool {
	body := len(trimEOL(line))
	words := line[:cap(line)] // so that a last word can be read whole
	spans := p.cur.spans[:0]
	quotes := 0       // the quotes of the line
	var inside uint64 // all ones when the 64 bytes before base end inside quotes
	start := 0        // where the field being read starts
	for base := 0; base < body; base += 64 {
		cm, qm := p.d.pair.masks(words, base, body)
		if qm|inside != 0 {
			quotes += bits.OnesCount64(qm)
			in := prefixXor(qm) ^ inside
			inside = uint64(int64(in) >> 63)
			cm &^= in
		}
		for ; cm != 0; cm &= cm - 1 {
			end := base + bits.TrailingZeros64(cm)
			spans = append(spans, span{start, end, plain})
			start = end + 1
		}
	}
	spans = append(spans, span{start, body, plain})
	p.cur.spans = spans
	p.cur.text = line
	if quotes == 0 {
		return true
	}
	if inside != 0 {
		return false // a quoted field goes on past the end of the line
	}
	quote := p.d.quote
	known := 0 // the quotes that open and close quoted fields
	for k := range spans {
		s := &spans[k]
		if s.end-s.start >= 2 && line[s.start] == quote && line[s.end-1] == quote {
			s.start, s.end, s.kind = s.start+1, s.end-1, quoted
			known += 2
		}
	}
	if known == quotes {
		return true
	}
	// Quotes inside quoted fields: each must be one of a doubled pair,
	// which stands for one quote.
	p.buf = append(p.buf[:0], line...)
	text := p.buf
	for k := range spans {
		s := &spans[k]
		if s.kind != quoted {
			continue
		}
		k := bytes.IndexByte(text[s.start:s.end], quote)
		if k < 0 {
			continue
		}
		r, w := s.start+k, s.start+k // read and write positions
		for {
			if r+1 == s.end || text[r+1] != quote {
				return false
			}
			text[w] = quote
			w++
			r += 2
			known += 2
			k = bytes.IndexByte(text[r:s.end], quote)
			if k < 0 {
				w += copy(text[w:], text[r:s.end])
				break
			}
			w += copy(text[w:], text[r:r+k])
			r += k
		}
		s.end = w
	}
	p.cur.text = text
	return known == quotes
}

// splitSlow reads a record that starts on line start, whose first line is
// line, into p.buf, field after field.
func (p *parser) splitSlow(start int64, line []byte) error {
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
			field := line
			i := bytes.IndexByte(line, comma)
			if i >= 0 {
				field = line[:i]
			} else {
				field = trimEOL(line)
			}
			if p.d.strict {
				// A quote before the field's end is an error.
				pos := len(lineStart) - len(line)
				if q < pos {
					q = pos + indexOr(line, quote)
				}
				if q < pos+len(field) {
					return &syntaxError{line: phys, col: q + 1, field: len(p.cur.spans), msg: fmt.Sprintf("bare %c in a field that is not quoted", quote)}
				}
			}
			p.buf = append(p.buf, field...)
			p.cur.add(len(p.buf), plain)
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
				p.cur.add(len(p.buf), quoted)
				if len(line) > 0 && line[0] == comma {
					line = line[1:]
					break
				}
				if len(trimEOL(line)) == 0 {
					return nil
				}
				return &syntaxError{line: phys, col: col(line) - 1, field: len(p.cur.spans) - 1, msg: fmt.Sprintf("extraneous or missing %c in a quoted field", quote)}
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
				return p.skip(line, complete, true, false)
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
	noQuote, strict := -1, d.strict
	if d.noQuote {
		noQuote = math.MaxInt // never looked for
	}
	q, e := noQuote, noEscape
	for {
		var pos int // where line starts in lineStart: set before each use
		if len(line) == 0 || line[0] != quote || d.noQuote {
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
				if e < pos {
					e = pos + indexOr(lineStart[pos:], d.escape)
				}
				if strict {
					// A quote before the field's end that is not escaped
					// is an error.
					if q < pos {
						q = pos + indexOr(lineStart[pos:], quote)
					}
					if q-pos < stop && q < e {
						return &syntaxError{line: phys, col: q + 1, field: len(p.cur.spans), msg: fmt.Sprintf("bare %c in a field that is not quoted", d.quote)}
					}
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
					lineStart, bodyEnd, q, e = line, len(d.trimEnd(line)), noQuote, noEscape
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
				return &syntaxError{line: phys, col: q + 1, field: len(p.cur.spans) - 1, msg: fmt.Sprintf("extraneous or missing %c in a quoted field", d.quote)}
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
		return nil, p.skip(line, complete, inQuote, false)
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
	case err == nil:
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
// field when inQuote, or else at the start of a field when atStart. It
// follows the quotes as the parser does: a quote at the start of a field
// opens a quoted field, which the next quote closes unless another one
// follows it (a doubled quote); a quote anywhere else is data (in strict
// mode a syntax error, and a record with one is no longer split right
// anyway). The record ends at the first line end read outside quotes;
// with an escape character, an escaped quote is data and an escaped line
// end does not end the record. It returns errTooLong, or a read error.
func (p *parser) skip(line []byte, complete, inQuote, atStart bool) error {
	s := skipState{inQuote: inQuote, start: atStart && !inQuote, escaped: -1, window: make([]byte, 0, len(p.d.comma))}
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
	closing bool   // in quotes, the last byte was a quote: it closes them unless a quote follows
	start   bool   // the next byte starts a field
	esc     bool   // the next byte is escaped
	window  []byte // the last bytes outside quotes, up to the delimiter's length, since the last delimiter
	pos     int64  // bytes scanned
	escaped int64  // the index of the last escaped byte scanned, or -1
	b1, b2  byte   // the last byte scanned and the one before
}

// scan moves s over b.
func (p *parser) scan(s *skipState, b []byte) {
	d := &p.d
	for _, c := range b {
		start := s.start
		s.start = false
		switch {
		case s.esc:
			s.esc, s.escaped = false, s.pos
		case s.closing && d.isQuote(c):
			s.closing = false // a doubled quote: still in quotes
		case s.inQuote && !s.closing:
			switch {
			case d.escape != 0 && c == d.escape:
				s.esc = true
			case d.isQuote(c):
				s.closing = true
			}
		default:
			if s.closing {
				s.inQuote, s.closing = false, false
			}
			switch {
			case d.escape != 0 && c == d.escape:
				s.esc = true
			case start && d.isQuote(c):
				s.inQuote = true
			case c == '\n' && d.sep == nil:
				// The record ends here unless the line end is escaped
				// (skip decides); an escaped one goes on in the field.
			default:
				s.start = p.delimiterEnds(s, c)
			}
		}
		s.pos++
		s.b2, s.b1 = s.b1, c
	}
}

// delimiterEnds moves the window of the bytes outside quotes on by c and
// reports whether they now end with the delimiter; the window is emptied
// then, as the parser goes on after a delimiter it found.
func (p *parser) delimiterEnds(s *skipState, c byte) bool {
	comma := p.d.comma
	if len(comma) == 1 {
		return c == comma[0]
	}
	if len(s.window) == len(comma) {
		copy(s.window, s.window[1:])
		s.window = s.window[:len(comma)-1]
	}
	s.window = append(s.window, c)
	if bytes.Equal(s.window, comma) {
		s.window = s.window[:0]
		return true
	}
	return false
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

// pair is the two ASCII bytes splitQuick looks for, the delimiter and the
// quote, each in every byte of a word.
type pair struct {
	ma, mb uint64
}

const (
	lows  = 0x0101010101010101
	highs = 0x8080808080808080
)

func newPair(a, b byte) pair {
	return pair{ma: lows * uint64(a), mb: lows * uint64(b)}
}

// masks returns the delimiters and quotes among the 64 bytes of words
// from base, before end, as the bits of two words. words is the text's
// storage to its capacity, so that 64 bytes can be read whole past end.
func (m pair) masks(words []byte, base, end int) (delims, quotes uint64) {
	var b *[64]byte
	if base+64 <= len(words) {
		b = (*[64]byte)(words[base:])
	} else {
		var last [64]byte
		copy(last[:], words[base:])
		b = &last
	}
	for k := 0; k < 64; k += 16 {
		x := binary.LittleEndian.Uint64(b[k:])
		y := binary.LittleEndian.Uint64(b[k+8:])
		delims |= (gather(equalBytes(x, m.ma)) | gather(equalBytes(y, m.ma))<<8) << k
		quotes |= (gather(equalBytes(x, m.mb)) | gather(equalBytes(y, m.mb))<<8) << k
	}
	if n := end - base; n < 64 {
		delims &= 1<<n - 1 // bytes past the end, which may be anything
		quotes &= 1<<n - 1
	}
	return delims, quotes
}

// gather packs the high bits of the eight bytes of z, its only bits set,
// into a byte: the multiplication moves the bit of byte i to bit 56+i, and
// no two of its partial products meet.
func gather(z uint64) uint64 {
	return ((z >> 7) * 0x0102040810204080) >> 56
}

// prefixXor returns x with each bit the parity of the bits of x at and
// below it.
func prefixXor(x uint64) uint64 {
	x ^= x << 1
	x ^= x << 2
	x ^= x << 4
	x ^= x << 8
	x ^= x << 16
	x ^= x << 32
	return x
}

// equalBytes returns x with the high bit of each byte set when that byte
// is the ASCII byte c holds in every byte, and every other bit clear.
// Adding 0x7F to the low seven bits of each byte sets its high bit unless
// they are zero, and never carries into the next byte.
func equalBytes(x, c uint64) uint64 {
	const sevens = 0x7F7F7F7F7F7F7F7F
	low := (x & sevens) ^ c // the low seven bits of each byte, zero where it is c (or c+0x80)
	return ^((low + sevens) | x) & highs
}
