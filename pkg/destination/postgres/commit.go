package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/jackc/pgx/v5"

	"github.com/filedge/filedge/pkg/destination"
	"github.com/filedge/filedge/pkg/destination/sqlledger"
	"github.com/filedge/filedge/pkg/record"
)

// batch is a record batch read from Batches and not yet copied.
type batch struct {
	table string
	rec   arrow.RecordBatch
}

// commit is the state of one Commit call: the sqlledger.Writer of the
// version's rows.
type commit struct {
	db      *DB
	f       *destination.File
	tx      pgx.Tx
	conn    sqlledger.Conn      // tx, for the ledger's statements
	batches destination.Batches // f's, its first batch already read
	now     time.Time           // the commit time

	pending *batch // the next batch to copy, owned by the commit
	eof     bool   // Batches returned io.EOF

	tables  map[string]*table
	order   []string // tables in the order of their first batch
	widened []string
	added   []string // columns added to existing tables, as Result.Added
	rows    int64

	// A CDC file's stages, by table (see cdc.go), and the row errors it
	// skipped.
	stages   map[string]*stage
	skipped  int64
	problems []destination.Problem

	// The values of the system columns that are constant for the version:
	// file is File.Path, the _file of batches that name no archive member
	// (see bindFile).
	file, hash       textSlot
	modified, synced timestampSlot
}

// Commit implements destination.Destination with the ledger protocol of
// pkg/destination/sqlledger. See the package documentation for the locks
// it takes.
func (d *DB) Commit(ctx context.Context, f *destination.File) (*destination.Result, error) {
	if f == nil {
		return nil, &destination.PermanentError{Err: fmt.Errorf("postgres destination %q: commit of a nil file", d.name)}
	}
	c := &commit{db: d, f: f, tables: map[string]*table{}, stages: map[string]*stage{}}
	res, err := sqlledger.Commit[*pgTx](ctx, d.ledger, store{d}, f, c)
	if err != nil {
		return nil, d.commitError(f, err)
	}
	return res, nil
}

// Write implements sqlledger.Writer: it copies the batches table by table.
func (c *commit) Write(ctx context.Context, tx *pgTx, batches destination.Batches, now time.Time) (*destination.Result, error) {
	c.tx, c.conn, c.batches, c.now = tx.tx, tx, batches, now
	defer c.releasePending()
	if err := c.next(ctx); err != nil {
		return nil, err
	}
	// Text PostgreSQL would refuse (NUL, invalid UTF-8) must not reach the
	// COPY either.
	c.file = textSlot{cleanText(c.f.Path)}
	c.hash = textSlot{cleanText(c.f.SHA256)}
	c.modified = timestampSlot{c.f.Modified.UTC().Truncate(time.Microsecond).UnixMicro()}
	c.synced = timestampSlot{now.UnixMicro()}
	for c.pending != nil {
		if err := c.copyTable(ctx); err != nil {
			return nil, err
		}
	}
	if c.f.WriteMode == destination.CDC {
		if err := c.mergeStages(ctx); err != nil {
			return nil, err
		}
	}
	return &destination.Result{Tables: c.order, Rows: c.rows, Widened: c.widened, Added: c.added, Skipped: c.skipped, Problems: c.problems}, nil
}

// Empty implements sqlledger.Writer.
func (c *commit) Empty(ctx context.Context, _ *pgTx, name string) error {
	return c.applyWriteMode(ctx, &table{name: name, quoted: pgx.Identifier{c.db.schema, name}.Sanitize()})
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
	if c.f.WriteMode == destination.CDC {
		return c.stageTable(ctx, fields)
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
			if err := c.db.ledger.Claim(ctx, c.conn, c.f, t.name, c.now); err != nil {
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

// releasePending releases a batch read and not copied.
func (c *commit) releasePending() {
	if c.pending != nil {
		c.pending.rec.Release()
		c.pending = nil
	}
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
