package sqlite

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"modernc.org/sqlite"

	"github.com/filedge/filedge/pkg/destination"
	"github.com/filedge/filedge/pkg/destination/sqlledger"
	"github.com/filedge/filedge/pkg/record"
)

// CDC (ADR 0005). A CDC file's batches go, table by table, into a TEMP
// stage: a table without declared types (so that SQLite converts nothing),
// holding each value as the append path would store it for the stage
// column's type, which a later batch may widen (the staged values are then
// converted in place by filedge_convert). Once every batch is staged, each
// table is checked and deduped (sqlledger.Ledger.PrepareCDC), created or
// altered to hold the stage's columns, given its key index and its
// tombstone table, and merged (sqlledger.Ledger.MergeCDC), in the commit's
// BEGIN IMMEDIATE transaction: SQLite's one writer serialises the merges.

// stage is one table's stage.
type stage struct {
	target string // the table's name
	t      *table // the stage as insert sees it: the types are the staged values'
}

// AppliesCDC implements sqlledger.CDCWriter.
func (w *writer) AppliesCDC() {}

// decimalCollation orders decimal texts by their value: SQLite keeps
// decimals as text, which would order "10" before "9".
const decimalCollation = "filedge_decimal"

func init() {
	sqlite.MustRegisterCollationUtf8(decimalCollation, compareDecimals)
}

// stageBatch stages one batch of a CDC file's table name; want are its
// data columns, lineCol the index of its _line column (or -1) and file its
// rows' _file.
func (w *writer) stageBatch(ctx context.Context, name string, batch arrow.RecordBatch, want []column, lineCol int, file string) error {
	s, seen := w.stages[name]
	if !seen {
		if destination.IsBookkeeping(name) {
			return &destination.PermanentError{Err: fmt.Errorf("table %q: the name is reserved for filedge's bookkeeping", name)}
		}
		names := make([]string, len(want))
		for i, c := range want {
			names[i] = c.name
		}
		if err := w.f.CDC.CheckColumns(name, names); err != nil {
			return err
		}
		s = &stage{target: name, t: &table{name: fmt.Sprintf("_filedge_stage_%d", len(w.stages)), byName: map[string]int{}}}
		for _, c := range want {
			if _, dup := s.t.find(c.name); !dup {
				s.t.add(c)
			}
		}
		for _, c := range record.SystemColumns {
			s.t.add(column{name: c.Name, typ: c.Type})
		}
		defs := make([]string, len(s.t.cols))
		for i, c := range s.t.cols {
			defs[i] = quote(c.name)
		}
		for _, q := range []string{
			`DROP TABLE IF EXISTS temp.` + quote(s.t.name),
			`CREATE TEMP TABLE ` + quote(s.t.name) + ` (` + strings.Join(defs, ", ") + `)`,
		} {
			if _, err := w.tx.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("table %q: create its CDC stage: %w", name, err)
			}
		}
		w.stages[name] = s
		w.order = append(w.order, name)
	} else if err := w.evolveStage(ctx, s, want); err != nil {
		return err
	}
	if batch.NumRows() == 0 {
		return nil
	}
	return w.insert(ctx, s.t, batch, lineCol, file)
}

// evolveStage adds to the stage the columns of a later batch it lacks and
// widens the ones the batch needs wider, converting what is staged.
func (w *writer) evolveStage(ctx context.Context, s *stage, want []column) error {
	for _, c := range want {
		i, ok := s.t.find(c.name)
		if !ok {
			if _, err := w.tx.ExecContext(ctx, `ALTER TABLE `+quote(s.t.name)+` ADD COLUMN `+quote(c.name)); err != nil {
				return fmt.Errorf("table %q: add column %q to its CDC stage: %w", s.target, c.name, err)
			}
			s.t.add(c)
			continue
		}
		have := s.t.cols[i].typ
		if nt := record.Widen(have, c.typ); nt != have {
			if have != record.Unknown {
				q := fmt.Sprintf(`UPDATE %s SET %s = %s(%s, %d, %d)`, quote(s.t.name), quote(s.t.cols[i].name), convertFunc, quote(s.t.cols[i].name), have, nt)
				if _, err := w.tx.ExecContext(ctx, q); err != nil {
					return fmt.Errorf("table %q: widen column %q of its CDC stage: %w", s.target, c.name, err)
				}
			}
			s.t.cols[i].typ = nt
		}
	}
	return nil
}

