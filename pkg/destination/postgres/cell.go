package postgres

import (
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/filedge/filedge/pkg/record"
)

// A cell reads one column of a record batch for binary COPY, converted to
// the type of the table column it goes to:
//
// appendTo appends the row's field to a binary COPY stream (its length, or
// -1 for NULL, then the value) in the binary format of the column's
// canonical type (sqlType). It allocates nothing and costs a few
// nanoseconds.
//
// value returns nil for NULL, and otherwise a pointer to a slot inside the
// cell that implements the pgtype valuer interface of the target type
// (pgtype.Int64Valuer, Float64Valuer, ...), for pgx to encode into a column
// of a type filedge did not create (see pgxCell): putting a pointer in an
// interface does not allocate. The value is valid until the next call.
type cell interface {
	appendTo(buf []byte, row int) []byte
	value(row int) any
}

// binarySlot is a value that appends itself, as a COPY field, in the binary
// format of its canonical PostgreSQL type.
type binarySlot interface {
	appendBinary(buf []byte) []byte
}

// Binary formats: big-endian integers; dates count days and timestamps
// microseconds from 2000-01-01 (PostgreSQL's epoch).
const (
	pgEpochDays   = 10_957                       // 2000-01-01 in days since 1970-01-01
	pgEpochMicros = pgEpochDays * 86_400_000_000 // and in microseconds
)

func appendNull(buf []byte) []byte { return append(buf, 0xff, 0xff, 0xff, 0xff) }

func appendField(buf []byte, n int) []byte {
	return binary.BigEndian.AppendUint32(buf, uint32(n))
}

func appendText(buf []byte, s string) []byte {
	return append(appendField(buf, len(s)), s...)
}

func appendJSONB(buf []byte, s string) []byte {
	return append(append(appendField(buf, len(s)+1), 1), s...) // format version 1, then the text
}

// The slots. Each implements binarySlot, and the valuer pgx's codecs for
// the target type look for in binary format (on the slot, and on a pointer
// to it, which a cell hands out so that boxing does not allocate).

type int8Slot struct{ v int64 }

func (s int8Slot) Int64Value() (pgtype.Int8, error) {
	return pgtype.Int8{Int64: s.v, Valid: true}, nil
}

func (s int8Slot) appendBinary(buf []byte) []byte {
	return binary.BigEndian.AppendUint64(appendField(buf, 8), uint64(s.v))
}

type float8Slot struct{ v float64 }

func (s float8Slot) Float64Value() (pgtype.Float8, error) {
	return pgtype.Float8{Float64: s.v, Valid: true}, nil
}

func (s float8Slot) appendBinary(buf []byte) []byte {
	return binary.BigEndian.AppendUint64(appendField(buf, 8), math.Float64bits(s.v))
}

type boolSlot struct{ v bool }

func (s boolSlot) BoolValue() (pgtype.Bool, error) { return pgtype.Bool{Bool: s.v, Valid: true}, nil }

func (s boolSlot) appendBinary(buf []byte) []byte {
	b := byte(0)
	if s.v {
		b = 1
	}
	return append(appendField(buf, 1), b)
}

// dateSlot holds days since 1970-01-01.
type dateSlot struct{ days int64 }

func (s dateSlot) DateValue() (pgtype.Date, error) {
	return pgtype.Date{Time: time.Unix(s.days*86400, 0).UTC(), Valid: true}, nil
}

func (s dateSlot) appendBinary(buf []byte) []byte {
	d := s.days - pgEpochDays
	if d <= math.MinInt32 || d >= math.MaxInt32 {
		// Out of PostgreSQL's range, and of int32's: send a value the
		// server rejects as out of range rather than one that wrapped
		// around (MinInt32 and MaxInt32 would mean -infinity, infinity).
		d = math.MinInt32 + 1
	}
	return binary.BigEndian.AppendUint32(appendField(buf, 4), uint32(int32(d)))
}

// timestampSlot holds microseconds since 1970-01-01 UTC. It serves
// timestamptz columns and, for tables filedge did not create, timestamp.
type timestampSlot struct{ us int64 }

