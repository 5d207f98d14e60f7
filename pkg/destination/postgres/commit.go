package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/filedge/filedge/pkg/destination"
	"github.com/filedge/filedge/pkg/record"
)

// rollbackTimeout bounds the rollback of a failed commit, which runs even
// when the commit's context is done.
const rollbackTimeout = 10 * time.Second

// batch is a record batch read from Batches and not yet copied.
type batch struct {
	table string
	rec   arrow.RecordBatch
}

// commit is the state of one Commit call.
type commit struct {
	db *DB
	f  *destination.File
	tx pgx.Tx

	pending *batch // the next batch to copy, owned by the commit
	eof     bool   // Batches returned io.EOF

	tables  map[string]*table
	order   []string // tables in the order of their first batch
	widened []string
	added   []string // columns added to existing tables, as Result.Added
	rows    int64

	// The values of the system columns that are constant for the version:
	// file is File.Path, the _file of batches that name no archive member
	// (see bindFile).
	file, hash       textSlot
	modified, synced timestampSlot
}

// Commit implements destination.Destination. See the package documentation
// for the locks it takes.
func (d *DB) Commit(ctx context.Context, f *destination.File) (*destination.Result, error) {
	res, err := d.commit(ctx, f)
	if err != nil {
		return nil, d.commitError(f, err)
	}
	return res, nil
}

func (d *DB) commit(ctx context.Context, f *destination.File) (*destination.Result, error) {
	if err := checkModes(f); err != nil {
		return nil, err
	}
	// Text PostgreSQL would refuse (NUL, invalid UTF-8) must not reach a
	// parameter either.
	pipeline, version := cleanText(f.Pipeline), cleanText(f.Version)
	// Fast path, outside any transaction: a version already committed is
	// not read again.
	if res, found, err := d.lookup(ctx, d.pool, pipeline, version); err != nil {
		return nil, err
	} else if found {
		res.Outcome = destination.Duplicate
		return res, nil
	}

	c := &commit{db: d, f: f, tables: map[string]*table{}}
	defer c.releasePending()
	// The first batch may keep us waiting for the parser: read it before
	// the transaction opens. It also fills in f.SHA256.
	if err := c.next(ctx); err != nil {
		return nil, err
	}
	modified := f.Modified.UTC().Truncate(time.Microsecond)
	c.file = textSlot{cleanText(f.Path)}
	c.hash = textSlot{cleanText(f.SHA256)}
	c.modified = timestampSlot{modified.UnixMicro()}

	tx, err := d.pool.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("begin: %w", err)
	}
	c.tx = tx
	committed := false
	defer func() {
		if !committed {
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), rollbackTimeout)
			defer cancel()
			_ = tx.Rollback(rctx) // the error is the one already returned; a broken connection is discarded by the pool
		}
	}()

	// Versions of one path commit one at a time.
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1::text, 0))`, pipeline+"/"+c.file.v); err != nil {
		return nil, fmt.Errorf("lock path: %w", err)
	}
	// The commit time, once the lock is ours: _filedge_synced and the
	// ledger's committed.
	now := time.Now().UTC().Truncate(time.Microsecond)
	c.synced = timestampSlot{now.UnixMicro()}

	// The authoritative ledger checks, under the lock.
	if res, found, err := d.lookup(ctx, tx, pipeline, version); err != nil {
		return nil, err
	} else if found {
		res.Outcome = destination.Duplicate
		return res, nil
	}
	if f.Merge != destination.AppendFile {
		n, err := d.newest(ctx, tx, pipeline, c.file.v)
		if err != nil {
			return nil, err
		}
		if n.Supersedes(f) {
			return &destination.Result{Outcome: destination.Superseded}, nil
		}
	}

	for c.pending != nil {
		if err := c.copyTable(ctx); err != nil {
			return nil, err
		}
	}
	if f.Owner != "" {
		if err := c.emptyOwnedTables(ctx); err != nil {
			return nil, err
		}
	}

	tables, err := json.Marshal(append([]string{}, c.order...))
	if err != nil {
		return nil, fmt.Errorf("ledger: %w", err)
	}
	_, err = tx.Exec(ctx, `INSERT INTO `+d.ledger+
		` (pipeline, version, path, size, modified, seq, sha256, tables, rows, committed)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		pipeline, version, c.file.v, f.Size, modified, ledgerSeq(f.Seq), c.hash.v, string(tables), c.rows, now)
	if err != nil {
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "23505" && pgErr.TableName == destination.LedgerTable {
			// A concurrent commit of the same version won.
			return &destination.Result{Outcome: destination.Duplicate}, nil
		}
		return nil, fmt.Errorf("write ledger: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("commit: %w", err)
	}
	committed = true
	return &destination.Result{
		Outcome:   destination.Committed,
		Tables:    c.order,
		Rows:      c.rows,
		Committed: now,
		Widened:   c.widened,
		Added:     c.added,
	}, nil
}

