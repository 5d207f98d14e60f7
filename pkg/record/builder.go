package record

import (
	"fmt"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Default batch limits of a Builder.
const (
	DefaultMaxBatchBytes = 768 << 10
	DefaultMaxBatchRows  = 65536
)

// cellOverhead is what a cell counts towards MaxBatchBytes beyond its text:
// about what an Arrow value of a fixed-width type takes, or a string's
// offset plus its share of the bitmaps. The line number counts it once
// more per row.
const cellOverhead = 8

// BuilderOptions configure a Builder.
type BuilderOptions struct {
	// Columns are the table's columns in order: unique safe names (see
	// Names), the names in the file (Source), and the declared types
	// (Unknown: infer the type from the values).
	Columns []Column
	// Required, when set, says per column whether a null fails the row.
	// Columns beyond its length are not required.
	Required []bool
	// MaxBatchBytes is the raw size at which a batch is full: the sum of
	// its cells' text lengths plus 8 bytes per cell and per row. Zero means
	// DefaultMaxBatchBytes.
	MaxBatchBytes int
	// MaxBatchRows is the row count at which a batch is full. Zero means
	// DefaultMaxBatchRows.
	MaxBatchRows int
	// Alloc allocates the batches' memory. Nil means memory.DefaultAllocator.
	Alloc memory.Allocator
}

// Widening is a column whose type a batch widened beyond the type of the
// table's earlier batches.
type Widening struct {
	Column string `json:"column"`
	From   Type   `json:"from"`
	To     Type   `json:"to"`
	// Line is the first line of that batch whose value did not fit From.
	Line int64 `json:"line"`
}

// Builder turns rows of cells into typed Arrow record batches. It infers
// the type of every column not declared, from its values, and widens it
// from batch to batch as later values require; a declared type is kept, and
// a value that does not convert to it fails its row.
//
// Use: Append each row, and Flush whenever Full returns true and once at
// the end. Batch boundaries depend only on the rows appended, so the same
// rows always make the same batches.
//
// A Builder buffers rows column-wise in memory of its own (reused from batch
// to batch) and infers types as rows arrive, so Flush only converts. It is
// not safe for concurrent use.
type Builder struct {
	cols     []*column
	byName   map[string]int
	checked  []int    // indexes of the columns Append checks before buffering a row
	scratch  []uint64 // converted values of declared fixed-width columns, by column index
	lines    []int64
	bytes    int
	maxBytes int
	maxRows  int
	mem      memory.Allocator

	widenings []Widening

	// decimals holds the canonical text of the row's values of declared
	// decimal columns, whose scratch holds their span in it (start<<32 |
	// end).
	decimals []byte
}

// NewBuilder returns a Builder for opts.Columns.
func NewBuilder(opts BuilderOptions) *Builder {
	b := &Builder{
		byName:   make(map[string]int, len(opts.Columns)),
		maxBytes: opts.MaxBatchBytes,
		maxRows:  opts.MaxBatchRows,
		mem:      opts.Alloc,
	}
	if b.maxBytes <= 0 {
		b.maxBytes = DefaultMaxBatchBytes
	}
	if b.maxRows <= 0 {
		b.maxRows = DefaultMaxBatchRows
	}
	if b.mem == nil {
		b.mem = memory.DefaultAllocator
	}
	for i, c := range opts.Columns {
		b.addColumn(c, i < len(opts.Required) && opts.Required[i])
	}
	return b
}

// addColumn adds a column, unless one has its name already.
func (b *Builder) addColumn(c Column, required bool) {
	if _, dup := b.byName[c.Name]; dup {
		return
	}
	col := newColumn(c, required)
	col.padNulls(len(b.lines))
	i := len(b.cols)
	b.byName[c.Name] = i
	b.cols = append(b.cols, col)
	b.scratch = append(b.scratch, 0)
	if required || c.Type != Unknown {
		b.checked = append(b.checked, i)
	}
}

// AddColumns adds columns that a later row brought (JSON keys seen for the
// first time), after the existing ones. The rows already buffered get nulls
// in them; batches already flushed simply lack them. A column whose name is
// already present is left out. New columns are not required.
func (b *Builder) AddColumns(cols []Column) {
	for _, c := range cols {
		b.addColumn(c, false)
	}
}

// Append buffers one row: line is its line (or record) number in the file,
// cells its values in column order. A row shorter than the columns has
// nulls in the rest. Append copies the cells' text, so the caller may reuse
// it.
//
// Append refuses the whole row, buffering nothing, with a *ValueError when a
// required column is null (ErrRequired) or a value does not convert to its
// column's declared type (ErrConvert); declared types are never widened.
// Inferred columns take any value. An Empty cell is null in a required
// column unless the column is declared String, or is inferred and the rows
// before made it String. A row with more cells than columns is an
// error of the caller (see AddColumns).
func (b *Builder) Append(line int64, cells []Cell) error {
	if len(cells) > len(b.cols) {
		return fmt.Errorf("record: line %d has %d values for %d columns", line, len(cells), len(b.cols))
	}
	b.decimals = b.decimals[:0]
	for _, i := range b.checked {
		if err := b.check(i, cells); err != nil {
			return err
		}
	}
	size := cellOverhead * (len(b.cols) + 1)
	for i, col := range b.cols {
		if i >= len(cells) {
			col.addNull()
			continue
		}
		cell := cells[i]
		if cell.Text == "" || cell.Kind == Null || cell.Kind == Empty {
			switch {
			case cell.IsNull():
				col.addNull()
				continue
			case cell.Kind == Empty:
				col.addEmpty()
				continue
			}
		}
		switch col.declared {
		case Unknown:
			col.addInferred(cell, line)
		case String:
			col.addText(cell.Text)
		case JSON:
			col.addJSON(cell)
		default:
			if fixedWidth(col.declared) {
				col.addValue(b.scratch[i])
			} else { // a decimal: its text's span in b.decimals
				span := b.scratch[i]
				col.addDecimal(b.decimals[span>>32:uint32(span)], line)
			}
		}
		size += len(cell.Text)
	}
	b.lines = append(b.lines, line)
	b.bytes += size
	return nil
}

// check applies column i's required flag and declared type to the row,
// keeping a declared fixed-width value in b.scratch[i].
func (b *Builder) check(i int, cells []Cell) error {
	col := b.cols[i]
	var cell Cell
	if i < len(cells) {
		cell = cells[i]
	}
	// An Empty cell is null unless the column is String: declared so, or
	// inferred String from the rows before (a required inferred column
	// that may still end another type refuses it, so that it never holds
	// a null).
	if cell.nullIn(col.typ) {
		if col.required {
			return &ValueError{Column: col.name, Err: ErrRequired}
		}
		return nil
	}
	if !fixedWidth(col.declared) {
		if col.declared.IsDecimal() {
			return b.checkDecimal(i, cell)
		}
		return nil
	}
	v, err := convertTo(cell, col.declared)
	if err != nil {
		return &ValueError{Column: col.name, Err: err}
	}
	b.scratch[i] = v
	return nil
}

// checkDecimal checks a non-null cell of declared decimal column i,
// appending its canonical text to b.decimals and keeping its span there in
// b.scratch[i].
func (b *Builder) checkDecimal(i int, cell Cell) error {
	col := b.cols[i]
	var need Type
	var err error
	start := len(b.decimals)
	b.decimals, need, err = parseDecimalFor(b.decimals, cell.Text, col.declared)
	// Decimal (any precision) holds what a decimal type holds: with the
	// column's earlier values, at most 76 digits.
	if err == nil && col.declared == Decimal && Widen(col.typ, need) == String {
		err = fmt.Errorf("%w: %s and the column's earlier values need more than %d digits (%v with %v)", ErrConvert, quoteValue(cell.Text), MaxDecimalPrecision, need, col.typ)
	}
	if err != nil {
		return &ValueError{Column: col.name, Err: err}
	}
	b.scratch[i] = uint64(start)<<32 | uint64(len(b.decimals))
	return nil
}

// convertTo converts a non-null cell to fixed-width type t, in the encoding
// of parse.go.
func convertTo(c Cell, t Type) (uint64, error) {
	switch t {
	case Boolean:
		if v, ok := parseBoolLenient(c.Text); ok {
			return v, nil
		}
		return 0, convertError(c.Text, Boolean)
	case Integer:
		v, err := ConvertInteger(c)
		return uint64(v), err
	case Float:
		if v, ok := toFloat(c.Text); ok {
			return math.Float64bits(v), nil
		}
		return 0, convertError(c.Text, Float)
	case Date:
		v, err := ConvertDate(c)
		return uint64(int64(v)), err
	case Timestamp:
		v, err := ConvertTimestamp(c)
		return uint64(int64(v)), err
	}
	return 0, fmt.Errorf("record: no conversion to %v", t)
}

// Full reports whether the buffered rows reached MaxBatchBytes or
// MaxBatchRows: time to Flush.
func (b *Builder) Full() bool {
	return b.bytes >= b.maxBytes || len(b.lines) >= b.maxRows
}

// Len returns the number of buffered rows.
func (b *Builder) Len() int { return len(b.lines) }

// Flush returns the buffered rows as one record batch, which the caller
// releases, and empties the buffer. The batch has LineColumn (Integer)
// first, then every column as Field(name, type), each typed with its type
// widened over the earlier batches and these rows (running types only
// widen; a column of nulls only is Unknown, carried as Arrow strings). Flush
// records the widenings (see Widenings). Flushing an empty buffer returns a
// batch of zero rows with the current types, as a header-only file needs.
//
// An Empty cell takes no part in inference: it is "" in a column that is
// String in its batch, and null in any other. An inferred column whose
// values so far are all Empty or null is String, as the file says these
// values are present and empty: a file whose first batch has only Empty
// cells and nulls in a column thus makes it String, where the same rows in
// one batch with later integers would make it Integer. Batch boundaries
// depend only on the rows, so this too is deterministic.
//
// Flush fails only when one column holds more than 2 GiB of text, which
// MaxBatchBytes prevents; the Builder is then unusable.
func (b *Builder) Flush() (arrow.RecordBatch, error) {
	n := len(b.lines)
	fields := make([]arrow.Field, 0, len(b.cols)+1)
	arrs := make([]arrow.Array, 0, len(b.cols)+1)
	defer func() {
		for _, a := range arrs {
			a.Release()
		}
	}()

	fields = append(fields, Field(LineColumn, Integer))
	lines := newBuffer(b.mem, n*8)
	copy(arrow.Int64Traits.CastFromBytes(lines.Bytes()), b.lines)
	data := array.NewData(arrow.PrimitiveTypes.Int64, n, []*memory.Buffer{nil, lines}, nil, 0, 0)
	arrs = append(arrs, array.MakeFromData(data))
	data.Release()
	lines.Release()

	for _, c := range b.cols {
		c.settle()
		typ := c.batchType()
		a, err := c.array(b.mem, typ)
		if err != nil {
			return nil, err
		}
		arrs = append(arrs, a)
		fields = append(fields, Field(c.name, typ))
	}
	rec := array.NewRecordBatch(arrow.NewSchema(fields, nil), arrs, int64(n))

	for _, c := range b.cols {
		if c.typ != c.running && c.running != Unknown {
			b.widenings = append(b.widenings, Widening{Column: c.name, From: c.running, To: c.typ, Line: c.widenAt})
		}
		c.reset(b.maxBytes)
	}
	b.lines = b.lines[:0]
	b.bytes = 0
	return rec, nil
}

// Columns returns the columns with their current types: the types the next
// Flush gives them (so, after the last Flush, the widest type of every
// column), Unknown for a column of nulls only.
func (b *Builder) Columns() []Column {
	out := make([]Column, len(b.cols))
	for i, c := range b.cols {
		out[i] = Column{Name: c.name, Source: c.source, Type: c.batchType()}
	}
	return out
}

// Widenings returns every widening of the batches flushed so far, in order.
func (b *Builder) Widenings() []Widening {
	return append([]Widening(nil), b.widenings...)
}