// mergeStages merges every staged table, in the order of their names.
func (w *writer) mergeStages(ctx context.Context) error {
	names := slices.Sorted(maps.Keys(w.stages))
	for _, name := range names {
		if err := w.mergeStage(ctx, w.stages[name]); err != nil {
			return err
		}
	}
	return nil
}

// mergeStage checks, dedupes and merges one table's stage, then drops it.
func (w *writer) mergeStage(ctx context.Context, s *stage) error {
	spec := w.f.CDC
	col := func(name string) (column, bool) {
		i, ok := s.t.find(name)
		if !ok {
			return column{}, false
		}
		return s.t.cols[i], true
	}
	seq, _ := col(spec.SequenceBy)
	ct := sqlledger.CDCTable{Name: s.target, Stage: quote(s.t.name), StageOrder: orderOf(seq.typ),
		Scratch: `"temp".` + quote(strings.Replace(s.t.name, "_stage_", "_ranks_", 1))}
	prep, err := ledger.PrepareCDC(ctx, w.conn, spec, ct)
	if err != nil {
		return err
	}
	w.rows -= prep.Skipped // insert counted them as they were staged
	w.skipped += prep.Skipped
	w.problems = append(w.problems, prep.Problems...)

	// The table holds the stage's data columns, the operation's aside.
	var data []column
	for _, c := range s.t.cols {
		if !record.IsSystem(c.name) && !strings.EqualFold(c.name, spec.OperationColumn) {
			data = append(data, c)
		}
	}
	t, err := w.prepareTarget(ctx, s.target, data)
	if err != nil {
		return err
	}
	if err := ensureKeyIndex(ctx, w, t.name, spec.Keys); err != nil {
		return err
	}
	tomb, err := w.prepareTombstones(ctx, t, spec)
	if err != nil {
		return err
	}
	ct.Target, ct.Tombstones = quote(t.name), quote(tomb)
	tseq := t.cols[mustFind(t, spec.SequenceBy)]
	ct.Order = orderOf(tseq.typ)
	for _, c := range t.cols {
		ct.Columns = append(ct.Columns, c.name)
	}
	ct.Value = func(name string) string {
		sc, ok := col(name)
		if !ok {
			return "NULL"
		}
		ref := "s." + quote(sc.name)
		i, ok := t.find(name)
		if !ok || sc.typ == t.cols[i].typ || sc.typ == record.Unknown {
			return ref
		}
		return fmt.Sprintf("%s(%s, %d, %d)", convertFunc, ref, sc.typ, t.cols[i].typ)
	}
	if err := ledger.MergeCDC(ctx, w.conn, spec, ct); err != nil {
		return err
	}
	if _, err := w.tx.ExecContext(ctx, `DROP TABLE temp.`+quote(s.t.name)); err != nil {
		return fmt.Errorf("table %q: drop its CDC stage: %w", s.target, err)
	}
	return nil
}

// orderOf is how a sequence of type typ orders: decimals, kept as text, by
// their value.
func orderOf(typ record.Type) func(string) string {
	if typ.IsDecimal() {
		return func(expr string) string { return expr + " COLLATE " + decimalCollation }
	}
	return nil
}

func mustFind(t *table, name string) int {
	i, _ := t.find(name)
	return i
}

// prepareTarget creates the table of a CDC stage, or adds and widens its
// columns, reporting the changes to an existing table as the append path
// does.
func (w *writer) prepareTarget(ctx context.Context, name string, data []column) (*table, error) {
	t, err := loadTable(ctx, w.tx, name)
	if err != nil {
		return nil, err
	}
	if t == nil {
		return createTable(ctx, w.tx, name, stored(data))
	}
	sys := make([]column, 0, len(record.SystemColumns))
	for _, c := range record.SystemColumns {
		sys = append(sys, column{name: c.Name, typ: c.Type})
	}
	widened, added, err := evolve(ctx, w.tx, w.log, t, append(slices.Clone(data), sys...))
	if err != nil {
		return nil, err
	}
	w.widened = append(w.widened, widened...)
	w.added = append(w.added, added...)
	return t, nil
}

// prepareTombstones creates or widens the tombstone table of t: the key
// and sequence columns in t's types, and the system columns.
func (w *writer) prepareTombstones(ctx context.Context, t *table, spec *destination.CDCSpec) (string, error) {
	name := destination.TombstoneTable(t.name)
	var want []column
	for _, c := range append(slices.Clone(spec.Keys), spec.SequenceBy) {
		want = append(want, t.cols[mustFind(t, c)])
	}
	tt, err := loadTable(ctx, w.tx, name)
	if err != nil {
		return "", err
	}
	if tt == nil {
		if _, err := createTable(ctx, w.tx, name, stored(want)); err != nil {
			return "", err
		}
	} else if _, _, err := evolve(ctx, w.tx, w.log, tt, want); err != nil {
		return "", err
	}
	return name, ensureKeyIndex(ctx, w, name, spec.Keys)
}

