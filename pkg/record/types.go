package record

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
)

// Type is the logical type of a column. The zero value, Unknown, is a column
// that has only held nulls so far; it is stored as String if nothing else is
// ever seen.
//
// A decimal type carries its precision and scale in the Type value itself
// (see DecimalOf), so that wherever a Type travels (a Column, a Widening,
// a FileParsed message) they travel with it. Types are comparable: two
// decimals are equal when their precision and scale are.
//
// Types form a widening lattice (see Widen): Integer widens to Float and
// to decimals, decimals to wider decimals, Date to Timestamp, and any other
// pair of different types to String.
type Type uint32

const (
	Unknown   Type = iota // only nulls seen so far
	Boolean               // true/false
	Integer               // 64-bit signed integer
	Float                 // 64-bit IEEE float
	Date                  // calendar date, no time of day
	Timestamp             // instant with microsecond precision, stored in UTC
	String                // UTF-8 text
	JSON                  // a JSON document kept as text
	// Decimal is an exact decimal number of any precision and scale, as
	// PostgreSQL's unconstrained NUMERIC: the type of a column declared
	// "decimal" without a precision. A column of fixed precision and
	// scale is DecimalOf(p, s); IsDecimal reports both kinds. A Builder
	// column declared Decimal keeps every value exactly and gives each
	// batch the narrowest DecimalOf that holds its values, so that batches
	// (and FileParsed) only ever carry decimals of fixed precision.
	Decimal
)

// MaxDecimalPrecision is the most digits a decimal of fixed precision
// holds: what Arrow's Decimal256 carries. Decimals of up to
// MaxDecimal128Precision digits travel as Arrow Decimal128.
const (
	MaxDecimalPrecision    = 76
	MaxDecimal128Precision = 38
)

// integerDigits is the most digits of an int64: a decimal with this many
// integer digits holds every Integer.
const integerDigits = 19

var typeNames = [...]string{
	Unknown:   "unknown",
	Boolean:   "boolean",
	Integer:   "integer",
	Float:     "float",
	Date:      "date",
	Timestamp: "timestamp",
	String:    "string",
	JSON:      "json",
	Decimal:   "decimal",
}

// DecimalOf returns the decimal type of the given precision (total digits)
// and scale (digits after the point). It panics unless 1 <= precision <=
// MaxDecimalPrecision and 0 <= scale <= precision; ParseType reports those
// as errors.
func DecimalOf(precision, scale int) Type {
	if err := checkDecimal(precision, scale); err != nil {
		panic("record: " + err.Error())
	}
	return Decimal | Type(precision)<<8 | Type(scale)<<16
}

// checkDecimal reports a precision or scale DecimalOf does not take.
func checkDecimal(precision, scale int) error {
	switch {
	case precision < 1 || precision > MaxDecimalPrecision:
		return fmt.Errorf("decimal precision %d is out of range (1 to %d)", precision, MaxDecimalPrecision)
	case scale < 0 || scale > precision:
		return fmt.Errorf("decimal scale %d is out of range (0 to the precision, %d)", scale, precision)
	}
	return nil
}

// IsDecimal reports whether t is Decimal or a DecimalOf type.
func (t Type) IsDecimal() bool { return t&0xff == Decimal }

// Precision returns the precision of a DecimalOf type, and 0 for any
// other type (Decimal included).
func (t Type) Precision() int {
	if !t.IsDecimal() {
		return 0
	}
	return int(t >> 8 & 0xff)
}

// Scale returns the scale of a DecimalOf type, and 0 for any other type.
func (t Type) Scale() int {
	if !t.IsDecimal() {
		return 0
	}
	return int(t >> 16 & 0xff)
}

// String returns the type's name as written in pipeline.yaml and messages:
// "decimal(12,2)" for a decimal of fixed precision.
func (t Type) String() string {
	if t.IsDecimal() && t != Decimal {
		return "decimal(" + strconv.Itoa(t.Precision()) + "," + strconv.Itoa(t.Scale()) + ")"
	}
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return fmt.Sprintf("type(%d)", uint32(t))
}

// ErrUnknownType is the error of ParseType for a name that is no type (as
// opposed to a decimal whose precision or scale is out of range).
var ErrUnknownType = errors.New("unknown column type")

