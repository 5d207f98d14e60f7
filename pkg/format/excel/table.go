package excel

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/filedge/filedge/pkg/format"
	"github.com/filedge/filedge/pkg/record"
)

// vkind is the kind of a cell's value as a workbook stores it.
type vkind uint8

const (
	vEmpty    vkind = iota // no value
	vNumber                // num, shown per cls
	vString                // str
	vBool                  // num is 1 or 0
	vError                 // str is the error's text (#N/A)
	vISO                   // str is an ISO 8601 date or time (XLSX t="d")
	vUncached              // a formula saved without its result
)

// xcell is one cell as a workbook reader hands it over, XLSX or BIFF.
type xcell struct {
	col  int // from 0
	kind vkind
	num  float64
	str  string
	cls  class // the class of the cell's number format
}

// rowSource streams the rows of one worksheet.
type rowSource interface {
	// next returns the next row that has cells: its number (from 1)
	// and its cells, valid until the next call; io.EOF after the last.
	// A *cellError is a row that cannot be read; the source goes on
	// with the next row.
	next() (line int64, cells []xcell, err error)
}

// cellError is a cell a source cannot read: its row is reported as a row
// error and left out.
type cellError struct {
	col int // -1 when the row as a whole is at fault
	err error
}

func (e *cellError) Error() string { return e.err.Error() }

// checkEvery is how many rows a sheet reads between two looks at its
// context.
const checkEvery = 256

// sheet writes the rows of one worksheet to w as a table named after
// the sheet.
type sheet struct {
	path     string
	name     string
	date1904 bool
	w        *tables

	cols     []format.Column
	colAt    []int32 // spreadsheet column → index in cols, or -1
	cells    []record.Cell
	arena    []byte      // the text of this row's cells
	dropped  map[int]int // values left out, by spreadsheet column
	errs     int
	errTexts []string
	uncached int
}

// readSheet reads src as the worksheet name of the file path: rows up to
// skip are ignored, the next row must be the header (else the sheet is
// skipped, with an issue saying why), and every later row that holds a
// value is a row of table name.
func readSheet(ctx context.Context, w *tables, path, name string, src rowSource, skip int64, date1904 bool) error {
	s := &sheet{path: path, name: name, date1904: date1904, w: w}
	found, err := s.header(ctx, src, skip)
	if err != nil || !found {
		return err
	}
	if err := w.Begin(name, s.cols); err != nil {
		return err
	}
	for n := 0; ; n++ {
		if n%checkEvery == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		line, cells, err := src.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if err := s.rowError(line, err); err != nil {
				return err
			}
			continue
		}
		if line <= skip {
			continue // rows out of order, before the header
		}
		if err := s.row(line, cells); err != nil {
			return err
		}
	}
	s.issues()
	return nil
}

// header reads up to the header row and declares the columns. found is
// false for a sheet that has no table.
func (s *sheet) header(ctx context.Context, src rowSource, skip int64) (found bool, err error) {
	for {
		if err := ctx.Err(); err != nil {
			return false, err
		}
		line, cells, err := src.next()
		if errors.Is(err, io.EOF) {
			s.w.skip(s.name, "it is empty")
			return false, nil
		}
		if err != nil {
			var ce *cellError
			if !errors.As(err, &ce) {
				return false, err
			}
			if line <= skip {
				continue
			}
			if err := s.rowError(line, err); err != nil {
				return false, err
			}
			s.w.skip(s.name, "its first row cannot be read, so its columns have no names")
			return false, nil
		}
		if line <= skip {
			continue
		}
		if line == skip+1 {
			s.columns(cells)
			if len(s.cols) > 0 {
				return true, nil
			}
		}
		// The first row is empty: the sheet has no column names.
		for !hasValue(cells) {
			if _, cells, err = src.next(); err != nil && !errors.Is(err, io.EOF) {
				var ce *cellError
				if !errors.As(err, &ce) {
					return false, err
				}
				break // a row that cannot be read is a row with values
			}
			if errors.Is(err, io.EOF) {
				s.w.skip(s.name, "it is empty") // nothing lost
				return false, nil
			}
		}
		s.w.skip(s.name, "its first row is empty, so its columns have no names")
		return false, nil
	}
}

