// Package sqlreader implements destinationtest.Reader over database/sql, so
// that a SQL destination's conformance test gets its Reader from a few
// lines of dialect: how to quote a name, two catalog queries and, where
// the database has names of its own, how its column types map to
// record.Type.
//
//	r := sqlreader.New(db, sqlreader.Dialect{
//		Tables:  `SELECT "name" FROM sqlite_schema WHERE "type" = 'table'`,
//		Columns: `SELECT "name", "type" FROM pragma_table_info(?) ORDER BY "cid"`,
//		Type:    sqliteType, // DECIMALTEXT(p,s) and JSONTEXT, then StandardType
//	})
//
// The Reader reads what the database returns for each column and
// normalises it as destinationtest.Normalize does for the column's type, so
// a value stored in the wrong form (an integer in a text column, a decimal
// as a float or without its column's scale) fails the suite.
package sqlreader

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/filedge/filedge/pkg/destination"
	"github.com/filedge/filedge/pkg/destination/destinationtest"
	"github.com/filedge/filedge/pkg/record"
)

// Dialect is what the Reader needs to know of a SQL database.
type Dialect struct {
	// Quote quotes an identifier; nil quotes it with double quotes, as the
	// SQL standard does (MySQL without ANSI_QUOTES wants backquotes).
	Quote func(name string) string
	// Tables is a query whose one column names every table of the
	// destination, its bookkeeping tables included: the Reader leaves out
	// those destination.IsBookkeeping names (the ledger, ownership,
	// tombstones).
	Tables string
	// Columns is a query with one parameter, a table's name, whose rows are
	// the table's columns in their order: the name and the type as the
	// catalog spells it. No row means that the table does not exist.
	Columns string
	// Type maps a type as Columns spells it to the record.Type it stands
	// for; nil is StandardType.
	Type func(declared string) (record.Type, error)
}

// Reader is a destinationtest.Reader over a *sql.DB whose unqualified table
// names resolve to the destination's tables (a PostgreSQL search_path, a
// MySQL database, a SQLite file).
type Reader struct {
	db *sql.DB
	d  Dialect
}

var _ destinationtest.Reader = (*Reader)(nil)

// New returns a Reader of db in dialect d.
func New(db *sql.DB, d Dialect) *Reader {
	if d.Quote == nil {
		d.Quote = quoteANSI
	}
	if d.Type == nil {
		d.Type = StandardType
	}
	return &Reader{db: db, d: d}
}

// Tables implements destinationtest.Reader.
func (r *Reader) Tables(ctx context.Context) ([]string, error) {
	rows, err := Query(ctx, r.db, r.d.Tables)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, row := range rows {
		name, err := text(row[0])
		if err != nil {
			return nil, fmt.Errorf("table name: %w", err)
		}
		if !destination.IsBookkeeping(name) {
			out = append(out, name)
		}
	}
	return out, nil
}

// Columns implements destinationtest.Reader.
func (r *Reader) Columns(ctx context.Context, table string) ([]destinationtest.Column, error) {
	rows, err := Query(ctx, r.db, r.d.Columns, table)
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("table %q: %w", table, destinationtest.ErrNoTable)
	}
	cols := make([]destinationtest.Column, len(rows))
	for i, row := range rows {
		name, err := text(row[0])
		if err != nil {
			return nil, fmt.Errorf("table %q: column name: %w", table, err)
		}
		declared, err := text(row[1])
		if err != nil {
			return nil, fmt.Errorf("table %q: type of column %q: %w", table, name, err)
		}
		typ, err := r.d.Type(declared)
		if err != nil {
			return nil, fmt.Errorf("table %q: column %q: %w", table, name, err)
		}
		cols[i] = destinationtest.Column{Name: name, Type: typ}
	}
	return cols, nil
}

// Rows implements destinationtest.Reader.
func (r *Reader) Rows(ctx context.Context, table string) ([]map[string]any, error) {
	cols, err := r.Columns(ctx, table)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = r.d.Quote(c.Name)
	}
	raw, err := Query(ctx, r.db, "SELECT "+strings.Join(names, ", ")+" FROM "+r.d.Quote(table))
	if err != nil {
		return nil, err
	}
	out := make([]map[string]any, len(raw))
	for i, row := range raw {
		m := make(map[string]any, len(cols))
		for j, c := range cols {
			v, err := destinationtest.Normalize(row[j], c.Type)
			if err != nil {
				return nil, fmt.Errorf("table %q row %d column %q: %w", table, i, c.Name, err)
			}
			m[c.Name] = v
		}
		out[i] = m
	}
	return out, nil
}

// ledgerColumns are the columns of destination.LedgerTable, in the order
// of destinationtest.LedgerRow.
var ledgerColumns = []string{"pipeline", "version", "path", "size", "modified", "seq", "sha256", "tables", "rows", "committed"}

