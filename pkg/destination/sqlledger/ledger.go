package sqlledger

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/filedge/filedge/pkg/destination"
)

// Ledger is the ledger protocol in one dialect: its statements are written
// once, by New. It is safe for concurrent use.
type Ledger struct {
	d Dialect

	ledger, tables string // the bookkeeping tables' quoted names

	// The statements of a commit, of magic folder ownership and of Setup.
	lookup, newest, record string
	claim, owner, ownedBy  string
	createLedger, addSeq   string
	createIndex, dropIndex string
	createTables           string
}

// New writes the protocol's statements in dialect d. It panics when d
// lacks a required field (a programming error, found at start-up).
func New(d Dialect) *Ledger {
	d = d.withDefaults()
	l := &Ledger{d: d, ledger: d.table(destination.LedgerTable), tables: d.table(destination.TablesTable)}
	w := l.translate
	l.lookup = w(`SELECT "tables", "rows", "committed" FROM {ledger} WHERE "pipeline" = ? AND "version" = ?`)
	// Two probes of the (pipeline, path, seq) index.
	l.newest = w(`SELECT
		(SELECT MAX("seq") FROM {ledger} WHERE "pipeline" = ? AND "path" = ?),
		(SELECT MAX("modified") FROM {ledger} WHERE "pipeline" = ? AND "path" = ? AND "seq" IS NULL)`)
	l.record = w(`INSERT INTO {ledger} ("pipeline", "version", "path", "size", "modified", "seq", "sha256", "tables", "rows", "committed")
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	l.claim = w(`INSERT INTO {tables} ("pipeline", "table_name", "owner", "created") VALUES (?, ?, ?, ?) `) + d.IgnoreConflict("table_name")
	l.owner = w(`SELECT "owner" FROM {tables} WHERE "table_name" = ?`)
	l.ownedBy = w(`SELECT "table_name" FROM {tables} WHERE "pipeline" = ? AND "owner" = ? AND `) +
		d.TableExists(l.tables+"."+d.Quote("table_name")) + w(` ORDER BY "table_name"`)

	l.createLedger = w(`CREATE TABLE IF NOT EXISTS {ledger} (
		"pipeline" {Key} NOT NULL,
		"version" {Key} NOT NULL,
		"path" {Key} NOT NULL,
		"size" {BigInt},
		"modified" {Timestamp},
		"seq" {BigInt},
		"sha256" {Text},
		"tables" {JSON},
		"rows" {BigInt},
		"committed" {Timestamp} NOT NULL,
		PRIMARY KEY ("pipeline", "version"))`)
	l.addSeq = w(`ALTER TABLE {ledger} ADD COLUMN "seq" {BigInt}`)
	l.createIndex = w(`CREATE INDEX "` + PathSeqIndex + `" ON {ledger} ("pipeline", "path", "seq")`)
	l.dropIndex = `DROP INDEX IF EXISTS ` + d.table(OldPathIndex)
	l.createTables = w(`CREATE TABLE IF NOT EXISTS {tables} (
		"pipeline" {Text},
		"table_name" {Key} PRIMARY KEY,
		"owner" {Text},
		"created" {Timestamp})`)
	return l
}

// translate turns a statement written with ANSI-quoted names ("seq"), ?
// placeholders and names in braces ({ledger}, {tables} and the Types'
// fields) into the dialect's: each quoted name quoted by Dialect.Quote,
// each ? written by Dialect.Param with its number, then each name in braces
// replaced by its value (which may hold quotes of its own). The statements
// hold no string literal.
func (l *Ledger) translate(stmt string) string {
	var b strings.Builder
	for n := 1; ; {
		i := strings.IndexAny(stmt, `"?`)
		if i < 0 {
			b.WriteString(stmt)
			break
		}
		b.WriteString(stmt[:i])
		if stmt[i] == '?' {
			b.WriteString(l.d.Param(n))
			n++
			stmt = stmt[i+1:]
			continue
		}
		end := i + 1 + strings.IndexByte(stmt[i+1:], '"')
		b.WriteString(l.d.Quote(stmt[i+1 : end]))
		stmt = stmt[end+1:]
	}
	t := l.d.Types
	return strings.NewReplacer("{ledger}", l.ledger, "{tables}", l.tables,
		"{Key}", t.Key, "{Text}", t.Text, "{BigInt}", t.BigInt, "{Timestamp}", t.Timestamp, "{JSON}", t.JSON).Replace(b.String())
}