// columns names a column after each header cell that holds a value, in
// column order (a file may list a row's cells in another).
func (s *sheet) columns(cells []xcell) {
	cells = slices.Clone(cells)
	slices.SortStableFunc(cells, func(a, b xcell) int { return a.col - b.col })
	last := -1
	for _, c := range cells {
		last = max(last, c.col)
	}
	s.colAt = make([]int32, last+1)
	for i := range s.colAt {
		s.colAt[i] = -1
	}
	for _, c := range cells {
		name := strings.TrimSpace(s.headerText(c))
		if name == "" || s.colAt[c.col] >= 0 {
			continue
		}
		s.colAt[c.col] = int32(len(s.cols))
		s.cols = append(s.cols, format.Column{Name: strings.Clone(name)})
	}
	s.cells = make([]record.Cell, len(s.cols))
}

// headerText is the name a header cell gives its column: text as it is,
// a number or date as a value of ours, a boolean as Excel shows it.
func (s *sheet) headerText(c xcell) string {
	switch c.kind {
	case vString, vError, vISO:
		return c.str
	case vBool:
		if c.num != 0 {
			return "TRUE"
		}
		return "FALSE"
	case vNumber:
		return s.convert(c).Text
	}
	return ""
}

// hasValue reports whether a row holds a value.
func hasValue(cells []xcell) bool {
	for _, c := range cells {
		if c.kind != vEmpty && (c.kind != vString || c.str != "") {
			return true
		}
	}
	return false
}

// row writes one data row, unless it holds no value in any column.
func (s *sheet) row(line int64, cells []xcell) error {
	clear(s.cells)
	s.arena = s.arena[:0]
	any := false
	for _, c := range cells {
		if c.col >= len(s.colAt) || s.colAt[c.col] < 0 {
			if c.kind != vEmpty && (c.kind != vString || c.str != "") {
				if s.dropped == nil {
					s.dropped = map[int]int{}
				}
				s.dropped[c.col]++
			}
			continue
		}
		v := s.convert(c)
		if v.Kind != record.Null {
			any = true
		}
		s.cells[s.colAt[c.col]] = v
	}
	if !any {
		return nil
	}
	return s.w.Row(line, s.cells)
}

func (s *sheet) rowError(line int64, err error) error {
	var ce *cellError
	if !errors.As(err, &ce) {
		return err
	}
	re := &format.RowError{File: s.path, Table: s.name, Line: line, Err: ce.err}
	if ce.col >= 0 {
		re.Column = colName(ce.col)
		if ce.col < len(s.colAt) && s.colAt[ce.col] >= 0 {
			re.Column = s.cols[s.colAt[ce.col]].Name
		}
	}
	return s.w.RowError(re)
}

// convert turns a cell into a record cell: numbers as numbers (integral
// ones as integers), numbers in a date format as dates or timestamps,
// in a time format as a time of day (text), text as quoted text, errors
// and formulas without a result as null (counted for an issue).
func (s *sheet) convert(c xcell) record.Cell {
	switch c.kind {
	case vNumber:
		return s.number(c.num, c.cls)
	case vString:
		if c.str == "" {
			return format.NullCell
		}
		return format.StringCell(c.str)
	case vBool:
		return format.BoolCell(c.num != 0)
	case vError:
		s.errs++
		if len(s.errTexts) < 3 && !slices.Contains(s.errTexts, c.str) {
			s.errTexts = append(s.errTexts, strings.Clone(c.str))
		}
		return format.NullCell
	case vISO:
		return s.iso(c.str)
	case vUncached:
		s.uncached++
	}
	return format.NullCell
}

