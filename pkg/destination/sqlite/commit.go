package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/filedge/filedge/pkg/destination"
	"github.com/filedge/filedge/pkg/record"
)

// Commit implements destination.Destination.
func (d *DB) Commit(ctx context.Context, f *destination.File) (*destination.Result, error) {
	if f == nil {
		return nil, &destination.PermanentError{Err: fmt.Errorf("sqlite %s: commit of a nil file", d.path)}
	}
	res, err := d.commit(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("sqlite %s: commit %s (version %s): %w", d.path, f.Path, f.Version, err)
	}
	return res, nil
}

func (d *DB) commit(ctx context.Context, f *destination.File) (*destination.Result, error) {
	if f.Pipeline == "" || f.Version == "" || f.Path == "" || f.Batches == nil {
		return nil, &destination.PermanentError{Err: errors.New("file needs a pipeline, version, path and batches")}
	}
	mode, merge := f.WriteMode, f.Merge
	if mode == "" {
		mode = destination.Append
	}
	if merge == "" {
		merge = destination.UpsertFile
	}
	if mode != destination.Append && mode != destination.Truncate {
		return nil, &destination.PermanentError{Err: fmt.Errorf("unknown write mode %q", f.WriteMode)}
	}
	if merge != destination.UpsertFile && merge != destination.AppendFile {
		return nil, &destination.PermanentError{Err: fmt.Errorf("unknown merge mode %q", f.Merge)}
	}

	// 1. Fast path, outside any transaction.
	if found, err := ledgerHas(ctx, d.db, f.Pipeline, f.Version); err != nil {
		return nil, err
	} else if found {
		return &destination.Result{Outcome: destination.Duplicate}, nil
	}

	// 2. The first batch, before the write lock: the parser may still work.
	tableName, batch, err := f.Batches.Next(ctx)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("read batches: %w", err)
	}
	eof := errors.Is(err, io.EOF)
	if !eof && batch == nil {
		return nil, errors.New("read batches: Next returned no batch and no error")
	}
	defer func() {
		if batch != nil {
			batch.Release()
		}
	}()

	// 3. The write transaction: BEGIN IMMEDIATE serialises all writers of
	// the file; this process's writers queue first on d.write.
	select {
	case d.write <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-d.write }()
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit

	// 4. The authoritative ledger checks.
	if found, err := ledgerHas(ctx, tx, f.Pipeline, f.Version); err != nil {
		return nil, err
	} else if found {
		return &destination.Result{Outcome: destination.Duplicate}, nil
	}
	if merge != destination.AppendFile {
		n, err := newest(ctx, tx, f.Pipeline, f.Path)
		if err != nil {
			return nil, err
		}
		if n.Supersedes(f) {
			return &destination.Result{Outcome: destination.Superseded}, nil
		}
	}

	// 5–6. Tables and rows.
	now := time.Now().UTC().Truncate(time.Microsecond)
	w := &writer{tx: tx, log: d.log, f: f, mode: mode, merge: merge, synced: now, tables: map[string]*table{}}
	for !eof {
		if err := w.write(ctx, tableName, batch); err != nil {
			return nil, classify(err)
		}
		batch.Release()
		batch = nil
		tableName, batch, err = f.Batches.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read batches: %w", err)
		}
		if batch == nil {
			return nil, errors.New("read batches: Next returned no batch and no error")
		}
	}

	if f.Owner != "" {
		if err := w.emptyOwnedTables(ctx); err != nil {
			return nil, classify(err)
		}
	}

	// 7. The ledger row, then commit.
	tables, _ := json.Marshal(w.order) // a []string always marshals
	if tables == nil || string(tables) == "null" {
		tables = []byte("[]")
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO `+quote(destination.LedgerTable)+
		` ("pipeline", "version", "path", "size", "modified", "seq", "sha256", "tables", "rows", "committed") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		f.Pipeline, f.Version, f.Path, f.Size, formatTimestamp(f.Modified), nullSeq(f.Seq), nullString(f.SHA256), string(tables), w.rows, formatTimestamp(now))
	if isUniqueViolation(err) {
		return &destination.Result{Outcome: destination.Duplicate}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("write ledger row: %w", classify(err))
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("commit: %w", err)
	}
	return &destination.Result{
		Outcome:   destination.Committed,
		Tables:    w.order,
		Rows:      w.rows,
		Committed: now,
		Widened:   w.widened,
		Added:     w.added,
	}, nil
}

