package avro

import (
	"bufio"
	"bytes"
	"compress/bzip2"
	"compress/flate"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"

	"github.com/golang/snappy"
	"github.com/klauspost/compress/zstd"
)

// magic starts every Avro object container file.
const magic = "Obj\x01"

// syncSize is the length of the sync marker that ends the header and every
// block.
const syncSize = 16

// Codecs of block compression, by their avro.codec names.
const (
	codecNull    = "null"
	codecDeflate = "deflate"
	codecSnappy  = "snappy"
	codecZstd    = "zstandard"
	codecBzip2   = "bzip2"
)

// snappyRatio bounds how many times its size a snappy block expands to
// (a copy of 3 bytes makes at most 64): a larger declared length is
// corrupt, and is refused before anything is allocated for it.
const snappyRatio = 22

// header is an object container file's header.
type header struct {
	schema *node
	codec  string
	sync   [syncSize]byte
}

// container reads the header and then the blocks of an object container
// file from a stream, one block in memory at a time.
type container struct {
	br        *bufio.Reader
	header    header
	maxBlock  int64
	maxHeader int

	raw  []byte // the block as stored
	data []byte // the block expanded, when it is compressed

	flate io.ReadCloser
	zstd  *zstd.Decoder
}

// close releases the block decompressors.
func (c *container) close() {
	if c.zstd != nil {
		c.zstd.Close()
	}
}

// readHeader reads the magic bytes, the metadata (avro.schema and
// avro.codec; other keys are ignored) and the sync marker, taking at most
// c.maxHeader bytes.
func (c *container) readHeader() error {
	b, err := c.br.Peek(len(magic))
	if string(b) != magic {
		if err != nil && !isEOF(err) {
			return &readError{err}
		}
		return errNotAvro
	}
	if _, err := c.br.Discard(len(magic)); err != nil {
		return &readError{err}
	}
	left := int64(c.maxHeader) - int64(len(magic))
	meta := map[string][]byte{}
	for {
		count, err := c.headerLong(&left)
		if err != nil {
			return err
		}
		if count == 0 {
			break
		}
		if count < 0 {
			if count == math.MinInt64 {
				return fmt.Errorf("header metadata block count %d is invalid", count)
			}
			count = -count
			if _, err := c.headerLong(&left); err != nil {
				return err
			}
		}
		if count > left/2 {
			return fmt.Errorf("header declares %d metadata entries in fewer bytes", count)
		}
		for range count {
			key, err := c.headerBytes(&left)
			if err != nil {
				return err
			}
			value, err := c.headerBytes(&left)
			if err != nil {
				return err
			}
			if _, dup := meta[string(key)]; dup {
				return fmt.Errorf("header has metadata key %q twice", key)
			}
			meta[string(key)] = value
		}
	}
	if _, err := io.ReadFull(c.br, c.header.sync[:]); err != nil {
		return readFailure("header", err)
	}
	text, ok := meta["avro.schema"]
	if !ok {
		return errors.New("header has no avro.schema")
	}
	schema, err := parseSchema(text)
	if err != nil {
		return fmt.Errorf("avro.schema: %w", err)
	}
	c.header.schema = schema
	c.header.codec = codecNull
	if codec, ok := meta["avro.codec"]; ok {
		c.header.codec = string(codec)
	}
	switch c.header.codec {
	case codecNull, codecDeflate, codecSnappy, codecZstd, codecBzip2:
	case "zstd":
		c.header.codec = codecZstd
	default:
		return fmt.Errorf("avro.codec %q is not supported (null, deflate, snappy, zstandard, bzip2 are)", c.header.codec)
	}
	return nil
}

// headerLong reads a long of the header, counting its bytes against left.
func (c *container) headerLong(left *int64) (int64, error) {
	v, n, err := readLong(c.br)
	*left -= int64(n)
	switch {
	case err != nil:
		return 0, readFailure("header", err)
	case *left < 0:
		return 0, errHeaderTooLong(c.maxHeader)
	}
	return v, nil
}

// headerBytes reads bytes of the header, counting them against left.
func (c *container) headerBytes(left *int64) ([]byte, error) {
	n, err := c.headerLong(left)
	if err != nil {
		return nil, err
	}
	if n < 0 {
		return nil, fmt.Errorf("header has a string of length %d", n)
	}
	if n > *left {
		return nil, errHeaderTooLong(c.maxHeader)
	}
	*left -= n
	b, err := readFull(c.br, nil, int(n))
	if err != nil {
		return nil, readFailure("header", err)
	}
	return b, nil
}

// errHeaderTooLong is a header over its cap.
func errHeaderTooLong(max int) error {
	return fmt.Errorf("header is longer than %d bytes (max line bytes)", max)
}

