package avro

import (
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"unicode/utf8"
	"unsafe"

	"github.com/filedge/filedge/pkg/format"
	"github.com/filedge/filedge/pkg/record"
)

// maxEmptyItems caps, per file, the records and array items whose type
// takes no bytes at all (null, an empty record): they are the one way a
// few bytes could declare an unbounded number of values.
const maxEmptyItems = 1 << 16

// maxDecimalBytes caps the unscaled value of one decimal (2466 digits).
const maxDecimalBytes = 1 << 10

// column is a top-level field of the file's schema, loaded as one column.
type column struct {
	name string
	n    *node
}

// columnsOf returns the columns of a schema: the fields of a record, or
// one column named "value" for any other type.
func columnsOf(n *node) []column {
	if n.kind != kindRecord {
		return []column{{name: "value", n: n}}
	}
	cols := make([]column, len(n.fields))
	for i, f := range n.fields {
		cols[i] = column{name: f.name, n: f.n}
	}
	return cols
}

// pending is a cell whose text is text[start:end] of its row, set once
// the row's text has stopped growing.
type pending struct{ col, start, end int }

// decoder decodes the records of a block into cells. It reads the block
// through buf and renders what is not a string of the block into text,
// so that a record takes no allocation.
type decoder struct {
	buf []byte // the block's records
	pos int    // next byte of buf

	cols  []column
	cells []record.Cell
	text  []byte // this row's rendered text
	pend  []pending

	maxField int // cap on one cell's text
	empty    int // records and array items that take no bytes, left for this file

	start    int   // where the text of the column being decoded starts
	col      int   // the column being decoded
	valueErr error // the first value of this row that no column can hold
	valueCol int   // its column

	// line is the record being decoded; nulled counts, per column, the
	// NaN and infinite floats loaded as null (at the top level and inside
	// JSON values), which no destination column type holds, so that the
	// reader reports them instead of changing them in silence.
	line   int64
	nulled []nulledFloats
}

// nulledFloats counts one column's NaN and infinite values loaded as null.
type nulledFloats struct {
	top, nested int64
	first       int64 // the line of the first
}

// nullFloat counts a NaN or infinity of the column being decoded.
func (d *decoder) nullFloat(nested bool) {
	n := &d.nulled[d.col]
	if n.top+n.nested == 0 {
		n.first = d.line
	}
	if nested {
		n.nested++
	} else {
		n.top++
	}
}

// nulledIssues returns one issue per column and kind of NaN or infinite
// values loaded as null.
func (d *decoder) nulledIssues() []string {
	var out []string
	what := func(n int64) string {
		if n == 1 {
			return "1 NaN or infinite value"
		}
		return fmt.Sprintf("%d NaN or infinite values", n)
	}
	for i, n := range d.nulled {
		if n.top > 0 {
			out = append(out, fmt.Sprintf("Column %q has %s, loaded as null (the first at line %d)", d.cols[i].name, what(n.top), n.first))
		}
		if n.nested > 0 {
			out = append(out, fmt.Sprintf("Column %q has %s in its values, loaded as null (the first at line %d)", d.cols[i].name, what(n.nested), n.first))
		}
	}
	return out
}

func newDecoder(cols []column, maxField int) *decoder {
	return &decoder{
		cols:     cols,
		cells:    make([]record.Cell, len(cols)),
		nulled:   make([]nulledFloats, len(cols)),
		maxField: maxField,
		empty:    maxEmptyItems,
	}
}

// row decodes one record into d.cells. A value that its column cannot
// hold (a date out of range, text over the cap) leaves the record's
// encoding intact: d.valueErr says so, and the next record can be read. An
// error returned means the record's bytes are corrupt, as a *columnError.
func (d *decoder) row() error {
	d.text, d.pend, d.valueErr = d.text[:0], d.pend[:0], nil
	for i, c := range d.cols {
		d.col, d.start = i, len(d.text)
		if err := d.cell(i, c.n); err != nil {
			return &columnError{column: c.name, err: err}
		}
	}
	// Only now that text has stopped growing (and moving) can cells
	// point into it.
	for _, p := range d.pend {
		d.cells[p.col].Text = view(d.text[p.start:p.end])
	}
	return nil
}

