package parquet

import (
	"fmt"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/extensions"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/metadata"
	"github.com/apache/arrow-go/v18/parquet/schema"

	"github.com/filedge/filedge/pkg/record"
)

// kind is how a column's values become cells.
type kind uint8

const (
	kindNull kind = iota
	kindBool
	kindInt8
	kindInt16
	kindInt32
	kindInt64
	kindUint8
	kindUint16
	kindUint32
	kindUint64     // declared Integer: a value beyond int64 fails its row
	kindUint64Text // declared String: exact digits
	kindFloat16
	kindFloat32
	kindFloat64
	kindDecimal128 // Decimal, or String (exact text) beyond 76 digits
	kindDecimal256
	kindDate32
	kindDate64
	kindTimestamp
	kindTime32
	kindTime64
	kindString
	kindLargeString
	kindBinary      // BINARY or LARGE_BINARY: text when valid UTF-8 (asText), else base64
	kindFixedBinary // base64
	kindUUID
	kindJSONBinary // BYTE_ARRAY annotated JSON
	kindNested     // lists, structs, maps, variants: a JSON document
	kindInt96      // INT96 timestamp, read as 12 bytes (see sanitizeFooter)
)

// column is one top-level field of the file as the reader writes it.
type column struct {
	name   string
	typ    record.Type
	kind   kind
	leaf   int // the field's first leaf column in the Parquet schema
	leaves []int
	src    int // index of the field in pqarrow's record batches
	unit   arrow.TimeUnit
	scale  int32
	asText bool
	// int96 lists the leaves (by position in leaves) that were INT96,
	// which pqarrow reads as 12-byte binary (see sanitizeFooter).
	int96 []int
	// structs is set for a field that holds structs, whose leaves pqarrow
	// decodes in goroutines of its own (see predecode).
	structs bool
	// lost counts the values the column loads as null (see losses.go).
	lost losses

	// The current batch.
	arr arrow.Array
	i32 []int32
	i64 []int64
	f64 []float64
	// json is what appendJSON needs of a nested column's batch, and
	// notes; leafArrays the batch's leaf arrays.
	json       jsonState
	leafArrays []arrow.Array
}

// planColumns maps the file's top-level fields to columns, returning the
// issues of fields left out or loaded as another type. It declares each column's type from the
// schema, so nothing is inferred.
func planColumns(pf *file.Reader, fields []fieldInfo) ([]*column, []string) {
	var cols []*column
	var issues []string
	for _, fi := range fields {
		c, issue := planColumn(pf, fi)
		if issue != "" {
			issues = append(issues, issue)
		}
		if c != nil {
			cols = append(cols, c)
		}
	}
	return cols, issues
}

// fieldInfo is a top-level field of the file: its Arrow form, its schema
// node and its leaf columns, of which those at positions int96 were INT96.
type fieldInfo struct {
	field  arrow.Field
	node   schema.Node
	leaves []int
	int96  []int
}

func unsupported(name, what string) string {
	return fmt.Sprintf("Column %q has an unsupported type %q", name, what)
}

