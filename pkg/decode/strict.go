package decode

import (
	"bytes"
	"io"
	"unicode/utf8"

	"golang.org/x/text/transform"
)

// The two ways Text decodes, each of which fails at the first byte that is
// not valid in the encoding instead of replacing it: utf8Check passes
// UTF-8 through as it is, checking it; strictReader decodes with
// golang.org/x/text and checks what it made.

// utf8Check passes UTF-8 text through, unchanged and uncopied but for a
// character cut short by a read, which it holds back until the next one
// completes it, and fails at the first byte that is not UTF-8 with an
// *EncodingError.
type utf8Check struct {
	r    io.Reader
	pos  position   // of the next byte passed on
	part []byte     // a character cut short at the end of the last read, held back
	auto *Detection // what auto decided, for messages; nil when the encoding was set
	err  error
}

func (c *utf8Check) Read(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	if len(p) <= len(c.part) {
		return 0, io.ErrShortBuffer
	}
	held := copy(p, c.part)
	c.part = c.part[:0]
	n, err := c.r.Read(p[held:])
	b := p[:held+n]
	good, bad := c.check(b, err != nil)
	if bad < 0 {
		c.part = append(c.part, b[good:]...)
		c.advance(b[:good])
		if good == 0 && err == nil {
			return c.Read(p) // only the start of a character so far
		}
		return good, err
	}
	c.err = c.failAt(b, bad)
	c.advance(b[:bad])
	if bad > 0 {
		return bad, nil
	}
	return 0, c.err
}

// check returns how much of b is whole valid characters (good), the rest
// being a character cut short, when more may follow (end is false); or
// the index of the first byte of b that does not begin a valid character
// (bad), else -1. It reads b once when all is well.
func (c *utf8Check) check(b []byte, end bool) (good, bad int) {
	k := len(b) // where a character cut short at the end starts
	for j := len(b) - 1; j >= 0 && j >= len(b)-utf8.UTFMax; j-- {
		if utf8.RuneStart(b[j]) {
			if !utf8.FullRune(b[j:]) {
				k = j
			}
			break
		}
	}
	if utf8.Valid(b[:k]) {
		if k < len(b) && end {
			return k, k
		}
		return k, -1
	}
	for j := 0; j < k; {
		r, size := utf8.DecodeRune(b[j:k])
		if r == utf8.RuneError && size == 1 {
			return j, j
		}
		j += size
	}
	return k, -1 // not reached: b[:k] is not valid
}

// advance moves c.pos over b, passed on.
func (c *utf8Check) advance(b []byte) {
	c.pos.offset += int64(len(b))
	c.pos.lines += int64(bytes.Count(b, []byte{'\n'}))
}

// failAt returns the error for the byte at b[bad], b being the text from
// c.pos on, with what the text there looks like: Detect on the bytes from
// that line on, read ahead up to DetectBytes (the text fails anyway).
func (c *utf8Check) failAt(b []byte, bad int) error {
	e := &EncodingError{
		Encoding: "utf-8",
		Line:     c.pos.lines + 1 + int64(bytes.Count(b[:bad], []byte{'\n'})),
		Offset:   c.pos.offset + int64(bad),
		Bytes:    bytes.Clone(b[bad : bad+1]),
		Auto:     c.auto,
	}
	e.Hint = lookAhead(bytes.Clone(b[bytes.LastIndexByte(b[:bad], '\n')+1:]), c.r)
	return e
}

// lookAhead returns what Detect makes of window and the bytes of r after
// it, up to DetectBytes in all, as a hint for the error at window's
// start; nil when it finds nothing worth saying (see hint).
func lookAhead(window []byte, r io.Reader) *Detection {
	eof := false
	if len(window) < DetectBytes {
		more := make([]byte, DetectBytes-len(window))
		n, err := io.ReadFull(r, more)
		window = append(window, more[:n]...)
		eof = err != nil
	}
	return hint(window, eof, "utf-8")
}

// minHintConfidence is the confidence below which a detection is not
// worth suggesting.
const minHintConfidence = 0.15

// hint returns what Detect makes of the text b that failed in encoding
// enc, when it is another encoding with some confidence, and b holds text
// that is not ASCII to tell by; else nil.
func hint(b []byte, eof bool, enc string) *Detection {
	if firstNonASCII(b) < 0 {
		return nil
	}
	d := Detect(b, eof)
	if d.Encoding == "" || d.Encoding == enc || d.Confidence < minHintConfidence {
		return nil
	}
	return &d
}