// view returns b as a string without copying: it is valid as long as b's
// bytes are, until the next record, as record.Cell allows.
func view(b []byte) string {
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// later makes column i's cell one of kind whose text is d.text from start
// on.
func (d *decoder) later(i int, kind record.Kind, start int) {
	d.cells[i] = record.Cell{Kind: kind}
	d.pend = append(d.pend, pending{i, start, len(d.text)})
}

// invalid records a value that column i cannot hold; its cell is null.
func (d *decoder) invalid(i int, err error) {
	d.cells[i] = format.NullCell
	if d.valueErr == nil {
		d.valueErr, d.valueCol = err, d.col
	}
}

// tooLong reports whether n bytes of text are over the cap on one cell,
// recording the value error if so.
func (d *decoder) tooLong(i, n int) bool {
	if n <= d.maxField {
		return false
	}
	d.invalid(i, fmt.Errorf("value of %d bytes is longer than %d bytes (max field bytes)", n, d.maxField))
	return true
}

// cell decodes a value of n into column i's cell.
func (d *decoder) cell(i int, n *node) error {
	switch n.kind {
	case kindNull:
		d.cells[i] = format.NullCell
	case kindBoolean:
		b, err := d.boolean()
		if err != nil {
			return err
		}
		d.cells[i] = format.BoolCell(b)
	case kindInt, kindLong:
		v, err := d.integer(n)
		if err != nil {
			return err
		}
		d.integerCell(i, n, v)
	case kindFloat:
		f, err := d.float()
		if err != nil {
			return err
		}
		d.floatCell(i, float64(f), 32)
	case kindDouble:
		f, err := d.double()
		if err != nil {
			return err
		}
		d.floatCell(i, f, 64)
	case kindString:
		b, err := d.bytes()
		if err != nil {
			return err
		}
		switch {
		case d.tooLong(i, len(b)):
		case utf8.Valid(b):
			d.cells[i] = record.Cell{Text: view(b), Kind: record.Quoted}
		default:
			start := len(d.text)
			d.text = appendValidUTF8(d.text, b)
			d.later(i, record.Quoted, start)
		}
	case kindBytes, kindFixed:
		var b []byte
		var err error
		if n.kind == kindBytes {
			b, err = d.bytes()
		} else {
			b, err = d.fixed(n.size)
		}
		if err != nil {
			return err
		}
		d.bytesCell(i, n, b)
	case kindEnum:
		s, err := d.symbol(n)
		if err != nil {
			return err
		}
		d.cells[i] = format.StringCell(s)
	case kindUnion:
		b, err := d.branch(n)
		if err != nil {
			return err
		}
		switch {
		case b.kind == kindNull:
			d.cells[i] = format.NullCell
		case n.col == record.JSON:
			return d.document(i, b)
		default:
			return d.cell(i, b)
		}
	default: // record, array, map
		return d.document(i, n)
	}
	return nil
}

// document renders a value of n as column i's JSON document.
func (d *decoder) document(i int, n *node) error {
	start := len(d.text)
	if err := d.json(n, 1); err != nil {
		return err
	}
	if d.valueErr == nil || d.valueCol != d.col {
		d.later(i, record.Document, start)
	}
	return nil
}

// integerCell makes an int or long, or the date, time or timestamp it
// stands for, column i's cell.
func (d *decoder) integerCell(i int, n *node, v int64) {
	start := len(d.text)
	switch n.logical {
	case logicalDate:
		if v < minDay || v > maxDay {
			d.invalid(i, fmt.Errorf("date %d days from 1970-01-01 is out of range (0001-01-01 to 9999-12-31)", v))
			return
		}
		d.text = appendDate(d.text, v)
		d.later(i, record.Quoted, start)
	case logicalTime:
		d.text = appendTime(d.text, v, n.unit)
		d.later(i, record.Quoted, start)
	case logicalTimestamp:
		if days, _, _ := splitTimestamp(v, n.unit); days < minDay || days > maxDay {
			d.invalid(i, fmt.Errorf("timestamp %d (%s) is out of range (years 1 to 9999)", v, unitNames[n.unit]))
			return
		}
		d.text = appendTimestamp(d.text, v, n.unit)
		d.later(i, record.Quoted, start)
	default:
		d.text = strconv.AppendInt(d.text, v, 10)
		d.later(i, record.Number, start)
	}
}

var unitNames = [...]string{millis: "milliseconds", micros: "microseconds", nanos: "nanoseconds"}

// floatCell makes a float (bits 32) or double column i's cell; NaN and the
// infinities are null, as format.FloatCell makes them, and counted.
func (d *decoder) floatCell(i int, f float64, bits int) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		d.cells[i] = format.NullCell
		d.nullFloat(false)
		return
	}
	start := len(d.text)
	d.text = strconv.AppendFloat(d.text, f, 'g', -1, bits)
	d.later(i, record.Number, start)
}

