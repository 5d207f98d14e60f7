package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/filedge/filedge/pkg/record"
)

// column is a column of a destination table.
type column struct {
	name string
	typ  record.Type
}

// table is what a commit knows of one destination table.
type table struct {
	name   string
	cols   []column
	byName map[string]int // strings.ToLower(name) → index in cols: SQLite names are case-insensitive
}

func (t *table) add(c column) {
	t.byName[strings.ToLower(c.name)] = len(t.cols)
	t.cols = append(t.cols, c)
}

func (t *table) find(name string) (int, bool) {
	i, ok := t.byName[strings.ToLower(name)]
	return i, ok
}

// loadTable reads the columns of the named table; it returns nil if the
// table does not exist.
func loadTable(ctx context.Context, tx *sql.Tx, name string) (*table, error) {
	rows, err := tx.QueryContext(ctx, `SELECT "name", "type" FROM pragma_table_info(?) ORDER BY "cid"`, name)
	if err != nil {
		return nil, fmt.Errorf("read columns of table %q: %w", name, err)
	}
	defer rows.Close()
	t := &table{name: name, byName: map[string]int{}}
	for rows.Next() {
		var c, decl string
		if err := rows.Scan(&c, &decl); err != nil {
			return nil, fmt.Errorf("read columns of table %q: %w", name, err)
		}
		t.add(column{name: c, typ: typeOfDeclared(decl)})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read columns of table %q: %w", name, err)
	}
	if len(t.cols) == 0 {
		return nil, nil
	}
	return t, nil
}

// columnDefs is the column list of a CREATE TABLE for cols.
func columnDefs(cols []column) string {
	defs := make([]string, len(cols))
	for i, c := range cols {
		defs[i] = quote(c.name) + " " + declared(c.typ)
	}
	return strings.Join(defs, ", ")
}

// createTable creates a table with cols, data columns first, then the
// system columns.
func createTable(ctx context.Context, tx *sql.Tx, name string, cols []column) (*table, error) {
	t := &table{name: name, byName: map[string]int{}}
	for _, c := range cols {
		t.add(c)
	}
	for _, c := range record.SystemColumns {
		if _, ok := t.find(c.Name); !ok {
			t.add(column{name: c.Name, typ: c.Type})
		}
	}
	if _, err := tx.ExecContext(ctx, "CREATE TABLE "+quote(name)+" ("+columnDefs(t.cols)+")"); err != nil {
		return nil, fmt.Errorf("create table %q: %w", name, err)
	}
	return t, nil
}

// evolve adds the columns of want that t lacks and widens the columns of t
// that are narrower than want's. It returns the widenings made, as
// "table.column: integer → float", and the columns added, as
// "table.column: decimal(12,2)".
func evolve(ctx context.Context, tx *sql.Tx, log *slog.Logger, t *table, want []column) (widened, added []string, err error) {
	widen := map[int]record.Type{}
	var adds []column
	for _, w := range want {
		i, ok := t.find(w.name)
		if !ok {
			adds = append(adds, column{name: w.name, typ: w.typ.Stored()})
			continue
		}
		if nt := record.Widen(t.cols[i].typ, w.typ); nt != t.cols[i].typ {
			if prev, ok := widen[i]; ok {
				nt = record.Widen(prev, nt)
			}
			widen[i] = nt
		}
	}
	for _, c := range adds {
		if _, dup := t.find(c.name); dup {
			continue // two batch columns differing only in case
		}
		if _, err := tx.ExecContext(ctx, "ALTER TABLE "+quote(t.name)+" ADD COLUMN "+quote(c.name)+" "+declared(c.typ)); err != nil {
			return nil, nil, fmt.Errorf("add column %q to table %q: %w", c.name, t.name, err)
		}
		t.add(c)
		added = append(added, fmt.Sprintf("%s.%s: %v", t.name, c.name, c.typ))
	}
	if len(widen) == 0 {
		return nil, added, nil
	}
	for i, c := range t.cols {
		if nt, ok := widen[i]; ok {
			widened = append(widened, fmt.Sprintf("%s.%s: %v → %v", t.name, c.name, c.typ, nt))
		}
	}
	// A rebuild copies the whole table: worth a line, as it may take long.
	start := time.Now()
	if err := rebuild(ctx, tx, t, widen); err != nil {
		return nil, nil, err
	}
	log.Info("rebuilt table to widen columns", "table", t.name, "columns", widened, "took", time.Since(start))
	return widened, added, nil
}

// rebuild changes the types of the columns of t given in widen, converting
// their stored values, by the procedure the SQLite documentation gives for
// changes ALTER TABLE cannot make: create the new table, copy the rows,
// drop the old table, rename the new one, recreate indexes and triggers.
// It runs inside the commit's transaction.
func rebuild(ctx context.Context, tx *sql.Tx, t *table, widen map[int]record.Type) error {
	fail := func(err error) error { return fmt.Errorf("widen table %q: %w", t.name, err) }
	var extras []string // CREATE INDEX / CREATE TRIGGER statements to replay
	rows, err := tx.QueryContext(ctx, `SELECT "sql" FROM "sqlite_schema" WHERE "tbl_name" = ? AND "type" IN ('index', 'trigger') AND "sql" IS NOT NULL ORDER BY "type"`, t.name)
	if err != nil {
		return fail(err)
	}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			rows.Close()
			return fail(err)
		}
		extras = append(extras, s)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fail(err)
	}

	tmp := "_filedge_rebuild_" + t.name
	cols := make([]column, len(t.cols))
	names := make([]string, len(t.cols))
	exprs := make([]string, len(t.cols))
	for i, c := range t.cols {
		names[i] = quote(c.name)
		exprs[i] = quote(c.name)
		cols[i] = c
		if nt, ok := widen[i]; ok {
			cols[i].typ = nt
			exprs[i] = fmt.Sprintf("%s(%s, %d, %d)", convertFunc, quote(c.name), c.typ, nt)
		}
	}
	list := strings.Join(names, ", ")
	stmts := []string{
		"CREATE TABLE " + quote(tmp) + " (" + columnDefs(cols) + ")",
		"INSERT INTO " + quote(tmp) + " (" + list + ") SELECT " + strings.Join(exprs, ", ") + " FROM " + quote(t.name),
		"DROP TABLE " + quote(t.name),
		// The legacy rename leaves views and triggers that name the table
		// alone: the table keeps its name, so they stay right.
		"PRAGMA legacy_alter_table = ON",
		"ALTER TABLE " + quote(tmp) + " RENAME TO " + quote(t.name),
		"PRAGMA legacy_alter_table = OFF",
	}
	stmts = append(stmts, extras...)
	for _, s := range stmts {
		if _, err := tx.ExecContext(ctx, s); err != nil {
			if strings.HasPrefix(s, "PRAGMA") || strings.HasPrefix(s, "ALTER") {
				tx.ExecContext(ctx, "PRAGMA legacy_alter_table = OFF") //nolint:errcheck // best effort; the transaction rolls back anyway
			}
			return fail(err)
		}
	}
	for i, nt := range widen {
		t.cols[i].typ = nt
	}
	return nil
}
