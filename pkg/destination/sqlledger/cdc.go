package sqlledger

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/filedge/filedge/pkg/destination"
	"github.com/filedge/filedge/pkg/record"
)

// CDCWriter is a Writer that applies files with write mode CDC (ADR 0005):
// it stages each table's rows and merges them with Ledger.PrepareCDC and
// Ledger.MergeCDC. Commit refuses a CDC file through a Writer without it,
// so that a destination that has not learnt CDC never loads one as an
// append.
type CDCWriter interface {
	// AppliesCDC marks the Writer; it does nothing.
	AppliesCDC()
}

// CDCTable is one table of a CDC file, its rows staged, as PrepareCDC and
// MergeCDC see it. Names are the database's, quoted and qualified by the
// caller.
type CDCTable struct {
	// Name is the table's name, for messages.
	Name string
	// Scratch names a table PrepareCDC creates and drops, in the
	// session's temporary schema ("temp"."x", pg_temp."x").
	Scratch string
	// Target, Stage and Tombstones are the table, the stage that holds
	// the file's rows for it (every column of the file, the operation
	// column included, and the system columns), and its tombstone table
	// (destination.TombstoneTable: the key columns and the sequence
	// column in the table's types, and the system columns).
	Target, Stage, Tombstones string
	// Columns are the table's columns, data and system, all of which an
	// upsert writes.
	Columns []string
	// Value is the SQL expression, over the stage's row s, of a column of
	// the table (or of the tombstone table, whose keys and sequence have
	// the table's types) in the table's type: s's column as it is, or
	// converted where the stage's type is narrower; "NULL" for a column
	// the stage does not have. MergeCDC only.
	Value func(column string) string
	// StageOrder and Order wrap an expression of the sequence column in
	// the stage's type and in the table's so that it orders as the type
	// does (a COLLATE clause for text, or for decimals kept as text); nil
	// leaves it as it is.
	StageOrder, Order func(expr string) string
}

// CDCPrepared is what PrepareCDC found in a stage.
type CDCPrepared struct {
	// Skipped and Problems are as destination.Result's: the changes
	// PrepareCDC deleted from the stage as row errors.
	Skipped  int64
	Problems []destination.Problem
}

// cdcStatement builds one statement of the CDC merge: the dialect's names
// and placeholders, and its arguments in order.
type cdcStatement struct {
	d    Dialect
	args []any
}

// param adds v as the next argument and returns its placeholder.
func (b *cdcStatement) param(v any) string {
	b.args = append(b.args, v)
	return b.d.Param(len(b.args))
}

// in returns "expr IN (placeholders of values)", or a false condition
// when there is none.
func (b *cdcStatement) in(expr string, values []string) string {
	if len(values) == 0 {
		return "1 = 0"
	}
	ps := make([]string, len(values))
	for i, v := range values {
		ps[i] = b.param(v)
	}
	return expr + " IN (" + strings.Join(ps, ", ") + ")"
}

// col is alias.column, quoted.
func (l *Ledger) col(alias, name string) string {
	if alias == "" {
		return l.d.Quote(name)
	}
	return alias + "." + l.d.Quote(name)
}

