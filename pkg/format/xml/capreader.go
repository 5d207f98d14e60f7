package xml

import (
	"errors"
	"io"
)

// errTokenTooLong is a piece of markup or text longer than the cap, which
// encoding/xml would hold in memory whole.
var errTokenTooLong = errors.New("token too long")

// capReader is the byte source of the XML decoder: a buffered reader that
// fails with errTokenTooLong when asked for a byte more than a cap past the
// last mark. The reader marks it at every token, so that no one token (a
// text node, a tag with its attributes, a comment, a DOCTYPE) can make the
// decoder hold more than the cap.
type capReader struct {
	r     io.Reader
	buf   []byte
	i, n  int   // the next byte of buf, the end of its data
	end   int   // the end of the bytes of buf that may be read: n, or less at the limit
	off   int64 // the input offset of buf[0]
	limit int64 // the offset of the first byte that may not be read
	max   int64 // the cap
	err   error // the error that ended r
}

func newCapReader(r io.Reader, size int, max int64) *capReader {
	c := &capReader{r: r, buf: make([]byte, size), max: max}
	c.mark()
	return c
}

// offset returns the number of bytes read.
func (c *capReader) offset() int64 { return c.off + int64(c.i) }

// mark allows the cap's number of bytes from here on.
func (c *capReader) mark() {
	c.limit = c.offset() + c.max
	c.setEnd()
}

func (c *capReader) setEnd() {
	c.end = c.n
	if room := c.limit - c.off; room < int64(c.end) {
		c.end = max(int(room), c.i)
	}
}

// ReadByte implements io.ByteReader.
func (c *capReader) ReadByte() (byte, error) {
	if c.i < c.end {
		b := c.buf[c.i]
		c.i++
		return b, nil
	}
	if err := c.fill(); err != nil {
		return 0, err
	}
	b := c.buf[c.i]
	c.i++
	return b, nil
}

// Read implements io.Reader.
func (c *capReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if c.i == c.end {
		if err := c.fill(); err != nil {
			return 0, err
		}
	}
	k := copy(p, c.buf[c.i:c.end])
	c.i += k
	return k, nil
}

// fill makes at least one byte readable, or returns why it cannot.
func (c *capReader) fill() error {
	for c.i == c.end {
		if c.offset() >= c.limit {
			return errTokenTooLong
		}
		if c.err != nil {
			return c.err
		}
		c.off += int64(c.n)
		c.i, c.n = 0, 0
		for empty := 0; c.n == 0 && c.err == nil; empty++ {
			if empty == 100 {
				c.err = io.ErrNoProgress
				break
			}
			c.n, c.err = c.r.Read(c.buf)
		}
		c.setEnd()
	}
	return nil
}
