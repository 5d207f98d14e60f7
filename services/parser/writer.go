package parser

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/filedge/filedge/pkg/bus"
	"github.com/filedge/filedge/pkg/config"
	"github.com/filedge/filedge/pkg/format"
	"github.com/filedge/filedge/pkg/record"
)

// writer is the format.Writer of one file version: it maps each leaf's
// columns (a leaf is the file, or one member of an archive) onto the
// pipeline's tables and columns by name, buffers rows in a record.Builder
// per table, applies on_error, and emits each batch when it is full.
//
// A batch never spans two leaves. Batches of an archive member carry a
// record.FileColumn naming the member, so that its rows' _file says where
// they came from.
type writer struct {
	ctx  context.Context
	p    *config.Pipeline
	emit Emit
	opts Options
	sum  *bus.FileParsed

	tables map[string]*table
	order  []*table

	// The leaf being read.
	leaf     string // its path, for _file and messages
	leafName string // its name without compression suffix, for table names
	member   bool   // an archive member: batches carry _file
	cur      *table // the table the leaf writes to; nil before its first Begin
	sheet    string // the leaf's table (sheet) last begun
	idx      []int  // leaf column i → table column idx[i]
	identity bool   // idx is 0, 1, 2 ...
	scratch  []record.Cell
	cleaned  []record.Cell     // a row's cells with the values record.CleanValue changed
	fixed    []bus.Problem     // the values record.CleanValue changed, per leaf, table and column
	done     map[string]string // tables finished by an earlier leaf → that leaf
}

type table struct {
	name    string
	cols    []record.Column // every column so far, in table order
	index   map[string]int  // column name → its place in cols
	b       *record.Builder
	summary *bus.TableParsed
	fixes   map[int]*textFixes // column → the values record.CleanValue changed in it
}

// textFixes counts the values of a column that record.CleanValue changed,
// by what it changed, with the line of the first of each.
type textFixes struct {
	nul, invalid         int64
	firstNUL, firstInval int64
}

func newWriter(ctx context.Context, p *config.Pipeline, emit Emit, opts Options, sum *bus.FileParsed) *writer {
	return &writer{ctx: ctx, p: p, emit: emit, opts: opts, sum: sum, tables: map[string]*table{}, done: map[string]string{}}
}

// startLeaf begins reading one leaf.
func (w *writer) startLeaf(leafPath, leafName string, member bool) {
	w.leaf, w.leafName, w.member = leafPath, leafName, member
	w.cur, w.idx = nil, nil
}

// endLeaf flushes the leaf's buffered rows, so that no batch spans leaves.
func (w *writer) endLeaf() error {
	t := w.cur
	w.cur = nil
	if t == nil {
		return nil
	}
	w.done[t.name] = w.leaf
	w.reportFixes(t)
	if t.b.Len() > 0 || t.summary.Batches == 0 {
		return w.flush(t)
	}
	return nil
}

// tableName returns the destination table of the leaf's table (sheet).
func (w *writer) tableName(sheet string) string {
	if w.p.Mode == config.MagicFolder {
		base := path.Base(w.leafName)
		if i := strings.IndexByte(base, '.'); i > 0 {
			base = base[:i]
		}
		if sheet != "" {
			base += "_" + sheet
		}
		return record.TableName(base)
	}
	return record.TableName(w.p.Table)
}

func (w *writer) fileError(err error) error { return &format.FileError{File: w.leaf, Err: err} }

func (w *writer) Begin(sheet string, cols []format.Column) error {
	name := w.tableName(sheet)
	if w.cur != nil && w.cur.name != name {
		if err := w.endTable(); err != nil {
			return err
		}
	}
	if w.cur == nil {
		if other, ok := w.done[name]; ok && w.p.Mode == config.MagicFolder {
			return w.fileError(fmt.Errorf("table %q is already loaded from %s", name, other))
		}
		t := w.tables[name]
		if t == nil {
			t = &table{name: name, index: map[string]int{}, summary: &bus.TableParsed{Name: name}}
			w.tables[name] = t
			w.order = append(w.order, t)
		}
		w.cur, w.idx = t, w.idx[:0]
	} else if sheet != w.sheet {
		w.idx = w.idx[:0] // another sheet into the same table: map its columns afresh
	}
	w.sheet = sheet
	if len(cols) < len(w.idx) {
		return w.fileError(fmt.Errorf("table %q: columns redeclared with fewer columns", name))
	}
	return w.mapColumns(w.cur, cols)
}

// endTable flushes the current table's rows when a leaf moves on to another
// table (the next sheet).
func (w *writer) endTable() error {
	t := w.cur
	w.cur, w.idx = nil, nil
	w.done[t.name] = w.leaf
	w.reportFixes(t)
	if t.b.Len() > 0 || t.summary.Batches == 0 {
		return w.flush(t)
	}
	return nil
}

