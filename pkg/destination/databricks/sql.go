package databricks

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/filedge/filedge/pkg/destination/sqlledger"
)

// PathsTable holds, per path of a pipeline, the newest version that began
// a commit: the claim that decides newest-wins before any table changes
// (see the package documentation).
const PathsTable = "_filedge_paths"

// tableOptions ends the CREATE TABLE of every table filedge makes: a Delta
// table whose columns may have any name (column mapping by name), without
// deletion vectors, so that Delta's conflict detection works at the level
// of files: two MERGEs of one table that read what the other wrote
// conflict, and the loser retries (row-level concurrency, which deletion
// vectors bring, lets two MERGEs that only insert both commit).
const tableOptions = ` USING DELTA TBLPROPERTIES (
	'delta.columnMapping.mode' = 'name',
	'delta.enableDeletionVectors' = 'false')`

// quote quotes an identifier with backquotes, doubling embedded ones.
func quote(name string) string {
	return "`" + strings.ReplaceAll(name, "`", "``") + "`"
}

// backoff paces the retries of a statement that lost a Delta concurrency
// conflict: Attempts tries in all, waits doubling from Min to Max, each
// jittered by up to half its length so that competing sinks spread out.
type backoff struct {
	Attempts int
	Min, Max time.Duration
}

var defaultBackoff = backoff{Attempts: 12, Min: 200 * time.Millisecond, Max: 10 * time.Second}

// wait sleeps before retry number n (from 1), or returns ctx's error.
func (b backoff) wait(ctx context.Context, n int) error {
	d := b.Min << min(n-1, 20)
	if d > b.Max || d <= 0 {
		d = b.Max
	}
	d = d/2 + rand.N(d/2+1)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// retrying runs do until it succeeds, fails with an error that is no
// concurrency conflict (IsConflict), or the attempts run out. Each attempt
// runs the whole statement again, so what it reads (the ledger, the
// claims, the target's rows) is read anew.
func (d *DB) retrying(ctx context.Context, do func() error) error {
	for n := 1; ; n++ {
		err := do()
		if err == nil || !IsConflict(err) || n >= d.retry.Attempts {
			if err != nil && IsConflict(err) {
				err = fmt.Errorf("still in conflict after %d attempts: %w", n, err)
			}
			return err
		}
		if werr := d.retry.wait(ctx, n); werr != nil {
			return errors.Join(err, werr)
		}
	}
}

// exec runs a statement that returns no rows, retrying it on concurrency
// conflicts.
func (d *DB) exec(ctx context.Context, stmt string, args ...any) error {
	return d.retrying(ctx, func() error {
		_, err := d.db.ExecContext(ctx, stmt, args...)
		return err
	})
}

// query runs a query, retrying it on concurrency conflicts, and calls row
// for each of its rows with a scan like sql.Rows.Scan. row may be called
// again for the rows of a retry: it must start over when reset is called.
func (d *DB) query(ctx context.Context, stmt string, args []any, reset func(), row func(scan func(...any) error) error) error {
	return d.retrying(ctx, func() error {
		if reset != nil {
			reset()
		}
		return sqlledger.SQL(d.db).Query(ctx, stmt, args, row)
	})
}

// mergeCounts are the metrics a MERGE returns.
type mergeCounts struct {
	affected, updated, deleted, inserted int64
}

// merge runs a MERGE, retrying it on concurrency conflicts, and returns
// its metrics.
func (d *DB) merge(ctx context.Context, stmt string, args ...any) (mergeCounts, error) {
	var m mergeCounts
	err := d.query(ctx, stmt, args, func() { m = mergeCounts{} }, func(scan func(...any) error) error {
		return scan(&m.affected, &m.updated, &m.deleted, &m.inserted)
	})
	return m, err
}

// named returns the named parameters of a statement, from pairs of names
// and values.
func named(pairs ...any) []any {
	out := make([]any, 0, len(pairs)/2)
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, sql.Named(pairs[i].(string), pairs[i+1]))
	}
	return out
}