// number renders a number by the class of its format.
func (s *sheet) number(v float64, cls class) record.Cell {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return format.NullCell
	}
	start := len(s.arena)
	switch cls {
	case classDate, classDateTime:
		if t, ok := serialTime(v, s.date1904); ok {
			if cls == classDate {
				s.arena = t.AppendFormat(s.arena, "2006-01-02")
			} else {
				s.arena = t.AppendFormat(s.arena, "2006-01-02T15:04:05.999Z07:00")
			}
			return record.Cell{Text: s.text(start), Kind: record.Quoted}
		}
	case classTime, classElapsed:
		if text, ok := clockText(v, cls == classElapsed); ok {
			return record.Cell{Text: text, Kind: record.Quoted}
		}
		// A time format over a full date and time: keep both.
		if t, ok := serialTime(v, s.date1904); ok {
			s.arena = t.AppendFormat(s.arena, "2006-01-02T15:04:05.999Z07:00")
			return record.Cell{Text: s.text(start), Kind: record.Quoted}
		}
	}
	if v == math.Trunc(v) && math.Abs(v) < 1<<53 {
		s.arena = strconv.AppendInt(s.arena, int64(v), 10)
	} else {
		s.arena = strconv.AppendFloat(s.arena, v, 'g', -1, 64)
	}
	return record.Cell{Text: s.text(start), Kind: record.Number}
}

// iso reads an XLSX date cell (t="d"): an ISO 8601 date, date and time,
// or time of day.
func (s *sheet) iso(v string) record.Cell {
	v = strings.TrimSpace(v)
	for _, layout := range []string{"2006-01-02", "2006-01-02T15:04:05Z07:00", "2006-01-02T15:04:05", "2006-01-02T15:04"} {
		t, err := time.Parse(layout, v)
		if err != nil {
			continue
		}
		if layout == "2006-01-02" {
			return format.DateCell(t)
		}
		return format.TimestampCell(t)
	}
	if v == "" {
		return format.NullCell
	}
	return format.StringCell(v)
}

// text returns the arena's bytes from start as a string, without a copy:
// the writer copies what it keeps before the next row resets the arena.
func (s *sheet) text(start int) string {
	b := s.arena[start:]
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// issues reports what the sheet lost.
func (s *sheet) issues() {
	if len(s.dropped) > 0 {
		cols := make([]int, 0, len(s.dropped))
		n := 0
		for c, k := range s.dropped {
			cols = append(cols, c)
			n += k
		}
		slices.Sort(cols)
		names := make([]string, len(cols))
		for i, c := range cols {
			names[i] = colName(c)
		}
		switch {
		case len(cols) > 1:
			s.w.Issue(fmt.Sprintf("Sheet %q: columns %s have no name in the first row; their %d values were left out", s.name, strings.Join(names, ", "), n))
		case n == 1:
			s.w.Issue(fmt.Sprintf("Sheet %q: column %s has no name in the first row; its value was left out", s.name, names[0]))
		default:
			s.w.Issue(fmt.Sprintf("Sheet %q: column %s has no name in the first row; its %d values were left out", s.name, names[0], n))
		}
	}
	switch {
	case s.errs == 1:
		s.w.Issue(fmt.Sprintf("Sheet %q: 1 cell holds an error (%s), loaded as null", s.name, s.errTexts[0]))
	case s.errs > 1:
		s.w.Issue(fmt.Sprintf("Sheet %q: %d cells hold errors (%s), loaded as null", s.name, s.errs, strings.Join(s.errTexts, ", ")))
	}
	switch {
	case s.uncached == 1:
		s.w.Issue(fmt.Sprintf("Sheet %q: 1 formula cell has no saved result (the workbook was saved without calculating), loaded as null", s.name))
	case s.uncached > 1:
		s.w.Issue(fmt.Sprintf("Sheet %q: %d formula cells have no saved result (the workbook was saved without calculating), loaded as null", s.name, s.uncached))
	}
}

// colName returns a column's letters: 0 is A, 26 is AA.
func colName(col int) string {
	var b []byte
	for col++; col > 0; col = (col - 1) / 26 {
		b = append(b, byte('A'+(col-1)%26))
	}
	slices.Reverse(b)
	return string(b)
}