// Setup creates the ledger and destination.TablesTable where they are
// missing, and brings a ledger written by an earlier filedge up to date:
// it adds the seq column (NULL in the rows already there) and replaces the
// (pipeline, path) index by PathSeqIndex, which serves the same lookups and
// newest-wins besides. It reads the catalog first and changes only what is
// missing, since an ALTER TABLE may lock out every commit in progress.
//
// Setup does not serialise itself: the caller runs it where concurrent
// set-ups of the same database wait for each other (a session lock, an
// immediate transaction) and, for a database whose DDL commits implicitly
// (MySQL), outside any commit's transaction.
func (l *Ledger) Setup(ctx context.Context, c Conn) error {
	cat, err := l.d.Catalog(ctx, c)
	if err != nil {
		return fmt.Errorf("read the catalog: %w", err)
	}
	var stmts []string
	switch {
	case !cat.Ledger:
		stmts = append(stmts, l.createLedger)
	case !cat.Seq:
		stmts = append(stmts, l.addSeq)
	}
	if !cat.PathSeqIndex {
		stmts = append(stmts, l.createIndex)
		if cat.OldPathIndex {
			stmts = append(stmts, l.dropIndex)
		}
	}
	if !cat.Tables {
		stmts = append(stmts, l.createTables)
	}
	for _, s := range stmts {
		if err := c.Exec(ctx, s); err != nil {
			return fmt.Errorf("create or update the bookkeeping tables: %w", err)
		}
	}
	return nil
}

// Lookup returns the ledger's record of a committed version through c (a
// pool, for destination.Ledger): its tables, rows and commit time, with
// Outcome Committed; found is false when the ledger does not hold it.
func (l *Ledger) Lookup(ctx context.Context, c Conn, pipeline, version string) (res *destination.Result, found bool, err error) {
	return l.find(ctx, c, l.d.Text(pipeline), l.d.Text(version))
}

// find is Lookup of a pipeline and version already made Text.
func (l *Ledger) find(ctx context.Context, c Conn, pipeline, version string) (*destination.Result, bool, error) {
	var (
		tables    *string
		rows      *int64
		committed any
	)
	found, err := QueryRow(ctx, c, l.lookup, []any{pipeline, version}, &tables, &rows, &committed)
	if err != nil {
		return nil, false, fmt.Errorf("look up version %s of pipeline %q in the ledger: %w", version, pipeline, err)
	}
	if !found {
		return nil, false, nil
	}
	res := &destination.Result{Outcome: destination.Committed}
	if rows != nil {
		res.Rows = *rows
	}
	if tables != nil && *tables != "" {
		if err := json.Unmarshal([]byte(*tables), &res.Tables); err != nil {
			return nil, false, fmt.Errorf("version %s of pipeline %q: ledger column tables: %w", version, pipeline, err)
		}
	}
	if res.Committed, err = l.d.timeOf(committed); err != nil {
		return nil, false, fmt.Errorf("version %s of pipeline %q: ledger column committed: %w", version, pipeline, err)
	}
	return res, true, nil
}

// newestOf reads what the ledger holds of path for newest-wins (see
// destination.Newest).
func (l *Ledger) newestOf(ctx context.Context, c Conn, pipeline, path string) (destination.Newest, error) {
	var (
		seq      *int64
		modified any
		n        destination.Newest
	)
	_, err := QueryRow(ctx, c, l.newest, []any{pipeline, path, pipeline, path}, &seq, &modified)
	if err == nil && seq != nil {
		n.Seq = *seq
	}
	if err == nil {
		n.Modified, err = l.d.timeOf(modified)
	}
	if err != nil {
		return destination.Newest{}, fmt.Errorf("read the ledger's versions of %q: %w", path, err)
	}
	return n, nil
}

// write writes the ledger row of f, committed at now, with what the
// commit wrote (res.Tables, res.Rows); duplicate is true when a concurrent
// commit of the same version wrote it first.
func (l *Ledger) write(ctx context.Context, tx Conn, f *destination.File, res *destination.Result, now time.Time) (duplicate bool, err error) {
	tables, err := json.Marshal(append([]string{}, res.Tables...))
	if err != nil {
		return false, fmt.Errorf("write ledger row: %w", err)
	}
	var seq, sha any // NULL when the version has none
	if f.Seq > 0 {
		seq = f.Seq
	}
	if f.SHA256 != "" {
		sha = l.d.Text(f.SHA256)
	}
	err = tx.Exec(ctx, l.record, l.d.Text(f.Pipeline), l.d.Text(f.Version), l.d.Text(f.Path), f.Size,
		l.d.Time(f.Modified.UTC().Truncate(time.Microsecond)), seq, sha, string(tables), res.Rows, l.d.Time(now))
	if err != nil && l.d.IsUniqueViolation(err) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("write ledger row: %w", err)
	}
	return false, nil
}
