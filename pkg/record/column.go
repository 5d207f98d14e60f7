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
// a String column becomes an Arrow array by copying two slices), the
// indexes of the null rows, and, while the column's type is a fixed-width
// one, the values already converted (see parse.go for their encoding).
// Inference runs as rows arrive: typ is the narrowest type that holds the
// earlier batches' values and every buffered one, so Flush does not scan
// again.
type column struct {
	name     string
	source   string
	declared Type // Unknown: inferred
	running  Type // the type of the batches flushed so far
	typ      Type // the type the next batch gets: running widened with the buffered values
	required bool
	keepText bool  // text is buffered: inferred columns, declared String, JSON and decimals
	widenAt  int64 // first buffered line whose value made typ wider than running; 0 if none

	data  []byte   // text arena, clean (see CleanText) for String and JSON values, canonical for decimals
	offs  []int32  // offs[i]:offs[i+1] is row i's text; len = rows+1 when keepText
	nulls []int32  // the null rows, in order (a list, not a flag per row: most rows are valid)
	vals  []uint64 // values, while typ is fixed-width; len = rows then

	// empties are the rows buffered as nulls that hold an Empty cell, in
	// an inferred column that is not String yet: they become "" if the
	// batch ends String (see settle). Rare, so kept apart from the rows.
	empties []int32
}

// fixedWidth reports whether t's values are kept in vals: Boolean,
// Integer, Float, Date or Timestamp.
func fixedWidth(t Type) bool {
	return t-Boolean <= Timestamp-Boolean
}

func newColumn(c Column, required bool) *column {
	col := &column{
		name:     c.Name,
		source:   c.Source,
		declared: c.Type,
		required: required,
		running:  c.Type,
		typ:      c.Type,
		keepText: c.Type == Unknown || c.Type == String || c.Type == JSON || c.Type.IsDecimal(),
	}
	if c.Type == Decimal {
		// Of any precision: the values decide it, as inference does, but
		// only among decimals (see addDecimal).
		col.running, col.typ = Unknown, Unknown
	}
	col.offs = append(col.offs, 0)
	return col
}

// rows returns the number of buffered rows.
func (c *column) rows() int {
	if c.keepText {
		return len(c.offs) - 1
	}
	return len(c.vals)
}

// reset empties the buffer after a flush; typ becomes the running type.
func (c *column) reset(maxBytes int) {
	c.running = c.typ
	c.widenAt = 0
	if cap(c.data) > 4*maxBytes {
		c.data = nil // one huge batch must not pin its arena forever
	}
	c.data = c.data[:0]
	c.offs = c.offs[:1]
	c.nulls = c.nulls[:0]
	c.vals = c.vals[:0]
	c.empties = c.empties[:0]
}

// addNull buffers a null.
func (c *column) addNull() {
	c.nulls = append(c.nulls, int32(c.rows()))
	if c.keepText {
		c.offs = append(c.offs, int32(len(c.data)))
	}
	if fixedWidth(c.typ) {
		c.vals = append(c.vals, 0)
	}
}

// addEmpty buffers an Empty cell: "" when the column is String, else a
// null, which settle turns into "" if the column ends the batch String.
func (c *column) addEmpty() {
	switch {
	case c.typ == String:
		c.addText("")
	case c.declared == Unknown:
		c.empties = append(c.empties, int32(c.rows()))
		c.addNull()
	default:
		c.addNull()
	}
}

// batchType returns the type the buffered rows get: typ, or for a column
// of nulls and Empty cells only, String (inferred) or the narrowest
// decimal (declared Decimal, which batches carry with a precision).
func (c *column) batchType() Type {
	switch {
	case c.typ != Unknown:
	case c.declared == Decimal:
		return DecimalOf(1, 0)
	case len(c.empties) > 0:
		return String
	}
	return c.typ
}

