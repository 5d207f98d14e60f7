package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/filedge/filedge/pkg/destination"
	"github.com/filedge/filedge/pkg/destination/sqlledger"
	"github.com/filedge/filedge/pkg/record"
)

// Commit implements destination.Destination with the ledger protocol of
// pkg/destination/sqlledger: each commit is one BEGIN IMMEDIATE
// transaction, after this process's other commits.
func (d *DB) Commit(ctx context.Context, f *destination.File) (*destination.Result, error) {
	if f == nil {
		return nil, &destination.PermanentError{Err: fmt.Errorf("sqlite %s: commit of a nil file", d.path)}
	}
	w := &writer{log: d.log, f: f, mode: f.WriteMode, merge: f.Merge, tables: map[string]*table{}, stages: map[string]*stage{}}
	if w.mode == "" {
		w.mode = destination.Append
	}
	if w.merge == "" {
		w.merge = destination.UpsertFile
	}
	res, err := sqlledger.Commit[*tx](ctx, ledger, store{Conn: d.conn, d: d}, f, w)
	if err != nil {
		return nil, fmt.Errorf("sqlite %s: commit %s (version %s): %w", d.path, f.Path, f.Version, classify(err))
	}
	return res, nil
}

// store is the database as the ledger protocol runs commits on it.
type store struct {
	sqlledger.Conn // the pool, for the look-up before the transaction
	d              *DB
}

// Begin implements sqlledger.DB: it waits for this process's other commits
// (on d.write, cancellably, rather than in SQLite's busy handler), then
// begins a BEGIN IMMEDIATE transaction, which waits for other processes'
// writers. Holding the file's write lock, the commit holds every path's.
func (s store) Begin(ctx context.Context, _ string) (*tx, error) {
	select {
	case s.d.write <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	t, err := s.d.db.BeginTx(ctx, nil)
	if err != nil {
		<-s.d.write
		return nil, fmt.Errorf("begin: %w", err)
	}
	return &tx{Conn: sqlledger.SQL(t), tx: t, turn: s.d.write}, nil
}

// tx is a commit's transaction; it holds this process's write turn until
// it ends.
type tx struct {
	sqlledger.Conn
	tx   *sql.Tx
	turn chan struct{}
	done bool
}

func (t *tx) Commit(context.Context) error {
	defer t.end()
	return t.tx.Commit()
}

func (t *tx) Rollback(context.Context) error {
	defer t.end()
	return t.tx.Rollback()
}

// end gives the write turn back, once.
func (t *tx) end() {
	if !t.done {
		t.done = true
		<-t.turn
	}
}

// writer streams one file version's batches inside its transaction.
type writer struct {
	tx      *sql.Tx
	conn    sqlledger.Conn // tx, for the ledger's statements
	log     *slog.Logger
	f       *destination.File
	mode    destination.WriteMode
	merge   destination.Merge
	synced  time.Time
	tables  map[string]*table
	order   []string
	rows    int64
	widened []string
	added   []string
	// A CDC file's stages, by table (see cdc.go), and the row errors it
	// skipped.
	stages   map[string]*stage
	skipped  int64
	problems []destination.Problem
}

// Write implements sqlledger.Writer.
func (w *writer) Write(ctx context.Context, t *tx, batches destination.Batches, now time.Time) (*destination.Result, error) {
	w.tx, w.conn, w.synced = t.tx, t, now
	for {
		name, batch, err := batches.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if batch != nil {
				batch.Release()
			}
			return nil, fmt.Errorf("read batches: %w", err)
		}
		if batch == nil {
			return nil, errors.New("read batches: Next returned no batch and no error")
		}
		err = w.write(ctx, name, batch)
		batch.Release()
		if err != nil {
			return nil, err
		}
	}
	if w.mode == destination.CDC {
		if err := w.mergeStages(ctx); err != nil {
			return nil, err
		}
	}
	return &destination.Result{Tables: w.order, Rows: w.rows, Widened: w.widened, Added: w.added, Skipped: w.skipped, Problems: w.problems}, nil
}

