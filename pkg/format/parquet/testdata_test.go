package parquet_test

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/extensions"
	"github.com/apache/arrow-go/v18/arrow/float16"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/google/uuid"
)

// The Parquet files under testdata are made by the functions below, with
// arrow-go's writer (go test -update rewrites them); each has a golden
// file of what the reader writes.
var testdataFiles = map[string]func(t testing.TB) []byte{
	"all_types.parquet":       allTypesFile,
	"nested.parquet":          nestedFile,
	"int96.parquet":           int96File,
	"row_groups.parquet":      rowGroupsFile,
	"empty.parquet":           emptyFile,
	"zstd_dictionary.parquet": zstdFile,
	"truncated.parquet":       func(t testing.TB) []byte { b := allTypesFile(t); return b[:len(b)/2] },
	"not_parquet.parquet":     func(testing.TB) []byte { return []byte("id,name\n1,x\n") },
	// Shredded variants of types the Variant spec does not allow
	// (variant_test.go).
	"variant_unsigned.parquet": variantUnsignedFile,
	"variant_fixed.parquet":    variantFixedFile,
}

// writeParquet writes rec as a Parquet file of row groups of rowGroup rows.
func writeParquet(t testing.TB, rec arrow.RecordBatch, rowGroup int64, wprops []parquet.WriterProperty, aprops ...pqarrow.WriterOption) []byte {
	t.Helper()
	var buf bytes.Buffer
	props := parquet.NewWriterProperties(append([]parquet.WriterProperty{parquet.WithMaxRowGroupLength(rowGroup), parquet.WithCreatedBy("filedge-test")}, wprops...)...)
	w, err := pqarrow.NewFileWriter(rec.Schema(), &buf, props, pqarrow.NewArrowWriterProperties(aprops...))
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(rec); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// build makes a record of one row per value of the columns, each column
// filled by its function from the row index (nulls where it appends one).
func build(t testing.TB, fields []arrow.Field, rows int, fill func(b *array.RecordBuilder, row int)) arrow.RecordBatch {
	t.Helper()
	b := array.NewRecordBuilder(memory.DefaultAllocator, arrow.NewSchema(fields, nil))
	defer b.Release()
	for i := 0; i < rows; i++ {
		fill(b, i)
	}
	return b.NewRecordBatch()
}

func allTypesFile(t testing.TB) []byte {
	uuidType := extensions.NewUUIDType()
	jsonType, err := extensions.NewJSONType(arrow.BinaryTypes.String)
	if err != nil {
		t.Fatal(err)
	}
	f := func(name string, typ arrow.DataType) arrow.Field {
		return arrow.Field{Name: name, Type: typ, Nullable: true}
	}
	fields := []arrow.Field{
		f("bool", arrow.FixedWidthTypes.Boolean),
		f("int8", arrow.PrimitiveTypes.Int8),
		f("int16", arrow.PrimitiveTypes.Int16),
		f("int32", arrow.PrimitiveTypes.Int32),
		f("int64", arrow.PrimitiveTypes.Int64),
		f("uint8", arrow.PrimitiveTypes.Uint8),
		f("uint16", arrow.PrimitiveTypes.Uint16),
		f("uint32", arrow.PrimitiveTypes.Uint32),
		f("uint64_small", arrow.PrimitiveTypes.Uint64),
		f("uint64_big", arrow.PrimitiveTypes.Uint64),
		f("float16", arrow.FixedWidthTypes.Float16),
		f("float32", arrow.PrimitiveTypes.Float32),
		f("float64", arrow.PrimitiveTypes.Float64),
		f("decimal_9_2", &arrow.Decimal128Type{Precision: 9, Scale: 2}),
		f("decimal_15_3", &arrow.Decimal128Type{Precision: 15, Scale: 3}),
		f("decimal_38_10", &arrow.Decimal128Type{Precision: 38, Scale: 10}),
		f("date", arrow.FixedWidthTypes.Date32),
		f("ts_ms_utc", &arrow.TimestampType{Unit: arrow.Millisecond, TimeZone: "UTC"}),
		f("ts_us_local", &arrow.TimestampType{Unit: arrow.Microsecond}),
		f("ts_ns_utc", &arrow.TimestampType{Unit: arrow.Nanosecond, TimeZone: "UTC"}),
		f("time_ms", arrow.FixedWidthTypes.Time32ms),
		f("time_us", arrow.FixedWidthTypes.Time64us),
		f("time_ns", arrow.FixedWidthTypes.Time64ns),
		f("string", arrow.BinaryTypes.String),
		f("binary", arrow.BinaryTypes.Binary),
		f("fixed", &arrow.FixedSizeBinaryType{ByteWidth: 4}),
		f("uuid", uuidType),
		f("json", jsonType),
	}
	rec := build(t, fields, 4, func(b *array.RecordBuilder, i int) {
		if i == 3 { // a row of nulls
			for c := range fields {
				b.Field(c).AppendNull()
			}
			return
		}
		neg := int64(1 - 2*(i%2)) // 1, -1, 1
		b.Field(0).(*array.BooleanBuilder).Append(i%2 == 0)
		b.Field(1).(*array.Int8Builder).Append(int8(neg * 127))
		b.Field(2).(*array.Int16Builder).Append(int16(neg * 32767))
		b.Field(3).(*array.Int32Builder).Append(int32(neg * math.MaxInt32))
		b.Field(4).(*array.Int64Builder).Append(neg * math.MaxInt64)
		b.Field(5).(*array.Uint8Builder).Append(255)
		b.Field(6).(*array.Uint16Builder).Append(65535)
		b.Field(7).(*array.Uint32Builder).Append(math.MaxUint32)
		b.Field(8).(*array.Uint64Builder).Append(uint64(i) * 1000)
		b.Field(9).(*array.Uint64Builder).Append(math.MaxUint64 - uint64(i))
		b.Field(10).(*array.Float16Builder).Append(float16.New(float32(neg) * 1.5))
		b.Field(11).(*array.Float32Builder).Append([]float32{0.1, float32(math.Inf(1)), float32(math.NaN())}[i])
		b.Field(12).(*array.Float64Builder).Append([]float64{0.1, -1e300, math.NaN()}[i])
		b.Field(13).(*array.Decimal128Builder).Append(decimal128.FromI64(neg * 1234567))
		b.Field(14).(*array.Decimal128Builder).Append(decimal128.FromI64(neg * 999999999999999))
		big, _ := decimal128.FromString("-12345678901234567890.0123456789", 38, 10)
		if i == 1 {
			big = decimal128.FromI64(1)
		}
		b.Field(15).(*array.Decimal128Builder).Append(big)
		b.Field(16).(*array.Date32Builder).Append([]arrow.Date32{0, -719162, 2932896}[i])
		b.Field(17).(*array.TimestampBuilder).Append([]arrow.Timestamp{1704067200123, -1, 0}[i])
		b.Field(18).(*array.TimestampBuilder).Append([]arrow.Timestamp{1704067200123456, 253402300799999999, 253402300800000000}[i])
		b.Field(19).(*array.TimestampBuilder).Append([]arrow.Timestamp{1704067200123456789, -1, 0}[i])
		b.Field(20).(*array.Time32Builder).Append([]arrow.Time32{0, 86399999, 45296789}[i])
		b.Field(21).(*array.Time64Builder).Append([]arrow.Time64{1, 86399999999, 45296789012}[i])
		b.Field(22).(*array.Time64Builder).Append([]arrow.Time64{1999, 86399999999999, 45296789012345}[i])
		b.Field(23).(*array.StringBuilder).Append([]string{"plain", "quote \" and \\ and\nnewline", ""}[i])
		b.Field(24).(*array.BinaryBuilder).Append([][]byte{[]byte("utf-8 text"), {0xff, 0x00, 0x10}, {}}[i])
		b.Field(25).(*array.FixedSizeBinaryBuilder).Append([][]byte{{1, 2, 3, 4}, {0xff, 0xfe, 0xfd, 0xfc}, {0, 0, 0, 0}}[i])
		b.Field(26).(*extensions.UUIDBuilder).Append(uuid.MustParse([]string{"123e4567-e89b-12d3-a456-426614174000", "00000000-0000-0000-0000-000000000000", "ffffffff-ffff-ffff-ffff-ffffffffffff"}[i]))
		b.Field(27).(*array.ExtensionBuilder).Builder.(*array.StringBuilder).Append([]string{`{"a":[1,2]}`, `"text"`, `not json`}[i])
	})
	defer rec.Release()
	return writeParquet(t, rec, 1<<20, nil, pqarrow.WithStoreSchema())
}

func nestedFile(t testing.TB) []byte {
	point := arrow.StructOf(arrow.Field{Name: "x", Type: arrow.PrimitiveTypes.Int32, Nullable: true}, arrow.Field{Name: "label", Type: arrow.BinaryTypes.String, Nullable: true})
	fields := []arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "ints", Type: arrow.ListOf(arrow.PrimitiveTypes.Int32), Nullable: true},
		{Name: "matrix", Type: arrow.ListOf(arrow.ListOf(arrow.PrimitiveTypes.Float64)), Nullable: true},
		{Name: "point", Type: point, Nullable: true},
		{Name: "points", Type: arrow.ListOf(point), Nullable: true},
		{Name: "tags", Type: arrow.MapOf(arrow.BinaryTypes.String, arrow.PrimitiveTypes.Int64), Nullable: true},
		{Name: "when", Type: arrow.ListOf(arrow.FixedWidthTypes.Date32), Nullable: true},
	}
	rec := build(t, fields, 4, func(b *array.RecordBuilder, i int) {
		b.Field(0).(*array.Int64Builder).Append(int64(i))
		ints := b.Field(1).(*array.ListBuilder)
		matrix := b.Field(2).(*array.ListBuilder)
		pt := b.Field(3).(*array.StructBuilder)
		pts := b.Field(4).(*array.ListBuilder)
		tags := b.Field(5).(*array.MapBuilder)
		when := b.Field(6).(*array.ListBuilder)
		switch i {
		case 0:
			ints.Append(true)
			ints.ValueBuilder().(*array.Int32Builder).AppendValues([]int32{1, 2, 3}, nil)
			matrix.Append(true)
			inner := matrix.ValueBuilder().(*array.ListBuilder)
			inner.Append(true)
			inner.ValueBuilder().(*array.Float64Builder).AppendValues([]float64{1.5, math.Inf(1)}, nil)
			inner.Append(true)
			pt.Append(true)
			pt.FieldBuilder(0).(*array.Int32Builder).Append(7)
			pt.FieldBuilder(1).(*array.StringBuilder).Append("seven \"7\"")
			pts.Append(true)
			ps := pts.ValueBuilder().(*array.StructBuilder)
			ps.Append(true)
			ps.FieldBuilder(0).(*array.Int32Builder).Append(1)
			ps.FieldBuilder(1).(*array.StringBuilder).AppendNull()
			ps.AppendNull()
			tags.Append(true)
			tags.KeyBuilder().(*array.StringBuilder).AppendValues([]string{"a", "b"}, nil)
			tags.ItemBuilder().(*array.Int64Builder).Append(1)
			tags.ItemBuilder().(*array.Int64Builder).AppendNull()
			when.Append(true)
			when.ValueBuilder().(*array.Date32Builder).AppendValues([]arrow.Date32{19000, -1000000}, nil)
		case 1: // empty lists and map
			ints.Append(true)
			matrix.Append(true)
			pt.Append(true)
			pt.FieldBuilder(0).(*array.Int32Builder).AppendNull()
			pt.FieldBuilder(1).(*array.StringBuilder).AppendNull()
			pts.Append(true)
			tags.Append(true)
			when.Append(true)
		default: // nulls
			ints.AppendNull()
			matrix.AppendNull()
			pt.AppendNull()
			pts.AppendNull()
			tags.AppendNull()
			when.AppendNull()
		}
	})
	defer rec.Release()
	return writeParquet(t, rec, 1<<20, nil)
}