// ParseType reads a type name as written in pipeline.yaml. It accepts the
// names String returns and common synonyms (int, bigint, double, bool, text,
// varchar, datetime, numeric). A decimal is "decimal" or "numeric", alone
// (Decimal: any precision and scale) or with a precision and an optional
// scale: "decimal(12,2)", "numeric(10)" (scale 0), spaces allowed inside
// the parentheses, with 1 <= precision <= 76 and 0 <= scale <= precision.
func ParseType(s string) (Type, error) {
	switch s {
	case "boolean", "bool":
		return Boolean, nil
	case "integer", "int", "bigint", "int64", "long":
		return Integer, nil
	case "float", "double", "number", "real":
		return Float, nil
	case "decimal", "numeric":
		return Decimal, nil
	case "date":
		return Date, nil
	case "timestamp", "datetime", "timestamptz":
		return Timestamp, nil
	case "string", "text", "varchar", "str":
		return String, nil
	case "json", "jsonb", "object":
		return JSON, nil
	}
	if name, args, ok := strings.Cut(s, "("); ok && (name == "decimal" || name == "numeric") {
		return parseDecimalType(s, args)
	}
	return Unknown, fmt.Errorf("%w %q (want one of boolean, integer, float, decimal, decimal(p,s), date, timestamp, string, json)", ErrUnknownType, s)
}

// parseDecimalType reads the arguments of decimal(p[,s]): args is what
// follows the parenthesis, s the whole name for messages.
func parseDecimalType(s, args string) (Type, error) {
	inner, ok := strings.CutSuffix(args, ")")
	if !ok {
		return Unknown, fmt.Errorf("column type %q: want decimal(precision, scale)", s)
	}
	ps, ss, hasScale := strings.Cut(inner, ",")
	p, err := strconv.Atoi(strings.TrimSpace(ps))
	if err != nil {
		return Unknown, fmt.Errorf("column type %q: the precision must be a whole number", s)
	}
	scale := 0
	if hasScale {
		if scale, err = strconv.Atoi(strings.TrimSpace(ss)); err != nil {
			return Unknown, fmt.Errorf("column type %q: the scale must be a whole number", s)
		}
	}
	if err := checkDecimal(p, scale); err != nil {
		return Unknown, fmt.Errorf("column type %q: %w", s, err)
	}
	return DecimalOf(p, scale), nil
}

// MarshalText implements encoding.TextMarshaler.
func (t Type) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (t *Type) UnmarshalText(b []byte) error {
	if string(b) == "unknown" {
		*t = Unknown
		return nil
	}
	v, err := ParseType(string(b))
	*t = v
	return err
}

// Widen returns the narrowest type that holds every value of a and of b:
//
//   - Unknown with any type: that type.
//   - Integer with Float: Float.
//   - Date with Timestamp: Timestamp.
//   - Decimals of fixed precision: the decimal with the larger number of
//     integer digits and the larger scale, or String when that needs
//     more than MaxDecimalPrecision digits.
//   - Integer with a decimal: as with the decimal of 19 integer digits
//     (every int64) and scale 0.
//   - Decimal (any precision) with Integer or any decimal: Decimal.
//   - Float with a decimal: String. A decimal never passes through a
//     float, and a float64 has no exact decimal of bounded precision
//     (its exact expansion takes up to 767 digits), so the one type that
//     holds both exactly is their text.
//   - Any other pair of different types: String.
func Widen(a, b Type) Type {
	switch {
	case a == b:
		return a
	case a == Unknown:
		return b
	case b == Unknown:
		return a
	case a.IsDecimal() || b.IsDecimal():
		return widenDecimal(a, b)
	case (a == Integer && b == Float) || (a == Float && b == Integer):
		return Float
	case (a == Date && b == Timestamp) || (a == Timestamp && b == Date):
		return Timestamp
	}
	return String
}

// widenDecimal is Widen of two different known types, one a decimal.
func widenDecimal(a, b Type) Type {
	if !a.IsDecimal() {
		a, b = b, a
	}
	switch {
	case b == Integer && a == Decimal:
		return Decimal
	case b == Integer:
		return decimalHolding(integerDigits, 0, a)
	case !b.IsDecimal():
		return String
	case a == Decimal || b == Decimal:
		return Decimal
	}
	return decimalHolding(b.Precision()-b.Scale(), b.Scale(), a)
}