// queryer is what ledgerHas needs of a *sql.DB or *sql.Tx.
type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// ledgerHas reports whether the ledger holds the version.
func ledgerHas(ctx context.Context, q queryer, pipeline, version string) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+quote(destination.LedgerTable)+` WHERE "pipeline" = ? AND "version" = ?`, pipeline, version).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("check ledger: %w", err)
	}
	return n > 0, nil
}

// newest reads what the ledger holds of path for newest-wins (see
// destination.Newest): two probes of the (pipeline, path, seq) index.
func newest(ctx context.Context, q queryer, pipeline, path string) (destination.Newest, error) {
	var (
		seq      sql.NullInt64
		modified sql.NullString
		ledger   = quote(destination.LedgerTable)
	)
	err := q.QueryRowContext(ctx, `SELECT
		(SELECT MAX("seq") FROM `+ledger+` WHERE "pipeline" = ?1 AND "path" = ?2),
		(SELECT CAST(MAX("modified") AS TEXT) FROM `+ledger+` WHERE "pipeline" = ?1 AND "path" = ?2 AND "seq" IS NULL)`,
		pipeline, path).Scan(&seq, &modified)
	if err != nil {
		return destination.Newest{}, fmt.Errorf("check ledger: %w", err)
	}
	n := destination.Newest{Seq: seq.Int64}
	if modified.Valid {
		if n.Modified, err = parseTimestamp(modified.String); err != nil {
			return destination.Newest{}, fmt.Errorf("check ledger: modified: %w", err)
		}
	}
	return n, nil
}

// nullSeq is the ledger's seq of a version: NULL when it has none.
func nullSeq(seq int64) any {
	if seq <= 0 {
		return nil
	}
	return seq
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// writer streams one file version's batches inside its transaction.
type writer struct {
	tx      *sql.Tx
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
		if err := w.claim(ctx, name); err != nil {
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

// emptyOwnedTables applies the write mode to every table the file's owner
// holds (magic folder) that this version wrote no batch to, as to a table
// of no rows: an archive member or a workbook sheet the new version no
// longer has leaves no rows of the path behind. A table dropped by hand
// since is passed over.
func (w *writer) emptyOwnedTables(ctx context.Context) error {
	rows, err := w.tx.QueryContext(ctx, `SELECT o."table_name" FROM `+quote(destination.TablesTable)+` o
		JOIN sqlite_schema s ON s.type = 'table' AND s.name = o."table_name"
		WHERE o."pipeline" = ? AND o."owner" = ? ORDER BY o."table_name"`, w.f.Pipeline, w.f.Owner)
	if err != nil {
		return fmt.Errorf("read owned tables: %w", err)
	}
	var names []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return fmt.Errorf("read owned tables: %w", err)
		}
		names = append(names, name)
	}
	if err := rows.Close(); err != nil {
		return fmt.Errorf("read owned tables: %w", err)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read owned tables: %w", err)
	}
	for _, name := range names {
		if _, written := w.tables[name]; written {
			continue
		}
		if err := w.deleteReplaced(ctx, name); err != nil {
			return err
		}
	}
	return nil
}

// stored gives every column its stored type.
func stored(cols []column) []column {
	out := make([]column, len(cols))
	for i, c := range cols {
		out[i] = column{name: c.name, typ: c.typ.Stored()}
	}
	return out
}

// claim records f.Owner as the owner of the table, or fails if another
// owner holds it.
func (w *writer) claim(ctx context.Context, name string) error {
	var owner string
	err := w.tx.QueryRowContext(ctx, `SELECT "owner" FROM `+quote(destination.TablesTable)+` WHERE "table_name" = ?`, name).Scan(&owner)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		_, err = w.tx.ExecContext(ctx, `INSERT INTO `+quote(destination.TablesTable)+` ("pipeline", "table_name", "owner", "created") VALUES (?, ?, ?, ?)`,
			w.f.Pipeline, name, w.f.Owner, formatTimestamp(w.synced))
		if err != nil {
			return fmt.Errorf("table %q: record owner: %w", name, err)
		}
		return nil
	case err != nil:
		return fmt.Errorf("table %q: read owner: %w", name, err)
	case owner != w.f.Owner:
		return &destination.PermanentError{Err: fmt.Errorf("table %q: %w (owned by %s)", name, destination.ErrTableOwned, owner)}
	}
	return nil
}
