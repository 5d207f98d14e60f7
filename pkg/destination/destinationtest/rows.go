package destinationtest

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/filedge/filedge/pkg/record"
)

// Rows runs query on db and returns every row as the driver's raw values
// ([]byte copied). It fails t on any error. Use Normalize to compare values
// across databases.
func Rows(t testing.TB, db *sql.DB, query string, args ...any) [][]any {
	t.Helper()
	rows, err := db.QueryContext(t.Context(), query, args...)
	if err != nil {
		t.Fatalf("query %s: %v", query, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatalf("query %s: columns: %v", query, err)
	}
	var out [][]any
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatalf("query %s: scan: %v", query, err)
		}
		for i, v := range vals {
			if b, ok := v.([]byte); ok {
				vals[i] = bytes.Clone(b)
			}
		}
		out = append(out, vals)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("query %s: %v", query, err)
	}
	return out
}

// Count returns SELECT COUNT(*) FROM the quoted table, with an optional
// WHERE clause (written with quoted identifiers and $n parameters).
func Count(t testing.TB, db *sql.DB, table, where string, args ...any) int64 {
	t.Helper()
	q := "SELECT COUNT(*) FROM " + Quote(table)
	if where != "" {
		q += " WHERE " + where
	}
	rows := Rows(t, db, q, args...)
	n, err := Normalize(rows[0][0], record.Integer)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n.(int64)
}

// Quote quotes an SQL identifier with double quotes, doubling embedded ones.
func Quote(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// Normalize turns a value read back from a destination into the canonical
// Go value of a column of type typ, so that one assertion holds for every
// database:
//
//	Boolean   bool    (from bool, or int64 0/1)
//	Integer   int64
//	Float     float64
//	Date      string "2006-01-02" (from time.Time or text)
//	Timestamp time.Time in UTC (from time.Time or RFC 3339 text)
//	String    string  (from string or []byte)
//	JSON      string, compact JSON with sorted object keys
//	decimals  string, the exact decimal text with the type's scale
//	          ("12.50" in decimal(12,2), from "12.5" or "12.50"), or for
//	          Decimal its own digits (from string or []byte, never from a
//	          float: a decimal that went through a float is a bug)
//
// NULL is nil. A value of another Go type is an error: Normalize never
// converts across types (an integer read from a text column is a bug it
// must reveal).
func Normalize(v any, typ record.Type) (any, error) {
	if v == nil {
		return nil, nil
	}
	if typ.IsDecimal() {
		var text string
		switch x := v.(type) {
		case string:
			text = x
		case []byte:
			text = string(x)
		default:
			return nil, fmt.Errorf("value %v (%T) is not a %v: a decimal must come back as exact text", v, v, typ)
		}
		out, err := record.ConvertDecimal(record.Cell{Text: text, Kind: record.Quoted}, typ)
		if err != nil {
			return nil, fmt.Errorf("value %q is not a %v: %w", text, typ, err)
		}
		return out, nil
	}
	if b, ok := v.([]byte); ok && typ != record.Integer && typ != record.Float && typ != record.Boolean {
		v = string(b)
	}
	bad := func() (any, error) { return nil, fmt.Errorf("value %v (%T) is not a %v", v, v, typ) }
	switch typ {
	case record.Boolean:
		switch x := v.(type) {
		case bool:
			return x, nil
		case int64:
			if x == 0 || x == 1 {
				return x == 1, nil
			}
		}
		return bad()
	case record.Integer:
		switch x := v.(type) {
		case int64:
			return x, nil
		case int32:
			return int64(x), nil
		case int:
			return int64(x), nil
		}
		return bad()
	case record.Float:
		switch x := v.(type) {
		case float64:
			return x, nil
		case float32:
			return float64(x), nil
		}
		return bad()
	case record.Date:
		switch x := v.(type) {
		case time.Time:
			return x.Format(time.DateOnly), nil
		case string:
			d, err := time.Parse(time.DateOnly, x)
			if err != nil {
				return bad()
			}
			return d.Format(time.DateOnly), nil
		}
		return bad()
	case record.Timestamp:
		switch x := v.(type) {
		case time.Time:
			return x.UTC(), nil
		case string:
			for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05.999999999Z07", "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999"} {
				if ts, err := time.Parse(layout, x); err == nil {
					return ts.UTC(), nil
				}
			}
		}
		return bad()
	case record.String, record.Unknown:
		if x, ok := v.(string); ok {
			return x, nil
		}
		return bad()
	case record.JSON:
		var doc any
		switch x := v.(type) {
		case string:
			if err := json.Unmarshal([]byte(x), &doc); err != nil {
				return nil, fmt.Errorf("value %q is not JSON: %w", x, err)
			}
		case map[string]any, []any, float64, bool:
			doc = x
		default:
			return bad()
		}
		out, err := json.Marshal(doc) // maps marshal with sorted keys
		if err != nil {
			return nil, err
		}
		return string(out), nil
	}
	return bad()
}

// Column is a column to read back with Select: its name and the type its
// values are normalised as.
type Column struct {
	Name string
	Type record.Type
}

// Select reads the named columns of table, ordered by orderBy (a list of
// quoted column names, e.g. `"_file", "_line"`), with every value
// normalised (see Normalize). It fails t on any error.
func Select(t testing.TB, db *sql.DB, table string, cols []Column, orderBy string) [][]any {
	t.Helper()
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = Quote(c.Name)
	}
	q := "SELECT " + strings.Join(names, ", ") + " FROM " + Quote(table)
	if orderBy != "" {
		q += " ORDER BY " + orderBy
	}
	raw := Rows(t, db, q)
	for r, row := range raw {
		for i, v := range row {
			n, err := Normalize(v, cols[i].Type)
			if err != nil {
				t.Fatalf("%s: row %d column %q: %v", q, r, cols[i].Name, err)
			}
			row[i] = n
		}
	}
	return raw
}

// AssertRows fails t unless got and want hold the same rows of normalised
// values (see Normalize). Times compare with time.Time.Equal.
func AssertRows(t testing.TB, got, want [][]any) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d rows, want %d:\ngot  %v\nwant %v", len(got), len(want), got, want)
	}
	for r := range want {
		if len(got[r]) != len(want[r]) {
			t.Fatalf("row %d: got %d values, want %d", r, len(got[r]), len(want[r]))
		}
		for c := range want[r] {
			if !equalValue(got[r][c], want[r][c]) {
				t.Errorf("row %d value %d: got %#v, want %#v", r, c, got[r][c], want[r][c])
			}
		}
	}
}

func equalValue(a, b any) bool {
	if ta, ok := a.(time.Time); ok {
		tb, ok := b.(time.Time)
		return ok && ta.Equal(tb)
	}
	if fa, ok := a.(float64); ok {
		fb, ok := b.(float64)
		return ok && (fa == fb || (fa != fa && fb != fb))
	}
	return a == b
}