// Empty implements sqlledger.Writer.
func (w *writer) Empty(ctx context.Context, _ *tx, table string) error {
	return w.deleteReplaced(ctx, table)
}

// write writes one batch of the named table.
func (w *writer) write(ctx context.Context, name string, batch arrow.RecordBatch) error {
	if name == "" {
		return &destination.PermanentError{Err: errors.New("batch has no table name")}
	}
	schema := batch.Schema()
	lineCol := -1
	var want []column
	for i, fld := range schema.Fields() {
		switch {
		case fld.Name == record.LineColumn:
			lineCol = i
		case fld.Name == record.FileColumn:
			// An archive member's name: the rows' _file (see destination.BatchFile),
			// not a data column.
		case record.IsSystem(fld.Name):
			return &destination.PermanentError{Err: fmt.Errorf("table %q: batch column %q is a system column", name, fld.Name)}
		default:
			want = append(want, column{name: fld.Name, typ: record.TypeOf(fld)})
		}
	}

	file, err := destination.BatchFile(batch, w.f.Path)
	if err != nil {
		return &destination.PermanentError{Err: fmt.Errorf("table %q: %w", name, err)}
	}
	if w.mode == destination.CDC {
		return w.stageBatch(ctx, name, batch, want, lineCol, file)
	}

	t, seen := w.tables[name]
	if !seen {
		if t, err = w.open(ctx, name, want); err != nil {
			return err
		}
		w.tables[name] = t
		w.order = append(w.order, name)
	} else {
		widened, added, err := evolve(ctx, w.tx, w.log, t, want)
		if err != nil {
			return err
		}
		w.widened = append(w.widened, widened...)
		w.added = append(w.added, added...)
	}
	if batch.NumRows() == 0 {
		return nil
	}
	return w.insert(ctx, t, batch, lineCol, file)
}

// open prepares a table for the file's first batch of it: claims it (magic
// folder), creates or evolves it, and applies the write mode to its rows.
func (w *writer) open(ctx context.Context, name string, want []column) (*table, error) {
	if w.f.Owner != "" {
		if err := ledger.Claim(ctx, w.conn, w.f, name, w.synced); err != nil {
			return nil, err
		}
	}
	t, err := loadTable(ctx, w.tx, name)
	if err != nil {
		return nil, err
	}
	if t == nil {
		return createTable(ctx, w.tx, name, stored(want))
	}
	sys := make([]column, 0, len(record.SystemColumns))
	for _, c := range record.SystemColumns {
		sys = append(sys, column{name: c.Name, typ: c.Type})
	}
	widened, added, err := evolve(ctx, w.tx, w.log, t, append(want, sys...))
	if err != nil {
		return nil, err
	}
	w.widened = append(w.widened, widened...)
	w.added = append(w.added, added...)
	if err := w.deleteReplaced(ctx, name); err != nil {
		return nil, err
	}
	return t, nil
}

// deleteReplaced removes the rows of table name that the file replaces:
// all of them (Truncate), the path's and its archive members' (Append,
// UpsertFile), or those with the same content hash (Append, AppendFile).
func (w *writer) deleteReplaced(ctx context.Context, name string) error {
	var (
		q    = "DELETE FROM " + quote(name)
		args []any
	)
	switch {
	case w.mode == destination.Truncate:
	case w.merge == destination.AppendFile:
		q += ` WHERE ` + fileMatch + ` AND "_source_file_hash" IS ?`
		args = append(fileMatchArgs(w.f.Path), nullString(w.f.SHA256))
	default:
		q += ` WHERE ` + fileMatch
		args = fileMatchArgs(w.f.Path)
	}
	if _, err := w.tx.ExecContext(ctx, q, args...); err != nil {
		return fmt.Errorf("table %q: delete earlier rows: %w", name, err)
	}
	return nil
}

// nullString is s as a parameter: NULL when it is empty.
func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// stored gives every column its stored type.
func stored(cols []column) []column {
	out := make([]column, len(cols))
	for i, c := range cols {
		out[i] = column{name: c.name, typ: c.typ.Stored()}
	}
	return out
}