func (s timestampSlot) TimestamptzValue() (pgtype.Timestamptz, error) {
	return pgtype.Timestamptz{Time: time.UnixMicro(s.us).UTC(), Valid: true}, nil
}

func (s timestampSlot) TimestampValue() (pgtype.Timestamp, error) {
	return pgtype.Timestamp{Time: time.UnixMicro(s.us).UTC(), Valid: true}, nil
}

func (s timestampSlot) appendBinary(buf []byte) []byte {
	us := int64(math.MinInt64 + 1) // out of range: the server rejects it (see dateSlot)
	if s.us > math.MinInt64+pgEpochMicros {
		us = s.us - pgEpochMicros
	}
	return binary.BigEndian.AppendUint64(appendField(buf, 8), uint64(us))
}

type textSlot struct{ v string }

func (s textSlot) TextValue() (pgtype.Text, error) {
	return pgtype.Text{String: s.v, Valid: true}, nil
}

func (s textSlot) appendBinary(buf []byte) []byte { return appendText(buf, s.v) }

// Cells for the common cases: the batch holds the table column's type.

type nullCell struct{}

func (nullCell) appendTo(buf []byte, _ int) []byte { return appendNull(buf) }
func (nullCell) value(int) any                     { return nil }

type int64Cell struct {
	arr *array.Int64
	int8Slot
}

func (c *int64Cell) appendTo(buf []byte, i int) []byte {
	if c.arr.IsNull(i) {
		return appendNull(buf)
	}
	return int8Slot{c.arr.Value(i)}.appendBinary(buf)
}

func (c *int64Cell) value(i int) any {
	if c.arr.IsNull(i) {
		return nil
	}
	c.v = c.arr.Value(i)
	return &c.int8Slot
}

type float64Cell struct {
	arr *array.Float64
	float8Slot
}

func (c *float64Cell) appendTo(buf []byte, i int) []byte {
	if c.arr.IsNull(i) {
		return appendNull(buf)
	}
	return float8Slot{c.arr.Value(i)}.appendBinary(buf)
}

func (c *float64Cell) value(i int) any {
	if c.arr.IsNull(i) {
		return nil
	}
	c.v = c.arr.Value(i)
	return &c.float8Slot
}

type boolCell struct {
	arr *array.Boolean
	boolSlot
}

func (c *boolCell) appendTo(buf []byte, i int) []byte {
	if c.arr.IsNull(i) {
		return appendNull(buf)
	}
	return boolSlot{c.arr.Value(i)}.appendBinary(buf)
}

func (c *boolCell) value(i int) any {
	if c.arr.IsNull(i) {
		return nil
	}
	c.v = c.arr.Value(i)
	return &c.boolSlot
}

type date32Cell struct {
	arr *array.Date32
	dateSlot
}

func (c *date32Cell) appendTo(buf []byte, i int) []byte {
	if c.arr.IsNull(i) {
		return appendNull(buf)
	}
	return dateSlot{int64(c.arr.Value(i))}.appendBinary(buf)
}

func (c *date32Cell) value(i int) any {
	if c.arr.IsNull(i) {
		return nil
	}
	c.days = int64(c.arr.Value(i))
	return &c.dateSlot
}

type timestampCell struct {
	arr *array.Timestamp
	timestampSlot
}

func (c *timestampCell) appendTo(buf []byte, i int) []byte {
	if c.arr.IsNull(i) {
		return appendNull(buf)
	}
	return timestampSlot{int64(c.arr.Value(i))}.appendBinary(buf)
}

func (c *timestampCell) value(i int) any {
	if c.arr.IsNull(i) {
		return nil
	}
	c.us = int64(c.arr.Value(i))
	return &c.timestampSlot
}

type stringCell struct {
	arr *array.String
	textSlot
}

func (c *stringCell) appendTo(buf []byte, i int) []byte {
	if c.arr.IsNull(i) {
		return appendNull(buf)
	}
	return textSlot{cleanText(c.arr.Value(i))}.appendBinary(buf)
}