func int96File(t testing.TB) []byte {
	fields := []arrow.Field{{Name: "ts", Type: arrow.FixedWidthTypes.Timestamp_ns, Nullable: true}, {Name: "n", Type: arrow.PrimitiveTypes.Int32}}
	rec := build(t, fields, 3, func(b *array.RecordBuilder, i int) {
		if i == 1 {
			b.Field(0).AppendNull()
		} else {
			b.Field(0).(*array.TimestampBuilder).Append([]arrow.Timestamp{1704067200123456789, 0, -86400000000001}[i])
		}
		b.Field(1).(*array.Int32Builder).Append(int32(i))
	})
	defer rec.Release()
	return writeParquet(t, rec, 1<<20, nil, pqarrow.WithDeprecatedInt96Timestamps(true))
}

func rowGroupsFile(t testing.TB) []byte {
	fields := []arrow.Field{{Name: "n", Type: arrow.PrimitiveTypes.Int64}, {Name: "s", Type: arrow.BinaryTypes.String, Nullable: true}}
	rec := build(t, fields, 10, func(b *array.RecordBuilder, i int) {
		b.Field(0).(*array.Int64Builder).Append(int64(i))
		if i%3 == 0 {
			b.Field(1).AppendNull()
		} else {
			b.Field(1).(*array.StringBuilder).Append(string(rune('a' + i)))
		}
	})
	defer rec.Release()
	return writeParquet(t, rec, 3, nil)
}

