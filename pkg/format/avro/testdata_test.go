package avro_test

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"errors"
	"flag"
	"hash/crc32"
	"math"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/golang/snappy"
	"github.com/klauspost/compress/zstd"
	"github.com/linkedin/goavro/v2"
)

// The files in testdata are made by writeTestdata, run by TestMain when
// the tests run with -update (formattest's flag, which then rewrites the
// golden files from them in the same run). Valid data is encoded by
// goavro; corrupt data is written by hand.

func TestMain(m *testing.M) {
	flag.Parse()
	if f := flag.Lookup("update"); f != nil && f.Value.String() == "true" {
		if err := writeTestdata("testdata"); err != nil {
			os.Stderr.WriteString("writing testdata: " + err.Error() + "\n")
			os.Exit(1)
		}
	}
	os.Exit(m.Run())
}

// syncMarker is the sync marker of the files the tests make.
var syncMarker = []byte("filedge testdata")

// zz encodes v as an Avro long: zig-zag, variable length.
func zz(v int64) []byte {
	return binary.AppendUvarint(nil, uint64(v<<1)^uint64(v>>63))
}

// str encodes s as Avro bytes or string.
func str(s string) []byte { return append(zz(int64(len(s))), s...) }

// cat concatenates byte slices.
func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// block is one block of an object container file.
type block struct {
	count int64
	data  []byte // records, expanded
	// stored, when set, is written as the block's bytes instead of data
	// compressed by the file's codec.
	stored []byte
	sync   []byte // the sync marker after it; nil for the file's
}

// ocf builds an object container file. Each block's data is compressed
// with codec (compress must know it).
func ocf(schema, codec string, blocks ...block) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString("Obj\x01")
	meta := [][2]string{{"avro.schema", schema}}
	if codec != "" {
		meta = append(meta, [2]string{"avro.codec", codec})
	}
	b.Write(zz(int64(len(meta))))
	for _, kv := range meta {
		b.Write(str(kv[0]))
		b.Write(str(kv[1]))
	}
	b.Write(zz(0))
	b.Write(syncMarker)
	for _, bl := range blocks {
		stored := bl.stored
		if stored == nil {
			var err error
			if stored, err = compress(codec, bl.data); err != nil {
				return nil, err
			}
		}
		b.Write(zz(bl.count))
		b.Write(zz(int64(len(stored))))
		b.Write(stored)
		if bl.sync != nil {
			b.Write(bl.sync)
		} else {
			b.Write(syncMarker)
		}
	}
	return b.Bytes(), nil
}

// Compressors are reused: making one costs more than a fuzzed input.
var (
	flateWriters = sync.Pool{New: func() any {
		w, _ := flate.NewWriter(nil, flate.BestCompression)
		return w
	}}
	zstdWriter = sync.OnceValues(func() (*zstd.Encoder, error) {
		return zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1))
	})
)

// compress compresses a block's data as codec does.
func compress(codec string, data []byte) ([]byte, error) {
	switch codec {
	case "", "null":
		return data, nil
	case "deflate":
		var b bytes.Buffer
		w := flateWriters.Get().(*flate.Writer)
		defer flateWriters.Put(w)
		w.Reset(&b)
		w.Write(data)
		err := w.Close()
		return b.Bytes(), err
	case "snappy":
		return binary.BigEndian.AppendUint32(snappy.Encode(nil, data), crc32.ChecksumIEEE(data)), nil
	case "zstandard":
		enc, err := zstdWriter()
		if err != nil {
			return nil, err
		}
		return enc.EncodeAll(data, nil), nil
	case "bzip2":
		// The standard library reads bzip2 but cannot write it.
		cmd := exec.Command("bzip2", "-c", "-9")
		cmd.Stdin = bytes.NewReader(data)
		return cmd.Output()
	}
	return data, nil
}

// encoder encodes datums of one schema with goavro.
type encoder struct {
	schema string
	codec  *goavro.Codec
}

func newEncoder(schema string) (*encoder, error) {
	c, err := goavro.NewCodec(schema)
	if err != nil {
		return nil, err
	}
	return &encoder{schema: schema, codec: c}, nil
}