// bytesCell makes bytes or a fixed column i's cell: a decimal as its exact
// text (a number up to 76 digits, which its column holds), a UUID or duration as text,
// other bytes in base64.
func (d *decoder) bytesCell(i int, n *node, b []byte) {
	start := len(d.text)
	switch n.logical {
	case logicalDecimal:
		if !d.decimalFits(i, b, n.scale) {
			return
		}
		d.text = appendDecimal(d.text, b, n.scale)
		if n.col.IsDecimal() {
			d.later(i, record.Number, start)
		} else {
			d.later(i, record.Quoted, start)
		}
	case logicalUUID:
		d.text = appendUUID(d.text, b)
		d.later(i, record.Quoted, start)
	case logicalDuration:
		d.text = appendDuration(d.text, b)
		d.later(i, record.Quoted, start)
	default:
		if d.tooLong(i, base64.StdEncoding.EncodedLen(len(b))) {
			return
		}
		d.text = appendBase64(d.text, b)
		d.later(i, record.Quoted, start)
	}
}

// decimalFits reports whether a decimal of unscaled bytes b and scale is
// short enough to render, recording the value error if not.
func (d *decoder) decimalFits(i int, b []byte, scale int) bool {
	if len(b) > maxDecimalBytes {
		d.invalid(i, fmt.Errorf("decimal of %d bytes is longer than %d bytes", len(b), maxDecimalBytes))
		return false
	}
	// 2.41 digits a byte, a sign, a point and the zeros a scale adds.
	return !d.tooLong(i, len(b)*5/2+scale+3)
}

