package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/filedge/filedge/pkg/destination"
	"github.com/filedge/filedge/pkg/record"
)

// sqlType is the PostgreSQL type filedge creates for a column of type t:
// numeric(p,s) for a decimal, numeric (unconstrained) for Decimal.
func sqlType(t record.Type) string {
	if t.IsDecimal() {
		if t == record.Decimal {
			return "numeric"
		}
		return fmt.Sprintf("numeric(%d,%d)", t.Precision(), t.Scale())
	}
	switch t.Stored() {
	case record.Boolean:
		return "boolean"
	case record.Integer:
		return "bigint"
	case record.Float:
		return "double precision"
	case record.Date:
		return "date"
	case record.Timestamp:
		return "timestamptz"
	case record.JSON:
		return "jsonb"
	}
	return "text"
}

// typeOfColumn maps a column's PostgreSQL type (its oid and type modifier)
// back to the record.Type it holds, so that filedge can compare it with a
// batch's type. Types filedge does not create are mapped to the nearest
// logical type; any other type counts as String (values are sent as text
// for pgx to convert).
//
// NUMERIC(p,s) is decimal(p,s), and NUMERIC without a precision Decimal,
// which holds every decimal. A NUMERIC made by hand with more than 76
// digits counts as the 76-digit decimal with its scale (it holds at least
// those values). One with a negative scale (PostgreSQL 15 rounds values
// to tens, hundreds...) or a scale beyond its precision holds no type of
// ours as it is: it counts as Unknown, so that the first batch converts
// it to the batch's type, reported as a widening, rather than have the
// server round the values silently.
func typeOfColumn(oid uint32, typmod int32) record.Type {
	if oid == pgtype.NumericOID {
		if typmod < 4 { // -1: no precision
			return record.Decimal
		}
		mod := typmod - 4 // VARHDRSZ
		p := int(mod >> 16 & 0xffff)
		s := int((mod&0x7ff)^1024) - 1024 // an 11-bit signed scale since PostgreSQL 15
		if p < 1 || s < 0 || s > p {
			return record.Unknown
		}
		p = min(p, record.MaxDecimalPrecision)
		return record.DecimalOf(p, min(s, p))
	}
	return typeOfOID(oid)
}

// typeOfOID maps a PostgreSQL type other than NUMERIC to the record.Type
// it holds (see typeOfColumn).
func typeOfOID(oid uint32) record.Type {
	switch oid {
	case pgtype.BoolOID:
		return record.Boolean
	case pgtype.Int2OID, pgtype.Int4OID, pgtype.Int8OID:
		return record.Integer
	case pgtype.Float4OID, pgtype.Float8OID:
		return record.Float
	case pgtype.DateOID:
		return record.Date
	case pgtype.TimestamptzOID, pgtype.TimestampOID:
		return record.Timestamp
	case pgtype.JSONOID, pgtype.JSONBOID:
		return record.JSON
	}
	return record.String
}

// table is what a commit knows about one of its tables.
type table struct {
	name   string
	quoted string                 // schema-qualified, quoted
	cols   map[string]record.Type // the table's columns as they are now
	oids   map[string]uint32      // their PostgreSQL types
	locked bool                   // the commit holds a lock that keeps its columns as they are
	// fileIndex is whether an index that serves the replace of a path's
	// rows leads with _file (see fileIndexExists).
	fileIndex bool
	// created is whether this commit created the table.
	created bool
	// temp marks a CDC stage (a pg_temp table of this session): no lock
	// guards its DDL, nobody else sees it, and its changes are not the
	// commit's to report.
	temp bool
}