// mapColumns maps the leaf's columns (those not yet mapped) onto the table's
// by safe name, adding the ones the table lacks.
func (w *writer) mapColumns(t *table, cols []format.Column) error {
	declared := w.columns(cols)
	var added []record.Column
	var required []bool
	for i := len(w.idx); i < len(declared); i++ {
		c := declared[i]
		j, ok := t.index[c.Name]
		if !ok {
			j = len(t.cols)
			t.index[c.Name] = j
			t.cols = append(t.cols, c)
			added = append(added, c)
			required = append(required, w.isRequired(c.Source))
		}
		w.idx = append(w.idx, j)
	}
	if t.b == nil {
		opts := record.BuilderOptions{Columns: added, MaxBatchBytes: w.opts.MaxBatchBytes, Alloc: w.opts.Alloc}
		for _, r := range required {
			if r {
				opts.Required = required
				break
			}
		}
		t.b = record.NewBuilder(opts)
	} else if len(added) > 0 {
		t.b.AddColumns(added)
	}
	w.identity = len(w.idx) == len(t.cols)
	for i, j := range w.idx {
		if i != j {
			w.identity = false
			break
		}
	}
	return nil
}

// columns maps the file's columns through the pipeline's columns: list (by
// source name, exactly or ignoring case) and makes every name safe.
func (w *writer) columns(cols []format.Column) []record.Column {
	raw := make([]string, len(cols))
	out := make([]record.Column, len(cols))
	for i, c := range cols {
		raw[i] = c.Name
		out[i] = record.Column{Source: c.Name, Type: c.Type}
		if m := w.declared(c.Name); m != nil {
			if m.Dest != "" {
				raw[i] = m.Dest
			}
			if m.Type != record.Unknown {
				out[i].Type = m.Type
			}
		}
	}
	for i, n := range record.Names(raw) {
		out[i].Name = n
	}
	return out
}

func (w *writer) declared(source string) *config.Column {
	for i := range w.p.Columns {
		if w.p.Columns[i].Source == source {
			return &w.p.Columns[i]
		}
	}
	for i := range w.p.Columns {
		if strings.EqualFold(w.p.Columns[i].Source, source) {
			return &w.p.Columns[i]
		}
	}
	return nil
}

func (w *writer) isRequired(source string) bool {
	m := w.declared(source)
	return m != nil && m.Required
}

func (w *writer) Row(line int64, cells []record.Cell) error {
	t := w.cur
	if t == nil {
		return &format.FileError{File: w.leaf, Line: line, Err: errors.New("row before any column was declared")}
	}
	if len(cells) > len(w.idx) {
		return w.RowError(&format.RowError{File: w.leaf, Table: t.name, Line: line, Err: fmt.Errorf("row has %d cells, %d columns are declared", len(cells), len(w.idx))})
	}
	cells = w.clean(t, line, cells)
	if !w.identity {
		if cap(w.scratch) < len(t.cols) {
			w.scratch = make([]record.Cell, len(t.cols))
		}
		w.scratch = w.scratch[:len(t.cols)]
		clear(w.scratch)
		for i, c := range cells {
			w.scratch[w.idx[i]] = c
		}
		cells = w.scratch
	}
	if err := t.b.Append(line, cells); err != nil {
		var ve *record.ValueError
		if !errors.As(err, &ve) {
			return err
		}
		return w.RowError(&format.RowError{File: w.leaf, Table: t.name, Line: line, Column: ve.Column, Err: ve.Err})
	}
	if t.b.Full() {
		return w.flush(t)
	}
	return nil
}

// clean applies the rule every destination needs (record.CleanValue: a
// NUL, a byte that is not UTF-8, in JSON a \u0000 escape or an unpaired
// surrogate become U+FFFD) to the row's values, and counts the values it
// changed per column, to report them when the file is read. It returns
// cells itself when nothing changed, the common case, else a copy.
func (w *writer) clean(t *table, line int64, cells []record.Cell) []record.Cell {
	out := cells
	for i, c := range cells {
		if c.Text == "" {
			continue
		}
		col := w.idx[i]
		text, fix := record.CleanValue(c.Text, c.Kind == record.Document || t.cols[col].Type == record.JSON)
		if fix == 0 {
			continue
		}
		if &out[0] == &cells[0] {
			w.cleaned = append(w.cleaned[:0], cells...)
			out = w.cleaned
		}
		out[i].Text = text
		if t.fixes == nil {
			t.fixes = map[int]*textFixes{}
		}
		f := t.fixes[col]
		if f == nil {
			f = &textFixes{}
			t.fixes[col] = f
		}
		if fix&record.FixedNUL != 0 {
			if f.nul++; f.nul == 1 {
				f.firstNUL = line
			}
		}
		if fix&record.FixedInvalid != 0 {
			if f.invalid++; f.invalid == 1 {
				f.firstInval = line
			}
		}
	}
	return out
}