// settle gives the buffered Empty cells their value, now that the batch's
// type is known: "" if it is String (the rows become valid), else null.
func (c *column) settle() {
	if len(c.empties) == 0 {
		return
	}
	c.typ = c.batchType()
	if c.typ == String {
		// Drop the empties from the null rows: both are in order, and
		// every empty is a null row.
		kept, e := c.nulls[:0], c.empties
		for _, r := range c.nulls {
			if len(e) > 0 && e[0] == r {
				e = e[1:]
				continue
			}
			kept = append(kept, r)
		}
		c.nulls = kept
	}
	c.empties = c.empties[:0]
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
	if t != c.typ || t == JSON {
		c.widen(t, line)
		if !fixedWidth(c.typ) {
			c.addText(cell.Text)
			return
		}
		v = lift(v, t, c.typ)
	}
	// A fixed-width value parsed from ASCII text: clean as it is.
	c.data = append(c.data, cell.Text...)
	c.offs = append(c.offs, int32(len(c.data)))
	c.vals = append(c.vals, v)
}

// addText buffers a non-null String or JSON value, cleaned.
func (c *column) addText(s string) {
	c.data = appendClean(c.data, s)
	c.offs = append(c.offs, int32(len(c.data)))
}

// addJSON buffers a non-null value of a declared JSON column.
func (c *column) addJSON(cell Cell) {
	cell.Text = CleanText(cell.Text)
	c.data = appendJSON(c.data, cell)
	c.offs = append(c.offs, int32(len(c.data)))
}

// addDecimal buffers the canonical text of a value of a declared decimal
// column (see parseDecimal), which check found to fit. A column declared
// Decimal widens to the narrowest decimal that holds it.
func (c *column) addDecimal(text []byte, line int64) {
	if c.declared == Decimal {
		c.widen(decimalNeedsText(text), line)
	}
	c.data = append(c.data, text...)
	c.offs = append(c.offs, int32(len(c.data)))
}

// addValue buffers a converted value of a declared fixed-width column.
func (c *column) addValue(v uint64) {
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

// array builds the Arrow array of the buffered rows, typed typ: c.typ, or
// the batchType of a column without values.
func (c *column) array(mem memory.Allocator, typ Type) (arrow.Array, error) {
	n := c.rows()
	validity := c.validity(mem)
	defer func() {
		if validity != nil {
			validity.Release()
		}
	}()
	var buffers []*memory.Buffer
	switch typ {
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
	default:
		if typ.IsDecimal() {
			buffers = []*memory.Buffer{validity, c.decimals(mem, typ)}
			defer buffers[1].Release()
			break
		}
		// String, JSON, Unknown
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
	data := array.NewData(typ.ArrowType(), n, buffers, nil, len(c.nulls), 0)
	defer data.Release()
	return array.MakeFromData(data), nil
}

// decimals returns the values buffer of the buffered rows of decimal type
// typ (of fixed precision, wide enough for every value): the unscaled
// integers, 16 bytes a value for Decimal128 and 32 for Decimal256; zero
// for a null.
func (c *column) decimals(mem memory.Allocator, typ Type) *memory.Buffer {
	n := c.rows()
	words := 2
	if typ.Precision() > MaxDecimal128Precision {
		words = 4
	}
	buf := newBuffer(mem, n*words*8)
	values := arrow.Uint64Traits.CastFromBytes(buf.Bytes())
	clear(values)
	scale := typ.Scale()
	nulls := c.nulls
	for r := range n {
		if len(nulls) > 0 && int(nulls[0]) == r {
			nulls = nulls[1:]
			continue
		}
		decimalWords(c.data[c.offs[r]:c.offs[r+1]], scale, values[r*words:(r+1)*words])
	}
	return buf
}

// validity returns the validity bitmap of the buffered rows, or nil when
// none is null.
func (c *column) validity(mem memory.Allocator) *memory.Buffer {
	if len(c.nulls) == 0 {
		return nil
	}
	n := c.rows()
	buf := newBitmap(mem, n)
	bits := buf.Bytes()
	full := n / 8
	for i := range bits[:full] {
		bits[i] = 0xFF
	}
	if r := n % 8; r != 0 {
		bits[full] = 1<<r - 1 // the padding bits stay zero
	}
	for _, r := range c.nulls {
		bitutil.ClearBit(bits, int(r))
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