func planColumn(pf *file.Reader, fi fieldInfo) (*column, string) {
	f := fi.field
	c := &column{name: f.Name, leaves: fi.leaves, leaf: -1, int96: fi.int96, structs: hasStruct(f.Type)}
	if len(fi.leaves) > 0 {
		c.leaf = fi.leaves[0]
	}
	if bad := badVariant(fi.node); bad != "" {
		return nil, unsupported(f.Name, "VARIANT with a typed_value of "+bad) + ", which the Variant spec does not allow: left out"
	}
	leaf, _ := fi.node.(*schema.PrimitiveNode)
	if leaf != nil && len(fi.int96) > 0 {
		c.typ, c.kind = record.Timestamp, kindInt96
		return c, ""
	}
	switch t := f.Type.(type) {
	case *arrow.NullType:
		c.typ, c.kind = record.Unknown, kindNull
	case *arrow.BooleanType:
		c.typ, c.kind = record.Boolean, kindBool
	case *arrow.Int8Type:
		c.typ, c.kind = record.Integer, kindInt8
	case *arrow.Int16Type:
		c.typ, c.kind = record.Integer, kindInt16
	case *arrow.Int32Type:
		c.typ, c.kind = record.Integer, kindInt32
	case *arrow.Int64Type:
		c.typ, c.kind = record.Integer, kindInt64
	case *arrow.Uint8Type:
		c.typ, c.kind = record.Integer, kindUint8
	case *arrow.Uint16Type:
		c.typ, c.kind = record.Integer, kindUint16
	case *arrow.Uint32Type:
		c.typ, c.kind = record.Integer, kindUint32
	case *arrow.Uint64Type:
		if c.leaf >= 0 && uint64FitsInt64(pf, c.leaf) {
			c.typ, c.kind = record.Integer, kindUint64
		} else {
			c.typ, c.kind = record.String, kindUint64Text
		}
	case *arrow.Float16Type:
		c.typ, c.kind = record.Float, kindFloat16
	case *arrow.Float32Type:
		c.typ, c.kind = record.Float, kindFloat32
	case *arrow.Float64Type:
		c.typ, c.kind = record.Float, kindFloat64
	case *arrow.Decimal128Type:
		c.typ, c.kind, c.scale = decimalType(t.Precision, t.Scale), kindDecimal128, t.Scale
		return c, decimalIssue(f.Name, t, c.typ)
	case *arrow.Decimal256Type:
		c.typ, c.kind, c.scale = decimalType(t.Precision, t.Scale), kindDecimal256, t.Scale
		return c, decimalIssue(f.Name, t, c.typ)
	case *arrow.Date32Type:
		c.typ, c.kind = record.Date, kindDate32
	case *arrow.Date64Type:
		c.typ, c.kind = record.Date, kindDate64
	case *arrow.TimestampType:
		c.typ, c.kind, c.unit = record.Timestamp, kindTimestamp, t.Unit
	case *arrow.Time32Type:
		c.typ, c.kind, c.unit = record.String, kindTime32, t.Unit
	case *arrow.Time64Type:
		c.typ, c.kind, c.unit = record.String, kindTime64, t.Unit
	case *arrow.StringType:
		c.typ, c.kind = record.String, kindString
	case *arrow.LargeStringType:
		c.typ, c.kind = record.String, kindLargeString
	case *arrow.BinaryType, *arrow.LargeBinaryType:
		c.typ, c.kind = record.String, kindBinary
		var logical schema.LogicalType = schema.NoLogicalType{}
		if leaf != nil {
			logical = leaf.LogicalType()
		}
		switch logical.(type) {
		case schema.JSONLogicalType:
			c.typ, c.kind = record.JSON, kindJSONBinary
		case schema.BSONLogicalType:
			// binary documents: base64
		default:
			c.asText = true
		}
	case *arrow.FixedSizeBinaryType:
		c.typ, c.kind = record.String, kindFixedBinary
	case *extensions.UUIDType:
		c.typ, c.kind = record.String, kindUUID
	case *arrow.ListType, *arrow.LargeListType, *arrow.FixedSizeListType, *arrow.StructType, *arrow.MapType, *extensions.VariantType:
		c.typ, c.kind = record.JSON, kindNested
	default:
		return nil, unsupported(f.Name, f.Type.String())
	}
	return c, ""
}

// decimalType is the column type of a Parquet DECIMAL(precision, scale):
// the decimal that holds its values exactly (the same precision and scale
// when the file keeps to 0 <= scale <= precision, as the format says), or
// String, the exact text, when that needs more than
// record.MaxDecimalPrecision digits.
func decimalType(precision, scale int32) record.Type {
	intDigits, frac := int(max(precision-scale, 0)), int(max(scale, 0))
	if p := intDigits + frac; p >= 1 && p <= record.MaxDecimalPrecision {
		return record.DecimalOf(p, frac)
	}
	return record.String
}

// decimalIssue is the issue of a decimal column loaded as text, or "".
func decimalIssue(name string, t arrow.DecimalType, typ record.Type) string {
	if typ.IsDecimal() {
		return ""
	}
	return fmt.Sprintf("Column %q is a decimal(%d,%d), wider than the %d digits a decimal column holds: loaded as string, the exact text", name, t.GetPrecision(), t.GetScale(), record.MaxDecimalPrecision)
}

// uint64FitsInt64 reports whether the statistics of every row group of
// unsigned 64-bit leaf column col prove its values fit an int64; without
// statistics the column loads as String.
func uint64FitsInt64(pf *file.Reader, col int) (fits bool) {
	defer func() {
		if recover() != nil { // corrupt statistics: load as String
			fits = false
		}
	}()
	for rg := 0; rg < pf.NumRowGroups(); rg++ {
		rgm := pf.MetaData().RowGroup(rg)
		if rgm.NumRows() == 0 {
			continue
		}
		cc, err := rgm.ColumnChunk(col)
		if err != nil {
			return false
		}
		st, err := cc.Statistics()
		if err != nil || st == nil {
			return false
		}
		s, ok := st.(*metadata.Int64Statistics)
		if !ok {
			return false
		}
		if s.NullCount() == rgm.NumRows() {
			continue
		}
		if !s.HasMinMax() || uint64(s.Max()) > math.MaxInt64 {
			return false
		}
	}
	return true
}
