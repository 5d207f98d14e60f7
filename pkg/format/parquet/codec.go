package parquet

import (
	"encoding/binary"
	"errors"

	"github.com/apache/arrow-go/v18/parquet/compress"
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
func init() {
	compress.RegisterCodec(compress.Codecs.Lz4, hadoopLZ4{})
	if c, err := compress.GetCodec(compress.Codecs.Snappy); err == nil {
		compress.RegisterCodec(compress.Codecs.Snappy, emptyPages{c})
	}
}

// emptyPages decodes an empty input as empty output and leaves the rest to
// its codec.
type emptyPages struct{ compress.Codec }

// Decode implements compress.Codec.
func (c emptyPages) Decode(dst, src []byte) []byte {
	if len(src) == 0 {
		return dst[:0]
	}
	return c.Codec.Decode(dst, src)
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