// reportFixes reports, per column of t, the values clean changed in the
// leaf being read: one problem per column and kind, at the line of the
// first.
func (w *writer) reportFixes(t *table) {
	defer func() { t.fixes = nil }()
	for col, c := range t.cols {
		f := t.fixes[col]
		if f == nil {
			continue
		}
		if f.nul > 0 {
			w.columnIssue(t.name, c.Name, f.firstNUL, fmt.Sprintf("%s held NUL characters, which PostgreSQL cannot store: each replaced by U+FFFD in every destination", values(f.nul)))
		}
		if f.invalid > 0 {
			w.columnIssue(t.name, c.Name, f.firstInval, fmt.Sprintf("%s held text that is not valid Unicode (bytes that are not UTF-8, or unpaired surrogates): each bad byte or surrogate replaced by U+FFFD", values(f.invalid)))
		}
	}
}

// values says how many values: "1 value", "3 values".
func values(n int64) string {
	if n == 1 {
		return "1 value"
	}
	return fmt.Sprintf("%d values", n)
}

// columnIssue reports values of a column that were changed, as a problem
// of the file (see finish) and in the log.
func (w *writer) columnIssue(table, column string, line int64, msg string) {
	if w.member {
		msg = w.leaf + ": " + msg
	}
	w.fixed = append(w.fixed, bus.Problem{Message: msg, Table: table, Column: column, Line: line})
	if w.opts.Logger != nil {
		w.opts.Logger.Warn("column issue", "file", w.leaf, "table", table, "column", column, "line", line, "issue", msg)
	}
}

func (w *writer) RowError(err *format.RowError) error {
	if err.File == "" {
		err.File = w.leaf
	}
	if w.p.OnError != config.Skip {
		return err
	}
	w.sum.SkippedRows++
	msg := err.Err.Error()
	if w.member {
		msg = err.File + ": " + msg
	}
	w.problem(bus.Problem{Message: msg, Table: err.Table, Line: err.Line, Column: err.Column})
	return nil
}

func (w *writer) Issue(msg string) {
	if w.member {
		msg = w.leaf + ": " + msg
	}
	w.problem(bus.Problem{Message: msg})
	if w.opts.Logger != nil {
		w.opts.Logger.Warn("column issue", "file", w.leaf, "issue", msg)
	}
}

func (w *writer) problem(p bus.Problem) {
	if len(w.sum.Problems) < MaxProblems {
		w.sum.Problems = append(w.sum.Problems, p)
	}
}

// flush emits t's buffered rows as one batch, with the leaf's _file column
// when the leaf is an archive member.
func (w *writer) flush(t *table) error {
	rows := t.b.Len()
	rec, err := t.b.Flush()
	if err != nil {
		return err
	}
	if w.member {
		rec = withFile(rec, w.leaf, w.opts.Alloc)
	}
	t.summary.Rows += int64(rows)
	t.summary.Batches++
	return w.emit(w.ctx, t.name, rec)
}

// withFile returns rec with a record.FileColumn holding file on every row,
// right after record.LineColumn. It releases rec.
func withFile(rec arrow.RecordBatch, file string, mem memory.Allocator) arrow.RecordBatch {
	defer rec.Release()
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	b := array.NewStringBuilder(mem)
	defer b.Release()
	n := int(rec.NumRows())
	b.Reserve(n)
	b.ReserveData(n * len(file))
	for i := 0; i < n; i++ {
		b.Append(file)
	}
	files := b.NewArray()
	defer files.Release()
	fields := rec.Schema().Fields()
	cols := rec.Columns()
	outFields := append([]arrow.Field{fields[0], record.Field(record.FileColumn, record.String)}, fields[1:]...)
	outCols := append([]arrow.Array{cols[0], files}, cols[1:]...)
	return array.NewRecordBatch(arrow.NewSchema(outFields, nil), outCols, rec.NumRows())
}

// finish records every table's summary once the file is read.
func (w *writer) finish() error {
	if w.cur != nil {
		if err := w.endLeaf(); err != nil {
			return err
		}
	}
	for _, t := range w.order {
		if t.b == nil {
			continue
		}
		t.summary.Columns = t.b.Columns()
		for _, wd := range t.b.Widenings() {
			t.summary.Widened = append(t.summary.Widened, bus.Widening{Column: wd.Column, From: wd.From, To: wd.To, Line: wd.Line})
		}
		w.sum.Tables = append(w.sum.Tables, *t.summary)
	}
	// The values changed come first, so that no number of row errors
	// crowds them out.
	if len(w.fixed) > 0 {
		w.sum.Problems = append(w.fixed, w.sum.Problems...)
		w.sum.Problems = w.sum.Problems[:min(len(w.sum.Problems), max(MaxProblems, len(w.fixed)))]
	}
	return nil
}
