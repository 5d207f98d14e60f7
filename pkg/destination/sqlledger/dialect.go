package sqlledger

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/filedge/filedge/pkg/destination"
)

// Names of the ledger's indexes. PathSeqIndex, on (pipeline, path, seq),
// serves newest-wins and every lookup of a path; OldPathIndex, on
// (pipeline, path), is the one ledgers written before discovery sequences
// have, which Setup drops once PathSeqIndex replaces it.
const (
	PathSeqIndex = destination.LedgerTable + "_path_seq"
	OldPathIndex = destination.LedgerTable + "_path"
)

// Dialect is what the protocol needs to know of a SQL database: how to
// write its statements, its types, and the few things its drivers and
// catalogs do their own way. The fields marked optional have defaults that
// fit most databases; New panics when a required one is missing.
type Dialect struct {
	// Param writes the placeholder of a statement's nth parameter, from 1.
	// Optional: "?" (SQLite, MySQL). Dollar writes "$1" (PostgreSQL,
	// DuckDB).
	Param func(n int) string
	// Quote quotes an identifier. Optional: ANSI double quotes, doubling
	// embedded ones (MySQL without ANSI_QUOTES needs backquotes).
	Quote func(name string) string
	// Schema, when set, qualifies the bookkeeping tables and their indexes
	// ("raw"."_filedge_ledger"); empty leaves them to the connection's
	// default.
	Schema string
	// Types are the column types of the bookkeeping tables. Required.
	Types Types
	// Time is the parameter value a timestamp of the bookkeeping tables is
	// written as. Optional: the time.Time itself, for a database with a
	// timestamp type; a database that keeps timestamps as text gives its
	// text (SQLite).
	Time func(t time.Time) any
	// ParseTime reads a timestamp the driver returns as text. Optional:
	// RFC 3339. A driver that returns time.Time needs none.
	ParseTime func(s string) (time.Time, error)
	// Text returns a text parameter (a pipeline, version, path, owner or
	// digest) as the database can hold it. Optional: as it is. PostgreSQL
	// drops NUL bytes and replaces invalid UTF-8, which it refuses.
	Text func(s string) string
	// IsUniqueViolation reports whether err, from an INSERT into the
	// ledger, is a conflict on its primary key: a concurrent commit of the
	// same version won. Required.
	IsUniqueViolation func(err error) bool
	// IgnoreConflict is the clause after INSERT ... VALUES (...) that makes
	// the insert of a row whose key column already holds the value do
	// nothing (and wait for a concurrent transaction that inserted it).
	// Optional: ON CONFLICT (key) DO NOTHING (SQLite, PostgreSQL, DuckDB);
	// MySQL's is ON DUPLICATE KEY UPDATE key = key.
	IgnoreConflict func(key string) string
	// TableExists is a SQL condition that holds when the table named by
	// the text expression name exists where the destination keeps its
	// tables (name is the qualified table_name column of
	// destination.TablesTable). Required.
	TableExists func(name string) string
	// RowID is the column that names a row of a table, which the dedupe
	// of a CDC stage deletes by (Ledger.PrepareCDC). Optional: rowid
	// (SQLite, DuckDB); PostgreSQL's is ctid.
	RowID string
	// TextOrder wraps a text expression so that it compares by its bytes,
	// as the order of CDC changes needs (ADR 0005). Optional: as it is,
	// for a database whose default collation is binary (SQLite);
	// PostgreSQL's appends COLLATE "C".
	TextOrder func(expr string) string
	// CastText converts an expression to text, to match a CDC operation
	// value of any type. Optional: CAST(expr AS TEXT).
	CastText func(expr string) string
	// Catalog reports which of the bookkeeping tables, columns and indexes
	// exist, for Setup. Required.
	Catalog func(ctx context.Context, c Conn) (Catalog, error)
}

// Types are the column types a dialect gives the bookkeeping tables.
type Types struct {
	// Key is text in a primary key or an index: the pipeline, version and
	// path of the ledger and the table_name of destination.TablesTable
	// (MySQL needs a VARCHAR with a length there).
	Key string
	// Text is other text: a digest, an owner.
	Text string
	// BigInt is a 64-bit integer: size, seq, rows.
	BigInt string
	// Timestamp is an instant: modified, committed, created.
	Timestamp string
	// JSON holds the ledger's tables, a JSON array of names, as text.
	JSON string
}

// Catalog says which bookkeeping objects a database already has.
type Catalog struct {
	Ledger       bool // destination.LedgerTable
	Seq          bool // its seq column
	PathSeqIndex bool // PathSeqIndex
	OldPathIndex bool // OldPathIndex
	Tables       bool // destination.TablesTable
}

// Dollar is the Param of databases with numbered placeholders: $1, $2, ...
func Dollar(n int) string { return "$" + strconv.Itoa(n) }

// quoteANSI quotes an identifier with double quotes, doubling embedded ones.
func quoteANSI(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// withDefaults checks d's required fields and fills in the defaults of the
// optional ones.
func (d Dialect) withDefaults() Dialect {
	for name, missing := range map[string]bool{
		"Types":             d.Types == (Types{}),
		"IsUniqueViolation": d.IsUniqueViolation == nil,
		"TableExists":       d.TableExists == nil,
		"Catalog":           d.Catalog == nil,
	} {
		if missing {
			panic(fmt.Sprintf("sqlledger: the dialect has no %s", name))
		}
	}
	if d.Param == nil {
		d.Param = func(int) string { return "?" }
	}
	if d.Quote == nil {
		d.Quote = quoteANSI
	}
	if d.Time == nil {
		d.Time = func(t time.Time) any { return t }
	}
	if d.ParseTime == nil {
		d.ParseTime = func(s string) (time.Time, error) { return time.Parse(time.RFC3339Nano, s) }
	}
	if d.Text == nil {
		d.Text = func(s string) string { return s }
	}
	if d.RowID == "" {
		d.RowID = "rowid"
	}
	if d.TextOrder == nil {
		d.TextOrder = func(expr string) string { return expr }
	}
	if d.CastText == nil {
		d.CastText = func(expr string) string { return "CAST(" + expr + " AS TEXT)" }
	}
	if d.IgnoreConflict == nil {
		d.IgnoreConflict = func(key string) string { return "ON CONFLICT (" + d.Quote(key) + ") DO NOTHING" }
	}
	return d
}

// table is the quoted name of a bookkeeping table or index, qualified by
// the dialect's schema.
func (d Dialect) table(name string) string {
	if d.Schema == "" {
		return d.Quote(name)
	}
	return d.Quote(d.Schema) + "." + d.Quote(name)
}

// timeOf reads a timestamp scanned into an any: nil (NULL) is the zero
// time.
func (d Dialect) timeOf(v any) (time.Time, error) {
	switch x := v.(type) {
	case nil:
		return time.Time{}, nil
	case time.Time:
		return x.UTC(), nil
	case string:
		t, err := d.ParseTime(x)
		return t.UTC(), err
	case []byte:
		t, err := d.ParseTime(string(x))
		return t.UTC(), err
	}
	return time.Time{}, fmt.Errorf("%v (%T) is not a timestamp", v, v)
}
