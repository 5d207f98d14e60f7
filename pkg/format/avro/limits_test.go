package avro_test

import (
	"bytes"
	"encoding/binary"
	"runtime"
	"strings"
	"testing"

	"github.com/filedge/filedge/pkg/format"
	"github.com/filedge/filedge/pkg/format/formattest"
)

// zstdFrame returns a zstd frame that declares size bytes of content and
// holds one raw block of the given bytes.
func zstdFrame(size uint64, content []byte) []byte {
	b := []byte{0x28, 0xb5, 0x2f, 0xfd}
	b = append(b, 0xe0) // frame header: 8-byte content size, single segment
	b = binary.LittleEndian.AppendUint64(b, size)
	// A last raw block: 3 bytes little-endian, (size << 3) | type 0 << 1 | last.
	h := uint32(len(content))<<3 | 1
	b = append(b, byte(h), byte(h>>8), byte(h>>16))
	return append(b, content...)
}

// TestLyingLengthsAllocateNothing proves that lengths and counts a file
// declares, up to just under the caps, cost no memory until the bytes they
// announce are there: each file here is a few hundred bytes that declares
// hundreds of megabytes, and reading it fails cleanly after allocating
// little.
func TestLyingLengthsAllocateNothing(t *testing.T) {
	header, err := ocf(weatherSchema, "null")
	if err != nil {
		t.Fatal(err)
	}
	snappyHeader, err := ocf(weatherSchema, "snappy")
	if err != nil {
		t.Fatal(err)
	}
	zstdHeader, err := ocf(weatherSchema, "zstandard")
	if err != nil {
		t.Fatal(err)
	}
	frame := zstdFrame(500<<20, []byte("tiny"))
	tests := []struct {
		name    string
		input   []byte
		wantErr string
	}{
		{"block of 500 MiB", cat(header, zz(1), zz(500<<20), []byte("short")), "block is truncated"},
		{"block of 2^31 records", cat(header, zz(1<<31), zz(10), []byte("0123456789"), syncMarker), "more than its 10 bytes can hold"},
		{"block of 4 GiB", cat(header, zz(1), zz(4<<30), []byte("short")), "more than max spool bytes"},
		{"metadata value of 15 MiB", cat([]byte("Obj\x01"), zz(1), str("avro.schema"), zz(15<<20), []byte("{")), "header is truncated"},
		{"metadata of 2^40 entries", cat([]byte("Obj\x01"), zz(1<<40), str("k")), "metadata entries"},
		{"snappy block declaring 500 MiB", cat(snappyHeader, zz(1), zz(9), []byte{0x80, 0x80, 0x80, 0xfa, 0x01, 0, 0, 0, 0}, syncMarker), "declares 524288000 bytes"},
		{"zstd frame declaring 500 MiB", cat(zstdHeader, zz(1), zz(int64(len(frame))), frame, syncMarker), "zstandard"},
		{"array of 2^62 longs", cat(header[:0], mustOCF(t, `{"type":"array","items":"long"}`, block{count: 1, data: cat(zz(1<<62), zz(1))})), "more items than its bytes can hold"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			rec, err := formattest.Read(t.Context(), "avro", "lying.avro", format.Options{}, tt.input, true)
			runtime.ReadMemStats(&after)
			formattest.CheckError(t, "lying.avro", err)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %v, want one saying %q (rows %v)", err, tt.wantErr, rec.Result.Tables)
			}
			if n := after.TotalAlloc - before.TotalAlloc; n > 8<<20 {
				t.Errorf("reading allocated %d MiB", n>>20)
			}
		})
	}
}

func mustOCF(t *testing.T, schema string, blocks ...block) []byte {
	t.Helper()
	b, err := ocf(schema, "null", blocks...)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestBlocksAreHeldOneAtATime proves that memory does not grow with the
// file: reading a file ten times longer allocates about as much.
func TestBlocksAreHeldOneAtATime(t *testing.T) {
	w, err := newEncoder(weatherSchema)
	if err != nil {
		t.Fatal(err)
	}
	var records []any
	for i := range 1000 {
		records = append(records, weather(strings.Repeat("s", i%50), int64(i), int32(i)))
	}
	b, err := w.block(records...)
	if err != nil {
		t.Fatal(err)
	}
	alloc := func(blocks int) uint64 {
		input, err := ocf(weatherSchema, "snappy", slicesRepeat(b, blocks)...)
		if err != nil {
			t.Fatal(err)
		}
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		err = formattest.ReadTo(t.Context(), "avro", "big.avro", format.Options{}, bytes.NewReader(input), &count{})
		runtime.ReadMemStats(&after)
		if err != nil {
			t.Fatal(err)
		}
		return after.TotalAlloc - before.TotalAlloc
	}
	small, large := alloc(10), alloc(100)
	t.Logf("10 blocks: %d bytes, 100 blocks: %d bytes", small, large)
	if large > small+64<<10 {
		t.Errorf("100 blocks allocated %d bytes, 10 blocks %d: memory grows with the file", large, small)
	}
}

func slicesRepeat(b block, n int) []block {
	out := make([]block, n)
	for i := range out {
		out[i] = b
	}
	return out
}