func emptyFile(t testing.TB) []byte {
	fields := []arrow.Field{{Name: "a", Type: arrow.PrimitiveTypes.Int64, Nullable: true}, {Name: "b", Type: arrow.BinaryTypes.String, Nullable: true}}
	rec := build(t, fields, 0, func(*array.RecordBuilder, int) {})
	defer rec.Release()
	return writeParquet(t, rec, 1<<20, nil)
}

func zstdFile(t testing.TB) []byte {
	fields := []arrow.Field{{Name: "city", Type: arrow.BinaryTypes.String}, {Name: "n", Type: arrow.PrimitiveTypes.Int32}}
	rec := build(t, fields, 6, func(b *array.RecordBuilder, i int) {
		b.Field(0).(*array.StringBuilder).Append([]string{"Zürich", "Genève", "Zürich"}[i%3])
		b.Field(1).(*array.Int32Builder).Append(int32(i % 2))
	})
	defer rec.Release()
	return writeParquet(t, rec, 1<<20, []parquet.WriterProperty{parquet.WithCompression(compress.Codecs.Zstd), parquet.WithDataPageVersion(parquet.DataPageV2)})
}

// TestTestdataMatchesItsGenerator proves that the Parquet files under
// testdata are the ones the generators make (go test -update rewrites
// them), so that the golden files document the generators' values.
func TestTestdataMatchesItsGenerator(t *testing.T) {
	for name, gen := range testdataFiles {
		t.Run(name, func(t *testing.T) {
			got := gen(t)
			path := filepath.Join("testdata", name)
			if updating() {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from what its generator makes (go test -update rewrites it)", path)
			}
		})
	}
}
