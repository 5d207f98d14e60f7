package destinationtest

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/filedge/filedge/pkg/record"
)

// Reader reads back what a destination holds, in the destination's own
// terms (SQL in its dialect, a test server's state, files on disk), so that
// the suite's cases hold for every destination. The destination's test
// package implements it (pkg/destination/destinationtest/sqlreader does for
// SQL databases) and Harness.Open returns one onto the destination it
// opens. A Reader reads committed data only, like any reader of the
// destination, and never changes it.
type Reader interface {
	// Tables lists the destination's tables, in any order, without the
	// bookkeeping ones (those destination.IsBookkeeping names: the ledger,
	// ownership, CDC tombstones; and any other the destination keeps for
	// itself, such as staging tables).
	Tables(ctx context.Context) ([]string, error)
	// Columns lists the columns of table in the table's order, each with
	// its logical type: the record.Type the destination's type for the
	// column stands for (a decimal with its precision and scale). A table
	// that does not exist is an error wrapping ErrNoTable.
	Columns(ctx context.Context, table string) ([]Column, error)
	// Rows returns every row of table, in any order, as a map from column
	// name to value, each value normalised as Normalize does for its
	// column's type (NULL is nil). A decimal is the exact text the
	// destination holds, which must carry its column's scale ("12.50" in
	// decimal(12,2)). A table that does not exist is an error wrapping
	// ErrNoTable.
	Rows(ctx context.Context, table string) ([]map[string]any, error)
	// Ledger returns the ledger's rows of pipeline, in any order.
	Ledger(ctx context.Context, pipeline string) ([]LedgerRow, error)
}

// ErrNoTable is what a Reader's Columns and Rows wrap when the table does
// not exist.
var ErrNoTable = errors.New("destinationtest: no such table")

// LedgerRow is one row of a destination's ledger: a committed file version,
// as the commit recorded it.
type LedgerRow struct {
	Pipeline string
	Version  string
	Path     string
	Size     int64
	Modified time.Time // File.Modified, to the microsecond
	// Seq is File.Seq; 0 when the version had none (stored as NULL: a
	// reader refuses a stored seq that is not positive).
	Seq    int64
	SHA256 string
	// Tables are the tables the commit wrote, in order (Result.Tables).
	Tables    []string
	Rows      int64
	Committed time.Time // Result.Committed
}

// Column is a column of a table: its name and its logical type.
type Column struct {
	Name string
	Type record.Type
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

// Select reads the named columns of every row of table through r and
// checks that each column has the type cols gives it (the type the
// destination declares for it, not only values that fit), failing t
// otherwise or on any error. The rows come sorted by the columns orderBy
// names, which need not be among cols, then by the selected values
// themselves (see compareValues), so that rows that tie still come in one
// order.
func Select(t testing.TB, r Reader, table string, cols []Column, orderBy ...string) [][]any {
	t.Helper()
	have, err := r.Columns(t.Context(), table)
	if err != nil {
		t.Fatalf("columns of table %q: %v", table, err)
	}
	types := make(map[string]record.Type, len(have))
	for _, c := range have {
		types[c.Name] = c.Type
	}
	for _, c := range cols {
		typ, ok := types[c.Name]
		switch {
		case !ok:
			t.Fatalf("table %q has no column %q (it has %v)", table, c.Name, have)
		case typ != c.Type:
			t.Errorf("table %q: column %q is %v, want %v", table, c.Name, typ, c.Type)
		}
	}
	rows, err := r.Rows(t.Context(), table)
	if err != nil {
		t.Fatalf("rows of table %q: %v", table, err)
	}
	for i, row := range rows {
		for _, c := range cols {
			// A decimal comes back as the text the destination holds: its
			// digits with the column's scale, never a float nor text a
			// reader rescaled.
			if v := row[c.Name]; v != nil && c.Type.IsDecimal() {
				if n, err := Normalize(v, c.Type); err != nil || n != v {
					t.Errorf("table %q row %d: decimal column %q holds %#v, want the exact text with its scale (%#v, %v)", table, i, c.Name, v, n, err)
				}
			}
		}
	}
	out := make([][]any, len(rows))
	keys := make([][]any, len(rows))
	for i, row := range rows {
		for _, name := range orderBy {
			v, ok := row[name]
			if !ok {
				t.Fatalf("table %q: row %d has no column %q to order by", table, i, name)
			}
			keys[i] = append(keys[i], v)
		}
		out[i] = make([]any, len(cols))
		for j, c := range cols {
			out[i][j] = row[c.Name]
		}
	}
	order := make([]int, len(rows))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		return cmp.Or(compareRows(keys[a], keys[b]), compareRows(out[a], out[b]))
	})
	sorted := make([][]any, len(rows))
	for i, o := range order {
		sorted[i] = out[o]
	}
	return sorted
}