func (c *stringCell) value(i int) any {
	if c.arr.IsNull(i) {
		return nil
	}
	c.v = cleanText(c.arr.Value(i))
	return &c.textSlot
}

// decimalCell sends a decimal array's values (Decimal128 or Decimal256)
// to a NUMERIC column in NUMERIC's binary format: straight from the
// unscaled integer when it fits an int64, else from the exact text.
type decimalCell struct {
	arr   arrow.Array
	d128  *array.Decimal128 // arr, when it is a Decimal128
	scale int
	numericSlot
}

func newDecimalCell(arr arrow.Array) *decimalCell {
	c := &decimalCell{arr: arr}
	if a, ok := arr.(*array.Decimal128); ok {
		c.d128, c.scale = a, int(a.DataType().(*arrow.Decimal128Type).Scale)
	}
	return c
}

func (c *decimalCell) appendTo(buf []byte, i int) []byte {
	if c.arr.IsNull(i) {
		return appendNull(buf)
	}
	if c.d128 != nil {
		v := c.d128.Value(i)
		if lo := v.LowBits(); v.HighBits() == int64(lo)>>63 { // fits an int64
			if out, ok := appendNumericInt(buf, int64(lo), c.scale); ok {
				return out
			}
		}
	}
	c.text, _ = record.AppendDecimal(c.text[:0], c.arr, i)
	return appendNumeric(buf, c.text)
}

func (c *decimalCell) value(i int) any {
	if c.arr.IsNull(i) {
		return nil
	}
	c.text, _ = record.AppendDecimal(c.text[:0], c.arr, i)
	return &c.numericSlot
}

// Cells for conversions (a narrower batch type into a wider column, or
// Arrow types other than the ones record.Type.ArrowType makes): a reader
// function per value, slower but still allocation-free except when a
// number or time is formatted as text.

type funcCell[S binarySlot] struct {
	null func(int) bool
	get  func(int) S
	slot S
	ptr  any // &slot as the valuer, set by newFuncCell
}

func (c *funcCell[S]) appendTo(buf []byte, i int) []byte {
	if c.null(i) {
		return appendNull(buf)
	}
	return c.get(i).appendBinary(buf)
}

func (c *funcCell[S]) value(i int) any {
	if c.null(i) {
		return nil
	}
	c.slot = c.get(i)
	return c.ptr
}

// jsonCell sends JSON text; pgx's json and jsonb codecs take a *string.
type jsonCell struct {
	null func(int) bool
	get  func(int) string
	v    string
}

func (c *jsonCell) appendTo(buf []byte, i int) []byte {
	if c.null(i) {
		return appendNull(buf)
	}
	return appendJSONB(buf, cleanJSON(c.get(i)))
}

func (c *jsonCell) value(i int) any {
	if c.null(i) {
		return nil
	}
	c.v = cleanJSON(c.get(i))
	return &c.v
}

func newFunc[S binarySlot](arr arrow.Array, get func(int) S) *funcCell[S] {
	c := &funcCell[S]{null: arr.IsNull, get: get}
	c.ptr = &c.slot
	return c
}

