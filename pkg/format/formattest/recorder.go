package formattest

import (
	"fmt"
	"slices"
	"strings"

	"github.com/filedge/filedge/pkg/format"
	"github.com/filedge/filedge/pkg/record"
)

// Recorder is a format.Writer that records everything a reader writes, for
// tests to compare. It copies every cell's text, so readers may reuse their
// buffers as the contract allows, and it notes every breach of the Writer
// contract it sees in Violations. The zero value is ready to use; it is
// not safe for concurrent use.
type Recorder struct {
	// Path is the file name the reader was given; a row error naming
	// another file is a violation. "" accepts any.
	Path string
	// FailRowErrors makes RowError return the row error it is given, as
	// on_error: fail does, so that the reader stops.
	FailRowErrors bool

	// Result is what the reader wrote so far.
	Result Result
	// Violations lists the breaches of the Writer contract seen: a row
	// before any Begin, a row whose cell count is not its table's column
	// count, a Begin that drops or reorders the columns of a table already
	// begun, a null cell with text, an unknown cell kind.
	Violations []string

	begun bool // a table was begun: the last of Result.Tables
}

// current returns the table last begun, or nil.
func (r *Recorder) current() *Table {
	if !r.begun {
		return nil
	}
	return &r.Result.Tables[len(r.Result.Tables)-1]
}

var _ format.Writer = (*Recorder)(nil)

// Begin records a table and its columns. Beginning the table last begun
// again may only append columns (a streaming reader that finds new
// columns); beginning another table that was begun before is a violation.
func (r *Recorder) Begin(table string, cols []format.Column) error {
	cs := make([]Column, len(cols))
	for i, c := range cols {
		cs[i] = Column{Name: strings.Clone(c.Name), Type: c.Type}
	}
	if t := r.current(); t != nil && t.Name == table {
		if len(cs) < len(t.Columns) || !slices.Equal(cs[:len(t.Columns)], t.Columns) {
			r.violate("Begin(%q) again with columns %v: must keep %v first", table, cs, t.Columns)
		}
		t.Columns = cs
		return nil
	}
	for _, t := range r.Result.Tables {
		if t.Name == table {
			r.violate("Begin(%q) again after another table", table)
		}
	}
	r.Result.Tables = append(r.Result.Tables, Table{Name: table, Columns: cs, Rows: []Row{}})
	r.begun = true
	return nil
}

// Row records a row of the table last begun.
func (r *Recorder) Row(line int64, cells []record.Cell) error {
	t := r.current()
	if t == nil {
		r.violate("Row(%d) before Begin", line)
		return nil
	}
	if len(cells) != len(t.Columns) {
		r.violate("Row(%d) has %d cells, table %q has %d columns", line, len(cells), t.Name, len(t.Columns))
	}
	if line < 1 {
		r.violate("Row(%d): lines count from 1", line)
	}
	row := Row{Line: line, Cells: make([]Cell, len(cells))}
	for i, c := range cells {
		switch {
		case c.Kind > record.Empty:
			r.violate("Row(%d): cell %d has unknown kind %d", line, i, c.Kind)
		case c.Kind == record.Null && c.Text != "":
			r.violate("Row(%d): cell %d is null but has text %q", line, i, c.Text)
		case c.Kind == record.Empty && c.Text != "":
			r.violate("Row(%d): cell %d is empty but has text %q", line, i, c.Text)
		}
		row.Cells[i] = Cell{Text: strings.Clone(c.Text), Kind: c.Kind}
	}
	t.Rows = append(t.Rows, row)
	return nil
}

// RowError records a row error; it returns err when FailRowErrors is set.
func (r *Recorder) RowError(err *format.RowError) error {
	if err == nil || err.Err == nil {
		r.violate("RowError(%v) without an error", err)
		return nil
	}
	if r.Path != "" && err.File != r.Path {
		r.violate("RowError names file %q, want %q", err.File, r.Path)
	}
	r.Result.RowErrors = append(r.Result.RowErrors, RowError{
		Table:  err.Table,
		Line:   err.Line,
		Column: err.Column,
		Error:  err.Err.Error(),
	})
	if r.FailRowErrors {
		return err
	}
	return nil
}

// Issue records an issue.
func (r *Recorder) Issue(msg string) {
	r.Result.Issues = append(r.Result.Issues, msg)
}

func (r *Recorder) violate(f string, args ...any) {
	r.Violations = append(r.Violations, fmt.Sprintf(f, args...))
}
