package format

import (
	"encoding/json"
	"math"
	"strconv"
	"time"

	"github.com/filedge/filedge/pkg/record"
)

// Cells for typed formats (Avro, Parquet, Excel): each helper renders a
// typed value as the cell that pkg/record reads back as the same value, so
// a typed format declares its columns' types and writes cells that need no
// inference.

// NullCell is a missing value.
var NullCell = record.Cell{Kind: record.Null}

// IntCell renders an integer.
func IntCell(v int64) record.Cell {
	return record.Cell{Text: strconv.FormatInt(v, 10), Kind: record.Number}
}

// FloatCell renders a float; NaN and infinities, which no destination column
// of ours holds as a number, are null.
func FloatCell(v float64) record.Cell {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return NullCell
	}
	return record.Cell{Text: strconv.FormatFloat(v, 'g', -1, 64), Kind: record.Number}
}

// BoolCell renders a boolean.
func BoolCell(v bool) record.Cell {
	if v {
		return record.Cell{Text: "true", Kind: record.Bool}
	}
	return record.Cell{Text: "false", Kind: record.Bool}
}

// StringCell is text that must stay a string (never inferred as a number).
func StringCell(s string) record.Cell { return record.Cell{Text: s, Kind: record.Quoted} }

// DateCell renders a calendar date.
func DateCell(t time.Time) record.Cell {
	return record.Cell{Text: t.Format("2006-01-02"), Kind: record.Quoted}
}

// TimestampCell renders an instant (stored in UTC, to the microsecond).
func TimestampCell(t time.Time) record.Cell {
	return record.Cell{Text: t.UTC().Format("2006-01-02T15:04:05.999999Z07:00"), Kind: record.Quoted}
}

// JSONCell renders a nested value (map, slice, ...) as a JSON document.
func JSONCell(v any) (record.Cell, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return NullCell, err
	}
	return record.Cell{Text: string(b), Kind: record.Document}, nil
}