// newCell returns the cell that reads arr (whose field is f) into a table
// column of type to. It fails if the column is narrower than the batch's
// type: the caller widens the table first.
func newCell(arr arrow.Array, f arrow.Field, to record.Type) (cell, error) {
	from := record.TypeOf(f)
	if arr.DataType().ID() == arrow.NULL || arr.NullN() == arr.Len() {
		return nullCell{}, nil
	}
	if !holds(to, from) {
		return nil, fmt.Errorf("column %q: %s values do not fit a %s column", f.Name, from, to)
	}
	if to.IsDecimal() {
		if record.IsDecimalArray(arr) {
			return newDecimalCell(arr), nil
		}
		var text []byte
		if get := intReader(arr); get != nil {
			return newFunc(arr, func(i int) numericSlot {
				text = strconv.AppendInt(text[:0], get(i), 10)
				return numericSlot{text}
			}), nil
		}
		if get := floatReader(arr); get != nil && from == record.Float { // into an unconstrained NUMERIC (see holds)
			return newFunc(arr, func(i int) numericSlot {
				text = appendFloatDecimal(text[:0], get(i))
				return numericSlot{text}
			}), nil
		}
	}
	switch to {
	case record.Integer:
		if a, ok := arr.(*array.Int64); ok {
			return &int64Cell{arr: a}, nil
		}
		if get := intReader(arr); get != nil {
			return newFunc(arr, func(i int) int8Slot { return int8Slot{get(i)} }), nil
		}
	case record.Float:
		if a, ok := arr.(*array.Float64); ok {
			return &float64Cell{arr: a}, nil
		}
		if get := floatReader(arr); get != nil {
			return newFunc(arr, func(i int) float8Slot { return float8Slot{get(i)} }), nil
		}
	case record.Boolean:
		if a, ok := arr.(*array.Boolean); ok {
			return &boolCell{arr: a}, nil
		}
	case record.Date:
		if a, ok := arr.(*array.Date32); ok {
			return &date32Cell{arr: a}, nil
		}
		if get := dateReader(arr); get != nil {
			return newFunc(arr, func(i int) dateSlot { return dateSlot{get(i)} }), nil
		}
	case record.Timestamp:
		if a, ok := arr.(*array.Timestamp); ok && a.DataType().(*arrow.TimestampType).Unit == arrow.Microsecond {
			return &timestampCell{arr: a}, nil
		}
		if get := timestampReader(arr); get != nil {
			return newFunc(arr, func(i int) timestampSlot { return timestampSlot{get(i)} }), nil
		}
	case record.String:
		if a, ok := arr.(*array.String); ok {
			return &stringCell{arr: a}, nil
		}
		if get := textReader(arr, from); get != nil {
			return newFunc(arr, func(i int) textSlot { return textSlot{cleanText(get(i))} }), nil
		}
	case record.JSON:
		if get := jsonReader(arr, from); get != nil {
			return &jsonCell{null: arr.IsNull, get: get}, nil
		}
	}
	return nil, fmt.Errorf("column %q: cannot store Arrow %s (%s) in a %s column", f.Name, arr.DataType(), from, to)
}

// intReader reads any Arrow integer array record.TypeOf calls Integer.
func intReader(arr arrow.Array) func(int) int64 {
	switch a := arr.(type) {
	case *array.Int64:
		return func(i int) int64 { return a.Value(i) }
	case *array.Int32:
		return func(i int) int64 { return int64(a.Value(i)) }
	case *array.Int16:
		return func(i int) int64 { return int64(a.Value(i)) }
	case *array.Int8:
		return func(i int) int64 { return int64(a.Value(i)) }
	case *array.Uint32:
		return func(i int) int64 { return int64(a.Value(i)) }
	case *array.Uint16:
		return func(i int) int64 { return int64(a.Value(i)) }
	case *array.Uint8:
		return func(i int) int64 { return int64(a.Value(i)) }
	}
	return nil
}

// floatReader reads a float or integer array as float64.
func floatReader(arr arrow.Array) func(int) float64 {
	switch a := arr.(type) {
	case *array.Float64:
		return a.Value
	case *array.Float32:
		return func(i int) float64 { return float64(a.Value(i)) }
	}
	if get := intReader(arr); get != nil {
		return func(i int) float64 { return float64(get(i)) }
	}
	return nil
}

// dateReader reads a date array as days since 1970-01-01.
func dateReader(arr arrow.Array) func(int) int64 {
	switch a := arr.(type) {
	case *array.Date32:
		return func(i int) int64 { return int64(a.Value(i)) }
	case *array.Date64:
		return func(i int) int64 { return floorDiv(int64(a.Value(i)), 86_400_000) }
	}
	return nil
}

