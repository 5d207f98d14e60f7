package decode

import (
	"bytes"
	"errors"
	"fmt"
	"io"
)

// xzGuard follows the structure of an xz stream as it passes to the xz
// library and fails a read that completes a block header asking for an
// LZMA2 dictionary over max bytes. github.com/ulikunitz/xz allocates the
// dictionary a block header asks for (up to 4 GiB) before it decodes a
// byte, and offers no cap of its own; the guard refuses the block before
// the library sees its header whole.
//
// The guard knows the container (stream header, blocks of LZMA2 chunks,
// index, footer, padding, concatenated streams) but checks no checksum:
// the library does. A stream it cannot follow is an error, so that no
// block header can slip past it.
type xzGuard struct {
	r   io.Reader
	max int64
	err error

	state xzState
	buf   []byte // bytes of the structure being collected
	need  int    // bytes buf must reach, in collecting states
	skip  int64  // bytes left to pass over, in skipping states

	check     int   // size of the block check, from the stream flags
	blockLen  int64 // bytes of the current block so far (header and data)
	records   int64 // index records left to read (two sizes each)
	indexLen  int64 // bytes of the index so far
	streamPad int   // bytes of stream padding in the current group of 4

	// observe makes the guard record a stream it cannot follow in lost
	// and let it pass (a dictionary over max still fails): for the test
	// that proves it follows every stream the library reads.
	observe bool
	lost    error
}

type xzState int

const (
	xzStreamHeader  xzState = iota // collecting 12 bytes
	xzBlockStart                   // one byte: block header size, or 0 for the index
	xzBlockHeader                  // collecting the rest of the header
	xzChunkControl                 // one byte: LZMA2 chunk control
	xzChunkHeader                  // collecting the chunk's sizes (and properties)
	xzSkip                         // passing over chunk data, then back to xzChunkControl
	xzBlockTail                    // passing over block padding and check, then xzBlockStart
	xzIndexCount                   // collecting the varint count of records
	xzIndexRecords                 // collecting the records' varints
	xzIndexTail                    // passing over index padding and CRC32, then the footer
	xzFooter                       // passing over 12 bytes of footer
	xzStreamPadding                // zero bytes in groups of 4, or a next stream's header
)

var errXzStructure = errors.New("xz: unexpected byte in the stream structure")

func (g *xzGuard) Read(p []byte) (int, error) {
	if g.err != nil {
		return 0, g.err
	}
	n, err := g.r.Read(p)
	if ferr := g.feed(p[:n]); ferr != nil {
		var le *LimitError
		if g.observe && !errors.As(ferr, &le) {
			if g.lost == nil {
				g.lost = ferr
			}
			return n, err
		}
		g.err = ferr
		return 0, ferr
	}
	return n, err
}

// feed advances the guard over b.
func (g *xzGuard) feed(b []byte) error {
	for len(b) > 0 {
		switch g.state {
		case xzSkip, xzBlockTail, xzIndexTail, xzFooter:
			k := min(int64(len(b)), g.skip)
			g.skip -= k
			if g.state == xzSkip {
				g.blockLen += k
			}
			b = b[k:]
			if g.skip == 0 {
				g.skipped()
			}
			continue
		case xzStreamPadding:
			c := b[0]
			b = b[1:]
			if g.streamPad == 0 && c != 0 {
				g.state, g.buf, g.need = xzStreamHeader, append(g.buf[:0], c), 12
				continue
			}
			if c != 0 {
				return errXzStructure
			}
			g.streamPad = (g.streamPad + 1) % 4
			continue
		}
		c := b[0]
		b = b[1:]
		if err := g.byte(c); err != nil {
			return err
		}
	}
	return nil
}

// skipped moves on after a skipping state has passed its bytes.
func (g *xzGuard) skipped() {
	switch g.state {
	case xzSkip:
		g.state = xzChunkControl
	case xzBlockTail:
		g.state = xzBlockStart
	case xzIndexTail:
		g.state, g.skip = xzFooter, 12
	case xzFooter:
		g.state, g.streamPad = xzStreamPadding, 0
	}
}