// block encodes datums as one block.
func (e *encoder) block(datums ...any) (block, error) {
	if e == nil {
		return block{}, errors.New("no encoder: its schema did not compile")
	}
	var data []byte
	for _, d := range datums {
		var err error
		if data, err = e.codec.BinaryFromNative(data, d); err != nil {
			return block{}, err
		}
	}
	return block{count: int64(len(datums)), data: data}, nil
}

// weatherSchema is the schema of the corpus's weather files.
const weatherSchema = `{"type":"record","name":"Weather","namespace":"test","fields":[
	{"name":"station","type":"string"},{"name":"time","type":"long"},{"name":"temp","type":"int"}]}`

func weather(station string, t int64, temp int32) map[string]any {
	return map[string]any{"station": station, "time": t, "temp": temp}
}

func rat(s string) *big.Rat {
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		panic("bad decimal " + s)
	}
	return r
}

const primitivesSchema = `{"type":"record","name":"Primitives","namespace":"filedge.test","fields":[
	{"name":"b","type":"boolean"},
	{"name":"i","type":"int"},
	{"name":"l","type":"long"},
	{"name":"f","type":"float"},
	{"name":"d","type":"double"},
	{"name":"s","type":"string"},
	{"name":"by","type":"bytes"},
	{"name":"e","type":{"type":"enum","name":"Suit","symbols":["SPADES","HEARTS","DIAMONDS","CLUBS"]}},
	{"name":"fx","type":{"type":"fixed","name":"Four","size":4}},
	{"name":"n","type":"null"},
	{"name":"wrapped","type":{"type":{"type":"long"}}}]}`

const logicalSchema = `{"type":"record","name":"Logical","fields":[
	{"name":"date","type":{"type":"int","logicalType":"date"}},
	{"name":"time_ms","type":{"type":"int","logicalType":"time-millis"}},
	{"name":"time_us","type":{"type":"long","logicalType":"time-micros"}},
	{"name":"ts_ms","type":{"type":"long","logicalType":"timestamp-millis"}},
	{"name":"ts_us","type":{"type":"long","logicalType":"timestamp-micros"}},
	{"name":"ts_ns","type":{"type":"long","logicalType":"timestamp-nanos"}},
	{"name":"local_ms","type":{"type":"long","logicalType":"local-timestamp-millis"}},
	{"name":"local_us","type":{"type":"long","logicalType":"local-timestamp-micros"}},
	{"name":"local_ns","type":{"type":"long","logicalType":"local-timestamp-nanos"}},
	{"name":"price","type":{"type":"bytes","logicalType":"decimal","precision":9,"scale":2}},
	{"name":"amount","type":{"type":"fixed","name":"Amount","size":8,"logicalType":"decimal","precision":18,"scale":4}},
	{"name":"big","type":{"type":"bytes","logicalType":"decimal","precision":38,"scale":10}},
	{"name":"whole","type":{"type":"bytes","logicalType":"decimal","precision":5}},
	{"name":"id","type":{"type":"string","logicalType":"uuid"}},
	{"name":"id_fixed","type":{"type":"fixed","name":"UUID","size":16,"logicalType":"uuid"}},
	{"name":"span","type":{"type":"fixed","name":"Duration","size":12,"logicalType":"duration"}}]}`

const unionsSchema = `{"type":"record","name":"Unions","fields":[
	{"name":"opt_long","type":["null","long"]},
	{"name":"opt_string","type":["string","null"]},
	{"name":"opt_bool","type":["null","boolean"]},
	{"name":"opt_double","type":["null","double"]},
	{"name":"opt_date","type":["null",{"type":"int","logicalType":"date"}]},
	{"name":"opt_ts","type":["null",{"type":"long","logicalType":"timestamp-micros"}]},
	{"name":"opt_dec","type":["null",{"type":"bytes","logicalType":"decimal","precision":6,"scale":3}]},
	{"name":"number","type":["int","double"]},
	{"name":"text","type":["null","string",{"type":"enum","name":"Color","symbols":["RED","GREEN"]}]},
	{"name":"only_null","type":["null"]},
	{"name":"mixed","type":["null","string","long"]},
	{"name":"opt_record","type":[{"type":"record","name":"Point","fields":[{"name":"x","type":"int"},{"name":"y","type":"int"}]},"null"]}]}`