// readColumns reads the table's columns from the catalog. It reports false
// if the table does not exist.
func (c *commit) readColumns(ctx context.Context, t *table) (bool, error) {
	rows, err := c.tx.Query(ctx, `SELECT a.attname, a.atttypid, a.atttypmod, `+fileIndexExists+`
		FROM pg_catalog.pg_class r
		LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped
		WHERE r.oid = to_regclass($1) AND r.relkind IN ('r', 'p')`, t.quoted, record.FileColumn)
	if err != nil {
		return false, fmt.Errorf("table %q: read columns: %w", t.name, err)
	}
	defer rows.Close()
	exists := false
	t.fileIndex = false
	t.cols = map[string]record.Type{}
	t.oids = map[string]uint32{}
	for rows.Next() {
		exists = true
		var (
			name   *string
			oid    *uint32
			typmod *int32
		)
		if err := rows.Scan(&name, &oid, &typmod, &t.fileIndex); err != nil {
			return false, fmt.Errorf("table %q: read columns: %w", t.name, err)
		}
		if name != nil && oid != nil && typmod != nil {
			t.cols[*name] = typeOfColumn(*oid, *typmod)
			t.oids[*name] = *oid
		}
	}
	if err := rows.Err(); err != nil {
		return false, fmt.Errorf("table %q: read columns: %w", t.name, err)
	}
	return exists, nil
}

// fileIndexExists is the catalog condition, on table r, that an index
// serves the DELETE of applyWriteMode (see fileMatch): a valid, complete
// b-tree whose first key is the column named $2 (_file), of an operator
// class that answers both the equality and the LIKE prefix. The pattern
// classes (text_pattern_ops and its varchar and bpchar kin) compare bytes
// and so serve LIKE 'prefix%' under any collation. The default class serves
// it only where the column's collation is C, and a C-collated index on a
// column of another collation serves no equality: a table whose index on
// _file is of the default class (as filedge made them before archives)
// gets the pattern index besides, so that the OR of the two arms is not a
// sequential scan.
const fileIndexExists = `EXISTS (SELECT 1 FROM pg_catalog.pg_index i
		JOIN pg_catalog.pg_attribute ia ON ia.attrelid = i.indrelid AND ia.attnum = i.indkey[0]
		JOIN pg_catalog.pg_opclass oc ON oc.oid = i.indclass[0]
		JOIN pg_catalog.pg_am am ON am.oid = oc.opcmethod
		WHERE i.indrelid = r.oid AND ia.attname = $2 AND i.indisvalid AND i.indpred IS NULL AND am.amname = 'btree'
			AND oc.opcname IN ('text_pattern_ops', 'varchar_pattern_ops', 'bpchar_pattern_ops'))`

// change is the DDL a batch needs on an existing table.
type change struct {
	add    []record.Column // missing columns (data, then system)
	widen  []record.Column // existing columns and the type they widen to
	fromTo []record.Type   // for each of widen, the type it had
}

func (ch change) empty() bool { return len(ch.add) == 0 && len(ch.widen) == 0 }

// dataFields returns the batch's data columns (every field but _line and
// an archive member's _file, which are system columns) and checks their
// names.
func dataFields(schema *arrow.Schema) ([]arrow.Field, error) {
	fields := make([]arrow.Field, 0, schema.NumFields())
	seen := make(map[string]bool, schema.NumFields())
	for _, f := range schema.Fields() {
		if f.Name == record.LineColumn || f.Name == record.FileColumn {
			continue
		}
		if record.IsSystem(f.Name) {
			return nil, &destination.PermanentError{Err: fmt.Errorf("column %q: the name is reserved for a system column", f.Name)}
		}
		if err := checkIdentifier("column", f.Name); err != nil {
			return nil, &destination.PermanentError{Err: err}
		}
		if seen[f.Name] {
			return nil, &destination.PermanentError{Err: fmt.Errorf("column %q appears twice in one batch", f.Name)}
		}
		seen[f.Name] = true
		fields = append(fields, f)
	}
	return fields, nil
}

