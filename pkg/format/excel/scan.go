package excel

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"
)

// tokenKind is the kind of an XML token of the scanner.
type tokenKind uint8

const (
	tokStart tokenKind = iota + 1 // a start tag (also self-closing: then an end follows)
	tokEnd                        // an end tag
	tokText                       // character data, CDATA included
)

// attr is an attribute of a start tag: its local name and value, valid
// until the scanner's next call.
type attr struct {
	name, value []byte
}

// scanner tokenizes a worksheet's XML with no allocation per token: the
// cells of a sheet are most of an XLSX file, and encoding/xml makes a
// few allocations for each of their tokens. It reads the XML the way
// encoding/xml's RawToken does (names keep no prefix here; entities and
// character references are decoded, unknown entities are errors; line
// ends are normalized to \n; comments, processing instructions and
// directives are skipped, so no DTD is ever read or expanded), but it
// does not check that tags nest: the worksheet reader needs only its
// sequence of tokens. TestScannerMatchesEncodingXML and FuzzScanner check
// it against encoding/xml.
type scanner struct {
	br      *bufio.Reader
	kind    tokenKind
	name    []byte // local name of the tag
	attrs   []attr
	text    []byte // decoded character data (only when asked for)
	tag     []byte // the tag's bytes when they span the read buffer
	vals    []byte // decoded attribute values
	selfEnd bool   // the start tag was self-closing: an end is due
	endName []byte
	inTag   bool   // the last read stopped just after '<'
	raw     []byte // character data before decoding
}

// maxText caps the character data of one token the reader asks for (a
// cell's value): Excel's own cap is 32,767 characters.
const maxText = 16 << 20

func newScanner(r io.Reader) *scanner {
	return &scanner{br: bufio.NewReaderSize(r, 64<<10)}
}

var errSyntax = errors.New("XML syntax error")

func syntaxErr(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{errSyntax}, args...)...)
}

// next reads the next token. Character data is decoded into s.text only
// when wantText is set; otherwise its token still comes, empty. It
// returns io.EOF at the end of the input.
func (s *scanner) next(wantText bool) (tokenKind, error) {
	if s.selfEnd {
		s.selfEnd = false
		s.kind, s.name = tokEnd, s.endName
		return tokEnd, nil
	}
	if !s.inTag {
		// Character data up to the next '<'.
		s.text = s.text[:0]
		any := false
		for {
			b, err := s.br.ReadSlice('<')
			if err == nil {
				b = b[:len(b)-1]
			}
			if len(b) > 0 {
				any = true
				if wantText {
					if len(s.text)+len(b) > maxText {
						return 0, syntaxErr("character data longer than %d bytes", maxText)
					}
					s.text = append(s.text, b...) // decoded once whole: an entity may be cut here
				}
			}
			if errors.Is(err, bufio.ErrBufferFull) {
				continue
			}
			if err != nil {
				if errors.Is(err, io.EOF) {
					return 0, io.EOF
				}
				return 0, err
			}
			s.inTag = true
			if !any {
				break
			}
			if wantText {
				raw := s.text
				s.text, err = appendText(s.raw[:0], raw)
				s.raw = raw[:0] // swap buffers
				if err != nil {
					return 0, err
				}
			}
			s.kind = tokText
			return tokText, nil
		}
	}
	s.inTag = false
	c, err := s.br.ReadByte()
	if err != nil {
		return 0, unexpected(err)
	}
	switch c {
	case '/':
		tag, err := s.readTag()
		if err != nil {
			return 0, err
		}
		n := len(tag)
		for n > 0 && (tag[n-1] == ' ' || tag[n-1] == '\t' || tag[n-1] == '\r' || tag[n-1] == '\n') {
			n--
		}
		s.kind, s.name = tokEnd, localName(tag[:n])
		return tokEnd, nil
	case '?':
		if err := s.skipTo("?>"); err != nil {
			return 0, err
		}
		return s.next(wantText)
	case '!':
		return s.bang(wantText)
	}
	if err := s.br.UnreadByte(); err != nil {
		return 0, err
	}
	tag, err := s.readTag()
	if err != nil {
		return 0, err
	}
	if err := s.parseStart(tag); err != nil {
		return 0, err
	}
	return tokStart, nil
}

func unexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return syntaxErr("unexpected end of the document")
	}
	return err
}