// byte advances the guard over one byte of a structure it parses.
func (g *xzGuard) byte(c byte) error {
	switch g.state {
	case xzStreamHeader:
		if g.need == 0 {
			g.buf, g.need = g.buf[:0], 12
		}
		g.buf = append(g.buf, c)
		if len(g.buf) < g.need {
			return nil
		}
		if !isXz(g.buf) {
			return errXzStructure
		}
		g.check = xzCheckSize(g.buf[7] & 0x0f)
		g.state, g.need = xzBlockStart, 0
	case xzBlockStart:
		if c == 0 {
			g.state, g.indexLen, g.buf = xzIndexCount, 1, g.buf[:0]
			return nil
		}
		g.state, g.buf, g.need = xzBlockHeader, append(g.buf[:0], c), (int(c)+1)*4
	case xzBlockHeader:
		g.buf = append(g.buf, c)
		if len(g.buf) < g.need {
			return nil
		}
		if err := g.blockHeader(g.buf); err != nil {
			return err
		}
		g.state, g.blockLen = xzChunkControl, int64(len(g.buf))
	case xzChunkControl:
		g.blockLen++
		switch {
		case c == 0: // end of the LZMA2 data
			g.state, g.skip = xzBlockTail, (4-g.blockLen%4)%4+int64(g.check)
			if g.skip == 0 {
				g.state = xzBlockStart
			}
		case c == 1 || c == 2: // uncompressed chunk: 2 bytes of size
			g.state, g.buf, g.need = xzChunkHeader, append(g.buf[:0], c), 3
		case c >= 0x80: // LZMA chunk: 4 bytes of sizes, and properties from 0xC0
			need := 5
			if c >= 0xc0 {
				need = 6
			}
			g.state, g.buf, g.need = xzChunkHeader, append(g.buf[:0], c), need
		default:
			return errXzStructure
		}
	case xzChunkHeader:
		g.blockLen++
		g.buf = append(g.buf, c)
		if len(g.buf) < g.need {
			return nil
		}
		var size int64
		if g.buf[0] < 0x80 {
			size = int64(g.buf[1])<<8 | int64(g.buf[2]) + 1
		} else {
			size = int64(g.buf[3])<<8 | int64(g.buf[4]) + 1
		}
		g.state, g.skip = xzSkip, size
	case xzIndexCount, xzIndexRecords:
		g.indexLen++
		g.buf = append(g.buf, c)
		if c&0x80 != 0 {
			if len(g.buf) == 9 {
				return errXzStructure
			}
			return nil
		}
		v := uvarint(g.buf)
		g.buf = g.buf[:0]
		if g.state == xzIndexCount {
			g.state, g.records = xzIndexRecords, 2*v
		} else {
			g.records--
		}
		if g.records == 0 {
			g.state, g.skip = xzIndexTail, (4-g.indexLen%4)%4+4
		}
		if v < 0 {
			return errXzStructure
		}
	}
	return nil
}

// blockHeader checks a block header's filters: the LZMA2 dictionary must
// fit the cap.
func (g *xzGuard) blockHeader(h []byte) error {
	if len(h) < 8 {
		return errXzStructure
	}
	flags := h[1]
	r := bytes.NewReader(h[2 : len(h)-4])
	if flags&0x40 != 0 { // compressed size
		if _, err := readUvarint(r); err != nil {
			return err
		}
	}
	if flags&0x80 != 0 { // uncompressed size
		if _, err := readUvarint(r); err != nil {
			return err
		}
	}
	for range int(flags&0x03) + 1 {
		id, err := readUvarint(r)
		if err != nil {
			return err
		}
		size, err := readUvarint(r)
		if err != nil || size > int64(r.Len()) {
			return errXzStructure
		}
		props := make([]byte, size)
		_, _ = r.Read(props)
		if id != 0x21 {
			continue
		}
		if size != 1 || props[0]&0x3f > 40 {
			return errXzStructure
		}
		if dict := xzDictSize(props[0] & 0x3f); dict > g.max {
			return &LimitError{Limit: "max_spool_bytes", Max: g.max,
				Detail: fmt.Sprintf("an xz block asks for a %s dictionary", sizeText(dict))}
		}
	}
	return nil
}

// xzDictSize decodes an LZMA2 dictionary size property.
func xzDictSize(p byte) int64 {
	if p == 40 {
		return 1<<32 - 1
	}
	return int64(2|p&1) << (p/2 + 11)
}

// xzCheckSize is the size of a block check of type t.
func xzCheckSize(t byte) int {
	if t == 0 {
		return 0
	}
	return 4 << ((t - 1) / 3)
}

// uvarint decodes an xz variable-length integer of at most 9 bytes; -1
// when it does not fit an int64.
func uvarint(b []byte) int64 {
	var v uint64
	for i, c := range b {
		v |= uint64(c&0x7f) << (7 * i)
	}
	if v > 1<<62 {
		return -1
	}
	return int64(v)
}

func readUvarint(r io.ByteReader) (int64, error) {
	var b []byte
	for len(b) < 9 {
		c, err := r.ReadByte()
		if err != nil {
			return 0, errXzStructure
		}
		b = append(b, c)
		if c&0x80 == 0 {
			if v := uvarint(b); v >= 0 {
				return v, nil
			}
			break
		}
	}
	return 0, errXzStructure
}