// holds reports whether a column of type have takes values of type in as
// it is: when in widens to have (record.Widen), and also when have is
// Decimal (an unconstrained NUMERIC, which only a table made by hand has)
// and in is Float: such a column holds every float's shortest decimal text
// exactly, as it did before filedge had decimals, where the lattice would
// turn it into text.
func holds(have, in record.Type) bool {
	return record.Widen(have, in) == have || (have == record.Decimal && in == record.Float)
}

// diff works out the DDL that lets table t take a batch with the given data
// columns: columns to add, and columns to widen (record.Widen).
func diff(t *table, fields []arrow.Field) change {
	var ch change
	for _, f := range fields {
		in := record.TypeOf(f)
		have, ok := t.cols[f.Name]
		if !ok {
			ch.add = append(ch.add, record.Column{Name: f.Name, Type: in.Stored()})
			continue
		}
		if w := record.Widen(have, in); !holds(have, in) {
			ch.widen = append(ch.widen, record.Column{Name: f.Name, Type: w})
			ch.fromTo = append(ch.fromTo, have)
		}
	}
	for _, s := range record.SystemColumns {
		if _, ok := t.cols[s.Name]; !ok {
			ch.add = append(ch.add, s)
		}
	}
	return ch
}

// prepare makes table t ready to take a batch with the given data columns:
// it creates the table if it is missing, adds missing columns and widens
// narrower ones (appending the widenings to c.widened), creates the index
// on _file if needIndex and the table has none, and
// makes sure that no other transaction can change the columns until the
// commit ends.
func (c *commit) prepare(ctx context.Context, t *table, fields []arrow.Field, needIndex bool) error {
	exists := true
	if !t.locked || t.cols == nil {
		var err error
		if exists, err = c.readColumns(ctx, t); err != nil {
			return err
		}
	}
	for {
		if !exists || !diff(t, fields).empty() || (needIndex && !t.fileIndex) {
			return c.alter(ctx, t, fields, needIndex)
		}
		if t.locked || t.temp {
			t.locked = true
			return nil
		}
		// Keep ALTER TABLE (ACCESS EXCLUSIVE) out until the commit ends,
		// then read the columns again: one may have changed in between.
		if _, err := c.tx.Exec(ctx, `LOCK TABLE `+t.quoted+` IN ROW EXCLUSIVE MODE`); err != nil {
			return fmt.Errorf("table %q: lock: %w", t.name, err)
		}
		t.locked = true
		var err error
		if exists, err = c.readColumns(ctx, t); err != nil {
			return err
		}
	}
}