// next reads the next block and returns its record count and records,
// expanded; the records are valid until the next call. At the end of the
// file, more is false.
func (c *container) next() (count int64, data []byte, more bool, err error) {
	count, n, err := readLong(c.br)
	switch {
	case n == 0 && errors.Is(err, io.EOF):
		return 0, nil, false, nil
	case err != nil:
		return 0, nil, false, readFailure("block", err)
	case count < 0:
		return 0, nil, false, fmt.Errorf("declares %d records", count)
	}
	size, _, err := readLong(c.br)
	switch {
	case err != nil:
		return 0, nil, false, readFailure("block", err)
	case size < 0:
		return 0, nil, false, fmt.Errorf("declares %d bytes", size)
	case size > c.maxBlock:
		return 0, nil, false, fmt.Errorf("%d bytes are more than max spool bytes (%d)", size, c.maxBlock)
	}
	c.raw, err = readFull(c.br, c.raw, int(size))
	if err != nil {
		return 0, nil, false, readFailure("block", err)
	}
	var sync [syncSize]byte
	if _, err := io.ReadFull(c.br, sync[:]); err != nil {
		return 0, nil, false, readFailure("block", err)
	}
	if sync != c.header.sync {
		return 0, nil, false, errors.New("does not end with the file's sync marker")
	}
	data, err = c.expand()
	if err != nil {
		return 0, nil, false, fmt.Errorf("%s: %w", c.header.codec, err)
	}
	return count, data, true, nil
}

// readFailure tells the file's fault (what, the header or a block, is
// cut short or malformed) from a failure to read its bytes.
func readFailure(what string, err error) error {
	switch {
	case isEOF(err):
		return fmt.Errorf("%s is truncated", what)
	case errors.Is(err, errVarint):
		return fmt.Errorf("%s: %w", what, err)
	}
	return &readError{err}
}

