package avro_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/filedge/filedge/pkg/format"
	"github.com/filedge/filedge/pkg/format/formattest"
)

// seeds returns the testdata inputs and, when FILEDGE_CORPUS is set, the
// corpus's Avro files.
func seeds(f *testing.F) [][]byte {
	s := formattest.Seeds(f, filepath.Join("testdata", "*.avro"))
	if dir := os.Getenv("FILEDGE_CORPUS"); dir != "" {
		s = append(s, formattest.Seeds(f, filepath.Join(dir, "avro", "*.avro"))...)
	}
	return s
}

// fuzzOptions picks the caps of a fuzzed read from setting: the defaults,
// or small ones that the input can reach.
func fuzzOptions(setting uint8) format.Options {
	spool := []int64{1 << 20, 4096, 0}
	fields := []int{0, 64}
	lines := []int{0, 512}
	return format.Options{
		MaxSpoolBytes: spool[int(setting)%len(spool)],
		MaxFieldBytes: fields[int(setting>>2)%len(fields)],
		MaxLineBytes:  lines[int(setting>>3)%len(lines)],
	}
}

// FuzzAvro proves that reading any bytes, with default or small caps,
// neither panics nor hangs, keeps the Writer contract and fails only with
// row or file errors naming the file.
func FuzzAvro(f *testing.F) {
	for i, s := range seeds(f) {
		f.Add(s, uint8(i))
	}
	f.Fuzz(func(t *testing.T, data []byte, setting uint8) {
		formattest.Fuzz(t, "avro", "fuzz.avro", fuzzOptions(setting), data, setting&0x80 != 0)
	})
}

// fuzzSchemas are the schemas FuzzAvroRecords decodes fuzzed records by.
var fuzzSchemas = []string{
	weatherSchema, primitivesSchema, logicalSchema, unionsSchema, nestedSchema, listSchema, invalidLogicalSchema,
	`{"type":"map","values":["null","double",{"type":"array","items":"bytes"}]}`,
	`{"type":"record","name":"Z","fields":[{"name":"n","type":"null"},{"name":"a","type":{"type":"array","items":"null"}}]}`,
}

// FuzzAvroRecords reads fuzzed bytes as one block of records of a known
// schema, in a well-formed file (any codec), so that the fuzzer spends
// its time in the record decoder: it proves the same as FuzzAvro.
func FuzzAvroRecords(f *testing.F) {
	f.Add(uint8(0), uint16(2), []byte("\x08abcd\x02\x04\x02a\x04\x06"))
	f.Add(uint8(4), uint16(1), []byte{})
	f.Add(uint8(7), uint16(3), []byte("\x04\x02k\x02\x00\x00\x02x\x04\x02\x02\x00\x00\x00"))
	codecs := []string{"null", "deflate", "snappy", "zstandard"}
	f.Fuzz(func(t *testing.T, schema uint8, count uint16, data []byte) {
		codec := codecs[int(schema>>4)%len(codecs)]
		input, err := ocf(fuzzSchemas[int(schema)%len(fuzzSchemas)], codec, block{count: int64(count), data: data})
		if err != nil {
			t.Fatal(err)
		}
		formattest.Fuzz(t, "avro", "fuzz.avro", fuzzOptions(schema), input, false)
	})
}