// PrepareCDC checks the changes staged for t and dedupes them, in the
// commit's transaction tx, before the table's lock is taken:
//
//  1. row errors (an operation in no kind or NULL, a NULL key or
//     sequence): under spec.SkipInvalid they are deleted from the stage,
//     counted and described (the first destination.MaxProblems); otherwise
//     the first, by _file and _line, fails the file with a
//     *destination.PermanentError naming its file, line and column;
//  2. ties: two changes of one key sharing the key's highest sequence in
//     one _file fail the file in the same way, or, skipping, every change
//     of that key is left out;
//  3. the dedupe: of each key's changes only the newest stays, by
//     (sequence, _file, _line).
//
// The stage holds the raw columns of the file (spec's columns among them),
// _file and _line.
func (l *Ledger) PrepareCDC(ctx context.Context, tx Conn, spec *destination.CDCSpec, t CDCTable) (*CDCPrepared, error) {
	out := &CDCPrepared{}
	if err := l.cdcRowErrors(ctx, tx, spec, t, out); err != nil {
		return nil, err
	}
	// One sort of the stage ranks every change within its key, newest
	// first, and notes whether the newest shares its sequence and file
	// with the next: the ties and the dedupe both read the ranks.
	w := l.cdcWindow(spec, t)
	seq, file, line := l.col("s", spec.SequenceBy), l.col("s", record.FileColumn), l.col("s", record.LineColumn)
	// Only the changes the dedupe deletes and the newest ones that tie are
	// kept: for a file that changes each key once, next to nothing.
	rank := `CREATE TABLE ` + t.Scratch + ` AS SELECT x.r, x.n, x.tie FROM (SELECT s.` + l.d.RowID + ` AS r, row_number() OVER (` + w + `) AS n, CASE WHEN ` +
		order(t.StageOrder, `lead(`+seq+`) OVER (`+w+`)`) + ` = ` + order(t.StageOrder, seq) + ` AND lead(` + file + `) OVER (` + w + `) = ` + file +
		` THEN lead(` + line + `) OVER (` + w + `) END AS tie FROM ` + t.Stage + ` AS s) AS x WHERE x.n > 1 OR x.tie IS NOT NULL`
	if err := tx.Exec(ctx, rank); err != nil {
		return nil, fmt.Errorf("table %q: rank the changes of each key: %w", t.Name, err)
	}
	if err := l.cdcTies(ctx, tx, spec, t, out); err != nil {
		return nil, err
	}
	// Keep each key's newest change.
	for _, q := range []string{
		`DELETE FROM ` + t.Stage + ` WHERE ` + l.d.RowID + ` IN (SELECT x.r FROM ` + t.Scratch + ` AS x WHERE x.n > 1)`,
		`DROP TABLE ` + t.Scratch,
	} {
		if err := tx.Exec(ctx, q); err != nil {
			return nil, fmt.Errorf("table %q: keep the newest change of each key: %w", t.Name, err)
		}
	}
	return out, nil
}

// cdcWindow is the window of a stage's changes by key, newest first.
func (l *Ledger) cdcWindow(spec *destination.CDCSpec, t CDCTable) string {
	keys := make([]string, len(spec.Keys))
	for i, k := range spec.Keys {
		keys[i] = l.col("s", k)
	}
	return `PARTITION BY ` + strings.Join(keys, ", ") + ` ORDER BY ` + order(t.StageOrder, l.col("s", spec.SequenceBy)) + ` DESC, ` +
		l.d.TextOrder(l.col("s", record.FileColumn)) + ` DESC, ` + l.col("s", record.LineColumn) + ` DESC`
}

// order applies an Order function, which may be nil.
func order(f func(string) string, expr string) string {
	if f == nil {
		return expr
	}
	return f(expr)
}

// cdcBad is the condition, on the stage's row alias (or the stage itself
// when alias is ""), of a row error of its own; b takes its arguments.
func (l *Ledger) cdcBad(b *cdcStatement, spec *destination.CDCSpec, alias string) string {
	op := l.col(alias, spec.OperationColumn)
	conds := []string{op + " IS NULL", "NOT (" + b.in(l.d.CastText(op), spec.Operations()) + ")"}
	for _, k := range spec.Keys {
		conds = append(conds, l.col(alias, k)+" IS NULL")
	}
	conds = append(conds, l.col(alias, spec.SequenceBy)+" IS NULL")
	return "(" + strings.Join(conds, " OR ") + ")"
}

