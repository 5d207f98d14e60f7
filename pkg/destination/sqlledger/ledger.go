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
	q := d.Quote
	where := func(cols ...string) string {
		conds := make([]string, len(cols))
		for i, c := range cols {
			conds[i] = q(c) + " = " + d.Param(i+1)
		}
		return strings.Join(conds, " AND ")
	}
	l.lookup = `SELECT ` + q("tables") + `, ` + q("rows") + `, ` + q("committed") + ` FROM ` + l.ledger +
		` WHERE ` + where("pipeline", "version")
	// Two probes of the (pipeline, path, seq) index; each placeholder is
	// its own parameter, for databases whose ? are not numbered.
	l.newest = `SELECT (SELECT MAX(` + q("seq") + `) FROM ` + l.ledger + ` WHERE ` + q("pipeline") + ` = ` + d.Param(1) + ` AND ` + q("path") + ` = ` + d.Param(2) + `), ` +
		`(SELECT MAX(` + q("modified") + `) FROM ` + l.ledger + ` WHERE ` + q("pipeline") + ` = ` + d.Param(3) + ` AND ` + q("path") + ` = ` + d.Param(4) +
		` AND ` + q("seq") + ` IS NULL)`
	cols := []string{"pipeline", "version", "path", "size", "modified", "seq", "sha256", "tables", "rows", "committed"}
	l.record = `INSERT INTO ` + l.ledger + ` (` + quoteAll(q, cols) + `) VALUES (` + d.params(1, len(cols)) + `)`
	l.claim = `INSERT INTO ` + l.tables + ` (` + quoteAll(q, []string{"pipeline", "table_name", "owner", "created"}) + `) VALUES (` +
		d.params(1, 4) + `) ` + d.IgnoreConflict("table_name")
	l.owner = `SELECT ` + q("owner") + ` FROM ` + l.tables + ` WHERE ` + where("table_name")
	l.ownedBy = `SELECT ` + q("table_name") + ` FROM ` + l.tables + ` WHERE ` + where("pipeline", "owner") +
		` AND ` + d.TableExists(l.tables+"."+q("table_name")) + ` ORDER BY ` + q("table_name")

	t := d.Types
	l.createLedger = `CREATE TABLE IF NOT EXISTS ` + l.ledger + ` (
	` + q("pipeline") + ` ` + t.Key + ` NOT NULL,
	` + q("version") + ` ` + t.Key + ` NOT NULL,
	` + q("path") + ` ` + t.Key + ` NOT NULL,
	` + q("size") + ` ` + t.BigInt + `,
	` + q("modified") + ` ` + t.Timestamp + `,
	` + q("seq") + ` ` + t.BigInt + `,
	` + q("sha256") + ` ` + t.Text + `,
	` + q("tables") + ` ` + t.JSON + `,
	` + q("rows") + ` ` + t.BigInt + `,
	` + q("committed") + ` ` + t.Timestamp + ` NOT NULL,
	PRIMARY KEY (` + q("pipeline") + `, ` + q("version") + `))`
	l.addSeq = `ALTER TABLE ` + l.ledger + ` ADD COLUMN ` + q("seq") + ` ` + t.BigInt
	l.createIndex = `CREATE INDEX ` + q(PathSeqIndex) + ` ON ` + l.ledger + ` (` + quoteAll(q, []string{"pipeline", "path", "seq"}) + `)`
	l.dropIndex = `DROP INDEX IF EXISTS ` + d.table(OldPathIndex)
	l.createTables = `CREATE TABLE IF NOT EXISTS ` + l.tables + ` (
	` + q("pipeline") + ` ` + t.Text + `,
	` + q("table_name") + ` ` + t.Key + ` PRIMARY KEY,
	` + q("owner") + ` ` + t.Text + `,
	` + q("created") + ` ` + t.Timestamp + `)`
	return l
}

func quoteAll(quote func(string) string, names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = quote(n)
	}
	return strings.Join(q, ", ")
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
