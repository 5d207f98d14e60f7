package sqlledger

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/filedge/filedge/pkg/destination"
)

// RollbackTimeout bounds the rollback of a commit that does not commit,
// which runs even when the commit's context is done.
const RollbackTimeout = 10 * time.Second

// DB is a destination's database as the protocol runs a commit on it: a
// Conn outside any transaction, for the ledger's first look-up, and Begin,
// which opens the commit's transaction of type T.
type DB[T Tx] interface {
	Conn
	// Begin opens a transaction in which no other commit of key (a
	// pipeline's path: Dialect.Text of the pipeline, "/", and of the path)
	// runs until this one ends, so that two versions of one path commit
	// one at a time and the ledger read under it stays true until the
	// ledger row is written. It takes a lock that goes with the
	// transaction on every path: committed, rolled back or its connection
	// lost (PostgreSQL: pg_advisory_xact_lock; SQLite: BEGIN IMMEDIATE,
	// after the process's other commits; MySQL: a row lock; DuckDB: the
	// process's one writer). It waits for the lock as long as ctx allows.
	Begin(ctx context.Context, key string) (T, error)
}

// Writer writes one file version's rows inside the commit's transaction:
// the part of a commit that is the destination's own.
type Writer[T Tx] interface {
	// Write reads every batch of batches (the file's Batches, its first
	// batch already read) and writes them into tx: it creates, alters and,
	// in magic folder mode, claims each table (Ledger.Claim) on the
	// table's first batch, applies the file's write mode to the table's
	// earlier rows, and fills the system columns, _filedge_synced with
	// now. It returns the Result's Tables (in order), Rows, Widened and
	// Added; the protocol sets the rest.
	Write(ctx context.Context, tx T, batches destination.Batches, now time.Time) (*destination.Result, error)
	// Empty applies the file's write mode to table as to a table of no
	// rows: in magic folder mode, a table the file's owner holds that this
	// version has no batch for (an archive member or a sheet it no longer
	// has) keeps no rows of the path.
	Empty(ctx context.Context, tx T, table string) error
}

// Commit commits f on db through w, keeping the guarantees of
// destination.Destination.Commit in one transaction across all of f's
// tables (Atomicity AllTables):
//
//  1. It refuses a file without a pipeline, version, path or batches, or
//     with a write or merge mode it does not know, or with write mode CDC
//     and a CDCSpec that does not check, or a Writer that is not a
//     CDCWriter (a *destination.PermanentError).
//  2. It looks the version up outside any transaction: a version already
//     committed is Duplicate without a batch read.
//  3. It reads the first batch before the transaction opens, as the
//     parser may still be working on it (and the batch fills in
//     f.SHA256).
//  4. It opens the transaction with db.Begin, under the lock of the
//     file's path, and looks the version up again: this look-up decides.
//  5. Newest wins: unless f.Merge is AppendFile or f.WriteMode is CDC
//     (whose versions all apply, change by change: ADR 0005), a version
//     that destination.Newest.Supersedes is Superseded.
//  6. w.Write writes the rows; in magic folder mode (f.Owner) every table
//     the owner holds that the version did not write is emptied
//     (w.Empty).
//  7. It writes the ledger row, reading a conflict on its key as a
//     concurrent commit of the same version (Duplicate), and commits.
//
// Any error rolls everything back; Duplicate and Superseded change nothing.
// Errors are returned as the steps make them, wrapped with what failed; the
// destination adds its name and classifies them (permanent or not).
func Commit[T Tx](ctx context.Context, l *Ledger, db DB[T], f *destination.File, w Writer[T]) (*destination.Result, error) {
	check := f.Check
	if _, ok := w.(CDCWriter); ok {
		check = f.CheckCDC
	}
	if err := check(); err != nil {
		return nil, err
	}
	pipeline, version, path := l.d.Text(f.Pipeline), l.d.Text(f.Version), l.d.Text(f.Path)
	if res, found, err := l.find(ctx, db, pipeline, version); err != nil || found {
		return duplicate(res, err)
	}

	batches, err := peek(ctx, f.Batches)
	if err != nil {
		return nil, err
	}
	defer batches.release()

	tx, err := db.Begin(ctx, pipeline+"/"+path)
	if err != nil {
		return nil, err
	}
	committed := false
	defer func() {
		if !committed {
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), RollbackTimeout)
			defer cancel()
			_ = tx.Rollback(rctx) // the error is the one already returned, or none; a broken connection is discarded
		}
	}()
	// The commit time, once the lock is ours: _filedge_synced and the
	// ledger's committed.
	now := time.Now().UTC().Truncate(time.Microsecond)

	if res, found, err := l.find(ctx, tx, pipeline, version); err != nil || found {
		return duplicate(res, err)
	}
	if f.Merge != destination.AppendFile && f.WriteMode != destination.CDC {
		n, err := l.newestOf(ctx, tx, pipeline, path)
		if err != nil {
			return nil, err
		}
		if n.Supersedes(f) {
			return &destination.Result{Outcome: destination.Superseded}, nil
		}
	}

	res, err := w.Write(ctx, tx, batches, now)
	if err != nil {
		return nil, err
	}
	if f.Owner != "" {
		owned, err := l.owned(ctx, tx, f)
		if err != nil {
			return nil, err
		}
		for _, table := range owned {
			if !slices.Contains(res.Tables, table) {
				if err := w.Empty(ctx, tx, table); err != nil {
					return nil, err
				}
			}
		}
	}

	if dup, err := l.write(ctx, tx, f, res, now); err != nil {
		return nil, err
	} else if dup {
		return &destination.Result{Outcome: destination.Duplicate}, nil
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, fmt.Errorf("commit: %w", err)
	}
	committed = true
	res.Outcome, res.Committed = destination.Committed, now
	return res, nil
}

// duplicate is the outcome of a look-up that found the version (res) or
// failed (err).
func duplicate(res *destination.Result, err error) (*destination.Result, error) {
	if err != nil {
		return nil, err
	}
	res.Outcome = destination.Duplicate
	return res, nil
}

// peeked is a file's Batches whose first batch was read before the
// transaction opened: Next returns that batch first.
type peeked struct {
	table string
	rec   arrow.RecordBatch // the first batch, until Next returns it
	eof   bool              // the file has no batch at all
	rest  destination.Batches
}

// peek reads the first batch of b.
func peek(ctx context.Context, b destination.Batches) (*peeked, error) {
	table, rec, err := b.Next(ctx)
	switch {
	case errors.Is(err, io.EOF):
		if rec != nil {
			rec.Release()
		}
		return &peeked{eof: true}, nil
	case err != nil:
		if rec != nil {
			rec.Release()
		}
		return nil, fmt.Errorf("read batches: %w", err)
	case rec == nil:
		return nil, fmt.Errorf("read batches: table %q: Next returned no batch and no error", table)
	}
	return &peeked{table: table, rec: rec, rest: b}, nil
}

// Next implements destination.Batches.
func (p *peeked) Next(ctx context.Context) (string, arrow.RecordBatch, error) {
	if p.rec != nil {
		rec := p.rec
		p.rec = nil
		return p.table, rec, nil
	}
	if p.eof {
		return "", nil, io.EOF
	}
	return p.rest.Next(ctx)
}

// release releases the first batch if Next never returned it.
func (p *peeked) release() {
	if p.rec != nil {
		p.rec.Release()
		p.rec = nil
	}
}