// cdcRowErrors finds the row errors of t's stage (see PrepareCDC).
func (l *Ledger) cdcRowErrors(ctx context.Context, tx Conn, spec *destination.CDCSpec, t CDCTable, out *CDCPrepared) error {
	b := &cdcStatement{d: l.d}
	bad := l.cdcBad(b, spec, "s")
	// What is wrong with each bad row: its operation as text, and a flag
	// per key and for the sequence.
	sel := []string{l.d.CastText(l.col("s", record.FileColumn)), l.col("s", record.LineColumn), l.d.CastText(l.col("s", spec.OperationColumn))}
	for _, c := range append(append([]string{}, spec.Keys...), spec.SequenceBy) {
		sel = append(sel, `CASE WHEN `+l.col("s", c)+` IS NULL THEN 1 ELSE 0 END`)
	}
	limit := 1
	if spec.SkipInvalid {
		limit = destination.MaxProblems
	}
	q := `SELECT ` + strings.Join(sel, ", ") + ` FROM ` + t.Stage + ` AS s WHERE ` + bad +
		` ORDER BY ` + l.d.TextOrder(l.col("s", record.FileColumn)) + `, ` + l.col("s", record.LineColumn) + fmt.Sprintf(` LIMIT %d`, limit)
	var problems []destination.Problem
	err := tx.Query(ctx, q, b.args, func(scan func(...any) error) error {
		var (
			file  *string
			line  *int64
			op    *string
			nulls = make([]int64, len(spec.Keys)+1)
			dest  = []any{&file, &line, &op}
		)
		for i := range nulls {
			dest = append(dest, &nulls[i])
		}
		if err := scan(dest...); err != nil {
			return err
		}
		p := destination.Problem{Table: t.Name}
		if file != nil {
			p.File = *file
		}
		if line != nil {
			p.Line = *line
		}
		switch {
		case firstSet(nulls[:len(spec.Keys)]) >= 0:
			p.Column = spec.Keys[firstSet(nulls[:len(spec.Keys)])]
			p.Message = "the key is NULL"
		case nulls[len(spec.Keys)] != 0:
			p.Column = spec.SequenceBy
			p.Message = "the sequence is NULL"
		case op == nil:
			p.Column = spec.OperationColumn
			p.Message = "the operation is NULL"
		default:
			p.Column = spec.OperationColumn
			p.Message = fmt.Sprintf("unknown operation %s (known: %s)", quoteValue(*op), strings.Join(spec.Operations(), ", "))
		}
		problems = append(problems, p)
		return nil
	})
	if err != nil {
		return fmt.Errorf("table %q: look for row errors: %w", t.Name, err)
	}
	b = &cdcStatement{d: l.d}
	return l.leaveOut(ctx, tx, spec, t, problems, l.cdcBad(b, spec, ""), b.args, out)
}

// leaveOut fails the file on the first of problems, or, skipping row
// errors, deletes the rows of the stage where cond holds (args are its
// parameters) and counts them. It does nothing without a problem.
func (l *Ledger) leaveOut(ctx context.Context, tx Conn, spec *destination.CDCSpec, t CDCTable, problems []destination.Problem, cond string, args []any, out *CDCPrepared) error {
	switch {
	case len(problems) == 0:
		return nil
	case !spec.SkipInvalid:
		return rowError(problems[0])
	}
	var n int64
	if _, err := QueryRow(ctx, tx, `SELECT count(*) FROM `+t.Stage+` WHERE `+cond, args, &n); err != nil {
		return fmt.Errorf("table %q: count the changes to leave out: %w", t.Name, err)
	}
	if err := tx.Exec(ctx, `DELETE FROM `+t.Stage+` WHERE `+cond, args...); err != nil {
		return fmt.Errorf("table %q: leave out changes: %w", t.Name, err)
	}
	out.add(n, problems)
	return nil
}

// cdcTies finds the keys of t's stage whose two newest changes share the
// key's highest sequence in one file (see PrepareCDC), from the ranks.
func (l *Ledger) cdcTies(ctx context.Context, tx Conn, spec *destination.CDCSpec, t CDCTable, out *CDCPrepared) error {
	limit := 1
	if spec.SkipInvalid {
		limit = destination.MaxProblems
	}
	file, line := l.col("s", record.FileColumn), l.col("s", record.LineColumn)
	tied := ` FROM ` + t.Scratch + ` AS x JOIN ` + t.Stage + ` AS s ON s.` + l.d.RowID + ` = x.r WHERE x.n = 1 AND x.tie IS NOT NULL`
	q := `SELECT ` + l.d.CastText(file) + `, ` + line + `, x.tie` + tied + ` ORDER BY ` + l.d.TextOrder(file) + `, ` + line + fmt.Sprintf(` LIMIT %d`, limit)
	var problems []destination.Problem
	err := tx.Query(ctx, q, nil, func(scan func(...any) error) error {
		var (
			file      *string
			line, oth *int64
		)
		if err := scan(&file, &line, &oth); err != nil {
			return err
		}
		p := destination.Problem{Table: t.Name, Column: spec.SequenceBy}
		if file != nil {
			p.File = *file
		}
		if line != nil {
			p.Line = *line
		}
		other := "another line"
		if oth != nil {
			other = fmt.Sprintf("line %d", *oth)
		}
		p.Message = "two changes of one key share its highest sequence (this line and " + other + "): which one is the last is not known"
		problems = append(problems, p)
		return nil
	})
	if err != nil {
		return fmt.Errorf("table %q: look for changes of one key with the same sequence: %w", t.Name, err)
	}
	// Every change of a tied key is left out.
	keys := make([]string, len(spec.Keys))
	for i, k := range spec.Keys {
		keys[i] = l.col("s", k)
	}
	where := `(` + strings.Join(l.quoteAll(spec.Keys), ", ") + `) IN (SELECT ` + strings.Join(keys, ", ") + tied + `)`
	return l.leaveOut(ctx, tx, spec, t, problems, where, nil, out)
}