// fffd is U+FFFD in UTF-8: what golang.org/x/text's decoders write for a
// byte or sequence that is not valid in their encoding.
var fffd = []byte("\uFFFD")

// strictDecoder is a decoder of golang.org/x/text that fails, with an
// *EncodingError, where the decoder would write U+FFFD for bytes that are
// not valid in its encoding. An encoding that can encode U+FFFD itself
// (UTF-16, UTF-32, GB18030) may: its own bytes for it are let through.
//
// The decoders it wraps keep no state from one call to the next (they
// leave a character cut short by the end of src for the next call), so
// the bytes a character came from can be found again by decoding a
// prefix of src afresh.
type strictDecoder struct {
	enc  *textEncoding
	dec  transform.Transformer
	own  []byte // the encoding's bytes for U+FFFD, if it has any
	pos  position
	auto *Detection
	err  error
}

// newStrictReader returns src decoded from enc, starting at pos.
func newStrictReader(src io.Reader, enc *textEncoding, pos position, auto *Detection) io.Reader {
	s := &strictDecoder{enc: enc, dec: enc.enc.NewDecoder(), pos: pos, auto: auto}
	if own, err := enc.enc.NewEncoder().Bytes(fffd); err == nil {
		s.own = own
	}
	return transform.NewReader(src, s)
}

func (s *strictDecoder) Reset() {
	s.dec.Reset()
	s.err = nil
}

func (s *strictDecoder) Transform(dst, src []byte, atEOF bool) (int, int, error) {
	if s.err != nil {
		return 0, 0, s.err
	}
	nDst, nSrc, err := s.dec.Transform(dst, src, atEOF)
	out := dst[:nDst]
	for from := 0; ; {
		i := bytes.Index(out[from:], fffd)
		if i < 0 {
			break
		}
		i += from
		k := s.sourceOf(src[:nSrc], i)
		if s.own != nil && bytes.HasPrefix(src[k:], s.own) {
			from = i + len(fffd)
			continue
		}
		s.advance(out[:i], k)
		s.err = s.failAt(src[k:nSrc])
		return i, k, s.err
	}
	s.advance(out, nSrc)
	return nDst, nSrc, err
}

// sourceOf returns the index in src of the first byte of the character
// that the decoder wrote at index i of its output of src: the shortest
// prefix of src that decodes to at least i bytes.
func (s *strictDecoder) sourceOf(src []byte, i int) int {
	buf := make([]byte, 4*len(src)+utf8.UTFMax)
	lo, hi := 0, len(src)
	for lo < hi {
		mid := (lo + hi) / 2
		n, _, _ := s.enc.enc.NewDecoder().Transform(buf, src[:mid], false)
		if n >= i {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo
}

// advance moves s.pos over n bytes of source that decoded to out.
func (s *strictDecoder) advance(out []byte, n int) {
	s.pos.offset += int64(n)
	s.pos.lines += int64(bytes.Count(out, []byte{'\n'}))
}

// failAt returns the error for the bytes bad, at s.pos, with what the
// text there looks like.
func (s *strictDecoder) failAt(bad []byte) error {
	e := &EncodingError{Encoding: s.enc.name(), Line: s.pos.lines + 1, Offset: s.pos.offset, Auto: s.auto}
	e.Bytes = bytes.Clone(bad[:s.badLength(bad)])
	e.Hint = hint(bad, true, s.enc.name())
	return e
}

// badLength returns how many bytes at the start of bad the decoder turns
// into U+FFFD: the bad sequence, once the decoder has seen enough bytes to
// tell (up to UTFMax), with room for that one character only.
func (s *strictDecoder) badLength(bad []byte) int {
	var buf [3]byte // U+FFFD in UTF-8
	for m := 1; m <= min(len(bad), utf8.UTFMax); m++ {
		n, nSrc, _ := s.enc.enc.NewDecoder().Transform(buf[:], bad[:m], m == len(bad))
		if bytes.Equal(buf[:n], fffd) {
			return max(nSrc, 1)
		}
	}
	return min(len(bad), 1)
}