// json appends a value of n to d.text as JSON: records and maps as
// objects, arrays as arrays, bytes and fixed in base64, decimals as exact
// numbers, dates, times, timestamps, UUIDs and durations as strings, a
// union as its branch's value, NaN and infinities as null.
func (d *decoder) json(n *node, depth int) error {
	if depth > maxDepth {
		return errTooDeep
	}
	switch n.kind {
	case kindNull:
		d.text = append(d.text, "null"...)
	case kindBoolean:
		b, err := d.boolean()
		if err != nil {
			return err
		}
		d.text = strconv.AppendBool(d.text, b)
	case kindInt, kindLong:
		v, err := d.integer(n)
		if err != nil {
			return err
		}
		switch n.logical {
		case logicalDate:
			d.text = append(appendDate(append(d.text, '"'), v), '"')
		case logicalTime:
			d.text = append(appendTime(append(d.text, '"'), v, n.unit), '"')
		case logicalTimestamp:
			d.text = append(appendTimestamp(append(d.text, '"'), v, n.unit), '"')
		default:
			d.text = strconv.AppendInt(d.text, v, 10)
		}
	case kindFloat:
		f, err := d.float()
		if err != nil {
			return err
		}
		d.jsonFloat(float64(f), 32)
	case kindDouble:
		f, err := d.double()
		if err != nil {
			return err
		}
		d.jsonFloat(f, 64)
	case kindString:
		b, err := d.bytes()
		if err != nil {
			return err
		}
		if !d.jsonTooLong(len(b)) {
			d.text = record.AppendJSONString(d.text, b)
		}
	case kindBytes, kindFixed:
		var b []byte
		var err error
		if n.kind == kindBytes {
			b, err = d.bytes()
		} else {
			b, err = d.fixed(n.size)
		}
		if err != nil {
			return err
		}
		d.jsonBytes(n, b)
	case kindEnum:
		s, err := d.symbol(n)
		if err != nil {
			return err
		}
		d.text = record.AppendJSONString(d.text, unsafe.Slice(unsafe.StringData(s), len(s)))
	case kindUnion:
		b, err := d.branch(n)
		if err != nil {
			return err
		}
		return d.json(b, depth+1)
	case kindRecord:
		d.text = append(d.text, '{')
		for k, f := range n.fields {
			if k > 0 {
				d.text = append(d.text, ',')
			}
			d.text = append(d.text, f.key...)
			if err := d.json(f.n, depth+1); err != nil {
				return err
			}
			d.capText()
		}
		d.text = append(d.text, '}')
	case kindArray, kindMap:
		return d.jsonItems(n, depth)
	}
	return nil
}

// jsonItems appends an array as a JSON array, or a map as a JSON object
// with its keys in file order.
func (d *decoder) jsonItems(n *node, depth int) error {
	open, end, least := byte('['), byte(']'), n.items.min
	if n.kind == kindMap {
		open, end, least = '{', '}', 1+n.items.min
	}
	d.text = append(d.text, open)
	first := true
	for {
		count, err := d.blockCount(least)
		if err != nil || count == 0 {
			d.text = append(d.text, end)
			return err
		}
		for range count {
			if !first {
				d.text = append(d.text, ',')
			}
			first = false
			if n.kind == kindMap {
				key, err := d.bytes()
				if err != nil {
					return err
				}
				d.text = append(record.AppendJSONString(d.text, key), ':')
			}
			if err := d.json(n.items, depth+1); err != nil {
				return err
			}
			d.capText()
		}
	}
}

// capText keeps the text of the column being decoded under the cap on one
// cell: once over it, the value is an error and its text is dropped, while
// decoding goes on to the record's end.
func (d *decoder) capText() { d.jsonTooLong(0) }

// jsonTooLong reports whether the JSON text of the column being decoded,
// with more bytes added, is over the cap on one cell; if so, it records
// the value error and drops the text.
func (d *decoder) jsonTooLong(more int) bool {
	if len(d.text)-d.start+more <= d.maxField {
		return false
	}
	d.invalid(d.col, fmt.Errorf("value is longer than %d bytes as JSON (max field bytes)", d.maxField))
	d.text = d.text[:d.start]
	return true
}

func (d *decoder) jsonFloat(f float64, bits int) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		d.text = append(d.text, "null"...)
		d.nullFloat(true)
		return
	}
	d.text = strconv.AppendFloat(d.text, f, 'g', -1, bits)
}

func (d *decoder) jsonBytes(n *node, b []byte) {
	switch n.logical {
	case logicalDecimal:
		if d.decimalFits(d.col, b, n.scale) {
			d.text = appendDecimal(d.text, b, n.scale)
		}
	case logicalUUID:
		d.text = append(appendUUID(append(d.text, '"'), b), '"')
	case logicalDuration:
		d.text = append(appendDuration(append(d.text, '"'), b), '"')
	default:
		if !d.jsonTooLong(base64.StdEncoding.EncodedLen(len(b))) {
			d.text = append(appendBase64(append(d.text, '"'), b), '"')
		}
	}
}

// The binary encoding, read from d.buf at d.pos.