const nestedSchema = `{"type":"record","name":"Order","namespace":"shop","fields":[
	{"name":"id","type":"long"},
	{"name":"customer","type":{"type":"record","name":"Customer","fields":[
		{"name":"name","type":"string"},
		{"name":"email","type":["null","string"]},
		{"name":"vip","type":"boolean"}]}},
	{"name":"tags","type":{"type":"array","items":"string"}},
	{"name":"scores","type":{"type":"map","values":"double"}},
	{"name":"lines","type":{"type":"array","items":{"type":"record","name":"Line","fields":[
		{"name":"sku","type":{"type":"fixed","name":"Sku","size":3}},
		{"name":"qty","type":"int"},
		{"name":"price","type":{"type":"bytes","logicalType":"decimal","precision":8,"scale":2}},
		{"name":"kind","type":{"type":"enum","name":"Kind","symbols":["GOOD","SERVICE"]}},
		{"name":"note","type":["null","string"]}]}}},
	{"name":"when","type":{"type":"record","name":"When","fields":[
		{"name":"day","type":{"type":"int","logicalType":"date"}},
		{"name":"at","type":{"type":"long","logicalType":"timestamp-millis"}},
		{"name":"clock","type":{"type":"int","logicalType":"time-millis"}},
		{"name":"id","type":{"type":"string","logicalType":"uuid"}},
		{"name":"raw","type":"bytes"},
		{"name":"ratio","type":"float"},
		{"name":"nan","type":"double"}]}},
	{"name":"matrix","type":{"type":"array","items":{"type":"array","items":"int"}}},
	{"name":"by_key","type":{"type":"map","values":{"type":"array","items":"Customer"}}},
	{"name":"next","type":["null","Order"]}]}`

const listSchema = `{"type":"record","name":"Node","fields":[
	{"name":"value","type":"int"},
	{"name":"next","type":["null","Node"]}]}`

const invalidLogicalSchema = `{"type":"record","name":"Invalid","fields":[
	{"name":"scale_over_precision","type":{"type":"bytes","logicalType":"decimal","precision":2,"scale":3}},
	{"name":"fixed_too_small","type":{"type":"fixed","name":"F2","size":2,"logicalType":"decimal","precision":9}},
	{"name":"date_on_string","type":{"type":"string","logicalType":"date"}},
	{"name":"millis_on_int","type":{"type":"int","logicalType":"timestamp-millis"}},
	{"name":"uuid_on_long","type":{"type":"long","logicalType":"uuid"}},
	{"name":"unknown","type":{"type":"string","logicalType":"color"}}]}`