// add counts n skipped rows and keeps problems up to MaxProblems.
func (p *CDCPrepared) add(n int64, problems []destination.Problem) {
	p.Skipped += n
	for _, pr := range problems {
		if len(p.Problems) < destination.MaxProblems {
			p.Problems = append(p.Problems, pr)
		}
	}
}

// firstSet returns the index of the first non-zero flag, or -1.
func firstSet(flags []int64) int {
	for i, f := range flags {
		if f != 0 {
			return i
		}
	}
	return -1
}

// quoteValue quotes an operation value for a message, shortened.
func quoteValue(v string) string {
	const max = 40
	if r := []rune(v); len(r) > max {
		v = string(r[:max]) + "…"
	}
	return fmt.Sprintf("%q", v)
}

// rowError is the permanent error of a file whose change p is a row error.
func rowError(p destination.Problem) error {
	where := p.Table
	if p.File != "" {
		where = fmt.Sprintf("%s, file %q", p.Table, p.File)
	}
	return &destination.PermanentError{Err: fmt.Errorf("table %s: %w: %s", where, ErrCDCRow, p)}
}

// ErrCDCRow is wrapped by the error of a CDC file that a row error fails.
var ErrCDCRow = errors.New("invalid change")

func (l *Ledger) quoteAll(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = l.d.Quote(n)
	}
	return out
}

// newer is the condition that the change whose sequence, _file and _line
// are the expressions seq, file and line is newer than the state (a row of
// the table or of its tombstones) of alias, whose columns have the table's
// types: its sequence is NULL, or (seq, file, line) is greater.
func (l *Ledger) newer(t CDCTable, spec *destination.CDCSpec, seq, file, line, alias string) string {
	state := func(c string) string { return l.col(alias, c) }
	tuple := func(seq, file, line string) string {
		return "(" + order(t.Order, seq) + ", " + l.d.TextOrder("COALESCE("+file+", '')") + ", COALESCE(" + line + ", 0))"
	}
	return "(" + state(spec.SequenceBy) + " IS NULL OR " +
		tuple(seq, file, line) + " > " + tuple(state(spec.SequenceBy), state(record.FileColumn), state(record.LineColumn)) + ")"
}