// copyTable copies the pending batch, and the batches after it that the
// same COPY can take, into its table: on the table's first batch it claims
// the table (magic folder), creates or alters it and applies the write mode;
// on a later batch it alters the table if the batch needs it.
func (c *commit) copyTable(ctx context.Context) error {
	p := c.pending
	fields, err := dataFields(p.rec.Schema())
	if err != nil {
		return fmt.Errorf("table %q: %w", p.table, err)
	}
	t := c.tables[p.table]
	if t == nil {
		if err := checkTableName(p.table); err != nil {
			return err
		}
		t = &table{name: p.table, quoted: pgx.Identifier{c.db.schema, p.table}.Sanitize()}
		c.tables[p.table] = t
		c.order = append(c.order, p.table)
		if c.f.Owner != "" {
			if err := c.claim(ctx, t); err != nil {
				return err
			}
		}
		// Replacing a path's rows (Append) deletes by _file: index it.
		if err := c.prepare(ctx, t, fields, c.f.WriteMode != destination.Truncate); err != nil {
			return err
		}
		if err := c.applyWriteMode(ctx, t); err != nil {
			return err
		}
	} else if err := c.prepare(ctx, t, fields, false); err != nil {
		return err
	}
	n, err := c.copyRun(ctx, t, fields)
	c.rows += n
	return err
}

// claim records the file's owner as the table's owner if the table has
// none, and rejects the file if another owner has it.
func (c *commit) claim(ctx context.Context, t *table) error {
	if _, err := c.tx.Exec(ctx, `INSERT INTO `+c.db.tables+` (pipeline, table_name, owner, created)
		VALUES ($1, $2, $3, $4) ON CONFLICT (table_name) DO NOTHING`,
		cleanText(c.f.Pipeline), t.name, cleanText(c.f.Owner), time.UnixMicro(c.synced.us).UTC()); err != nil {
		return fmt.Errorf("table %q: claim: %w", t.name, err)
	}
	var owner string
	if err := c.tx.QueryRow(ctx, `SELECT owner FROM `+c.db.tables+` WHERE table_name = $1`, t.name).Scan(&owner); err != nil {
		return fmt.Errorf("table %q: read owner: %w", t.name, err)
	}
	if owner != cleanText(c.f.Owner) {
		return &destination.PermanentError{Err: fmt.Errorf("table %q: %w (owned by %s)", t.name, destination.ErrTableOwned, owner)}
	}
	return nil
}

