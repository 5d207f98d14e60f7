package parquet_test

import (
	"testing"

	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/schema"
)

// Shredded variants (the Variant spec's shredding) that readers must
// reject, written leaf by leaf with writeLeaves: arrow-go's Arrow writer
// cannot make them.

// emptyMetadata is a variant metadata of no field names: version 1,
// offset size 1, dictionary size 0, one offset.
var emptyMetadata = parquet.ByteArray{0x01, 0x00, 0x00}

// variantField is an optional variant column "var" of metadata, value and
// the given typed_value.
func variantField(typed schema.Node) schema.Node {
	return schema.MustGroup(schema.NewGroupNodeLogical("var", parquet.Repetitions.Optional, schema.FieldList{
		schema.MustPrimitive(schema.NewPrimitiveNode("metadata", parquet.Repetitions.Required, parquet.Types.ByteArray, -1, -1)),
		schema.MustPrimitive(schema.NewPrimitiveNode("value", parquet.Repetitions.Optional, parquet.Types.ByteArray, -1, -1)),
		typed,
	}, schema.VariantLogicalType{}, -1))
}

// unsupportedVariantFile is a file of one row: an id, and a variant column
// shredded as typed, which the Variant spec does not allow, holding value
// there (its value column null, as an Iceberg test case of the kind).
func unsupportedVariantFile(typed schema.Node, value *leaf) func(t testing.TB) []byte {
	return func(t testing.TB) []byte {
		root := schema.MustGroup(schema.NewGroupNode("schema", parquet.Repetitions.Required, schema.FieldList{
			schema.MustPrimitive(schema.NewPrimitiveNode("id", parquet.Repetitions.Required, parquet.Types.Int64, -1, -1)),
			variantField(typed),
		}, -1))
		return writeLeaves(t, root, nil,
			&leaf{defs: []int16{0}, ints: []int64{1}},
			&leaf{defs: []int16{1}, bytes: []parquet.ByteArray{emptyMetadata}},
			&leaf{defs: []int16{1}},
			value)
	}
}

var (
	variantUnsignedFile = unsupportedVariantFile(
		schema.MustPrimitive(schema.NewPrimitiveNodeLogical("typed_value", parquet.Repetitions.Optional, schema.NewIntLogicalType(64, false), parquet.Types.Int64, -1, -1)),
		&leaf{defs: []int16{2}, ints: []int64{12345}})
	variantFixedFile = unsupportedVariantFile(
		schema.MustPrimitive(schema.NewPrimitiveNode("typed_value", parquet.Repetitions.Optional, parquet.Types.FixedLenByteArray, -1, 4)),
		&leaf{defs: []int16{2}, fixed: []parquet.FixedLenByteArray{[]byte("abcd")}})
)