// readTag reads up to the '>' that ends a tag (not one inside quotes)
// and returns the bytes before it, valid until the next read.
func (s *scanner) readTag() ([]byte, error) {
	var quote byte
	spanned := false
	s.tag = s.tag[:0]
	for {
		b, err := s.br.ReadSlice('>')
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			return nil, unexpected(err)
		}
		for _, c := range b {
			switch {
			case quote != 0:
				if c == quote {
					quote = 0
				}
			case c == '"' || c == '\'':
				quote = c
			case c == '<':
				return nil, syntaxErr("'<' inside a tag")
			}
		}
		if err == nil && quote == 0 {
			if !spanned {
				return b[:len(b)-1], nil
			}
			s.tag = append(s.tag, b[:len(b)-1]...)
			return s.tag, nil
		}
		s.tag = append(s.tag, b...)
		spanned = true
		if len(s.tag) > 1<<20 {
			return nil, syntaxErr("tag longer than 1 MiB")
		}
	}
}

// skipTo skips past the next occurrence of end.
func (s *scanner) skipTo(end string) error {
	last := byte(end[len(end)-1])
	var tail []byte
	for {
		b, err := s.br.ReadSlice(last)
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			return unexpected(err)
		}
		tail = append(tail, b...)
		if err == nil && bytes.HasSuffix(tail, []byte(end)) {
			return nil
		}
		if len(tail) > len(end) {
			tail = append(tail[:0], tail[len(tail)-len(end):]...)
		}
	}
}

// bang reads what follows "<!": a comment, CDATA or a directive.
func (s *scanner) bang(wantText bool) (tokenKind, error) {
	head, err := s.br.Peek(2)
	if err != nil {
		return 0, unexpected(err)
	}
	switch {
	case string(head) == "--":
		if _, err := s.br.Discard(2); err != nil {
			return 0, err
		}
		if err := s.skipTo("-->"); err != nil {
			return 0, err
		}
		return s.next(wantText)
	case head[0] == '[':
		h, err := s.br.Peek(7)
		if err != nil || string(h) != "[CDATA[" {
			return 0, syntaxErr("bad <![ section")
		}
		if _, err := s.br.Discard(7); err != nil {
			return 0, err
		}
		s.text = s.text[:0]
		if !wantText {
			if err := s.skipTo("]]>"); err != nil {
				return 0, err
			}
			s.kind = tokText
			return tokText, nil
		}
		for {
			b, err := s.br.ReadSlice('>')
			if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
				return 0, unexpected(err)
			}
			if len(s.text)+len(b) > maxText {
				return 0, syntaxErr("character data longer than %d bytes", maxText)
			}
			s.text = append(s.text, b...)
			if err == nil && bytes.HasSuffix(s.text, []byte("]]>")) {
				if err := checkChars(s.text); err != nil {
					return 0, err
				}
				s.text = normalizeLines(s.text[:len(s.text)-3])
				s.kind = tokText
				return tokText, nil
			}
		}
	}
	// A directive (<!DOCTYPE ...> and its internal subset): skipped,
	// never read, the way encoding/xml finds its end: its first byte
	// taken as it is, then quotes, nested <...> and comments.
	if _, err := s.br.ReadByte(); err != nil {
		return 0, unexpected(err)
	}
	depth := 0
	var quote byte
	for {
		c, err := s.br.ReadByte()
		if err != nil {
			return 0, unexpected(err)
		}
	handle:
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '>' && depth == 0:
			return s.next(wantText)
		case c == '>':
			depth--
		case c == '<':
			for _, want := range []byte("!--") {
				if c, err = s.br.ReadByte(); err != nil {
					return 0, unexpected(err)
				}
				if c != want {
					depth++
					goto handle
				}
			}
			if err := s.skipTo("-->"); err != nil {
				return 0, err
			}
		}
	}
}

// parseStart reads a start tag's name and attributes.
func (s *scanner) parseStart(tag []byte) error {
	s.attrs, s.vals = s.attrs[:0], s.vals[:0]
	if n := len(tag); n > 0 && tag[n-1] == '/' {
		tag = tag[:n-1]
		s.selfEnd = true
	}
	i := nameEnd(tag, 0)
	if i == 0 {
		return syntaxErr("tag without a name")
	}
	s.kind, s.name = tokStart, localName(tag[:i])
	s.endName = s.name
	type decoded struct{ at, start, end int } // an attribute whose value is in s.vals
	var moved [8]decoded
	dec := moved[:0]
	for {
		i = skipSpace(tag, i)
		if i >= len(tag) {
			break
		}
		j := nameEnd(tag, i)
		if j == i {
			return syntaxErr("bad attribute in <%s>", s.name)
		}
		name := tag[i:j]
		j = skipSpace(tag, j)
		if j >= len(tag) || tag[j] != '=' {
			return syntaxErr("attribute %s without a value", name)
		}
		j = skipSpace(tag, j+1)
		if j >= len(tag) || (tag[j] != '"' && tag[j] != '\'') {
			return syntaxErr("unquoted attribute %s", name)
		}
		q := tag[j]
		k := bytes.IndexByte(tag[j+1:], q)
		if k < 0 {
			return syntaxErr("unterminated attribute %s", name)
		}
		value := tag[j+1 : j+1+k]
		if bytes.IndexByte(value, '&') >= 0 || bytes.IndexByte(value, '\r') >= 0 {
			start := len(s.vals)
			var err error
			if s.vals, err = appendText(s.vals, value); err != nil {
				return err
			}
			dec = append(dec, decoded{len(s.attrs), start, len(s.vals)})
			value = nil
		}
		s.attrs = append(s.attrs, attr{name: localName(name), value: value})
		i = j + 2 + k
	}
	for _, d := range dec {
		s.attrs[d.at].value = s.vals[d.start:d.end]
	}
	return nil
}

