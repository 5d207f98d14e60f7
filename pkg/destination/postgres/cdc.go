package postgres

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/filedge/filedge/pkg/destination"
	"github.com/filedge/filedge/pkg/destination/sqlledger"
	"github.com/filedge/filedge/pkg/record"
)

// CDC (ADR 0005). A CDC file's batches are copied, table by table, into a
// stage: a pg_temp table of the commit's session, typed like the batches
// (the append path's prepare and COPY, aimed at the stage). Once every
// batch is staged, each table is checked and deduped
// (sqlledger.Ledger.PrepareCDC), then, under the table's CDC lock, taken
// in the order of the tables' names, created or altered to hold the
// stage's columns, given its key index and its tombstone table, and merged
// (sqlledger.Ledger.MergeCDC), all in the commit's transaction.

// stage is one table's stage.
type stage struct {
	t *table // the pg_temp table; t.name is the table's
	n int    // the stage's number in the commit
	// names are the stage's data columns in the order the batches brought
	// them, types the batches' types, widened (the stage's own types are
	// what those are created as: an all-NULL column is text there).
	names []string
	types map[string]record.Type
}

// AppliesCDC implements sqlledger.CDCWriter.
func (c *commit) AppliesCDC() {}

// stageTable copies the pending batch, and the batches after it that the
// same COPY can take, into its table's stage, creating or widening the
// stage as the batch needs.
func (c *commit) stageTable(ctx context.Context, fields []arrow.Field) error {
	p := c.pending
	s := c.stages[p.table]
	if s == nil {
		if err := checkTableName(p.table); err != nil {
			return err
		}
		if destination.IsBookkeeping(p.table) {
			return &destination.PermanentError{Err: fmt.Errorf("table %q: the name is reserved for filedge's bookkeeping", p.table)}
		}
		names := make([]string, len(fields))
		for i, f := range fields {
			names[i] = f.Name
		}
		if err := c.f.CDC.CheckColumns(p.table, names); err != nil {
			return err
		}
		s = &stage{
			t:     &table{name: p.table, quoted: pgx.Identifier{"pg_temp", fmt.Sprintf("_filedge_stage_%d", len(c.stages))}.Sanitize(), temp: true},
			n:     len(c.stages),
			types: map[string]record.Type{},
		}
		if _, err := c.tx.Exec(ctx, `DROP TABLE IF EXISTS `+s.t.quoted); err != nil {
			return fmt.Errorf("table %q: drop an old CDC stage: %w", p.table, err)
		}
		c.stages[p.table] = s
		c.order = append(c.order, p.table)
	}
	for _, f := range fields {
		typ, seen := s.types[f.Name]
		if !seen {
			s.names = append(s.names, f.Name)
		}
		s.types[f.Name] = record.Widen(typ, record.TypeOf(f))
	}
	if err := c.prepare(ctx, s.t, fields, false); err != nil {
		return err
	}
	n, err := c.copyRun(ctx, s.t, fields)
	c.rows += n
	return err
}