func isEOF(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

// expand decompresses c.raw, capped at c.maxBlock bytes. A decompressor
// that panics on corrupt input fails the block.
func (c *container) expand() (data []byte, err error) {
	defer func() {
		if p := recover(); p != nil {
			data, err = nil, fmt.Errorf("decompressor failed: %v", p)
		}
	}()
	switch c.header.codec {
	case codecDeflate:
		if c.flate == nil {
			c.flate = flate.NewReader(bytes.NewReader(c.raw))
		} else if err := c.flate.(flate.Resetter).Reset(bytes.NewReader(c.raw), nil); err != nil {
			return nil, err
		}
		c.data, err = c.readAll(c.flate)
		return c.data, err
	case codecSnappy:
		return c.snappy()
	case codecZstd:
		if c.zstd == nil {
			c.zstd, err = zstd.NewReader(nil,
				zstd.WithDecoderConcurrency(1),
				zstd.WithDecoderLowmem(true),
				zstd.WithDecoderMaxMemory(uint64(max(c.maxBlock, 1))),
				zstd.WithDecoderMaxWindow(uint64(min(max(c.maxBlock, zstd.MinWindowSize), zstd.MaxWindowSize))))
			if err != nil {
				return nil, err
			}
		}
		// DecodeAll makes room for the content size a frame declares:
		// check first that its blocks can hold that much.
		if err := checkZstdSizes(c.raw); err != nil {
			return nil, err
		}
		c.data, err = c.zstd.DecodeAll(c.raw, c.data[:0])
		if errors.Is(err, zstd.ErrDecoderSizeExceeded) || errors.Is(err, zstd.ErrWindowSizeExceeded) {
			err = c.tooLarge()
		}
		return c.data, err
	case codecBzip2:
		c.data, err = c.readAll(bzip2.NewReader(bytes.NewReader(c.raw)))
		return c.data, err
	}
	return c.raw, nil
}

// Zstandard frames (RFC 8878), as far as checkZstdSizes reads them.
const (
	zstdMagic          = 0xFD2FB528
	zstdSkippableMask  = 0xFFFFFFF0
	zstdSkippableMagic = 0x184D2A50
	zstdMaxBlock       = 128 << 10 // most bytes one block expands to
)

// checkZstdSizes walks the frames of src by their block headers and fails
// when a frame declares more content than its blocks can expand to, so
// that a lying content size allocates nothing. The decoder checks the rest.
func checkZstdSizes(src []byte) error {
	for len(src) > 0 {
		if len(src) < 8 {
			return errors.New("truncated frame")
		}
		magic := binary.LittleEndian.Uint32(src)
		if magic&zstdSkippableMask == zstdSkippableMagic {
			n := uint64(binary.LittleEndian.Uint32(src[4:]))
			if n > uint64(len(src)-8) {
				return errors.New("truncated skippable frame")
			}
			src = src[8+n:]
			continue
		}
		if magic != zstdMagic {
			return errors.New("not a zstandard frame")
		}
		fhd := src[4]
		single := fhd&0x20 != 0
		pos := 5
		if !single {
			pos++ // window descriptor
		}
		pos += [4]int{0, 1, 2, 4}[fhd&3] // dictionary id
		fcsSize := [4]int{0, 2, 4, 8}[fhd>>6]
		if fhd>>6 == 0 && single {
			fcsSize = 1
		}
		if pos+fcsSize > len(src) {
			return errors.New("truncated frame header")
		}
		var fcs uint64
		for i := range fcsSize {
			fcs |= uint64(src[pos+i]) << (8 * i)
		}
		if fcsSize == 2 {
			fcs += 256
		}
		src = src[pos+fcsSize:]
		var most uint64
		for last := false; !last; {
			if len(src) < 3 {
				return errors.New("truncated block")
			}
			h := uint32(src[0]) | uint32(src[1])<<8 | uint32(src[2])<<16
			size := int(h >> 3)
			last = h&1 == 1
			src = src[3:]
			stored := size
			switch (h >> 1) & 3 {
			case 0: // raw
				most += uint64(size)
			case 1: // RLE: one byte, size times
				most, stored = most+uint64(size), 1
			case 2:
				most += zstdMaxBlock
			default:
				return errors.New("reserved block type")
			}
			if stored > len(src) {
				return errors.New("truncated block")
			}
			src = src[stored:]
		}
		if fhd&0x04 != 0 { // content checksum
			if len(src) < 4 {
				return errors.New("truncated checksum")
			}
			src = src[4:]
		}
		if fcsSize > 0 && fcs > most {
			return fmt.Errorf("frame declares %d bytes, more than its blocks can hold", fcs)
		}
	}
	return nil
}

// snappy decompresses a snappy block: the compressed bytes, then the
// CRC-32 (big-endian) of the expanded ones.
func (c *container) snappy() ([]byte, error) {
	if len(c.raw) < 4 {
		return nil, errors.New("block is shorter than its checksum")
	}
	src, sum := c.raw[:len(c.raw)-4], binary.BigEndian.Uint32(c.raw[len(c.raw)-4:])
	n, err := snappy.DecodedLen(src)
	switch {
	case err != nil:
		return nil, err
	case int64(n) > c.maxBlock:
		return nil, c.tooLarge()
	case n > snappyRatio*len(src):
		return nil, fmt.Errorf("declares %d bytes from %d", n, len(src))
	}
	if cap(c.data) < n {
		c.data = make([]byte, n)
	}
	c.data, err = snappy.Decode(c.data[:n], src)
	if err != nil {
		return nil, err
	}
	if crc32.ChecksumIEEE(c.data) != sum {
		return nil, errors.New("checksum does not match")
	}
	return c.data, nil
}

func (c *container) tooLarge() error {
	return fmt.Errorf("expands to more than max spool bytes (%d)", c.maxBlock)
}

// readAll reads r to its end into c.data, refusing more than c.maxBlock
// bytes.
func (c *container) readAll(r io.Reader) ([]byte, error) {
	buf := c.data[:0]
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if int64(len(buf)) > c.maxBlock {
			return buf, c.tooLarge()
		}
		if errors.Is(err, io.EOF) {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// readFull reads n bytes into buf (reused when it is large enough). It
// grows buf as bytes arrive, so that a length read from a corrupt file
// costs no more memory than the bytes the file actually holds.
func readFull(r io.Reader, buf []byte, n int) ([]byte, error) {
	const step = 1 << 20
	if cap(buf) >= n {
		buf = buf[:n]
		_, err := io.ReadFull(r, buf)
		return buf, err
	}
	buf = buf[:0]
	for len(buf) < n {
		k := min(n-len(buf), max(len(buf), step))
		if cap(buf)-len(buf) < k {
			grown := make([]byte, len(buf), len(buf)+k)
			copy(grown, buf)
			buf = grown
		}
		m, err := io.ReadFull(r, buf[len(buf):len(buf)+k])
		buf = buf[:len(buf)+m]
		if err != nil {
			return buf, err
		}
	}
	return buf, nil
}

// readLong reads a zig-zag variable-length long and returns how many
// bytes it took. A long cut short is io.ErrUnexpectedEOF.
func readLong(br *bufio.Reader) (int64, int, error) {
	var u uint64
	for i, shift := 0, uint(0); shift < 64; i, shift = i+1, shift+7 {
		b, err := br.ReadByte()
		if err != nil {
			if i > 0 && errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return 0, i, err
		}
		if shift == 63 && b > 1 {
			return 0, i + 1, errVarint
		}
		u |= uint64(b&0x7f) << shift
		if b < 0x80 {
			return int64(u>>1) ^ -int64(u&1), i + 1, nil
		}
	}
	return 0, 10, errVarint
}