func nameEnd(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\r', '\n', '=', '/', '>', '"', '\'':
			return i
		}
		i++
	}
	return i
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n') {
		i++
	}
	return i
}

// localName drops a name's namespace prefix, as encoding/xml splits
// names: at a single colon with something on both sides.
func localName(name []byte) []byte {
	i := bytes.IndexByte(name, ':')
	if i <= 0 || i == len(name)-1 || bytes.IndexByte(name[i+1:], ':') >= 0 {
		return name
	}
	return name[i+1:]
}

// appendText appends character data with its line ends normalized and
// then its entities decoded (so that &#13; stays a carriage return),
// failing on bytes that are not UTF-8 or characters XML does not allow,
// as encoding/xml does.
func appendText(dst, src []byte) ([]byte, error) {
	if err := checkChars(src); err != nil {
		return dst, err
	}
	if bytes.IndexByte(src, '\r') >= 0 {
		src = normalizeLines(bytes.Clone(src))
	}
	if bytes.IndexByte(src, '&') < 0 {
		return append(dst, src...), nil
	}
	return appendEntities(dst, src)
}

// checkChars fails on bytes that are not UTF-8 or characters XML does
// not allow.
func checkChars(src []byte) error {
	for i := 0; i < len(src); {
		c := src[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
				return syntaxErr("illegal character code U+%04X", c)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(src[i:])
		if r == utf8.RuneError && n == 1 {
			return syntaxErr("invalid UTF-8")
		}
		if !isXMLChar(r) {
			return syntaxErr("illegal character code %U", r)
		}
		i += n
	}
	return nil
}

// normalizeLines turns \r\n and lone \r into \n, as XML reads them.
func normalizeLines(b []byte) []byte {
	if bytes.IndexByte(b, '\r') < 0 {
		return b
	}
	out := b[:0]
	for i := 0; i < len(b); i++ {
		if b[i] == '\r' {
			out = append(out, '\n')
			if i+1 < len(b) && b[i+1] == '\n' {
				i++
			}
			continue
		}
		out = append(out, b[i])
	}
	return out
}

// appendEntities appends src with its entity and character references
// decoded.
func appendEntities(dst, src []byte) ([]byte, error) {
	for {
		i := bytes.IndexByte(src, '&')
		if i < 0 {
			return append(dst, src...), nil
		}
		dst = append(dst, src[:i]...)
		src = src[i+1:]
		j := bytes.IndexByte(src, ';')
		if j < 0 {
			return dst, syntaxErr("unterminated entity")
		}
		ent := src[:j]
		src = src[j+1:]
		switch string(ent) {
		case "lt":
			dst = append(dst, '<')
		case "gt":
			dst = append(dst, '>')
		case "amp":
			dst = append(dst, '&')
		case "apos":
			dst = append(dst, '\'')
		case "quot":
			dst = append(dst, '"')
		default:
			if len(ent) < 2 || ent[0] != '#' {
				return dst, syntaxErr("unknown entity &%s;", ent)
			}
			var n uint64
			var err error
			if ent[1] == 'x' {
				n, err = strconv.ParseUint(string(ent[2:]), 16, 32)
			} else {
				n, err = strconv.ParseUint(string(ent[1:]), 10, 32)
			}
			if err != nil || n > utf8.MaxRune {
				return dst, syntaxErr("bad character reference &%s;", ent)
			}
			r := rune(n)
			if !utf8.ValidRune(r) {
				r = utf8.RuneError // a surrogate, as encoding/xml reads it
			}
			if !isXMLChar(r) {
				return dst, syntaxErr("illegal character code %U", r)
			}
			dst = utf8.AppendRune(dst, r)
		}
	}
}

// isXMLChar reports whether r may appear in an XML document.
func isXMLChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD ||
		r >= 0x10000 && r <= 0x10FFFF
}