// MergeCDC applies the changes of t's stage, checked and deduped by
// PrepareCDC, to the table and its tombstones, in the commit's transaction
// tx, with four set-based statements (ADR 0005):
//
//  1. delete the rows of the table that a newer delete beats;
//  2. upsert the tombstones of the deletes that beat their key's state;
//  3. upsert the rows of the inserts and updates that no newer tombstone
//     holds back, replacing every column of a row they beat;
//  4. delete the tombstones that those inserts and updates beat.
//
// The caller holds the table's CDC lock (merges of one table must not run
// at once), and the table and its tombstone table each have a unique index
// on spec.Keys.
func (l *Ledger) MergeCDC(ctx context.Context, tx Conn, spec *destination.CDCSpec, t CDCTable) error {
	v := t.Value
	op := l.d.CastText(l.col("s", spec.OperationColumn))
	keyJoin := func(alias string) string {
		conds := make([]string, len(spec.Keys))
		for i, k := range spec.Keys {
			conds[i] = l.col(alias, k) + " = " + v(k)
		}
		return strings.Join(conds, " AND ")
	}
	change := func(alias string) string {
		return l.newer(t, spec, v(spec.SequenceBy), v(record.FileColumn), v(record.LineColumn), alias)
	}
	keyList := "(" + strings.Join(l.quoteAll(spec.Keys), ", ") + ")"
	aliased := func(alias string) string {
		out := make([]string, len(spec.Keys))
		for i, k := range spec.Keys {
			out[i] = l.col(alias, k)
		}
		return strings.Join(out, ", ")
	}
	isKey := map[string]bool{}
	for _, k := range spec.Keys {
		isKey[k] = true
	}
	// The tombstone's columns: the keys, the sequence, the system columns.
	tombCols := append(append([]string{}, spec.Keys...), spec.SequenceBy)
	for _, c := range record.SystemColumns {
		tombCols = append(tombCols, c.Name)
	}
	values := func(cols []string) string {
		out := make([]string, len(cols))
		for i, c := range cols {
			out[i] = v(c)
		}
		return strings.Join(out, ", ")
	}
	set := func(cols []string) string {
		var out []string
		for _, c := range cols {
			if !isKey[c] {
				out = append(out, l.d.Quote(c)+" = excluded."+l.d.Quote(c))
			}
		}
		return strings.Join(out, ", ")
	}
	// The condition of an ON CONFLICT update: the change excluded is
	// newer than the row alias holds.
	excluded := func(alias string) string {
		return l.newer(t, spec, "excluded."+l.d.Quote(spec.SequenceBy), "excluded."+l.d.Quote(record.FileColumn), "excluded."+l.d.Quote(record.LineColumn), alias)
	}

	type step struct {
		what string
		sql  func(b *cdcStatement) string
	}
	steps := []step{
		{what: "delete the rows newer deletes beat", sql: func(b *cdcStatement) string {
			return `DELETE FROM ` + t.Target + ` WHERE ` + keyList + ` IN (SELECT ` + aliased("t") + ` FROM ` + t.Stage + ` AS s JOIN ` + t.Target + ` AS t ON ` + keyJoin("t") +
				` WHERE ` + b.in(op, spec.Delete) + ` AND ` + change("t") + `)`
		}},
		{what: "record the tombstones of deletes", sql: func(b *cdcStatement) string {
			return `INSERT INTO ` + t.Tombstones + ` AS d (` + strings.Join(l.quoteAll(tombCols), ", ") + `) SELECT ` + values(tombCols) + ` FROM ` + t.Stage + ` AS s WHERE ` +
				b.in(op, spec.Delete) + ` AND NOT EXISTS (SELECT 1 FROM ` + t.Target + ` AS t WHERE ` + keyJoin("t") + ` AND NOT ` + change("t") + `)` +
				` ON CONFLICT ` + keyList + ` DO UPDATE SET ` + set(tombCols) + ` WHERE ` + excluded("d")
		}},
		{what: "upsert the rows of inserts and updates", sql: func(b *cdcStatement) string {
			return `INSERT INTO ` + t.Target + ` AS t (` + strings.Join(l.quoteAll(t.Columns), ", ") + `) SELECT ` + values(t.Columns) + ` FROM ` + t.Stage + ` AS s WHERE ` +
				b.in(op, spec.Upserts()) + ` AND NOT EXISTS (SELECT 1 FROM ` + t.Tombstones + ` AS d WHERE ` + keyJoin("d") + ` AND NOT ` + change("d") + `)` +
				` ON CONFLICT ` + keyList + ` DO UPDATE SET ` + set(t.Columns) + ` WHERE ` + excluded("t")
		}},
		{what: "remove the tombstones inserts and updates beat", sql: func(b *cdcStatement) string {
			return `DELETE FROM ` + t.Tombstones + ` WHERE ` + keyList + ` IN (SELECT ` + aliased("d") + ` FROM ` + t.Stage + ` AS s JOIN ` + t.Tombstones + ` AS d ON ` + keyJoin("d") +
				` WHERE ` + b.in(op, spec.Upserts()) + ` AND ` + change("d") + `)`
		}},
	}
	for _, st := range steps {
		b := &cdcStatement{d: l.d}
		q := st.sql(b)
		if err := tx.Exec(ctx, q, b.args...); err != nil {
			return fmt.Errorf("table %q: %s: %w", t.Name, st.what, err)
		}
	}
	return nil
}