// alter creates or alters table t under the table's DDL advisory lock,
// reading its columns again once it holds the lock.
func (c *commit) alter(ctx context.Context, t *table, fields []arrow.Field, needIndex bool) error {
	if !t.temp {
		if err := c.lockDDL(ctx, t); err != nil {
			return err
		}
	}
	exists, err := c.readColumns(ctx, t)
	if err != nil {
		return err
	}
	if !exists {
		var b strings.Builder
		b.WriteString("CREATE TABLE IF NOT EXISTS ")
		b.WriteString(t.quoted)
		b.WriteString(" (")
		for i, f := range fields {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(quote(f.Name) + " " + sqlType(record.TypeOf(f)))
		}
		for i, s := range record.SystemColumns {
			if i > 0 || len(fields) > 0 {
				b.WriteString(", ")
			}
			b.WriteString(quote(s.Name) + " " + sqlType(s.Type))
		}
		b.WriteString(")")
		if _, err := c.tx.Exec(ctx, b.String()); err != nil {
			return fmt.Errorf("table %q: create: %w", t.name, err)
		}
		// No index yet: a new table has no rows to replace, and a bulk
		// load is much faster without an index to maintain. The next
		// commit that replaces rows builds it (one sort).
		t.created = true
	} else {
		if ch := diff(t, fields); !ch.empty() {
			var parts []string
			for _, a := range ch.add {
				parts = append(parts, "ADD COLUMN IF NOT EXISTS "+quote(a.Name)+" "+sqlType(a.Type))
			}
			for i, w := range ch.widen {
				parts = append(parts, "ALTER COLUMN "+quote(w.Name)+" TYPE "+sqlType(w.Type)+
					" USING "+castExpr(quote(w.Name), ch.fromTo[i], t.oids[w.Name], w.Type))
			}
			if _, err := c.tx.Exec(ctx, "ALTER TABLE "+t.quoted+" "+strings.Join(parts, ", ")); err != nil {
				return fmt.Errorf("table %q: alter: %w", t.name, err)
			}
			for i, w := range ch.widen {
				if !t.temp {
					c.widened = append(c.widened, fmt.Sprintf("%s.%s: %s → %s", t.name, w.Name, ch.fromTo[i], w.Type))
				}
			}
			for _, a := range ch.add {
				if !t.temp {
					c.added = append(c.added, fmt.Sprintf("%s.%s: %s", t.name, a.Name, a.Type))
				}
			}
		}
		if needIndex && !t.fileIndex {
			// Unnamed: PostgreSQL picks a name that collides with nothing.
			// text_pattern_ops: see fileIndexExists.
			if _, err := c.tx.Exec(ctx, `CREATE INDEX ON `+t.quoted+` (`+quote(record.FileColumn)+` text_pattern_ops)`); err != nil {
				return fmt.Errorf("table %q: create index on %s: %w", t.name, record.FileColumn, err)
			}
		}
	}
	if _, err := c.readColumns(ctx, t); err != nil {
		return err
	}
	if ch := diff(t, fields); !ch.empty() { // cannot happen unless DDL outside filedge interferes
		return fmt.Errorf("table %q: columns still do not fit the batch after DDL", t.name)
	}
	// The DDL holds ACCESS EXCLUSIVE or SHARE (or the table is new and
	// unseen) until the commit ends, and an existing table with nothing to
	// change is locked now: nobody else can change the columns.
	if !t.created && !t.locked && !t.temp {
		if _, err := c.tx.Exec(ctx, `LOCK TABLE `+t.quoted+` IN ROW EXCLUSIVE MODE`); err != nil {
			return fmt.Errorf("table %q: lock: %w", t.name, err)
		}
	}
	t.locked = true
	return nil
}

// lockDDL takes the lock under which commits create and alter table t,
// until the commit ends.
func (c *commit) lockDDL(ctx context.Context, t *table) error {
	if _, err := c.tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('filedge.table/' || $1::text || '.' || $2::text, 0))`,
		c.db.schema, t.name); err != nil {
		return fmt.Errorf("table %q: lock for DDL: %w", t.name, err)
	}
	return nil
}

// castExpr converts column expression col of type from (PostgreSQL type
// oid) to type to, the way the sink converts batch values (see cell.go), so
// old and new rows read alike.
func castExpr(col string, from record.Type, oid uint32, to record.Type) string {
	switch to {
	case record.Timestamp:
		if from == record.Date { // midnight UTC, whatever the session's time zone
			return "(" + col + "::timestamp AT TIME ZONE 'UTC')"
		}
		if oid == pgtype.TimestampOID {
			return "(" + col + " AT TIME ZONE 'UTC')"
		}
	case record.String:
		switch from {
		case record.Date:
			return "to_char(" + col + ", 'YYYY-MM-DD')"
		case record.Timestamp:
			// RFC 3339 in UTC with the fraction's trailing zeros dropped,
			// like time.RFC3339Nano.
			at := col
			if oid != pgtype.TimestampOID {
				at = "(" + col + " AT TIME ZONE 'UTC')"
			}
			return "(regexp_replace(to_char(" + at + `, 'YYYY-MM-DD"T"HH24:MI:SS.US'), '\.?0+$', '') || 'Z')`
		}
	}
	return col + "::" + sqlType(to)
}

// quote quotes an identifier.
func quote(name string) string { return pgx.Identifier{name}.Sanitize() }
