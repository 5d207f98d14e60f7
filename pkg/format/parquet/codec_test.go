package parquet

import (
	"bytes"
	"encoding/binary"
	"runtime"
	"testing"

	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/pierrec/lz4/v4"
)

func TestHadoopLZ4DecodesFramesAndBareBlocks(t *testing.T) {
	data := bytes.Repeat([]byte("filedge parquet lz4 "), 200)
	framed := hadoopLZ4{}.Encode(nil, data)
	bare := make([]byte, lz4.CompressBlockBound(len(data)))
	n, err := lz4.CompressBlock(data, bare, nil)
	if err != nil {
		t.Fatal(err)
	}
	twoFrames := append(hadoopLZ4{}.Encode(nil, data[:1000]), hadoopLZ4{}.Encode(nil, data[1000:])...)
	tests := []struct {
		name string
		src  []byte
	}{
		{"one Hadoop frame", framed},
		{"two Hadoop frames", twoFrames},
		{"bare block", bare[:n]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := hadoopLZ4{}.Decode(make([]byte, len(data)), tt.src)
			if !bytes.Equal(got, data) {
				t.Errorf("decoded %d bytes, want the %d encoded", len(got), len(data))
			}
		})
	}
	if got := (hadoopLZ4{}).Decode(make([]byte, 0), nil); len(got) != 0 {
		t.Errorf("empty page decoded to %d bytes", len(got))
	}
}

func TestCorruptLZ4Panics(t *testing.T) {
	defer func() {
		if p := recover(); p != errLZ4 {
			t.Errorf("recovered %v, want errLZ4", p)
		}
	}()
	hadoopLZ4{}.Decode(make([]byte, 100), []byte{0xff, 0xff, 0xff})
}

func TestCodecsAreRegistered(t *testing.T) {
	for _, c := range []compress.Compression{compress.Codecs.Lz4, compress.Codecs.Snappy, compress.Codecs.Zstd} {
		codec, err := compress.GetCodec(c)
		if err != nil {
			t.Fatalf("%v: %v", c, err)
		}
		if got := codec.Decode(make([]byte, 0, 8), nil); len(got) != 0 {
			t.Errorf("%v decoded an empty page to %d bytes", c, len(got))
		}
	}
}

// TestSnappyAndZstdDecodeIntoTheirPageOnly proves that the Snappy and Zstd
// codecs still decode valid pages, and fail a page whose compressed data
// declares more than the page's uncompressed size (the capacity arrow-go
// gives) without allocating what it declares.
func TestSnappyAndZstdDecodeIntoTheirPageOnly(t *testing.T) {
	data := bytes.Repeat([]byte("filedge parquet page "), 500)
	// A Zstd frame header declaring 16 GiB of content in a 1 KiB window,
	// then an empty last raw block.
	var zstdHuge []byte
	zstdHuge = append(zstdHuge, 0x28, 0xb5, 0x2f, 0xfd, 0xc0, 0x00)
	zstdHuge = binary.LittleEndian.AppendUint64(zstdHuge, 16<<30)
	zstdHuge = append(zstdHuge, 0x01, 0x00, 0x00)
	// A Snappy block declaring 4 GiB - 1.
	snappyHuge := append(binary.AppendUvarint(nil, 1<<32-1), 0x00)
	for _, c := range []compress.Compression{compress.Codecs.Snappy, compress.Codecs.Zstd} {
		codec, err := compress.GetCodec(c)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(c.String(), func(t *testing.T) {
			enc := codec.Encode(nil, data)
			got, err := compress.Decode(codec, make([]byte, len(data)), enc)
			if err != nil || !bytes.Equal(got, data) {
				t.Errorf("decoded %d bytes (%v), want the %d encoded", len(got), err, len(data))
			}
			if _, err := compress.Decode(codec, make([]byte, len(data)-1), enc); err == nil {
				t.Error("decoded a page one byte larger than its declared size")
			}
			huge := snappyHuge
			if c == compress.Codecs.Zstd {
				huge = zstdHuge
			}
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err = compress.Decode(codec, make([]byte, 64), huge)
			runtime.ReadMemStats(&after)
			if err == nil {
				t.Error("decoded data that declares gigabytes into a page of 64 bytes")
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 1<<20 {
				t.Errorf("allocated %d bytes for data that declares gigabytes", alloc)
			}
		})
	}
}
