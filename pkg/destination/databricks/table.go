package databricks

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/filedge/filedge/pkg/destination"
	"github.com/filedge/filedge/pkg/record"
)

// MaxDecimalPrecision is the most digits a Databricks DECIMAL holds. A
// wider decimal is kept as STRING, its exact text with its scale, and the
// column's comment says which decimal it holds.
const MaxDecimalPrecision = 38

// commentPrefix starts the column comment that tells which filedge type a
// STRING column holds when it is not text: JSON, or a decimal wider than
// DECIMAL(38).
const commentPrefix = "filedge:"

// sqlType returns the Databricks type of a column of type t, and the
// comment that marks it (see commentPrefix), or "".
func sqlType(t record.Type) (typ, comment string) {
	switch {
	case t.IsDecimal() && t != record.Decimal && t.Precision() <= MaxDecimalPrecision:
		return fmt.Sprintf("DECIMAL(%d,%d)", t.Precision(), t.Scale()), ""
	case t.IsDecimal():
		return "STRING", commentPrefix + t.String()
	}
	switch t.Stored() {
	case record.Boolean:
		return "BOOLEAN", ""
	case record.Integer:
		return "BIGINT", ""
	case record.Float:
		return "DOUBLE", ""
	case record.Date:
		return "DATE", ""
	case record.Timestamp:
		return "TIMESTAMP", ""
	case record.JSON:
		return "STRING", commentPrefix + "json"
	}
	return "STRING", ""
}

// stagedType is the type a column of type t has in the staged Parquet
// files and the staging table: t itself, but for the types Databricks
// holds as STRING (JSON, wide decimals, Unknown), which travel as their
// text.
func stagedType(t record.Type) record.Type {
	if typ, _ := sqlType(t); typ == "STRING" {
		return record.String
	}
	return t
}

var decimalPattern = regexp.MustCompile(`^decimal\((\d+),\s*(\d+)\)$`)

// typeOf maps a column's Databricks type, as information_schema's
// full_data_type writes it, and its comment back to the filedge type it
// holds. Types filedge does not create count as the nearest logical type;
// any other (binary, arrays, structs, variant) counts as String.
func typeOf(full string, comment string) record.Type {
	full = strings.ToLower(strings.TrimSpace(full))
	if m := decimalPattern.FindStringSubmatch(full); m != nil {
		p, _ := strconv.Atoi(m[1])
		s, _ := strconv.Atoi(m[2])
		if s <= p && p >= 1 && p <= MaxDecimalPrecision {
			return record.DecimalOf(p, s)
		}
		return record.String
	}
	switch full {
	case "boolean":
		return record.Boolean
	case "bigint", "int", "integer", "smallint", "tinyint", "long", "short", "byte":
		return record.Integer
	case "double", "float", "real":
		return record.Float
	case "date":
		return record.Date
	case "timestamp", "timestamp_ltz", "timestamp_ntz":
		return record.Timestamp
	case "string":
		if marked, ok := strings.CutPrefix(strings.TrimSpace(comment), commentPrefix); ok {
			var t record.Type
			if t.UnmarshalText([]byte(marked)) == nil && (t == record.JSON || t.IsDecimal() && t != record.Decimal) {
				return t
			}
		}
	}
	return record.String
}

// column is a column of a table, with its filedge type.
type column struct {
	name string
	typ  record.Type
}