// ensureKeyIndex gives table a unique index on keys if it has none (nor a
// primary key on them), failing the file when its rows repeat a key.
func ensureKeyIndex(ctx context.Context, w *writer, table string, keys []string) error {
	rows, err := w.tx.QueryContext(ctx, `SELECT l."name", i."name" FROM pragma_index_list(?) AS l JOIN pragma_index_info(l."name") AS i
		WHERE l."unique" AND NOT l."partial" ORDER BY l."name"`, table)
	if err != nil {
		return fmt.Errorf("table %q: read its indexes: %w", table, err)
	}
	indexes := map[string][]string{}
	for rows.Next() {
		var idx string
		var c *string
		if err := rows.Scan(&idx, &c); err != nil {
			rows.Close()
			return fmt.Errorf("table %q: read its indexes: %w", table, err)
		}
		if c == nil {
			c = new(string) // an expression: matches no key
		}
		indexes[idx] = append(indexes[idx], strings.ToLower(*c))
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("table %q: read its indexes: %w", table, err)
	}
	want := make([]string, len(keys))
	for i, k := range keys {
		want[i] = strings.ToLower(k)
	}
	slices.Sort(want)
	for _, cols := range indexes {
		slices.Sort(cols)
		if slices.Equal(cols, want) {
			return nil
		}
	}
	quoted := make([]string, len(keys))
	for i, k := range keys {
		quoted[i] = quote(k)
	}
	index := "_filedge_key_" + table + "_" + strings.Join(keys, "_")
	_, err = w.tx.ExecContext(ctx, `CREATE UNIQUE INDEX `+quote(index)+` ON `+quote(table)+` (`+strings.Join(quoted, ", ")+`)`)
	if err != nil && isUniqueViolation(err) {
		return &destination.PermanentError{Err: fmt.Errorf("table %q holds more than one row of one key (%s): write mode cdc needs one row per key", table, strings.Join(keys, ", "))}
	}
	if err != nil {
		return fmt.Errorf("table %q: create the unique index of its keys: %w", table, err)
	}
	return nil
}

// compareDecimals orders two decimal texts by value; a text that is not a
// decimal comes after every decimal, by its bytes.
func compareDecimals(a, b string) int {
	da, okA := parseDecimalText(a)
	db, okB := parseDecimalText(b)
	switch {
	case !okA && !okB:
		return strings.Compare(a, b)
	case !okA:
		return 1
	case !okB:
		return -1
	}
	if da.neg != db.neg {
		if da.neg {
			return -1
		}
		return 1
	}
	c := compareMagnitudes(da, db)
	if da.neg {
		return -c
	}
	return c
}

// decimalParts is a decimal's text split into its sign and its digits,
// without leading zeros in the integer part nor trailing zeros in the
// fraction; zero is never negative.
type decimalParts struct {
	neg        bool
	whole, fra string
}

func parseDecimalText(s string) (decimalParts, bool) {
	var d decimalParts
	s = strings.TrimSpace(s)
	switch {
	case strings.HasPrefix(s, "-"):
		d.neg, s = true, s[1:]
	case strings.HasPrefix(s, "+"):
		s = s[1:]
	}
	whole, fra, _ := strings.Cut(s, ".")
	if whole == "" && fra == "" {
		return d, false
	}
	for _, part := range []string{whole, fra} {
		for i := 0; i < len(part); i++ {
			if part[i] < '0' || part[i] > '9' {
				return d, false
			}
		}
	}
	d.whole = strings.TrimLeft(whole, "0")
	d.fra = strings.TrimRight(fra, "0")
	if d.whole == "" && d.fra == "" {
		d.neg = false
	}
	return d, true
}

// compareMagnitudes compares the absolute values of a and b.
func compareMagnitudes(a, b decimalParts) int {
	if len(a.whole) != len(b.whole) {
		if len(a.whole) < len(b.whole) {
			return -1
		}
		return 1
	}
	if c := strings.Compare(a.whole, b.whole); c != 0 {
		return c
	}
	return strings.Compare(a.fra, b.fra) // no trailing zeros: text order is value order
}