// decimalHolding returns the narrowest decimal that holds values of
// intDigits integer digits and scale fraction digits as well as those of
// decimal d (of fixed precision), or String beyond MaxDecimalPrecision.
func decimalHolding(intDigits, scale int, d Type) Type {
	intDigits = max(intDigits, d.Precision()-d.Scale())
	scale = max(scale, d.Scale())
	if intDigits+scale > MaxDecimalPrecision {
		return String
	}
	return DecimalOf(max(intDigits+scale, 1), scale)
}

// Stored returns the type a column of type t is stored as: Unknown (a column
// of nulls only) becomes String; every other type is itself.
func (t Type) Stored() Type {
	if t == Unknown {
		return String
	}
	return t
}

// MetadataType is the Arrow field metadata key that carries a column's
// logical Type, so that JSON (carried as an Arrow string) and Unknown survive
// a round trip through IPC.
const MetadataType = "filedge.type"

// ArrowType returns the Arrow data type that carries values of type t in a
// record batch: a decimal of up to 38 digits as Arrow Decimal128, a wider
// one as Decimal256, with its precision and scale. It panics for Decimal,
// which has no fixed precision (batches never carry it).
func (t Type) ArrowType() arrow.DataType {
	switch t {
	case Boolean:
		return arrow.FixedWidthTypes.Boolean
	case Integer:
		return arrow.PrimitiveTypes.Int64
	case Float:
		return arrow.PrimitiveTypes.Float64
	case Date:
		return arrow.FixedWidthTypes.Date32
	case Timestamp:
		return arrow.FixedWidthTypes.Timestamp_us // UTC
	case JSON, String, Unknown:
		return arrow.BinaryTypes.String
	}
	if p := t.Precision(); p > MaxDecimal128Precision {
		return &arrow.Decimal256Type{Precision: int32(p), Scale: int32(t.Scale())}
	} else if p > 0 {
		return &arrow.Decimal128Type{Precision: int32(p), Scale: int32(t.Scale())}
	}
	// Decimal, of no fixed precision, has no Arrow type: the Builder
	// gives every batch a DecimalOf.
	panic(fmt.Sprintf("record: no Arrow type for %v", t))
}

// Field returns the Arrow field for a column named name of type t.
func Field(name string, t Type) arrow.Field {
	return arrow.Field{
		Name:     name,
		Type:     t.ArrowType(),
		Nullable: true,
		Metadata: arrow.NewMetadata([]string{MetadataType}, []string{t.String()}),
	}
}

// TypeOf returns the logical type of an Arrow field made by Field, falling
// back to the Arrow data type for fields from elsewhere. A decimal's
// precision and scale are always those of its Arrow type (Decimal128 or
// Decimal256), whatever the metadata says: a field whose metadata says
// decimal but whose Arrow type is not one is String.
func TypeOf(f arrow.Field) Type {
	if d, ok := f.Type.(arrow.DecimalType); ok && (f.Type.ID() == arrow.DECIMAL128 || f.Type.ID() == arrow.DECIMAL256) {
		if p, s := int(d.GetPrecision()), int(d.GetScale()); checkDecimal(p, s) == nil {
			return DecimalOf(p, s)
		}
		return String
	}
	if v, ok := f.Metadata.GetValue(MetadataType); ok {
		var t Type
		if t.UnmarshalText([]byte(v)) == nil {
			if t.IsDecimal() {
				return String
			}
			return t
		}
	}
	switch f.Type.ID() {
	case arrow.BOOL:
		return Boolean
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64, arrow.UINT8, arrow.UINT16, arrow.UINT32:
		return Integer
	case arrow.FLOAT16, arrow.FLOAT32, arrow.FLOAT64:
		return Float
	case arrow.DATE32, arrow.DATE64:
		return Date
	case arrow.TIMESTAMP:
		return Timestamp
	case arrow.NULL:
		return Unknown
	}
	return String
}

// Column describes one column of a table as the parser publishes it.
type Column struct {
	Name   string `json:"name"`             // safe identifier (see Names)
	Source string `json:"source,omitempty"` // the name in the file, before normalisation
	Type   Type   `json:"type"`
}