// emptyOwnedTables applies the write mode to every table the file's owner
// holds (magic folder) that this version wrote no batch to, as to a table
// of no rows: an archive member or a workbook sheet the new version no
// longer has leaves no rows of the path behind. A table dropped by hand
// since is passed over.
func (c *commit) emptyOwnedTables(ctx context.Context) error {
	rows, err := c.tx.Query(ctx, `SELECT table_name FROM `+c.db.tables+
		` WHERE pipeline = $1 AND owner = $2 AND to_regclass(quote_ident($3) || '.' || quote_ident(table_name)) IS NOT NULL
		ORDER BY table_name`, cleanText(c.f.Pipeline), cleanText(c.f.Owner), c.db.schema)
	if err != nil {
		return fmt.Errorf("read owned tables: %w", err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("read owned tables: %w", err)
	}
	for _, name := range names {
		if c.tables[name] != nil {
			continue
		}
		t := &table{name: name, quoted: pgx.Identifier{c.db.schema, name}.Sanitize()}
		if err := c.applyWriteMode(ctx, t); err != nil {
			return err
		}
	}
	return nil
}

// applyWriteMode removes the rows the file replaces: all of them
// (Truncate), the path's and its archive members' (Append, UpsertFile), or
// those with the same content hash (Append, AppendFile). DELETE rather than
// TRUNCATE keeps concurrent readers' snapshots consistent.
func (c *commit) applyWriteMode(ctx context.Context, t *table) error {
	var err error
	switch {
	case c.f.WriteMode == destination.Truncate:
		_, err = c.tx.Exec(ctx, `DELETE FROM `+t.quoted)
	case c.f.Merge == destination.AppendFile:
		_, err = c.tx.Exec(ctx, `DELETE FROM `+t.quoted+` WHERE `+fileMatch+` AND `+quote(record.HashColumn)+` = $3`,
			c.file.v, memberPattern(c.file.v), c.hash.v)
	default:
		_, err = c.tx.Exec(ctx, `DELETE FROM `+t.quoted+` WHERE `+fileMatch, c.file.v, memberPattern(c.file.v))
	}
	if err != nil {
		return fmt.Errorf("table %q: remove replaced rows: %w", t.name, err)
	}
	return nil
}

// fileMatch is the condition on _file of the rows an Append of a path
// replaces, given $1 the path and $2 memberPattern of it: the path's own
// rows and its archive members' ("path!/…"). Both arms can use the
// text_pattern_ops index on _file (see fileIndexExists): the equality as
// it is, and the LIKE as the range of its fixed prefix, since the pattern is
// a parameter that the server plans with its value (QueryExecModeExec sends
// the statement unnamed, and an unnamed statement gets a custom plan).
// E'\\' is one backslash whatever standard_conforming_strings says.
var fileMatch = `(` + quote(record.FileColumn) + ` = $1 OR ` + quote(record.FileColumn) + ` LIKE $2 ESCAPE E'\\')`

// newest reads what the ledger holds of path for newest-wins (see
// destination.Newest): two probes of the (pipeline, path, seq) index.
func (d *DB) newest(ctx context.Context, q querier, pipeline, path string) (destination.Newest, error) {
	var (
		seq      *int64
		modified *time.Time
	)
	err := q.QueryRow(ctx, `SELECT
		(SELECT max(seq) FROM `+d.ledger+` WHERE pipeline = $1 AND path = $2),
		(SELECT max(modified) FROM `+d.ledger+` WHERE pipeline = $1 AND path = $2 AND seq IS NULL)`,
		pipeline, path).Scan(&seq, &modified)
	if err != nil {
		return destination.Newest{}, fmt.Errorf("read ledger: %w", err)
	}
	var n destination.Newest
	if seq != nil {
		n.Seq = *seq
	}
	if modified != nil {
		n.Modified = modified.UTC()
	}
	return n, nil
}

// ledgerSeq is the ledger's seq of a version: NULL when it has none.
func ledgerSeq(seq int64) *int64 {
	if seq <= 0 {
		return nil
	}
	return &seq
}

// releasePending releases a batch read and not copied.
func (c *commit) releasePending() {
	if c.pending != nil {
		c.pending.rec.Release()
		c.pending = nil
	}
}

// querier is what lookup needs of a pool or a transaction.
type querier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// checkModes refuses write and merge modes this destination does not know.
func checkModes(f *destination.File) error {
	switch f.WriteMode {
	case "", destination.Append, destination.Truncate:
	default:
		return &destination.PermanentError{Err: fmt.Errorf("unknown write mode %q", f.WriteMode)}
	}
	switch f.Merge {
	case "", destination.UpsertFile, destination.AppendFile:
	default:
		return &destination.PermanentError{Err: fmt.Errorf("unknown merge mode %q", f.Merge)}
	}
	return nil
}

// checkTableName refuses a table name PostgreSQL cannot hold, or one of the
// bookkeeping tables.
func checkTableName(name string) error {
	if err := checkIdentifier("table", name); err != nil {
		return &destination.PermanentError{Err: err}
	}
	if name == destination.LedgerTable || name == destination.TablesTable {
		return &destination.PermanentError{Err: fmt.Errorf("table %q: the name is reserved for filedge's bookkeeping", name)}
	}
	return nil
}
