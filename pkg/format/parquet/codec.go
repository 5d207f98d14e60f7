package parquet

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"

	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/klauspost/compress/snappy"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
)

// arrow-go's codec registry is process-wide. This package adds to it, once
// at start-up:
//
//   - LZ4 (the codec Parquet deprecated in favour of LZ4_RAW), which arrow-go
//     does not implement: Hadoop's framing of LZ4 blocks as parquet-mr
//     writes it, falling back to a bare LZ4 block as old parquet-cpp wrote
//     it, the way Arrow C++ reads both.
//   - An empty page for Snappy: arrow-go hands a zero-length compressed page
//     (a data page v2 of nulls only) to the Snappy decoder, which rejects it.
//   - A bound on the output of Snappy and Zstd: arrow-go sizes dst to the
//     uncompressed size the page header declares (memory from the reader's
//     capped allocator), but both decoders allocate a buffer of their own
//     when the compressed data declares more (Snappy up to 4 GiB, Zstd up
//     to 64 GiB, for a few bytes of input). Such a page now fails before
//     anything is allocated.
func init() {
	compress.RegisterCodec(compress.Codecs.Lz4, hadoopLZ4{})
	if c, err := compress.GetCodec(compress.Codecs.Snappy); err == nil {
		compress.RegisterCodec(compress.Codecs.Snappy, snappyPages{c})
	}
	if c, err := compress.GetCodec(compress.Codecs.Zstd); err == nil {
		compress.RegisterCodec(compress.Codecs.Zstd, zstdPages{c})
	}
}

// errPageSize is the error of compressed data that declares more bytes
// than its page.
type errPageSize struct{ declared, page int }

func (e *errPageSize) Error() string {
	return fmt.Sprintf("compressed data declares %d bytes, more than its page's %d", e.declared, e.page)
}

// snappyPages is the Snappy codec, decoding into dst only: an empty input
// as empty output, and an input that declares more than cap(dst) bytes as
// an error.
type snappyPages struct{ compress.Codec }

// Decode implements compress.Codec, panicking on corrupt input as arrow-go's
// codecs do.
func (c snappyPages) Decode(dst, src []byte) []byte {
	out, err := c.DecodeWithError(dst, src)
	if err != nil {
		panic(err)
	}
	return out
}

// DecodeWithError implements compress.ErrorCodec.
func (c snappyPages) DecodeWithError(dst, src []byte) ([]byte, error) {
	if len(src) == 0 {
		return dst[:0], nil
	}
	n, err := snappy.DecodedLen(src)
	if err != nil {
		return nil, err
	}
	if n > cap(dst) {
		return nil, &errPageSize{declared: n, page: cap(dst)}
	}
	return snappy.Decode(dst[:cap(dst)], src)
}

// zstdDecoder decodes Zstd pages into the buffer it is given and no
// further (arrow-go's decoder allocates what a frame declares).
var zstdDecoder = sync.OnceValues(func() (*zstd.Decoder, error) {
	return zstd.NewReader(nil, zstd.WithDecodeAllCapLimit(true))
})

// zstdPages is the Zstd codec, decoding into dst only: data that declares
// or holds more than cap(dst) bytes is an error.
type zstdPages struct{ compress.Codec }

// Decode implements compress.Codec, panicking on corrupt input as arrow-go's
// codecs do.
func (c zstdPages) Decode(dst, src []byte) []byte {
	out, err := c.DecodeWithError(dst, src)
	if err != nil {
		panic(err)
	}
	return out
}

// DecodeWithError implements compress.ErrorCodec.
func (c zstdPages) DecodeWithError(dst, src []byte) ([]byte, error) {
	d, err := zstdDecoder()
	if err != nil {
		return nil, err
	}
	out, err := d.DecodeAll(src, dst[:0])
	if errors.Is(err, zstd.ErrDecoderSizeExceeded) {
		return nil, fmt.Errorf("compressed data declares more bytes than its page's %d: %w", cap(dst), err)
	}
	return out, err
}

// errLZ4 is the panic value of a page that is neither Hadoop-framed LZ4 nor
// a bare LZ4 block (arrow-go's codecs report corrupt input by panicking).
var errLZ4 = errors.New("corrupt LZ4 data")

// hadoopLZ4 is the LZ4 codec of Parquet (compression codec 5).
type hadoopLZ4 struct{}

// hadoopPrefix is the frame header: decompressed then compressed size, as
// big-endian uint32s.
const hadoopPrefix = 8

// Decode implements compress.Codec. dst is sized to the page's declared
// uncompressed size, as arrow-go calls it.
func (hadoopLZ4) Decode(dst, src []byte) []byte {
	if out, ok := decodeHadoopLZ4(dst[:cap(dst)], src); ok {
		return out
	}
	n, err := lz4.UncompressBlock(src, dst[:cap(dst)])
	if err != nil {
		panic(errLZ4)
	}
	return dst[:n]
}

// decodeHadoopLZ4 decodes Hadoop frames into dst, reporting false when src
// is not a sequence of whole frames that fill no more than dst.
func decodeHadoopLZ4(dst, src []byte) ([]byte, bool) {
	total := 0
	for len(src) >= hadoopPrefix {
		size := uint64(binary.BigEndian.Uint32(src))
		csize := uint64(binary.BigEndian.Uint32(src[4:]))
		src = src[hadoopPrefix:]
		if csize > uint64(len(src)) || size > uint64(len(dst)-total) {
			return nil, false
		}
		n, err := lz4.UncompressBlock(src[:csize], dst[total:total+int(size)])
		if err != nil || uint64(n) != size {
			return nil, false
		}
		total += n
		src = src[csize:]
	}
	if len(src) != 0 {
		return nil, false
	}
	return dst[:total], true
}

// Encode implements compress.Codec with one Hadoop frame. (This package
// writes Snappy or Zstd; the method completes the codec.)
func (h hadoopLZ4) Encode(dst, src []byte) []byte {
	bound := int(h.CompressBound(int64(len(src))))
	if cap(dst) < bound {
		dst = make([]byte, bound)
	}
	dst = dst[:bound]
	var c lz4.Compressor
	n, err := c.CompressBlock(src, dst[hadoopPrefix:])
	if err != nil {
		panic(err)
	}
	binary.BigEndian.PutUint32(dst, uint32(len(src)))
	binary.BigEndian.PutUint32(dst[4:], uint32(n))
	return dst[:hadoopPrefix+n]
}

// EncodeLevel implements compress.Codec; LZ4 blocks have no levels.
func (h hadoopLZ4) EncodeLevel(dst, src []byte, _ int) []byte { return h.Encode(dst, src) }

// CompressBound implements compress.Codec.
func (hadoopLZ4) CompressBound(n int64) int64 {
	return int64(lz4.CompressBlockBound(int(n))) + hadoopPrefix
}