// mergeStages merges every staged table: each is checked and deduped,
// then the tables' CDC locks are taken in the order of their names, so
// that two commits never wait for each other's, and each is merged.
func (c *commit) mergeStages(ctx context.Context) error {
	names := slices.Sorted(maps.Keys(c.stages))
	spec := c.f.CDC
	for _, name := range names {
		s := c.stages[name]
		ct := sqlledger.CDCTable{Name: name, Stage: s.t.quoted, StageOrder: orderOf(s.t.cols[spec.SequenceBy]),
			Scratch: pgx.Identifier{"pg_temp", "_filedge_ranks_" + strconv.Itoa(s.n)}.Sanitize()}
		prep, err := c.db.ledger.PrepareCDC(ctx, c.conn, spec, ct)
		if err != nil {
			return err
		}
		c.rows -= prep.Skipped // copied, then left out
		c.skipped += prep.Skipped
		c.problems = append(c.problems, prep.Problems...)
		// The planner knows nothing of a temporary table until it is
		// analysed.
		if _, err := c.tx.Exec(ctx, `ANALYZE `+s.t.quoted); err != nil {
			return fmt.Errorf("table %q: analyse its CDC stage: %w", name, err)
		}
	}
	for _, name := range names {
		if _, err := c.tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('filedge.cdc/' || $1::text || '.' || $2::text, 0))`, c.db.schema, name); err != nil {
			return fmt.Errorf("table %q: take its CDC lock: %w", name, err)
		}
		if err := c.mergeStage(ctx, c.stages[name]); err != nil {
			return err
		}
	}
	return nil
}

// mergeStage makes the table ready for a stage's changes and merges them,
// then drops the stage.
func (c *commit) mergeStage(ctx context.Context, s *stage) error {
	spec := c.f.CDC
	name := s.t.name
	t := &table{name: name, quoted: pgx.Identifier{c.db.schema, name}.Sanitize()}
	c.tables[name] = t
	var fields []arrow.Field
	for _, n := range s.names {
		if n != spec.OperationColumn {
			fields = append(fields, record.Field(n, s.types[n]))
		}
	}
	if err := c.prepare(ctx, t, fields, false); err != nil {
		return err
	}
	if err := c.ensureKeyIndex(ctx, t, spec.Keys); err != nil {
		return err
	}
	tomb, err := c.prepareTombstones(ctx, t, spec)
	if err != nil {
		return err
	}
	ct := sqlledger.CDCTable{
		Name: name, Target: t.quoted, Stage: s.t.quoted, Tombstones: tomb.quoted,
		StageOrder: orderOf(s.t.cols[spec.SequenceBy]), Order: orderOf(t.cols[spec.SequenceBy]),
	}
	for col := range t.cols {
		ct.Columns = append(ct.Columns, col)
	}
	slices.Sort(ct.Columns)
	ct.Value = func(col string) string {
		from, ok := s.t.cols[col]
		if !ok {
			return "NULL"
		}
		ref := "s." + quote(col)
		to, ok := t.cols[col]
		if !ok || (from == to && s.t.oids[col] == t.oids[col]) {
			return ref
		}
		return castExpr(ref, from, s.t.oids[col], to)
	}
	if err := c.db.ledger.MergeCDC(ctx, c.conn, spec, ct); err != nil {
		return err
	}
	if _, err := c.tx.Exec(ctx, `DROP TABLE `+s.t.quoted); err != nil {
		return fmt.Errorf("table %q: drop its CDC stage: %w", name, err)
	}
	return nil
}

// prepareTombstones creates the tombstone table of t, or brings its key
// and sequence columns to t's types (which a commit may have widened, or
// a user chosen), and gives it its key index. Its columns are the keys,
// the sequence and the system columns, in t's own types.
func (c *commit) prepareTombstones(ctx context.Context, t *table, spec *destination.CDCSpec) (*table, error) {
	tomb := &table{name: destination.TombstoneTable(t.name)}
	tomb.quoted = pgx.Identifier{c.db.schema, tomb.name}.Sanitize()
	cols := append(slices.Clone(spec.Keys), spec.SequenceBy)
	for _, sc := range record.SystemColumns {
		cols = append(cols, sc.Name)
	}
	// Each column's type in t and in the tombstone table ("" when it has
	// none); the table missing altogether when no column is there.
	rows, err := c.tx.Query(ctx, `SELECT a.attname, format_type(a.atttypid, a.atttypmod), coalesce(format_type(d.atttypid, d.atttypmod), ''), to_regclass($2) IS NOT NULL
		FROM pg_catalog.pg_attribute a
		LEFT JOIN pg_catalog.pg_attribute d ON d.attrelid = to_regclass($2) AND d.attname = a.attname AND d.attnum > 0 AND NOT d.attisdropped
		WHERE a.attrelid = to_regclass($1) AND a.attname = ANY($3::text[]) AND a.attnum > 0 AND NOT a.attisdropped`, t.quoted, tomb.quoted, cols)
	if err != nil {
		return nil, fmt.Errorf("table %q: read its tombstone table: %w", t.name, err)
	}
	type pair struct{ want, have string }
	types := map[string]pair{}
	exists := false
	for rows.Next() {
		var name string
		var p pair
		if err := rows.Scan(&name, &p.want, &p.have, &exists); err != nil {
			rows.Close()
			return nil, fmt.Errorf("table %q: read its tombstone table: %w", t.name, err)
		}
		types[name] = p
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("table %q: read its tombstone table: %w", t.name, err)
	}
	var ddl []string
	if !exists {
		quoted := make([]string, len(cols))
		for i, col := range cols {
			quoted[i] = quote(col)
		}
		ddl = append(ddl, `CREATE TABLE IF NOT EXISTS `+tomb.quoted+` AS SELECT `+strings.Join(quoted, ", ")+` FROM `+t.quoted+` WITH NO DATA`)
	} else {
		if _, err := c.readColumns(ctx, tomb); err != nil {
			return nil, err
		}
		var parts []string
		for _, col := range cols {
			p := types[col]
			switch {
			case p.have == "":
				parts = append(parts, "ADD COLUMN "+quote(col)+" "+p.want)
			case p.have != p.want:
				// As the table's own column was converted (see castExpr).
				using := castExpr(quote(col), tomb.cols[col], tomb.oids[col], t.cols[col])
				parts = append(parts, "ALTER COLUMN "+quote(col)+" TYPE "+p.want+" USING ("+using+")::"+p.want)
			}
		}
		if len(parts) > 0 {
			ddl = append(ddl, `ALTER TABLE `+tomb.quoted+` `+strings.Join(parts, ", "))
		}
	}
	if len(ddl) > 0 {
		if err := c.lockDDL(ctx, tomb); err != nil {
			return nil, err
		}
		for _, q := range ddl {
			if _, err := c.tx.Exec(ctx, q); err != nil {
				return nil, fmt.Errorf("table %q: create or alter its tombstone table: %w", t.name, err)
			}
		}
	}
	return tomb, c.ensureKeyIndex(ctx, tomb, spec.Keys)
}

// orderOf is how a sequence of type typ orders: text by its bytes.
func orderOf(typ record.Type) func(string) string {
	if typ == record.String {
		return textOrder
	}
	return nil
}

// textOrder makes a text expression compare by its bytes.
func textOrder(expr string) string { return expr + ` COLLATE "C"` }

// ensureKeyIndex gives table t a unique index on keys unless it has one
// (or a primary key on them), under the table's DDL lock; a table whose
// rows repeat a key fails the file.
func (c *commit) ensureKeyIndex(ctx context.Context, t *table, keys []string) error {
	var has bool
	err := c.tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_index i
		WHERE i.indrelid = to_regclass($1) AND i.indisunique AND i.indisvalid AND i.indpred IS NULL AND i.indexprs IS NULL
			AND (SELECT array_agg(a.attname::text ORDER BY a.attname) FROM pg_catalog.pg_attribute a
				WHERE a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)) = (SELECT array_agg(k ORDER BY k) FROM unnest($2::text[]) AS k)
			AND i.indnkeyatts = cardinality($2::text[]))`, t.quoted, keys).Scan(&has)
	if err != nil {
		return fmt.Errorf("table %q: read its indexes: %w", t.name, err)
	}
	if has {
		return nil
	}
	if err := c.lockDDL(ctx, t); err != nil {
		return err
	}
	quoted := make([]string, len(keys))
	for i, k := range keys {
		quoted[i] = quote(k)
	}
	// Unnamed: PostgreSQL picks a name that collides with nothing.
	_, err = c.tx.Exec(ctx, `CREATE UNIQUE INDEX ON `+t.quoted+` (`+strings.Join(quoted, ", ")+`)`)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		// The server's message quotes a repeated key's values: not ours
		// to print.
		return &destination.PermanentError{Err: fmt.Errorf("table %q holds more than one row of one key (%s): write mode cdc needs one row per key", t.name, strings.Join(keys, ", "))}
	}
	if err != nil {
		return fmt.Errorf("table %q: create the unique index of its keys: %w", t.name, err)
	}
	return nil
}
