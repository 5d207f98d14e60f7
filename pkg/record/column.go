package record

import (
	"fmt"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// column buffers one column's values for the Builder, column-wise: the
// text of every row in one arena (with Arrow-style int32 offsets, so that
// a String column becomes an Arrow array by copying two slices), a validity flag per
// row, and, while the column's type is a fixed-width one, the values already
// converted (see parse.go for their encoding). Inference runs as rows
// arrive: typ is the narrowest type that holds the earlier batches' values
// and every buffered one, so Flush does not scan again.
type column struct {
	name     string
	source   string
	declared Type // Unknown: inferred
	required bool

	running Type  // the type of the batches flushed so far
	typ     Type  // the type the next batch gets: running widened with the buffered values
	widenAt int64 // first buffered line whose value made typ wider than running; 0 if none

	keepText bool     // text is buffered: inferred columns, and declared String and JSON
	data     []byte   // text arena, clean (see CleanText) for String and JSON values
	offs     []int32  // offs[i]:offs[i+1] is row i's text; len = rows+1 when keepText
	valid    []bool   // false for a null
	nulls    int      // rows with valid false
	vals     []uint64 // values, while typ is fixed-width; len = rows then
}

// fixedWidth reports whether t's values are kept in vals.
func fixedWidth(t Type) bool {
	return t == Boolean || t == Integer || t == Float || t == Date || t == Timestamp
}

func newColumn(c Column, required bool) *column {
	col := &column{
		name:     c.Name,
		source:   c.Source,
		declared: c.Type,
		required: required,
		running:  c.Type,
		typ:      c.Type,
		keepText: c.Type == Unknown || c.Type == String || c.Type == JSON,
	}
	col.offs = append(col.offs, 0)
	return col
}

// rows returns the number of buffered rows.
func (c *column) rows() int { return len(c.valid) }

// reset empties the buffer after a flush; typ becomes the running type.
func (c *column) reset(maxBytes int) {
	c.running = c.typ
	c.widenAt = 0
	if cap(c.data) > 4*maxBytes {
		c.data = nil // one huge batch must not pin its arena forever
	}
	c.data = c.data[:0]
	c.offs = c.offs[:1]
	c.valid = c.valid[:0]
	c.nulls = 0
	c.vals = c.vals[:0]
}

// addNull buffers a null.
func (c *column) addNull() {
	if c.keepText {
		c.offs = append(c.offs, int32(len(c.data)))
	}
	c.valid = append(c.valid, false)
	c.nulls++
	if fixedWidth(c.typ) {
		c.vals = append(c.vals, 0)
	}
}

// padNulls buffers n nulls (a column added after n buffered rows).
func (c *column) padNulls(n int) {
	for range n {
		c.addNull()
	}
}

// addInferred buffers a non-null cell of an inferred column, widening typ
// as needed.
func (c *column) addInferred(cell Cell, line int64) {
	if c.typ == String { // nothing is wider: no need to infer
		c.addText(cell.Text)
		return
	}
	var t Type
	var v uint64
	if cell.Kind == Text { // the common case, non-empty as cell is not null
		t, v = parseText(cell.Text)
	} else {
		t, v = parseCell(cell)
	}
	if t != c.typ {
		c.widen(t, line)
	}
	switch c.typ {
	case String, JSON:
		c.addText(cell.Text)
		return
	}
	// A fixed-width value parsed from ASCII text: clean as it is.
	c.data = append(c.data, cell.Text...)
	c.offs = append(c.offs, int32(len(c.data)))
	c.valid = append(c.valid, true)
	c.vals = append(c.vals, lift(v, t, c.typ))
}

// addText buffers a non-null String or JSON value, cleaned.
func (c *column) addText(s string) {
	c.data = appendClean(c.data, s)
	c.offs = append(c.offs, int32(len(c.data)))
	c.valid = append(c.valid, true)
}

// addJSON buffers a non-null value of a declared JSON column.
func (c *column) addJSON(cell Cell) {
	cell.Text = CleanText(cell.Text)
	c.data = appendJSON(c.data, cell)
	c.offs = append(c.offs, int32(len(c.data)))
	c.valid = append(c.valid, true)
}

// addValue buffers a converted value of a declared fixed-width column.
func (c *column) addValue(v uint64) {
	c.valid = append(c.valid, true)
	c.vals = append(c.vals, v)
}

// widen makes typ hold values of type t too, converting the buffered values.
func (c *column) widen(t Type, line int64) {
	old := c.typ
	nt := Widen(old, t)
	if nt == old {
		return
	}
	c.typ = nt
	switch {
	case !fixedWidth(nt):
		c.vals = c.vals[:0]
	case old == Unknown:
		// Only nulls so far: give them zero values.
		c.vals = append(c.vals[:0], make([]uint64, c.rows())...)
	default:
		for i, v := range c.vals {
			c.vals[i] = lift(v, old, nt)
		}
	}
	if c.widenAt == 0 && c.running != Unknown {
		c.widenAt = line
	}
}

// array builds the Arrow array of the buffered rows, typed c.typ.
func (c *column) array(mem memory.Allocator) (arrow.Array, error) {
	n := c.rows()
	validity := c.validity(mem)
	defer func() {
		if validity != nil {
			validity.Release()
		}
	}()
	var buffers []*memory.Buffer
	switch c.typ {
	case Integer, Float, Timestamp:
		values := newBuffer(mem, n*8)
		defer values.Release()
		copy(arrow.Uint64Traits.CastFromBytes(values.Bytes()), c.vals)
		buffers = []*memory.Buffer{validity, values}
	case Date:
		values := newBuffer(mem, n*4)
		defer values.Release()
		days := arrow.Int32Traits.CastFromBytes(values.Bytes())
		for i, v := range c.vals {
			days[i] = int32(int64(v))
		}
		buffers = []*memory.Buffer{validity, values}
	case Boolean:
		values := newBitmap(mem, n)
		defer values.Release()
		bits := values.Bytes()
		for i, v := range c.vals {
			if v != 0 {
				bitutil.SetBit(bits, i)
			}
		}
		buffers = []*memory.Buffer{validity, values}
	default: // String, JSON, Unknown
		if len(c.data) > math.MaxInt32 {
			return nil, fmt.Errorf("record: column %q: %d bytes of text in one batch (at most %d)", c.name, len(c.data), math.MaxInt32)
		}
		offsets := newBuffer(mem, (n+1)*4)
		defer offsets.Release()
		if c.keepText {
			copy(arrow.Int32Traits.CastFromBytes(offsets.Bytes()), c.offs)
		} else {
			clear(offsets.Bytes())
		}
		values := newBuffer(mem, len(c.data))
		defer values.Release()
		copy(values.Bytes(), c.data)
		buffers = []*memory.Buffer{validity, offsets, values}
	}
	data := array.NewData(c.typ.ArrowType(), n, buffers, nil, c.nulls, 0)
	defer data.Release()
	return array.MakeFromData(data), nil
}

// validity returns the validity bitmap of the buffered rows, or nil when
// none is null.
func (c *column) validity(mem memory.Allocator) *memory.Buffer {
	if c.nulls == 0 {
		return nil
	}
	buf := newBitmap(mem, len(c.valid))
	bits := buf.Bytes()
	for i, ok := range c.valid {
		if ok {
			bitutil.SetBit(bits, i)
		}
	}
	return buf
}

// newBuffer allocates a buffer of n bytes from mem, for the caller to
// overwrite whole. Allocators need not zero memory.
func newBuffer(mem memory.Allocator, n int) *memory.Buffer {
	buf := memory.NewResizableBuffer(mem)
	buf.Resize(n)
	return buf
}

// newBitmap allocates a zeroed bitmap of n bits from mem (zeroed whole, so
// that its padding bits encode the same way every time).
func newBitmap(mem memory.Allocator, n int) *memory.Buffer {
	buf := newBuffer(mem, int(bitutil.BytesForBits(int64(n))))
	clear(buf.Bytes())
	return buf
}