// Count returns the number of rows of table, failing t on any error (a
// table that does not exist included).
func Count(t testing.TB, r Reader, table string) int {
	t.Helper()
	rows, err := r.Rows(t.Context(), table)
	if err != nil {
		t.Fatalf("rows of table %q: %v", table, err)
	}
	return len(rows)
}

// countIfAny returns the number of rows of table, 0 when it does not exist.
func countIfAny(t testing.TB, r Reader, table string) int {
	t.Helper()
	rows, err := r.Rows(t.Context(), table)
	if errors.Is(err, ErrNoTable) {
		return 0
	}
	if err != nil {
		t.Fatalf("rows of table %q: %v", table, err)
	}
	return len(rows)
}

// countWhere returns the number of rows of table whose column holds value
// (a normalised value, see Normalize).
func countWhere(t testing.TB, r Reader, table, column string, value any) int {
	t.Helper()
	rows, err := r.Rows(t.Context(), table)
	if err != nil {
		t.Fatalf("rows of table %q: %v", table, err)
	}
	n := 0
	for _, row := range rows {
		if equalValue(row[column], value) {
			n++
		}
	}
	return n
}

// Tables returns the tables r lists, sorted, failing t on any error.
func Tables(t testing.TB, r Reader) []string {
	t.Helper()
	tables, err := r.Tables(t.Context())
	if err != nil {
		t.Fatalf("tables: %v", err)
	}
	slices.Sort(tables)
	return tables
}

// Ledger returns the ledger's rows of Pipeline through r, sorted by
// version, failing t on any error.
func Ledger(t testing.TB, r Reader) []LedgerRow {
	t.Helper()
	rows, err := r.Ledger(t.Context(), Pipeline)
	if err != nil {
		t.Fatalf("ledger: %v", err)
	}
	for _, row := range rows {
		if row.Pipeline != Pipeline {
			t.Fatalf("the ledger of pipeline %q returned a row of pipeline %q", Pipeline, row.Pipeline)
		}
	}
	slices.SortFunc(rows, func(a, b LedgerRow) int { return strings.Compare(a.Version, b.Version) })
	return rows
}

// ledgerRow returns the ledger's row of version, or nil.
func ledgerRow(t testing.TB, r Reader, version string) *LedgerRow {
	t.Helper()
	var found *LedgerRow
	for _, row := range Ledger(t, r) {
		if row.Version == version {
			if found != nil {
				t.Fatalf("the ledger holds version %s twice", version)
			}
			found = &row
		}
	}
	return found
}

// compareRows orders two rows of normalised values value by value.
func compareRows(a, b []any) int {
	for i := range min(len(a), len(b)) {
		if c := compareValues(a[i], b[i]); c != 0 {
			return c
		}
	}
	return cmp.Compare(len(a), len(b))
}

// compareValues orders normalised values: NULL first, then by value within
// a Go type (strings by their bytes, as no database collation does), and
// values of different types by the type's name.
func compareValues(a, b any) int {
	if a == nil || b == nil {
		return cmp.Compare(boolInt(a != nil), boolInt(b != nil))
	}
	switch x := a.(type) {
	case int64:
		if y, ok := b.(int64); ok {
			return cmp.Compare(x, y)
		}
	case float64:
		if y, ok := b.(float64); ok {
			return cmp.Compare(x, y)
		}
	case string:
		if y, ok := b.(string); ok {
			return strings.Compare(x, y)
		}
	case bool:
		if y, ok := b.(bool); ok {
			return cmp.Compare(boolInt(x), boolInt(y))
		}
	case time.Time:
		if y, ok := b.(time.Time); ok {
			return x.Compare(y)
		}
	}
	return strings.Compare(fmt.Sprintf("%T", a), fmt.Sprintf("%T", b))
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