// writeTestdata writes the test files into dir.
func writeTestdata(dir string) error {
	files := map[string][]byte{}
	var firstErr error
	add := func(name string, b []byte, err error) {
		if err != nil && firstErr == nil {
			firstErr = err
		}
		files[name] = b
	}
	must := func(b block, err error) block {
		if err != nil && firstErr == nil {
			firstErr = err
		}
		return b
	}
	enc := func(schema string) *encoder {
		e, err := newEncoder(schema)
		if err != nil && firstErr == nil {
			firstErr = err
		}
		return e
	}

	// Every codec: the same records in three blocks.
	w := enc(weatherSchema)
	weatherBlocks := []block{
		must(w.block(weather("011990-99999", -619524000000, 0), weather("011990-99999", -619506000000, 22))),
		must(w.block(weather("012650-99999", -655531200000, 111))),
		must(w.block(weather("Zürich \"Fluntern\"", 1700000000000, -7), weather("", 0, math.MaxInt32))),
	}
	for _, codec := range []string{"null", "deflate", "snappy", "zstandard", "bzip2"} {
		b, err := ocf(weatherSchema, codec, weatherBlocks...)
		add("codec_"+codec+".avro", b, err)
	}

	p := enc(primitivesSchema)
	b, err := ocf(primitivesSchema, "null", must(p.block(
		map[string]any{"b": false, "i": int32(0), "l": int64(0), "f": float32(0), "d": 0.0, "s": "", "by": []byte{},
			"e": "SPADES", "fx": []byte{0, 0, 0, 0}, "n": nil, "wrapped": int64(1)},
		map[string]any{"b": true, "i": int32(math.MaxInt32), "l": int64(math.MinInt64), "f": float32(1.1), "d": 1e300,
			"s": "héllo \"wörld\"\n\ttab", "by": []byte("\x00\xff binary"), "e": "CLUBS", "fx": []byte("\xde\xad\xbe\xef"),
			"n": nil, "wrapped": int64(-1)},
		map[string]any{"b": true, "i": int32(math.MinInt32), "l": int64(math.MaxInt64), "f": float32(math.NaN()),
			"d": math.Inf(-1), "s": "日本語", "by": []byte("a"), "e": "HEARTS", "fx": []byte("abcd"), "n": nil, "wrapped": int64(42)},
		map[string]any{"b": false, "i": int32(-1), "l": int64(1e15), "f": float32(-2.5e-7), "d": -0.0001,
			"s": "invalid \xff utf-8", "by": []byte("ab"), "e": "DIAMONDS", "fx": []byte("wxyz"), "n": nil, "wrapped": int64(7)},
	)))
	add("primitives.avro", b, err)

	// goavro panics on a decimal without a scale (scale 0 by default) once
	// it has seen another bytes decimal: it encodes with the scale spelled
	// out, and the file declares none.
	// Nor does it encode fixed decimals to their size: it is given the
	// bytes, with the fixed's logical type left out of its schema.
	l := enc(strings.NewReplacer(`"precision":5}`, `"precision":5,"scale":0}`,
		`"size":8,"logicalType":"decimal","precision":18,"scale":4}`, `"size":8}`).Replace(logicalSchema))
	be64 := func(v int64) []byte { return binary.BigEndian.AppendUint64(nil, uint64(v)) }
	uuidBytes := []byte{0x12, 0x3e, 0x45, 0x67, 0xe8, 0x9b, 0x12, 0xd3, 0xa4, 0x56, 0x42, 0x66, 0x14, 0x17, 0x40, 0x00}
	duration := binary.LittleEndian.AppendUint32(binary.LittleEndian.AppendUint32(binary.LittleEndian.AppendUint32(nil, 14), 3), 4_005_006)
	b, err = ocf(logicalSchema, "snappy", must(l.block(
		map[string]any{"date": int32(0), "time_ms": int32(0), "time_us": int64(0), "ts_ms": int64(0), "ts_us": int64(0), "ts_ns": int64(0),
			"local_ms": int64(0), "local_us": int64(0), "local_ns": int64(0), "price": rat("0"), "amount": be64(0), "big": rat("0"),
			"whole": rat("0"), "id": "00000000-0000-0000-0000-000000000000", "id_fixed": make([]byte, 16), "span": make([]byte, 12)},
		map[string]any{"date": int32(19723), "time_ms": int32(45296789), "time_us": int64(45296789012), "ts_ms": int64(1704067200123),
			"ts_us": int64(1704067200123456), "ts_ns": int64(1704067200123456789), "local_ms": int64(1704067200000),
			"local_us": int64(1704067200000001), "local_ns": int64(1704067200000000999), "price": rat("1234567.89"),
			"amount": be64(123456789012345678), "big": rat("1234567890123456789012345678.0123456789"), "whole": rat("99999"),
			"id": "123e4567-e89b-12d3-a456-426614174000", "id_fixed": uuidBytes, "span": duration},
		map[string]any{"date": int32(-719162), "time_ms": int32(86399999), "time_us": int64(86399999999), "ts_ms": int64(-1),
			"ts_us": int64(-62135596800000000), "ts_ns": int64(-1), "local_ms": int64(253402300799999),
			"local_us": int64(253402300799999999), "local_ns": int64(math.MinInt64 + 1), "price": rat("-0.05"),
			"amount": be64(-10000), "big": rat("-0.0000000001"), "whole": rat("-12"), "id": "not a uuid", "id_fixed": bytes.Repeat([]byte{0xff}, 16),
			"span": bytes.Repeat([]byte{0xff}, 12)},
		map[string]any{"date": int32(2932896), "time_ms": int32(1), "time_us": int64(1), "ts_ms": int64(-62135596800000),
			"ts_us": int64(253402300799999999), "ts_ns": int64(math.MaxInt64), "local_ms": int64(1), "local_us": int64(-1), "local_ns": int64(1000),
			"price": rat("9999999.99"), "amount": be64(-999999999999999999), "big": rat("-9999999999999999999999999999.9999999999"),
			"whole": rat("1"), "id": "", "id_fixed": uuidBytes, "span": duration},
	)))
	add("logical.avro", b, err)

	u := enc(unionsSchema)
	b, err = ocf(unionsSchema, "deflate", must(u.block(
		map[string]any{"opt_long": nil, "opt_string": nil, "opt_bool": nil, "opt_double": nil, "opt_date": nil, "opt_ts": nil,
			"opt_dec": nil, "number": goavro.Union("int", int32(3)), "text": nil, "only_null": nil, "mixed": nil, "opt_record": nil},
		map[string]any{"opt_long": goavro.Union("long", int64(-5)), "opt_string": goavro.Union("string", "x"),
			"opt_bool": goavro.Union("boolean", true), "opt_double": goavro.Union("double", 2.5),
			"opt_date": goavro.Union("int.date", int32(1)), "opt_ts": goavro.Union("long.timestamp-micros", int64(1)),
			"opt_dec": goavro.Union("bytes.decimal", rat("-1.5")), "number": goavro.Union("double", 0.1),
			"text": goavro.Union("string", "free text"), "only_null": nil, "mixed": goavro.Union("string", "12"),
			"opt_record": goavro.Union("Point", map[string]any{"x": int32(1), "y": int32(-2)})},
		map[string]any{"opt_long": goavro.Union("long", int64(0)), "opt_string": goavro.Union("string", ""),
			"opt_bool": goavro.Union("boolean", false), "opt_double": goavro.Union("double", math.NaN()),
			"opt_date": nil, "opt_ts": nil, "opt_dec": nil, "number": goavro.Union("int", int32(-7)),
			"text": goavro.Union("Color", "GREEN"), "only_null": nil, "mixed": goavro.Union("long", int64(12)), "opt_record": nil},
	)))
	add("unions.avro", b, err)

	n := enc(nestedSchema)
	order := func(id int64, next any) map[string]any {
		return map[string]any{
			"id":       id,
			"customer": map[string]any{"name": "Ann \"A\"", "email": goavro.Union("string", "ann@example.com"), "vip": true},
			"tags":     []any{"new", "gift", "ünï"},
			"scores":   map[string]any{"speed": 4.5},
			"lines": []any{
				map[string]any{"sku": []byte("AB1"), "qty": int32(2), "price": rat("19.99"), "kind": "GOOD", "note": nil},
				map[string]any{"sku": []byte("\x00\x01\x02"), "qty": int32(-1), "price": rat("-0.50"), "kind": "SERVICE",
					"note": goavro.Union("string", "line\nbreak")},
			},
			"when": map[string]any{"day": int32(19723), "at": int64(1704067200123), "clock": int32(3723004),
				"id": "123e4567-e89b-12d3-a456-426614174000", "raw": []byte("hi"), "ratio": float32(0.25), "nan": math.NaN()},
			"matrix": []any{[]any{int32(1), int32(2)}, []any{}, []any{int32(3)}},
			"by_key": map[string]any{"team": []any{map[string]any{"name": "Bo", "email": nil, "vip": false}}},
			"next":   next,
		}
	}
	empty := map[string]any{"id": int64(0), "customer": map[string]any{"name": "", "email": nil, "vip": false},
		"tags": []any{}, "scores": map[string]any{}, "lines": []any{},
		"when":   map[string]any{"day": int32(0), "at": int64(0), "clock": int32(0), "id": "", "raw": []byte{}, "ratio": float32(0), "nan": 0.0},
		"matrix": []any{}, "by_key": map[string]any{}, "next": nil}
	b, err = ocf(nestedSchema, "zstandard", must(n.block(
		order(1, nil),
		order(2, goavro.Union("shop.Order", empty)),
		empty,
	)))
	add("nested.avro", b, err)

	// A map of several keys, in file order, and arrays and maps written
	// in several blocks, one with a negative count and a byte size, as
	// Java's blocking encoder writes them.
	const blocksSchema = `{"type":"record","name":"Blocks","fields":[
		{"name":"a","type":{"type":"array","items":"long"}},
		{"name":"m","type":{"type":"map","values":"int"}}]}`
	b, err = ocf(blocksSchema, "null", block{count: 1, data: cat(
		zz(2), zz(1), zz(2), zz(-1), zz(1), zz(3), zz(0),
		zz(2), str("zeta"), zz(26), str("alpha"), zz(1), zz(-1), zz(2), str("mu"), zz(12), zz(0),
	)})
	add("array_blocks.avro", b, err)

	list := enc(listSchema)
	var chain any
	for v := 5; v >= 1; v-- {
		chain = goavro.Union("Node", map[string]any{"value": int32(v), "next": chain})
	}
	b, err = ocf(listSchema, "null", must(list.block(
		map[string]any{"value": int32(0), "next": chain},
		map[string]any{"value": int32(9), "next": nil},
	)))
	add("recursive.avro", b, err)

	// Too deep: each level is a union index 1 and a value 0.
	deep := bytes.Repeat([]byte{0, 2}, 1100)
	b, err = ocf(listSchema, "null", block{count: 2, data: cat(deep, []byte{0, 0}, []byte{2, 0})})
	add("too_deep.avro", b, err)

	b, err = ocf(`{"type":"array","items":"long"}`, "null", block{count: 2, data: cat(zz(2), zz(1), zz(2), zz(0), zz(0))})
	add("not_record.avro", b, err)
	b, err = ocf(`"string"`, "deflate", block{count: 2, data: cat(str("one"), str("two"))})
	add("string_schema.avro", b, err)

	b, err = ocf(weatherSchema, "deflate")
	add("header_only.avro", b, err)
	b, err = ocf(`{"type":"record","name":"Nothing","fields":[]}`, "null", block{count: 3})
	add("empty_record.avro", b, err)
	b, err = ocf(weatherSchema, "null",
		block{count: 0},
		must(w.block(weather("a", 1, 1))),
		block{count: 0},
	)
	add("empty_blocks.avro", b, err)

	// goavro refuses invalid logical types, which the specification says
	// to ignore: this file is written by hand.
	b, err = ocf(invalidLogicalSchema, "null", block{count: 1, data: cat(
		str("\x01\x00"), []byte{0xff, 0xfe}, str("2024-01-01"), zz(5), zz(6), str("blue"))})
	add("invalid_logical.avro", b, err)

	// A record that does not decode loses the rest of its block; the next
	// block reads.
	good := must(w.block(weather("ok", 1, 1)))
	b, err = ocf(weatherSchema, "null",
		good,
		block{count: 3, data: cat(good.data, str("bad"), bytes.Repeat([]byte{0xff}, 10), good.data)},
		must(w.block(weather("after", 3, 3))),
	)
	add("corrupt_record.avro", b, err)

	const badUnionSchema = `{"type":"record","name":"U","fields":[{"name":"a","type":"int"},{"name":"u","type":["null","string"]}]}`
	b, err = ocf(badUnionSchema, "null", block{count: 3, data: cat(zz(1), zz(0), zz(2), zz(9), zz(3), zz(0))})
	add("bad_union_index.avro", b, err)

	const datesSchema = `{"type":"record","name":"D","fields":[
		{"name":"day","type":{"type":"int","logicalType":"date"}},
		{"name":"at","type":{"type":"long","logicalType":"timestamp-micros"}},
		{"name":"nested","type":{"type":"array","items":{"type":"int","logicalType":"date"}}}]}`
	b, err = ocf(datesSchema, "null", block{count: 3, data: cat(
		zz(2932897), zz(0), zz(0),
		zz(0), zz(253402300800000000), zz(0),
		zz(-719163), zz(-62135596800000001), zz(1), zz(-719163), zz(0),
	)})
	add("out_of_range.avro", b, err)

	b, err = ocf(weatherSchema, "null", block{count: 1, data: cat(must(w.block(weather("x", 1, 1))).data, []byte("extra"))},
		block{count: 1, data: cat(must(w.block(weather("y", 2, 2))).data, []byte("!"))})
	add("trailing_bytes.avro", b, err)

	whole, err := ocf(weatherSchema, "null", weatherBlocks...)
	add("truncated.avro", whole[:len(whole)-20], err)
	b, err = ocf(weatherSchema, "null", weatherBlocks[0], block{count: weatherBlocks[1].count, data: weatherBlocks[1].data, sync: []byte("another sync mrk")})
	add("bad_sync.avro", b, err)
	b, err = ocf(weatherSchema, "null", weatherBlocks[0], block{count: 1 << 31, data: weatherBlocks[1].data})
	add("block_count_2e31.avro", b, err)
	b, err = ocf(weatherSchema, "null", weatherBlocks[0])
	add("block_size_4gib.avro", cat(b, zz(1), zz(4<<30), []byte("short")), err)
	b, err = ocf(weatherSchema, "null", weatherBlocks[0])
	add("negative_block_size.avro", cat(b, zz(1), zz(-3)), err)
	const arraySchema = `{"type":"record","name":"A","fields":[{"name":"a","type":{"type":"array","items":"long"}}]}`
	b, err = ocf(arraySchema, "null", block{count: 2, data: cat(zz(1<<62), zz(1), zz(0), zz(1), zz(5), zz(0))})
	add("array_count_2e62.avro", b, err)
	b, err = ocf(`{"type":"record","name":"N","fields":[{"name":"a","type":{"type":"array","items":"null"}}]}`, "null",
		block{count: 1, data: cat(zz(1<<40), zz(0))})
	add("array_of_nulls.avro", b, err)
	b, err = ocf(`"null"`, "null", block{count: 1 << 40})
	add("null_records.avro", b, err)
	b, err = ocf(weatherSchema, "lz4", weatherBlocks[0])
	add("unknown_codec.avro", b, err)
	b, err = ocf(`{"type":"record","name":"R","fields":[{"name":"a","type":"Missing"}]}`, "null")
	add("bad_schema.avro", b, err)
	snappyBlock, err := compress("snappy", weatherBlocks[0].data)
	if err == nil {
		snappyBlock[len(snappyBlock)-1] ^= 0xff
	}
	if err != nil && firstErr == nil {
		firstErr = err
	}
	b, err = ocf(weatherSchema, "snappy", block{count: 2, stored: snappyBlock})
	add("snappy_bad_checksum.avro", b, err)
	add("not_avro.avro", []byte("station,time,temp\n011990-99999,-619524000000,0\n"), nil)

	// Caps, set by options files.
	b, err = ocf(weatherSchema, "deflate", block{count: 1, data: cat(str(string(bytes.Repeat([]byte("x"), 5000))), zz(1), zz(1))})
	add("deflate_over_cap.avro", b, err)
	files["deflate_over_cap.avro.options.json"] = []byte(`{"MaxSpoolBytes": 4096}` + "\n")
	b, err = ocf(nestedSchema, "zstandard", must(n.block(order(1, nil), empty)))
	add("field_over_cap.avro", b, err)
	files["field_over_cap.avro.options.json"] = []byte(`{"MaxFieldBytes": 64}` + "\n")
	b, err = ocf(weatherSchema, "null", good, block{count: 2, data: cat(str("bad"), bytes.Repeat([]byte{0xff}, 10))}, good)
	add("fail_on_row_error.avro", b, err)
	files["fail_on_row_error.avro.options.json"] = []byte(`{"FailRowErrors": true}` + "\n")

	if firstErr != nil {
		return firstErr
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}
