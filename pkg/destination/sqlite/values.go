package sqlite

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"modernc.org/sqlite"

	"github.com/filedge/filedge/pkg/record"
)

const (
	dateLayout = time.DateOnly
	// tsLayout is how timestamps are stored: UTC, fixed width, so that text
	// order is time order.
	tsLayout = "2006-01-02T15:04:05.000000Z"
)

// declaredTypes are the column type names filedge declares. Each maps back
// to its record.Type and gives the column the SQLite affinity its values
// need (JSONTEXT contains TEXT, so a JSON number stays text).
var declaredTypes = map[record.Type]string{
	record.Boolean:   "BOOLEAN",
	record.Integer:   "BIGINT",
	record.Float:     "DOUBLE",
	record.Date:      "DATE",
	record.Timestamp: "TIMESTAMP",
	record.String:    "TEXT",
	record.JSON:      "JSONTEXT",
}

// decimalDeclared is the declared type of decimal columns: "DECIMALTEXT"
// for Decimal (any precision), "DECIMALTEXT(12,2)" for a precision and
// scale. SQLite has no exact decimal: a column of NUMERIC affinity (the
// affinity of DECIMAL and NUMERIC) turns "12345678901234.56" into a REAL
// and loses digits. A name with TEXT in it (and no INT) has TEXT
// affinity, so the exact text of each value is stored as it is, with its
// column's scale, while the name still says decimal and its arguments.
const decimalDeclared = "DECIMALTEXT"

// declared returns the declared column type of t.
func declared(t record.Type) string {
	switch {
	case t == record.Decimal:
		return decimalDeclared
	case t.IsDecimal():
		return fmt.Sprintf("%s(%d,%d)", decimalDeclared, t.Precision(), t.Scale())
	}
	return declaredTypes[t.Stored()]
}

// typeOfDeclared maps a column's declared type back to a record.Type:
// exactly for the names filedge declares, by SQLite's affinity rules for
// tables made by others.
func typeOfDeclared(decl string) record.Type {
	d := strings.ToUpper(strings.TrimSpace(decl))
	if args, ok := strings.CutPrefix(d, decimalDeclared); ok {
		if t, err := record.ParseType("decimal" + strings.TrimSpace(args)); err == nil && t.IsDecimal() {
			return t
		}
		return record.String // TEXT affinity, and arguments filedge did not write
	}
	if i := strings.IndexByte(d, '('); i >= 0 {
		d = strings.TrimSpace(d[:i])
	}
	switch d {
	case "BOOLEAN", "BOOL":
		return record.Boolean
	case "BIGINT", "INTEGER", "INT", "INT8", "SMALLINT", "TINYINT", "MEDIUMINT":
		return record.Integer
	case "DOUBLE", "DOUBLE PRECISION", "REAL", "FLOAT", "NUMERIC", "DECIMAL":
		return record.Float
	case "DATE":
		return record.Date
	case "TIMESTAMP", "DATETIME", "TIMESTAMPTZ", "TIMESTAMP WITH TIME ZONE":
		return record.Timestamp
	}
	switch {
	case strings.Contains(d, "JSON"):
		return record.JSON
	case strings.Contains(d, "INT"):
		return record.Integer
	case strings.Contains(d, "CHAR"), strings.Contains(d, "CLOB"), strings.Contains(d, "TEXT"):
		return record.String
	case strings.Contains(d, "REAL"), strings.Contains(d, "FLOA"), strings.Contains(d, "DOUB"):
		return record.Float
	}
	return record.String
}

// formatTimestamp formats t as stored.
func formatTimestamp(t time.Time) string { return t.UTC().Format(tsLayout) }

// parseTimestamp reads a stored timestamp (or any RFC 3339 text).
func parseTimestamp(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999", dateLayout} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a timestamp", s)
}