// long reads a zig-zag variable-length long.
func (d *decoder) long() (int64, error) {
	buf, i := d.buf, d.pos
	if i < len(buf) && buf[i] < 0x80 {
		d.pos = i + 1
		u := uint64(buf[i])
		return int64(u>>1) ^ -int64(u&1), nil
	}
	var u uint64
	for shift := uint(0); shift < 64; shift += 7 {
		if i >= len(buf) {
			return 0, errTruncated
		}
		b := buf[i]
		i++
		if shift == 63 && b > 1 {
			return 0, errVarint
		}
		u |= uint64(b&0x7f) << shift
		if b < 0x80 {
			d.pos = i
			return int64(u>>1) ^ -int64(u&1), nil
		}
	}
	return 0, errVarint
}

// integer reads an int or a long, as n says.
func (d *decoder) integer(n *node) (int64, error) {
	v, err := d.long()
	if err == nil && n.kind == kindInt && (v < math.MinInt32 || v > math.MaxInt32) {
		return 0, errIntRange
	}
	return v, err
}

func (d *decoder) boolean() (bool, error) {
	if d.pos >= len(d.buf) {
		return false, errTruncated
	}
	b := d.buf[d.pos]
	d.pos++
	if b > 1 {
		return false, errBoolean
	}
	return b == 1, nil
}

func (d *decoder) float() (float32, error) {
	b, err := d.fixed(4)
	if err != nil {
		return 0, err
	}
	return math.Float32frombits(binary.LittleEndian.Uint32(b)), nil
}

func (d *decoder) double() (float64, error) {
	b, err := d.fixed(8)
	if err != nil {
		return 0, err
	}
	return math.Float64frombits(binary.LittleEndian.Uint64(b)), nil
}

// bytes reads bytes or a string: a length, then that many bytes, which
// stay in the block.
func (d *decoder) bytes() ([]byte, error) {
	n, err := d.long()
	if err != nil {
		return nil, err
	}
	if n < 0 {
		return nil, errLength
	}
	if n > int64(len(d.buf)-d.pos) {
		return nil, errTruncated
	}
	return d.fixed(int(n))
}

// fixed reads n bytes, which stay in the block.
func (d *decoder) fixed(n int) ([]byte, error) {
	if n > len(d.buf)-d.pos {
		return nil, errTruncated
	}
	b := d.buf[d.pos : d.pos+n : d.pos+n]
	d.pos += n
	return b, nil
}

func (d *decoder) symbol(n *node) (string, error) {
	i, err := d.long()
	if err != nil {
		return "", err
	}
	if i < 0 || i >= int64(len(n.symbols)) {
		return "", fmt.Errorf("enum %s has no symbol %d (it has %d)", n.name, i, len(n.symbols))
	}
	return n.symbols[i], nil
}

func (d *decoder) branch(n *node) (*node, error) {
	i, err := d.long()
	if err != nil {
		return nil, err
	}
	if i < 0 || i >= int64(len(n.union)) {
		return nil, fmt.Errorf("union has no branch %d (it has %d)", i, len(n.union))
	}
	return n.union[i], nil
}

// blockCount reads the item count of the next block of an array or map
// whose items take at least least bytes each, skipping the block's byte
// size when it is given. It refuses more items than the block's remaining
// bytes can hold, and, when items take no bytes, more than the file's
// allowance of such items.
func (d *decoder) blockCount(least int) (int64, error) {
	count, err := d.long()
	if err != nil {
		return 0, err
	}
	if count < 0 {
		if count == math.MinInt64 {
			return 0, errItemsOverrun
		}
		count = -count
		if _, err := d.long(); err != nil {
			return 0, err
		}
	}
	return count, d.take(count, least)
}

// take checks that count items of at least least bytes each fit in the
// rest of the block, and counts items of no bytes against the file's
// allowance.
func (d *decoder) take(count int64, least int) error {
	if least > 0 {
		if count > int64(len(d.buf)-d.pos)/int64(least) {
			return errItemsOverrun
		}
		return nil
	}
	if count > int64(d.empty) {
		d.empty = 0
		return errEmptyItems
	}
	d.empty -= int(count)
	return nil
}