// columns reads the columns of table in the table's order from the
// catalog's information_schema; none when the table does not exist.
func (d *DB) columns(ctx context.Context, table string) ([]column, error) {
	var cols []column
	err := d.query(ctx, `SELECT column_name, full_data_type, comment FROM `+d.catalog+`.information_schema.columns
		WHERE lower(table_schema) = lower(:schema) AND lower(table_name) = lower(:table) ORDER BY ordinal_position`,
		named("schema", d.cfg.Schema, "table", table), func() { cols = nil },
		func(scan func(...any) error) error {
			var name, full string
			var comment *string
			if err := scan(&name, &full, &comment); err != nil {
				return err
			}
			c := ""
			if comment != nil {
				c = *comment
			}
			cols = append(cols, column{name: name, typ: typeOf(full, c)})
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("table %q: read columns: %w", table, err)
	}
	return cols, nil
}

// columnDef writes the definition of a column of type t for CREATE TABLE
// and ADD COLUMNS.
func columnDef(name string, t record.Type) string {
	typ, comment := sqlType(t)
	def := quote(name) + " " + typ
	if comment != "" {
		def += " COMMENT " + literal(comment)
	}
	return def
}

// literal writes s as a Databricks string literal: single quotes, with
// backslashes and quotes escaped (Databricks reads backslash escapes in
// literals).
func literal(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

// checkTableName refuses a table name filedge keeps for itself.
func checkTableName(name string) error {
	switch {
	case name == "":
		return &destination.PermanentError{Err: fmt.Errorf("a table needs a name")}
	case name == destination.LedgerTable || name == destination.TablesTable || name == PathsTable || strings.HasPrefix(name, stagePrefix):
		return &destination.PermanentError{Err: fmt.Errorf("table %q: the name is reserved for filedge's bookkeeping", name)}
	}
	return nil
}

// evolve brings table to hold the data columns want (name and type, in
// order): it creates the table with the system columns when it is
// missing, adds the columns it lacks, and widens those whose type does
// not hold the wanted one. It returns the columns the table has then,
// reports what it changed in an existing table (added, as Result.Added;
// widened, as Result.Widened), and whether it created the table.
func (d *DB) evolve(ctx context.Context, table string, want []column) (have []column, added, widened []string, err error) {
	for range 5 { // a concurrent commit may change the table in between: read again
		have, err = d.columns(ctx, table)
		if err != nil {
			return nil, nil, nil, err
		}
		if len(have) == 0 {
			var defs []string
			for _, c := range want {
				defs = append(defs, columnDef(c.name, c.typ))
			}
			for _, s := range record.SystemColumns {
				defs = append(defs, columnDef(s.Name, s.Type))
			}
			if err := d.exec(ctx, `CREATE TABLE IF NOT EXISTS `+d.table(table)+` (`+strings.Join(defs, ", ")+`)`+tableOptions); err != nil {
				return nil, nil, nil, fmt.Errorf("table %q: create: %w", table, err)
			}
			d.noteText(table, want)
			continue
		}
		plan := diff(have, want)
		if plan.empty() {
			return have, added, widened, nil
		}
		if err := d.alter(ctx, table, have, plan); err != nil {
			return nil, nil, nil, err
		}
		d.noteText(table, plan.add)
		for _, w := range plan.widen {
			d.noteText(table, []column{{w.name, w.to}})
		}
		for _, c := range plan.add {
			added = append(added, fmt.Sprintf("%s.%s: %s", table, c.name, c.typ))
		}
		for _, w := range plan.widen {
			widened = append(widened, fmt.Sprintf("%s.%s: %s → %s", table, w.name, w.from, w.to))
		}
	}
	return nil, nil, nil, fmt.Errorf("table %q: its columns kept changing while the commit altered it", table)
}

// noteText logs, for each of cols that is a decimal wider than
// DECIMAL(38), that the table keeps it as exact text: a column issue that
// loses no value, but that readers of the table should know of.
func (d *DB) noteText(table string, cols []column) {
	for _, c := range cols {
		if c.typ.IsDecimal() && stagedType(c.typ) == record.String {
			d.log.Warn("databricks: a decimal wider than DECIMAL(38) is kept as exact text in a STRING column, its comment naming the decimal",
				"destination", d.name, "table", table, "column", c.name, "type", c.typ.String())
		}
	}
}

// widening is a column whose type changes.
type widening struct {
	name     string
	from, to record.Type
}

// change is what a table needs to take a set of columns.
type change struct {
	add   []column
	widen []widening
}

func (c change) empty() bool { return len(c.add) == 0 && len(c.widen) == 0 }

// diff works out the columns to add to a table that has have, and those to
// widen, so that it takes want (and the system columns).
func diff(have, want []column) change {
	types := make(map[string]record.Type, len(have))
	for _, c := range have {
		types[c.name] = c.typ
	}
	var ch change
	for _, c := range want {
		t, ok := types[c.name]
		if !ok {
			ch.add = append(ch.add, column{c.name, c.typ.Stored()})
			types[c.name] = c.typ.Stored()
			continue
		}
		if w := record.Widen(t, c.typ); w != t {
			ch.widen = append(ch.widen, widening{c.name, t, w})
		}
	}
	for _, s := range record.SystemColumns {
		if _, ok := types[s.Name]; !ok {
			ch.add = append(ch.add, column{s.Name, s.Type})
		}
	}
	return ch
}

// alter adds and widens a table's columns. A widening that only changes
// what a STRING column holds (JSON or a wide decimal becoming text) changes
// the column's comment; any other rebuilds the table, converting every
// value, in one Delta commit (CREATE OR REPLACE TABLE ... AS SELECT):
// filedge does not turn on Delta's type widening feature, which upgrades
// a table's protocol for every reader (see the package documentation).
func (d *DB) alter(ctx context.Context, table string, have []column, ch change) error {
	if len(ch.add) > 0 {
		var defs []string
		for _, c := range ch.add {
			defs = append(defs, columnDef(c.name, c.typ))
		}
		if err := d.exec(ctx, `ALTER TABLE `+d.table(table)+` ADD COLUMNS (`+strings.Join(defs, ", ")+`)`); err != nil {
			return fmt.Errorf("table %q: add columns: %w", table, err)
		}
	}
	if len(ch.widen) == 0 {
		return nil
	}
	to := map[string]widening{}
	rebuild := false
	for _, w := range ch.widen {
		to[w.name] = w
		if a, _ := sqlType(w.from); a != "STRING" || stagedType(w.to) != record.String || w.from.IsDecimal() && w.to.IsDecimal() {
			rebuild = true
		}
	}
	if rebuild {
		var exprs []string
		for _, c := range have {
			if w, ok := to[c.name]; ok {
				exprs = append(exprs, convertExpr(quote(c.name), w.from, w.to)+" AS "+quote(c.name))
			} else {
				exprs = append(exprs, quote(c.name))
			}
		}
		for _, c := range ch.add { // added above, NULL in every row
			exprs = append(exprs, quote(c.name))
		}
		if err := d.exec(ctx, `CREATE OR REPLACE TABLE `+d.table(table)+tableOptions+` AS SELECT `+strings.Join(exprs, ", ")+` FROM `+d.table(table)); err != nil {
			return fmt.Errorf("table %q: rebuild to widen columns: %w", table, err)
		}
		// The rebuilt table's columns have no comments: mark again those
		// that need one.
		for _, c := range append(append([]column{}, have...), ch.add...) {
			t := c.typ
			if w, ok := to[c.name]; ok {
				t = w.to
			}
			if _, comment := sqlType(t); comment != "" {
				if err := d.setComment(ctx, table, c.name, comment); err != nil {
					return err
				}
			}
		}
		return nil
	}
	for _, w := range ch.widen {
		_, comment := sqlType(w.to)
		if err := d.setComment(ctx, table, w.name, comment); err != nil {
			return err
		}
	}
	return nil
}

// setComment sets a column's comment.
func (d *DB) setComment(ctx context.Context, table, col, comment string) error {
	if err := d.exec(ctx, `ALTER TABLE `+d.table(table)+` ALTER COLUMN `+quote(col)+` COMMENT `+literal(comment)); err != nil {
		return fmt.Errorf("table %q: column %q: set comment: %w", table, col, err)
	}
	return nil
}

// convertExpr converts the stored values of column expression col from
// type from to type to in Databricks SQL (the session's time zone is UTC):
// decimals exactly, a timestamp as RFC 3339 text, other values as
// Databricks casts them.
func convertExpr(col string, from, to record.Type) string {
	typ, _ := sqlType(to)
	fromTyp, _ := sqlType(from)
	switch {
	case typ != "STRING":
		return "CAST(" + col + " AS " + typ + ")"
	case to.IsDecimal():
		// A decimal kept as text: the text with to's scale.
		text := col
		scale := 0
		switch {
		case from.IsDecimal() && fromTyp == "STRING":
			scale = from.Scale()
		case from.IsDecimal():
			text, scale = "CAST("+col+" AS STRING)", from.Scale()
		default: // Integer
			text = "CAST(" + col + " AS STRING)"
		}
		if pad := to.Scale() - scale; pad > 0 {
			if scale == 0 {
				return "(" + text + " || '." + strings.Repeat("0", pad) + "')"
			}
			return "(" + text + " || '" + strings.Repeat("0", pad) + "')"
		}
		return text
	case fromTyp == "STRING":
		return col
	case from == record.Timestamp:
		return "date_format(" + col + `, "yyyy-MM-dd'T'HH:mm:ss.SSSSSSXXX")`
	}
	return "CAST(" + col + " AS STRING)"
}

// dataFields returns the batch's data columns (every field but _line and
// an archive member's _file, which are system columns) and checks their
// names.
func dataFields(schema *arrow.Schema) ([]arrow.Field, error) {
	fields := make([]arrow.Field, 0, schema.NumFields())
	seen := make(map[string]bool, schema.NumFields())
	for _, f := range schema.Fields() {
		switch {
		case f.Name == record.LineColumn || f.Name == record.FileColumn:
			continue
		case record.IsSystem(f.Name):
			return nil, &destination.PermanentError{Err: fmt.Errorf("column %q: the name is reserved for a system column", f.Name)}
		case f.Name == "":
			return nil, &destination.PermanentError{Err: fmt.Errorf("a column has no name")}
		case seen[f.Name]:
			return nil, &destination.PermanentError{Err: fmt.Errorf("column %q appears twice in one batch", f.Name)}
		}
		seen[f.Name] = true
		fields = append(fields, f)
	}
	return fields, nil
}
