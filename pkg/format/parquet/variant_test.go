package parquet_test

import (
	"bytes"
	"testing"

	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/schema"
)

// Shredded variants (the Variant spec's shredding) that readers must
// reject or report, written leaf by leaf with arrow-go's low-level writer,
// which writes any schema: arrow-go's Arrow writer cannot make them.

// emptyMetadata is a variant metadata of no field names: version 1,
// offset size 1, dictionary size 0, one offset.
var emptyMetadata = parquet.ByteArray{0x01, 0x00, 0x00}

// leaf is the content of one leaf column: its levels and the values of
// the slots whose definition level is the column's maximum.
type leaf struct {
	defs, reps []int16
	ints       []int64
	bytes      []parquet.ByteArray
	fixed      []parquet.FixedLenByteArray
}

// lowLevelFile writes one row group of the leaves, in schema order, under
// the fields of root.
func lowLevelFile(t testing.TB, fields schema.FieldList, leaves ...leaf) []byte {
	t.Helper()
	root, err := schema.NewGroupNode("schema", parquet.Repetitions.Required, fields, -1)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w := file.NewParquetWriter(&buf, root, file.WithWriterProps(parquet.NewWriterProperties(parquet.WithCreatedBy("filedge-test"), parquet.WithDictionaryDefault(false))))
	rg := w.AppendRowGroup()
	for i, l := range leaves {
		cw, err := rg.NextColumn()
		if err != nil {
			t.Fatal(err)
		}
		var reps []int16
		if l.reps != nil {
			reps = l.reps
		}
		switch c := cw.(type) {
		case *file.Int32ColumnChunkWriter:
			vals := make([]int32, len(l.ints))
			for k, v := range l.ints {
				vals[k] = int32(v)
			}
			_, err = c.WriteBatch(vals, l.defs, reps)
		case *file.Int64ColumnChunkWriter:
			_, err = c.WriteBatch(l.ints, l.defs, reps)
		case *file.ByteArrayColumnChunkWriter:
			_, err = c.WriteBatch(l.bytes, l.defs, reps)
		case *file.FixedLenByteArrayColumnChunkWriter:
			_, err = c.WriteBatch(l.fixed, l.defs, reps)
		default:
			t.Fatalf("leaf %d: no writer for %T", i, cw)
		}
		if err != nil {
			t.Fatalf("leaf %d: %v", i, err)
		}
		if err := cw.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if err := rg.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// must returns v, panicking on err: the schemas below are constants.
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// variantField is an optional variant column "var" of metadata, value and
// the given typed_value.
func variantField(t testing.TB, typed schema.Node) schema.Node {
	return must(schema.NewGroupNodeLogical("var", parquet.Repetitions.Optional, schema.FieldList{
		must(schema.NewPrimitiveNode("metadata", parquet.Repetitions.Required, parquet.Types.ByteArray, -1, -1)),
		must(schema.NewPrimitiveNode("value", parquet.Repetitions.Optional, parquet.Types.ByteArray, -1, -1)),
		typed,
	}, schema.VariantLogicalType{}, -1))
}

func idField(t testing.TB) schema.Node {
	return must(schema.NewPrimitiveNode("id", parquet.Repetitions.Required, parquet.Types.Int32, -1, -1))
}

// idLeaf numbers n rows from 1.
func idLeaf(n int) leaf {
	l := leaf{defs: make([]int16, n)}
	for i := range n {
		l.ints = append(l.ints, int64(i+1))
	}
	return l
}

// unsupportedVariantFile is a variant column shredded as typed, which the
// Variant spec does not allow, of one row holding a value there (as an
// Iceberg test case of the kind does, its value column null).
func unsupportedVariantFile(typed func(t testing.TB) schema.Node, value leaf) func(t testing.TB) []byte {
	return func(t testing.TB) []byte {
		return lowLevelFile(t, schema.FieldList{idField(t), variantField(t, typed(t))},
			idLeaf(1),
			leaf{defs: []int16{1}, bytes: []parquet.ByteArray{emptyMetadata}},
			leaf{defs: []int16{1}},
			value)
	}
}

var (
	variantUnsignedFile = unsupportedVariantFile(func(t testing.TB) schema.Node {
		return must(schema.NewPrimitiveNodeLogical("typed_value", parquet.Repetitions.Optional, schema.NewIntLogicalType(32, false), parquet.Types.Int32, -1, -1))
	}, leaf{defs: []int16{2}, ints: []int64{12345}})
	variantFixedFile = unsupportedVariantFile(func(t testing.TB) schema.Node {
		return must(schema.NewPrimitiveNode("typed_value", parquet.Repetitions.Optional, parquet.Types.FixedLenByteArray, -1, 4))
	}, leaf{defs: []int16{2}, fixed: []parquet.FixedLenByteArray{[]byte("abcd")}})
)
