package json

import (
	"errors"
	"unsafe"

	"github.com/filedge/filedge/pkg/format"
	"github.com/filedge/filedge/pkg/record"
)

// packedColumn is the one column of packed delivery.
const packedColumn = record.DataColumn

// notObjectError is a record that is valid JSON but not an object.
type notObjectError struct{ what string }

func (e *notObjectError) Error() string { return "record is " + e.what + ", want a JSON object" }

// table turns records (one JSON object each) into the rows of table "".
// In unpacked delivery each member of a record is a cell of the column
// named after its key; columns are added as keys are first seen. In packed
// delivery each record is one cell of column _data.
type table struct {
	w      format.Writer
	packed bool

	begun   bool
	cols    []format.Column
	index   map[string]int // column of each key
	members []member
	colOf   []int // column of each member
	cells   []record.Cell

	// Text of the current row that is not in the record as written
	// (decoded strings, compacted documents): spans of text, and the span
	// of each column's cell, or -1.
	text  []byte
	spans []span
	pend  []int
}

// span is a piece of table.text.
type span struct{ start, end int }

func newTable(w format.Writer, packed bool) *table {
	t := &table{w: w, packed: packed, index: map[string]int{}}
	if packed {
		t.cols = []format.Column{{Name: packedColumn, Type: record.JSON}}
	}
	return t
}

// begin declares the table with the columns seen so far, unless it is
// declared already with all of them.
func (t *table) begin() error {
	if t.begun && len(t.cells) == len(t.cols) {
		return nil
	}
	t.begun = true
	if n := len(t.cols); cap(t.cells) < n {
		t.cells = make([]record.Cell, n, 2*n)
		t.pend = make([]int, n, 2*n)
	} else {
		t.cells, t.pend = t.cells[:n], t.pend[:n]
	}
	return t.w.Begin("", t.cols)
}

// row writes the record b, found at line, as a row. It returns a
// *syntaxError or *notObjectError for a record it cannot take, or the
// writer's error.
func (t *table) row(line int64, b []byte) error {
	i := skipSpace(b, 0)
	if i == len(b) {
		return errAt(i, "empty record")
	}
	if b[i] != '{' {
		end, err := scanValue(b, i, 0)
		if err == nil {
			if j := skipSpace(b, end); j < len(b) {
				return errAt(j, "unexpected %s after the record's value", describe(b, j))
			}
			return &notObjectError{what: kindOf(b[i])}
		}
		return err
	}
	t.members = t.members[:0]
	end, err := scanObject(b, i, 1, &t.members)
	if err != nil {
		return err
	}
	if j := skipSpace(b, end); j < len(b) {
		return errAt(j, "unexpected %s after the record's object", describe(b, j))
	}
	if t.packed {
		t.text = appendCompact(t.text[:0], b[i:end])
		if err := t.begin(); err != nil {
			return err
		}
		t.cells[0] = record.Cell{Text: view(t.text), Kind: record.Document}
		return t.w.Row(line, t.cells)
	}

	// Find each member's column first, adding new ones, so that the
	// cells slice is as wide as the columns.
	t.colOf = t.colOf[:0]
	for k := range t.members {
		m := &t.members[k]
		key := b[m.keyStart+1 : m.keyEnd-1]
		col, ok := 0, false
		if m.keyPlain {
			col, ok = t.index[string(key)]
		} else {
			col, ok = t.index[unquote(b[m.keyStart:m.keyEnd])]
		}
		if !ok {
			name := string(key)
			if !m.keyPlain {
				name = unquote(b[m.keyStart:m.keyEnd])
			}
			col = len(t.cols)
			t.index[name] = col
			t.cols = append(t.cols, format.Column{Name: name})
		}
		t.colOf = append(t.colOf, col)
	}
	if err := t.begin(); err != nil {
		return err
	}
	for k := range t.cells {
		t.cells[k], t.pend[k] = record.Cell{Kind: record.Null}, -1
	}
	t.text, t.spans = t.text[:0], t.spans[:0]
	for k := range t.members {
		m := &t.members[k]
		col := t.colOf[k]
		v := b[m.valStart:m.valEnd]
		t.pend[col] = -1 // the last member of a key wins
		switch v[0] {
		case '"':
			if _, plain, _ := scanString(v, 0); plain {
				t.cells[col] = record.Cell{Text: view(v[1 : len(v)-1]), Kind: record.Quoted}
			} else {
				start := len(t.text)
				t.text = appendUnquoted(t.text, v)
				t.later(col, record.Quoted, start)
			}
		case 't', 'f':
			t.cells[col] = record.Cell{Text: view(v), Kind: record.Bool}
		case 'n':
			t.cells[col] = record.Cell{Kind: record.Null}
		case '{', '[':
			start := len(t.text)
			t.text = appendCompact(t.text, v)
			t.later(col, record.Document, start)
		default:
			t.cells[col] = record.Cell{Text: view(v), Kind: record.Number}
		}
	}
	// Only now that text has stopped growing (and moving) can cells
	// point into it.
	for col, p := range t.pend {
		if p >= 0 {
			t.cells[col].Text = view(t.text[t.spans[p].start:t.spans[p].end])
		}
	}
	return t.w.Row(line, t.cells)
}

// later makes the cell of col one of kind whose text is t.text from start
// on, to be set once the row's text is complete.
func (t *table) later(col int, kind record.Kind, start int) {
	t.cells[col] = record.Cell{Kind: kind}
	t.pend[col] = len(t.spans)
	t.spans = append(t.spans, span{start, len(t.text)})
}

// end declares the table if no record did.
func (t *table) end() error {
	if t.begun {
		return nil
	}
	return t.begin()
}

// view returns b as a string without copying: it is valid as long as b's
// bytes are, until the reader's next record, as record.Cell allows.
func view(b []byte) string {
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// unquote decodes a scanned JSON string with escapes or invalid UTF-8.
func unquote(b []byte) string {
	return string(appendUnquoted(nil, b))
}

// kindOf names the kind of JSON value that starts with c.
func kindOf(c byte) string {
	switch c {
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

// isRecordError reports whether err is about one record (which the reader
// reports as a row error) rather than a failure of the writer.
func isRecordError(err error) bool {
	var se *syntaxError
	var ne *notObjectError
	return errors.As(err, &se) || errors.As(err, &ne)
}
