package record

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
)

// Type is the logical type of a column. The zero value, Unknown, is a column
// that has only held nulls so far; it is stored as String if nothing else is
// ever seen.
//
// Types form a widening lattice (see Widen): Integer widens to Float, Date to
// Timestamp, and any other pair of different types to String.
type Type uint8

const (
	Unknown   Type = iota // only nulls seen so far
	Boolean               // true/false
	Integer               // 64-bit signed integer
	Float                 // 64-bit IEEE float
	Date                  // calendar date, no time of day
	Timestamp             // instant with microsecond precision, stored in UTC
	String                // UTF-8 text
	JSON                  // a JSON document kept as text
)

var typeNames = [...]string{
	Unknown:   "unknown",
	Boolean:   "boolean",
	Integer:   "integer",
	Float:     "float",
	Date:      "date",
	Timestamp: "timestamp",
	String:    "string",
	JSON:      "json",
}

// String returns the type's name as written in pipeline.yaml and messages.
func (t Type) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return fmt.Sprintf("type(%d)", t)
}

// ParseType reads a type name as written in pipeline.yaml. It accepts the
// names String returns and common synonyms (int, bigint, double, bool, text,
// varchar, datetime).
func ParseType(s string) (Type, error) {
	switch s {
	case "boolean", "bool":
		return Boolean, nil
	case "integer", "int", "bigint", "int64", "long":
		return Integer, nil
	case "float", "double", "number", "real", "decimal", "numeric":
		return Float, nil
	case "date":
		return Date, nil
	case "timestamp", "datetime", "timestamptz":
		return Timestamp, nil
	case "string", "text", "varchar", "str":
		return String, nil
	case "json", "jsonb", "object":
		return JSON, nil
	}
	return Unknown, fmt.Errorf("unknown column type %q (want one of boolean, integer, float, date, timestamp, string, json)", s)
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

// Widen returns the narrowest type that holds every value of a and of b.
func Widen(a, b Type) Type {
	switch {
	case a == b:
		return a
	case a == Unknown:
		return b
	case b == Unknown:
		return a
	case (a == Integer && b == Float) || (a == Float && b == Integer):
		return Float
	case (a == Date && b == Timestamp) || (a == Timestamp && b == Date):
		return Timestamp
	}
	return String
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
// record batch.
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
// back to the Arrow data type for fields from elsewhere.
func TypeOf(f arrow.Field) Type {
	if v, ok := f.Metadata.GetValue(MetadataType); ok {
		var t Type
		if t.UnmarshalText([]byte(v)) == nil {
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