// canonical returns a function giving the value at row i of arr as the
// canonical Go value of type from (bool, int64, float64, time.Time for Date
// and Timestamp, string for String, JSON, Unknown and decimals, which are
// their exact text), or nil for NULL.
func canonical(arr arrow.Array, from record.Type) (func(i int) any, error) {
	if arr.DataType().ID() == arrow.NULL {
		return func(int) any { return nil }, nil
	}
	mismatch := fmt.Errorf("arrow type %v cannot carry %v values", arr.DataType(), from)
	null := arr.IsNull
	if from.IsDecimal() {
		if !record.IsDecimalArray(arr) {
			return nil, mismatch
		}
		return func(i int) any {
			if null(i) {
				return nil
			}
			text, _ := record.AppendDecimal(nil, arr, i)
			return string(text)
		}, nil
	}
	switch from {
	case record.Boolean:
		a, ok := arr.(*array.Boolean)
		if !ok {
			return nil, mismatch
		}
		return func(i int) any {
			if null(i) {
				return nil
			}
			return a.Value(i)
		}, nil
	case record.Integer:
		var get func(int) int64
		switch a := arr.(type) {
		case *array.Int64:
			get = a.Value
		case *array.Int32:
			get = func(i int) int64 { return int64(a.Value(i)) }
		case *array.Int16:
			get = func(i int) int64 { return int64(a.Value(i)) }
		case *array.Int8:
			get = func(i int) int64 { return int64(a.Value(i)) }
		case *array.Uint32:
			get = func(i int) int64 { return int64(a.Value(i)) }
		case *array.Uint16:
			get = func(i int) int64 { return int64(a.Value(i)) }
		case *array.Uint8:
			get = func(i int) int64 { return int64(a.Value(i)) }
		default:
			return nil, mismatch
		}
		return func(i int) any {
			if null(i) {
				return nil
			}
			return get(i)
		}, nil
	case record.Float:
		var get func(int) float64
		switch a := arr.(type) {
		case *array.Float64:
			get = a.Value
		case *array.Float32:
			get = func(i int) float64 { return float64(a.Value(i)) }
		case *array.Float16:
			get = func(i int) float64 { return float64(a.Value(i).Float32()) }
		default:
			return nil, mismatch
		}
		return func(i int) any {
			if null(i) {
				return nil
			}
			return get(i)
		}, nil
	case record.Date, record.Timestamp:
		var get func(int) time.Time
		switch a := arr.(type) {
		case *array.Date32:
			get = func(i int) time.Time { return a.Value(i).ToTime() }
		case *array.Date64:
			get = func(i int) time.Time { return a.Value(i).ToTime() }
		case *array.Timestamp:
			unit := a.DataType().(*arrow.TimestampType).Unit
			get = func(i int) time.Time { return a.Value(i).ToTime(unit) }
		default:
			return nil, mismatch
		}
		return func(i int) any {
			if null(i) {
				return nil
			}
			return get(i).UTC()
		}, nil
	}
	// String, JSON, Unknown: any array, as text.
	switch a := arr.(type) {
	case *array.String:
		return func(i int) any {
			if null(i) {
				return nil
			}
			return a.Value(i)
		}, nil
	case *array.LargeString:
		return func(i int) any {
			if null(i) {
				return nil
			}
			return a.Value(i)
		}, nil
	}
	return func(i int) any {
		if null(i) {
			return nil
		}
		return arr.ValueStr(i)
	}, nil
}

// storeValue converts v, a canonical value of type from (see canonical),
// into the value stored in a column of type to, a type that from widens to.
func storeValue(v any, from, to record.Type) any {
	if v == nil {
		return nil
	}
	if to.IsDecimal() {
		if from == to { // AppendDecimal wrote it with the column's scale
			return v
		}
		return decimalText(v, to)
	}
	switch to {
	case record.Integer:
		if x, ok := v.(int64); ok {
			return x
		}
	case record.Float:
		switch x := v.(type) {
		case float64:
			return x
		case int64:
			return float64(x)
		}
	case record.Boolean:
		if x, ok := v.(bool); ok {
			if x {
				return int64(1)
			}
			return int64(0)
		}
	case record.Date:
		if x, ok := v.(time.Time); ok {
			return x.UTC().Format(dateLayout)
		}
	case record.Timestamp:
		if x, ok := v.(time.Time); ok {
			return formatTimestamp(x)
		}
	case record.JSON:
		return jsonText(v, from)
	}
	return text(v, from)
}

// decimalText is the stored form of canonical value v (a decimal's text,
// or an int64) in a column of decimal type to: its exact text with to's
// scale ("7.00" in decimal(12,2)), as PostgreSQL's NUMERIC(12,2) shows it.
// A value that is not a decimal (SQLite lets a column hold anything) is
// kept as it is.
func decimalText(v any, to record.Type) any {
	var s string
	switch x := v.(type) {
	case string:
		s = x
	case int64:
		s = strconv.FormatInt(x, 10)
	default:
		return v
	}
	out, err := record.ConvertDecimal(record.Cell{Text: s, Kind: record.Quoted}, to)
	if err != nil {
		return v
	}
	return out
}