// timestampReader reads a timestamp or date array as microseconds since
// 1970-01-01 UTC (a date is its midnight UTC).
func timestampReader(arr arrow.Array) func(int) int64 {
	if a, ok := arr.(*array.Timestamp); ok {
		switch a.DataType().(*arrow.TimestampType).Unit {
		case arrow.Second:
			return func(i int) int64 { return int64(a.Value(i)) * 1_000_000 }
		case arrow.Millisecond:
			return func(i int) int64 { return int64(a.Value(i)) * 1_000 }
		case arrow.Microsecond:
			return func(i int) int64 { return int64(a.Value(i)) }
		case arrow.Nanosecond:
			return func(i int) int64 { return floorDiv(int64(a.Value(i)), 1_000) }
		}
	}
	if get := dateReader(arr); get != nil {
		return func(i int) int64 { return get(i) * 86_400_000_000 }
	}
	return nil
}

// textReader reads any array as text, the way destinations write a
// narrower type into a String column: integers with strconv, floats with
// strconv 'g' -1, decimals exactly with their scale, dates as 2006-01-02,
// timestamps as RFC 3339 in UTC, booleans as true/false.
func textReader(arr arrow.Array, from record.Type) func(int) string {
	if record.IsDecimalArray(arr) {
		var buf []byte
		return func(i int) string {
			buf, _ = record.AppendDecimal(buf[:0], arr, i)
			return string(buf)
		}
	}
	switch a := arr.(type) {
	case *array.String:
		return a.Value
	case *array.LargeString:
		return a.Value
	case *array.Binary:
		return a.ValueString
	case *array.Boolean:
		return func(i int) string { return strconv.FormatBool(a.Value(i)) }
	}
	if from == record.Date {
		if get := dateReader(arr); get != nil {
			return func(i int) string { return time.Unix(get(i)*86400, 0).UTC().Format(time.DateOnly) }
		}
	}
	if from == record.Timestamp {
		if get := timestampReader(arr); get != nil {
			return func(i int) string { return time.UnixMicro(get(i)).UTC().Format(time.RFC3339Nano) }
		}
	}
	if get := intReader(arr); get != nil {
		return func(i int) string { return strconv.FormatInt(get(i), 10) }
	}
	if get := floatReader(arr); get != nil {
		return func(i int) string { return strconv.FormatFloat(get(i), 'g', -1, 64) }
	}
	return nil
}

// jsonReader reads any array as JSON text: JSON as it is, numbers and
// booleans as JSON literals, everything else as a JSON string.
func jsonReader(arr arrow.Array, from record.Type) func(int) string {
	text := textReader(arr, from)
	if text == nil {
		return nil
	}
	switch {
	case from == record.JSON:
		return text
	case from == record.Integer, from == record.Boolean, from.IsDecimal(): // a decimal: a JSON number of every digit
		return text
	case from == record.Float:
		get := floatReader(arr)
		return func(i int) string {
			if v := get(i); math.IsInf(v, 0) || math.IsNaN(v) {
				return jsonString(text(i))
			}
			return text(i)
		}
	}
	return func(i int) string { return jsonString(text(i)) }
}

// jsonString returns s as a JSON string (see record.AppendJSONString);
// cleanJSON makes it acceptable to jsonb.
func jsonString(s string) string {
	return string(record.AppendJSONString(nil, s))
}

// cleanText makes s acceptable to PostgreSQL's text type, which refuses NUL
// bytes and invalid UTF-8 (and would abort the whole COPY), by the rule
// every destination applies (record.CleanText): each becomes U+FFFD. The
// parser has applied it to every value, and reported what it changed, so
// batches arrive clean; this keeps a COPY alive whatever a batch holds.
// Valid text is returned as it is, at the cost of one scan.
func cleanText(s string) string {
	return record.CleanText(s)
}

// cleanJSON makes JSON text acceptable to jsonb, which also refuses the
// escape \u0000 and escapes of unpaired surrogates: record.CleanJSON writes
// them \ufffd, as the parser does.
func cleanJSON(s string) string {
	return record.CleanJSON(s)
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}
