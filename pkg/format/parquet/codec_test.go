package parquet

import (
	"bytes"
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
	for _, c := range []compress.Compression{compress.Codecs.Lz4, compress.Codecs.Snappy} {
		codec, err := compress.GetCodec(c)
		if err != nil {
			t.Fatalf("%v: %v", c, err)
		}
		if got := codec.Decode(make([]byte, 0, 8), nil); len(got) != 0 {
			t.Errorf("%v decoded an empty page to %d bytes", c, len(got))
		}
	}
}
