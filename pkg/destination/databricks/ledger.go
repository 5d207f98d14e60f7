package databricks

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/filedge/filedge/pkg/destination"
)

// Lookup implements destination.Ledger: the ledger's record of a committed
// version, with Outcome Committed.
func (d *DB) Lookup(ctx context.Context, pipeline, version string) (*destination.Result, bool, error) {
	var (
		res   *destination.Result
		found bool
	)
	err := d.query(ctx, "SELECT `tables`, `rows`, committed FROM "+d.table(destination.LedgerTable)+
		` WHERE pipeline = :pipeline AND version = :version`,
		named("pipeline", pipeline, "version", version), func() { res, found = nil, false },
		func(scan func(...any) error) error {
			var (
				tables    *string
				rows      *int64
				committed *time.Time
			)
			if err := scan(&tables, &rows, &committed); err != nil {
				return err
			}
			found = true
			res = &destination.Result{Outcome: destination.Committed}
			if rows != nil {
				res.Rows = *rows
			}
			if committed != nil {
				res.Committed = committed.UTC()
			}
			if tables != nil && *tables != "" {
				if err := json.Unmarshal([]byte(*tables), &res.Tables); err != nil {
					return fmt.Errorf("ledger column tables: %w", err)
				}
			}
			return nil
		})
	if err != nil {
		return nil, false, fmt.Errorf("databricks destination %q: look up version %s of pipeline %q in the ledger: %w", d.name, version, pipeline, err)
	}
	return res, found, nil
}

// newest reads what the ledger holds of f's path for newest-wins (see
// destination.Newest).
func (d *DB) newest(ctx context.Context, f *destination.File) (destination.Newest, error) {
	var n destination.Newest
	err := d.query(ctx, `SELECT MAX(seq), MAX(CASE WHEN seq IS NULL THEN modified END) FROM `+d.table(destination.LedgerTable)+
		` WHERE pipeline = :pipeline AND path = :path`,
		named("pipeline", f.Pipeline, "path", f.Path), func() { n = destination.Newest{} },
		func(scan func(...any) error) error {
			var (
				seq      *int64
				modified *time.Time
			)
			if err := scan(&seq, &modified); err != nil {
				return err
			}
			if seq != nil {
				n.Seq = *seq
			}
			if modified != nil {
				n.Modified = modified.UTC()
			}
			return nil
		})
	if err != nil {
		return destination.Newest{}, fmt.Errorf("read the ledger's versions of %q: %w", f.Path, err)
	}
	return n, nil
}

// claim records f as the version of its path being committed, unless the
// claim held already is of a newer version (by destination.Newest's
// rule): one MERGE on PathsTable, which Delta serialises with any other
// claim of the path. held is false when a newer version holds the claim.
func (d *DB) claim(ctx context.Context, f *destination.File, now time.Time) (held bool, err error) {
	// The held claim supersedes f, as Newest.Supersedes would say.
	newer := `COALESCE(t.seq, 0) > :seq`
	if f.Seq <= 0 {
		newer = `(COALESCE(t.seq, 0) > 0 OR COALESCE(t.modified > :modified, FALSE))`
	}
	stmt := `MERGE INTO ` + d.table(PathsTable) + ` AS t USING (SELECT
		:pipeline AS pipeline, :path AS path, :version AS version, NULLIF(:seq, 0) AS seq, :modified AS modified, :claimed AS claimed) AS s
		ON t.pipeline = s.pipeline AND t.path = s.path
		WHEN MATCHED AND NOT (` + newer + `) THEN UPDATE SET version = s.version, seq = s.seq, modified = s.modified, claimed = s.claimed
		WHEN NOT MATCHED THEN INSERT (pipeline, path, version, seq, modified, claimed) VALUES (s.pipeline, s.path, s.version, s.seq, s.modified, s.claimed)`
	m, err := d.merge(ctx, stmt, named("pipeline", f.Pipeline, "path", f.Path, "version", f.Version, "seq", max(f.Seq, 0),
		"modified", f.Modified.UTC().Truncate(time.Microsecond), "claimed", now)...)
	if err != nil {
		return false, fmt.Errorf("claim %q: %w", f.Path, err)
	}
	return m.affected > 0, nil
}

// own records f.Owner as the owner of table in destination.TablesTable if
// the table has none, and rejects the file with a permanent
// destination.ErrTableOwned if another owner holds it (magic folder mode).
func (d *DB) own(ctx context.Context, f *destination.File, table string, now time.Time) error {
	tables := d.table(destination.TablesTable)
	if _, err := d.merge(ctx, `MERGE INTO `+tables+` AS t USING (SELECT
		:pipeline AS pipeline, :table AS table_name, :owner AS owner, :created AS created) AS s
		ON t.table_name = s.table_name
		WHEN NOT MATCHED THEN INSERT (pipeline, table_name, owner, created) VALUES (s.pipeline, s.table_name, s.owner, s.created)`,
		named("pipeline", f.Pipeline, "table", table, "owner", f.Owner, "created", now)...); err != nil {
		return fmt.Errorf("table %q: claim: %w", table, err)
	}
	var holders []string
	err := d.query(ctx, `SELECT owner FROM `+tables+` WHERE table_name = :table`, named("table", table),
		func() { holders = nil }, func(scan func(...any) error) error {
			var h string
			err := scan(&h)
			holders = append(holders, h)
			return err
		})
	if err != nil {
		return fmt.Errorf("table %q: read owner: %w", table, err)
	}
	if len(holders) != 1 {
		return fmt.Errorf("table %q: %d owners recorded, want 1", table, len(holders))
	}
	if holders[0] != f.Owner {
		return &destination.PermanentError{Err: fmt.Errorf("table %q: %w (owned by %s)", table, destination.ErrTableOwned, holders[0])}
	}
	return nil
}

// owned lists the tables f.Owner holds in f.Pipeline that still exist,
// sorted.
func (d *DB) owned(ctx context.Context, f *destination.File) ([]string, error) {
	var names []string
	err := d.query(ctx, `SELECT table_name FROM `+d.table(destination.TablesTable)+`
		WHERE pipeline = :pipeline AND owner = :owner AND lower(table_name) IN (
			SELECT lower(table_name) FROM `+d.catalog+`.information_schema.tables WHERE lower(table_schema) = lower(:schema))
		ORDER BY table_name`,
		named("pipeline", f.Pipeline, "owner", f.Owner, "schema", d.cfg.Schema), func() { names = nil },
		func(scan func(...any) error) error {
			var n string
			err := scan(&n)
			names = append(names, n)
			return err
		})
	if err != nil {
		return nil, fmt.Errorf("read owned tables: %w", err)
	}
	return names, nil
}
