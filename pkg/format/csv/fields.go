package csv

import (
	"unsafe"

	"github.com/filedge/filedge/pkg/record"
)

// fields is one record split into fields: their contents back to back in
// text, field i ending at ends[i], the next one starting gap bytes later
// (the delimiter's length when text is the line as read, 0 when the
// parser unquoted the fields into a buffer), and written as kinds[i] says.
type fields struct {
	text  []byte
	gap   int
	ends  []int
	kinds []fieldKind
	nulls bool   // some field is nullSeq
	own   []byte // text's storage when the record is a copy
}

func (f *fields) reset() {
	f.text, f.gap, f.ends, f.kinds, f.nulls = nil, 0, f.ends[:0], f.kinds[:0], false
}

// count returns the number of fields.
func (f *fields) count() int { return len(f.ends) }

// add ends a field at end of text.
func (f *fields) add(end int, k fieldKind) {
	f.ends = append(f.ends, end)
	f.kinds = append(f.kinds, k)
	if k == nullSeq {
		f.nulls = true
	}
}

// copyFrom makes f a copy of g that shares no memory with it.
func (f *fields) copyFrom(g *fields) {
	f.own = append(f.own[:0], g.text...)
	f.text, f.gap, f.nulls = f.own, g.gap, g.nulls
	f.ends = append(f.ends[:0], g.ends...)
	f.kinds = append(f.kinds[:0], g.kinds...)
}

// cells appends the fields to dst as cells, cut or padded with nulls to
// width. An empty field is null unless it was quoted, and so is a field
// equal to the null sequence. The cells' text shares f's memory.
func (f *fields) cells(dst []record.Cell, width int) []record.Cell {
	text := unsafe.String(unsafe.SliceData(f.text), len(f.text))
	n := min(width, len(f.ends))
	start, gap, kinds, nulls := 0, f.gap, f.kinds[:n], f.nulls
	for i, end := range f.ends[:n] {
		if end == start && kinds[i] != quoted || nulls && kinds[i] == nullSeq {
			dst = append(dst, record.Cell{Kind: record.Null})
		} else {
			dst = append(dst, record.Cell{Text: text[start:end], Kind: record.Text})
		}
		start = end + gap
	}
	for range width - n {
		dst = append(dst, record.Cell{Kind: record.Null})
	}
	return dst
}

// emptyFrom reports whether the fields from index i on are all empty and
// unquoted.
func (f *fields) emptyFrom(i int) bool {
	start := 0
	if i > 0 {
		start = f.ends[i-1] + f.gap
	}
	for k := i; k < len(f.ends); k++ {
		if f.kinds[k] != plain || f.ends[k] != start {
			return false
		}
		start = f.ends[k] + f.gap
	}
	return true
}

// longer returns the index of the first field longer than max bytes, or
// -1.
func (f *fields) longer(max int) int {
	start := 0
	for i, end := range f.ends {
		if end-start > max {
			return i
		}
		start = end + f.gap
	}
	return -1
}