// text is the String form of a canonical value of type from.
func text(v any, from record.Type) string {
	switch x := v.(type) {
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case time.Time:
		if from == record.Date {
			return x.UTC().Format(dateLayout)
		}
		return x.UTC().Format(time.RFC3339Nano)
	}
	return fmt.Sprint(v)
}

// jsonText is the JSON form of a canonical value of type from.
func jsonText(v any, from record.Type) string {
	switch x := v.(type) {
	case string:
		if from == record.JSON || from.IsDecimal() { // a decimal: a JSON number of every digit
			return x
		}
	case int64, bool:
		return text(x, from)
	case float64:
		if !math.IsNaN(x) && !math.IsInf(x, 0) {
			return text(x, from)
		}
	}
	b, _ := json.Marshal(text(v, from)) // marshalling a string cannot fail
	return string(b)
}

// columnValues returns a function giving row i of arr, whose type is from,
// as stored in a column of type to.
func columnValues(arr arrow.Array, from, to record.Type) (func(i int) any, error) {
	if from != record.Unknown && record.Widen(to, from) != to {
		return nil, fmt.Errorf("cannot store %v values in a %v column", from, to)
	}
	if from == to || from == record.Unknown {
		switch a := arr.(type) {
		case *array.Int64:
			if to == record.Integer {
				return func(i int) any {
					if a.IsNull(i) {
						return nil
					}
					return a.Value(i)
				}, nil
			}
		case *array.Float64:
			if to == record.Float {
				return func(i int) any {
					if a.IsNull(i) {
						return nil
					}
					return a.Value(i)
				}, nil
			}
		case *array.String:
			if to == record.String || to == record.JSON {
				return func(i int) any {
					if a.IsNull(i) {
						return nil
					}
					return a.Value(i)
				}, nil
			}
		}
	}
	get, err := canonical(arr, from)
	if err != nil {
		return nil, err
	}
	return func(i int) any { return storeValue(get(i), from, to) }, nil
}

// convertFunc is the SQL function filedge_convert(value, from, to) that a
// table rebuild applies to the stored values of a widened column; from and
// to are record.Type codes. A value that is not what its column's type
// says (SQLite lets a column hold anything) is kept as it is, or as text
// when the column becomes text.
const convertFunc = "filedge_convert"

func init() {
	sqlite.MustRegisterDeterministicScalarFunction(convertFunc, 3, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		from, ok1 := args[1].(int64)
		to, ok2 := args[2].(int64)
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("%s: type codes must be integers", convertFunc)
		}
		return convertStored(args[0], record.Type(from), record.Type(to)), nil
	})
}

// convertStored converts a value stored in a column of type from into the
// value stored in a column of type to.
func convertStored(v driver.Value, from, to record.Type) driver.Value {
	if b, ok := v.([]byte); ok {
		v = string(b)
	}
	if v == nil {
		return nil
	}
	var c any // canonical value of type from, or nil if v is not one
	switch from {
	case record.Boolean:
		if x, ok := v.(int64); ok {
			c = x != 0
		}
	case record.Integer:
		if x, ok := v.(int64); ok {
			c = x
		}
	case record.Float:
		switch x := v.(type) {
		case float64:
			c = x
		case int64:
			c = float64(x)
		}
	case record.Date:
		if x, ok := v.(string); ok {
			if d, err := time.Parse(dateLayout, x); err == nil {
				c = d
			}
		}
	case record.Timestamp:
		if x, ok := v.(string); ok {
			if t, err := parseTimestamp(x); err == nil {
				c = t
			}
		}
	case record.String, record.JSON, record.Unknown:
		if x, ok := v.(string); ok {
			c = x
		}
	default:
		if x, ok := v.(string); ok && from.IsDecimal() {
			c = x
		}
	}
	if c == nil {
		if to == record.String || to == record.JSON {
			return storeValue(rawCanonical(v), record.String, to)
		}
		return v
	}
	return storeValue(c, from, to)
}

// rawCanonical returns a stored value of unexpected kind as a canonical value
// of its own SQLite storage class.
func rawCanonical(v driver.Value) any {
	switch x := v.(type) {
	case int64, float64, string:
		return x
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	}
	return fmt.Sprint(v)
}
