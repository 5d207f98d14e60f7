package csv

import (
	"bytes"
	"slices"
	"unsafe"

	"github.com/filedge/filedge/pkg/record"
)

// fields is one record split into fields: field i is
// text[spans[i].start:spans[i].end], written as spans[i].kind says. text
// is the line as read when no field had to be rewritten (unquoted), else
// a buffer of the parser's.
type fields struct {
	text  []byte
	spans []span
	own   []byte // text's storage when the record is a copy
}

// span is where one field is in its record's text, and how it was
// written.
type span struct {
	start, end int
	kind       fieldKind
}

func (f *fields) reset() {
	f.text, f.spans = nil, f.spans[:0]
}

// count returns the number of fields.
func (f *fields) count() int { return len(f.spans) }

// add ends a field at end of text, starting where the previous one ended:
// for fields unquoted back to back into a buffer.
func (f *fields) add(end int, k fieldKind) {
	start := 0
	if n := len(f.spans); n > 0 {
		start = f.spans[n-1].end
	}
	f.spans = append(f.spans, span{start, end, k})
}

// copyFrom makes f a copy of g that shares no memory with it.
func (f *fields) copyFrom(g *fields) {
	f.own = append(f.own[:0], g.text...)
	f.text = f.own
	f.spans = append(f.spans[:0], g.spans...)
}

// cells appends the fields to dst as cells, cut or padded with nulls to
// width. An empty field is null unless it was quoted (then it is
// record.Empty, the empty string), and so is a field equal to the null
// sequence. The cells' text shares f's memory.
func (f *fields) cells(dst []record.Cell, width int) []record.Cell {
	text := unsafe.String(unsafe.SliceData(f.text), len(f.text))
	n := min(width, len(f.spans))
	base := len(dst)
	dst = slices.Grow(dst, width)[:base+width]
	out := dst[base:]
	for i, s := range f.spans[:n] {
		switch {
		case s.end > s.start && s.kind != nullSeq:
			out[i] = record.Cell{Text: text[s.start:s.end], Kind: record.Text}
		case s.kind == quoted:
			out[i] = record.Cell{Kind: record.Empty}
		default:
			out[i] = record.Cell{Kind: record.Null}
		}
	}
	clear(out[n:])
	return dst
}

// blank reports whether the record is a blank line: one unquoted field of
// white space or nothing.
func (f *fields) blank() bool {
	if len(f.spans) != 1 {
		return false
	}
	s := f.spans[0]
	return s.kind == plain && len(bytes.TrimSpace(f.text[s.start:s.end])) == 0
}

// emptyFrom reports whether the fields from index i on are all empty and
// unquoted.
func (f *fields) emptyFrom(i int) bool {
	for _, s := range f.spans[i:] {
		if s.kind != plain || s.end != s.start {
			return false
		}
	}
	return true
}

// longer returns the index of the first field longer than max bytes, or
// -1.
func (f *fields) longer(max int) int {
	for i, s := range f.spans {
		if s.end-s.start > max {
			return i
		}
	}
	return -1
}