// Ledger implements destinationtest.Reader.
func (r *Reader) Ledger(ctx context.Context, pipeline string) ([]destinationtest.LedgerRow, error) {
	names := make([]string, len(ledgerColumns))
	for i, c := range ledgerColumns {
		names[i] = r.d.Quote(c)
	}
	raw, err := Query(ctx, r.db, "SELECT "+strings.Join(names, ", ")+" FROM "+r.d.Quote(destination.LedgerTable))
	if err != nil {
		return nil, err
	}
	var out []destinationtest.LedgerRow
	for i, row := range raw {
		lr, err := ledgerRow(row)
		if err != nil {
			return nil, fmt.Errorf("ledger row %d: %w", i, err)
		}
		if lr.Pipeline == pipeline {
			out = append(out, lr)
		}
	}
	return out, nil
}

// ledgerRow reads one row of the ledger, its values in the order of
// ledgerColumns.
func ledgerRow(row []any) (destinationtest.LedgerRow, error) {
	var (
		lr   destinationtest.LedgerRow
		errs []error
	)
	str := func(i int) string {
		v, err := destinationtest.Normalize(row[i], record.String)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", ledgerColumns[i], err))
		}
		s, _ := v.(string) // NULL is ""
		return s
	}
	integer := func(i int) int64 {
		v, err := destinationtest.Normalize(row[i], record.Integer)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", ledgerColumns[i], err))
		}
		n, _ := v.(int64) // NULL is 0
		return n
	}
	timestamp := func(i int) time.Time {
		v, err := destinationtest.Normalize(row[i], record.Timestamp)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", ledgerColumns[i], err))
		}
		ts, _ := v.(time.Time) // NULL is the zero time
		return ts
	}
	lr.Pipeline, lr.Version, lr.Path = str(0), str(1), str(2)
	lr.Size, lr.Modified = integer(3), timestamp(4)
	if row[5] != nil {
		// A version without a sequence is stored as NULL, never as 0.
		if lr.Seq = integer(5); lr.Seq <= 0 {
			errs = append(errs, fmt.Errorf("seq: %d stored where a version without a sequence has NULL", lr.Seq))
		}
	}
	lr.SHA256 = str(6)
	if tables := str(7); tables != "" {
		if err := json.Unmarshal([]byte(tables), &lr.Tables); err != nil {
			errs = append(errs, fmt.Errorf("tables %q: %w", tables, err))
		}
	}
	lr.Rows, lr.Committed = integer(8), timestamp(9)
	return lr, errors.Join(errs...)
}

// Query runs query on db and returns every row as the driver's values
// ([]byte copied, NULL nil), for the reader and for a destination's own
// tests.
func Query(ctx context.Context, db *sql.DB, query string, args ...any) ([][]any, error) {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("query %s: %w", query, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, fmt.Errorf("query %s: columns: %w", query, err)
	}
	var out [][]any
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, fmt.Errorf("query %s: %w", query, err)
		}
		for i, v := range vals {
			if b, ok := v.([]byte); ok {
				vals[i] = bytes.Clone(b)
			}
		}
		out = append(out, vals)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("query %s: %w", query, err)
	}
	return out, nil
}

// MustQuery is Query for tests: it fails t on any error.
func MustQuery(t testing.TB, db *sql.DB, query string, args ...any) [][]any {
	t.Helper()
	rows, err := Query(t.Context(), db, query, args...)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// StandardType maps the SQL type names of the standard and of the common
// databases (PostgreSQL's format_type, SQLite's declared types, MySQL and
// DuckDB), in any case, to the record.Type a column of that type holds:
// BOOLEAN, BIGINT (and the other integers), DOUBLE (DOUBLE PRECISION,
// FLOAT8, REAL), DATE, TIMESTAMP (with or without time zone, TIMESTAMPTZ,
// DATETIME), TEXT (VARCHAR, CHARACTER VARYING), JSON and JSONB, and
// NUMERIC or DECIMAL with their precision and scale (record.Decimal
// without them). Any other name is an error: a reader that guessed would
// hide a column created with the wrong type.
func StandardType(declared string) (record.Type, error) {
	d := strings.ToLower(strings.TrimSpace(declared))
	base, args, _ := strings.Cut(d, "(")
	base = strings.TrimSpace(base)
	switch base {
	case "numeric", "decimal":
		if args == "" {
			return record.Decimal, nil
		}
		return record.ParseType("decimal(" + args)
	case "boolean", "bool":
		return record.Boolean, nil
	case "bigint", "int8", "integer", "int", "int4", "smallint", "int2":
		return record.Integer, nil
	case "double", "double precision", "float8", "float", "real":
		return record.Float, nil
	case "date":
		return record.Date, nil
	case "timestamp", "timestamptz", "timestamp with time zone", "timestamp without time zone", "datetime":
		return record.Timestamp, nil
	case "text", "varchar", "character varying", "longtext", "string":
		return record.String, nil
	case "json", "jsonb":
		return record.JSON, nil
	}
	return record.Unknown, fmt.Errorf("column type %q: no record.Type known for it", declared)
}

// text reads a catalog value: a string, or bytes.
func text(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case []byte:
		return string(x), nil
	}
	return "", fmt.Errorf("%v (%T) is not text", v, v)
}

// quoteANSI quotes an identifier with double quotes, doubling embedded ones.
func quoteANSI(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}
