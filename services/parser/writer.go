package parser

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/filedge/filedge/pkg/bus"
	"github.com/filedge/filedge/pkg/config"
	"github.com/filedge/filedge/pkg/format"
	"github.com/filedge/filedge/pkg/record"
)

// writer is the format.Writer of one parse: it maps the file's columns to
// the pipeline's tables and columns, buffers rows in a record.Builder per
// table, applies on_error, and emits each batch when it is full.
type writer struct {
	ctx  context.Context
	p    *config.Pipeline
	file string
	emit Emit
	opts Options
	sum  *bus.FileParsed

	cur    *table // the table being written; nil before the first Begin
	byName map[string]*table
}

type table struct {
	name    string
	source  []string // column names as the file declared them
	b       *record.Builder
	summary *bus.TableParsed
}

func newWriter(ctx context.Context, p *config.Pipeline, file string, emit Emit, opts Options, sum *bus.FileParsed) *writer {
	return &writer{ctx: ctx, p: p, file: file, emit: emit, opts: opts, sum: sum, byName: map[string]*table{}}
}

// tableName returns the destination table of the file's table (sheet) t.
func (w *writer) tableName(sheet string) string {
	if w.p.Mode == config.MagicFolder {
		base := path.Base(w.file)
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

func (w *writer) Begin(sheet string, cols []format.Column) error {
	name := w.tableName(sheet)
	t := w.byName[name]
	if t != nil && t != w.cur {
		return &format.FileError{File: w.file, Err: fmt.Errorf("table %q begun again after another table", name)}
	}
	if t == nil {
		if err := w.closeCurrent(); err != nil {
			return err
		}
		t = &table{name: name, summary: &bus.TableParsed{Name: name}}
		w.byName[name] = t
		w.cur = t
	}
	if len(cols) < len(t.source) {
		return &format.FileError{File: w.file, Err: fmt.Errorf("table %q: columns redeclared with fewer columns", name)}
	}
	for i, s := range t.source {
		if cols[i].Name != s {
			return &format.FileError{File: w.file, Err: fmt.Errorf("table %q: column %d redeclared as %q, was %q", name, i, cols[i].Name, s)}
		}
	}
	declared, err := w.columns(cols)
	if err != nil {
		return err
	}
	if t.b == nil {
		opts := record.BuilderOptions{Columns: declared, MaxBatchBytes: w.opts.MaxBatchBytes, Alloc: w.opts.Alloc}
		opts.Required = w.required(cols)
		t.b = record.NewBuilder(opts)
	} else if len(declared) > len(t.source) {
		t.b.AddColumns(declared[len(t.source):])
	}
	t.source = t.source[:0]
	for _, c := range cols {
		t.source = append(t.source, c.Name)
	}
	return nil
}

// columns maps the file's columns through the pipeline's columns: list (by
// source name, exactly or ignoring case) and makes every name safe.
func (w *writer) columns(cols []format.Column) ([]record.Column, error) {
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
	return out, nil
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

func (w *writer) required(cols []format.Column) []bool {
	req := make([]bool, len(cols))
	any := false
	for i, c := range cols {
		if m := w.declared(c.Name); m != nil && m.Required {
			req[i], any = true, true
		}
	}
	if !any {
		return nil
	}
	return req
}

func (w *writer) Row(line int64, cells []record.Cell) error {
	t := w.cur
	if t == nil {
		return &format.FileError{File: w.file, Line: line, Err: errors.New("row before any column was declared")}
	}
	if err := t.b.Append(line, cells); err != nil {
		var ve *record.ValueError
		if !errors.As(err, &ve) {
			return err
		}
		return w.RowError(&format.RowError{File: w.file, Table: t.name, Line: line, Column: ve.Column, Err: ve.Err})
	}
	if t.b.Full() {
		return w.flush(t)
	}
	return nil
}

func (w *writer) RowError(err *format.RowError) error {
	if err.File == "" {
		err.File = w.file
	}
	if w.p.OnError != config.Skip {
		return err
	}
	w.sum.SkippedRows++
	w.problem(bus.Problem{Message: err.Err.Error(), Table: err.Table, Line: err.Line, Column: err.Column})
	return nil
}

func (w *writer) Issue(msg string) {
	w.problem(bus.Problem{Message: msg})
	if w.opts.Logger != nil {
		w.opts.Logger.Warn("column issue", "file", w.file, "issue", msg)
	}
}

func (w *writer) problem(p bus.Problem) {
	if len(w.sum.Problems) < MaxProblems {
		w.sum.Problems = append(w.sum.Problems, p)
	}
}

// flush emits t's buffered rows as one batch.
func (w *writer) flush(t *table) error {
	rows := t.b.Len()
	rec, err := t.b.Flush()
	if err != nil {
		return err
	}
	t.summary.Rows += int64(rows)
	t.summary.Batches++
	return w.emit(w.ctx, t.name, rec)
}

// closeCurrent flushes the current table's last rows (or, for a table with
// none, one empty batch, so that the table is created and its write mode
// applied) and records its summary.
func (w *writer) closeCurrent() error {
	t := w.cur
	if t == nil {
		return nil
	}
	w.cur = nil
	if t.b.Len() > 0 || t.summary.Batches == 0 {
		if err := w.flush(t); err != nil {
			return err
		}
	}
	t.summary.Columns = t.b.Columns()
	for _, wd := range t.b.Widenings() {
		t.summary.Widened = append(t.summary.Widened, bus.Widening{Column: wd.Column, From: wd.From, To: wd.To, Line: wd.Line})
	}
	w.sum.Tables = append(w.sum.Tables, *t.summary)
	return nil
}

// finish closes the last table once the reader is done.
func (w *writer) finish() error {
	return w.closeCurrent()
}

// discard drops buffered rows after a failed read.
func (w *writer) discard() { w.cur = nil }
