package excel

import (
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/xuri/excelize/v2"

	"github.com/filedge/filedge/pkg/format"
	"github.com/filedge/filedge/pkg/record"
)

// maxSheetRows is the rows of a sheet, the header included (a variable
// for tests).
var maxSheetRows = 1 << 20

// Excel's limits.
const (
	maxCellChars  = 32767   // UTF-16 code units of a cell's text
	maxExactInt   = 1 << 53 // integers a double holds exactly
	dateFormat    = "yyyy-mm-dd"
	instantFormat = "yyyy-mm-dd hh:mm:ss.000"
)

// excelStart is the first day Excel's 1900 date system shows correctly.
var excelStart = time.Date(1900, 3, 1, 0, 0, 0, 0, time.UTC)

// Writer writes one table to an XLSX file, through excelize's stream
// writer (rows go to a temporary file once they pass 16 MiB, not to
// memory). The first row holds the column names. Make one with
// NewWriter; it is not safe for concurrent use.
type Writer struct {
	out      io.Writer
	f        *excelize.File
	sw       *excelize.StreamWriter
	schema   *arrow.Schema
	names    []any
	date     int // style ids
	instant  int
	decimals map[int]int // style ids of the decimal formats, by scale
	sheet    int         // number of the sheet being written, from 1
	row      int         // rows written to it, the header included
	values   []any
	closed   bool
}

var _ format.RecordWriter = (*Writer)(nil)

// NewWriter starts an XLSX file of one table with the given schema. Rows
// go to sheet "Sheet1", and on to "Sheet2" and further sheets (each with
// the header again) past Excel's 1,048,576 rows a sheet. Values are
// written typed: booleans, numbers (an integer beyond ±2^53, which a
// spreadsheet number would round, as text), dates and timestamps as
// spreadsheet dates in the formats yyyy-mm-dd and yyyy-mm-dd
// hh:mm:ss.000 (UTC; before 1 March 1900, which Excel cannot show, as ISO
// 8601 text), decimals as numbers shown with their scale ("0.00") when
// they have at most 15 significant digits, which a spreadsheet number
// keeps, else as their exact text, and everything else as text. Text longer than Excel's cell
// limit (32,767 characters) fails the write rather than being cut.
// opts are not used.
func NewWriter(w io.Writer, schema *arrow.Schema, opts format.Options) (format.RecordWriter, error) {
	f := excelize.NewFile()
	wr := &Writer{out: w, f: f, schema: schema, decimals: map[int]int{}}
	var err error
	date, instant := dateFormat, instantFormat
	if wr.date, err = f.NewStyle(&excelize.Style{CustomNumFmt: &date}); err != nil {
		f.Close()
		return nil, fmt.Errorf("excel: %w", err)
	}
	if wr.instant, err = f.NewStyle(&excelize.Style{CustomNumFmt: &instant}); err != nil {
		f.Close()
		return nil, fmt.Errorf("excel: %w", err)
	}
	for _, fd := range schema.Fields() {
		wr.names = append(wr.names, fd.Name)
	}
	wr.values = make([]any, len(wr.names))
	if err := wr.startSheet(); err != nil {
		f.Close()
		return nil, err
	}
	return wr, nil
}

// startSheet flushes the sheet being written, if any, and starts the
// next one with the header row.
func (w *Writer) startSheet() error {
	if w.sw != nil {
		if err := w.sw.Flush(); err != nil {
			return fmt.Errorf("excel: %w", err)
		}
	}
	w.sheet++
	name := "Sheet" + strconv.Itoa(w.sheet)
	if w.sheet > 1 {
		if _, err := w.f.NewSheet(name); err != nil {
			return fmt.Errorf("excel: %w", err)
		}
	}
	sw, err := w.f.NewStreamWriter(name)
	if err != nil {
		return fmt.Errorf("excel: %w", err)
	}
	w.sw, w.row = sw, 0
	if len(w.names) == 0 {
		return nil
	}
	return w.setRow(w.names)
}

func (w *Writer) setRow(values []any) error {
	w.row++
	cell, err := excelize.CoordinatesToCellName(1, w.row)
	if err != nil {
		return fmt.Errorf("excel: %w", err)
	}
	if err := w.sw.SetRow(cell, values); err != nil {
		return fmt.Errorf("excel: row %d: %w", w.row, err)
	}
	return nil
}

// Write appends the rows of rec, whose schema must be the writer's.
func (w *Writer) Write(rec arrow.RecordBatch) error {
	if w.closed {
		return errors.New("excel: write after close")
	}
	if !rec.Schema().Equal(w.schema) {
		return fmt.Errorf("excel: record schema %v is not the writer's %v", rec.Schema(), w.schema)
	}
	for i := range int(rec.NumRows()) {
		if w.row >= maxSheetRows {
			if err := w.startSheet(); err != nil {
				return err
			}
		}
		for c := range w.values {
			v, err := w.value(rec.Column(c), record.TypeOf(w.schema.Field(c)), i)
			if err != nil {
				return fmt.Errorf("excel: sheet %d, row %d, column %q: %w", w.sheet, w.row+1, w.schema.Field(c).Name, err)
			}
			w.values[c] = v
		}
		if err := w.setRow(w.values); err != nil {
			return err
		}
	}
	return nil
}

// value returns what a cell holds for row i of col.
func (w *Writer) value(col arrow.Array, t record.Type, i int) (any, error) {
	if col.IsNull(i) {
		return nil, nil
	}
	switch a := col.(type) {
	case *array.Boolean:
		return a.Value(i), nil
	case *array.Int64:
		v := a.Value(i)
		if v > maxExactInt || v < -maxExactInt {
			return strconv.FormatInt(v, 10), nil
		}
		return v, nil
	case *array.Float64:
		v := a.Value(i)
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, nil
		}
		return v, nil
	case *array.Date32:
		return w.instantValue(a.Value(i).ToTime(), w.date, "2006-01-02"), nil
	case *array.Timestamp:
		unit := a.DataType().(*arrow.TimestampType).Unit
		return w.instantValue(a.Value(i).ToTime(unit).UTC(), w.instant, "2006-01-02T15:04:05.999999Z07:00"), nil
	case *array.String:
		return text(a.Value(i))
	case *array.Decimal128, *array.Decimal256:
		digits, _ := record.AppendDecimal(nil, col, i)
		return w.decimalValue(string(digits), t.Scale())
	}
	return text(col.ValueStr(i))
}

// maxExactDigits is the most significant digits a decimal may have to be
// written as a spreadsheet number: any decimal of at most 15 digits comes
// back from a double (and from Excel, which shows 15 digits) unchanged.
const maxExactDigits = 15

// maxFormatScale is the most digits after the point an Excel number format
// shows.
const maxFormatScale = 30

// decimalValue is a decimal, given as its exact text with scale digits
// after the point, as a number shown with those digits when it survives a
// double, else as its text: a spreadsheet never rounds it.
func (w *Writer) decimalValue(digits string, scale int) (any, error) {
	if significantDigits(digits) > maxExactDigits {
		return digits, nil
	}
	v, err := strconv.ParseFloat(digits, 64)
	if err != nil {
		return nil, err
	}
	if scale > maxFormatScale {
		return v, nil
	}
	style, ok := w.decimals[scale]
	if !ok {
		code := "0"
		if scale > 0 {
			code += "." + strings.Repeat("0", scale)
		}
		if style, err = w.f.NewStyle(&excelize.Style{CustomNumFmt: &code}); err != nil {
			return nil, err
		}
		w.decimals[scale] = style
	}
	return excelize.Cell{StyleID: style, Value: v}, nil
}

// significantDigits counts the digits of decimal text without its leading
// and trailing zeros.
func significantDigits(s string) int {
	first, last, n := -1, -1, 0
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= '0' && c <= '9' {
			if c != '0' {
				if first < 0 {
					first = n
				}
				last = n
			}
			n++
		}
	}
	if first < 0 {
		return 0
	}
	return last - first + 1
}

// instantValue is a date or timestamp as a spreadsheet date, or as text
// where Excel cannot show it.
func (w *Writer) instantValue(t time.Time, style int, layout string) any {
	if t.Before(excelStart) || t.Year() > 9999 {
		return t.Format(layout)
	}
	serial := float64(t.UnixMicro()-epoch1900.UnixMicro()) / 86400e6
	return excelize.Cell{StyleID: style, Value: serial}
}

// text checks that s fits in a cell.
func text(s string) (any, error) {
	if len(s) > maxCellChars {
		if n := len(utf16.Encode([]rune(s))); n > maxCellChars {
			return nil, fmt.Errorf("text of %d UTF-16 code units is longer than Excel's cell limit of %d", n, maxCellChars)
		}
	}
	return s, nil
}

// Close writes the file. It does not close the underlying io.Writer.
func (w *Writer) Close() error {
	if w.closed {
		return nil
	}
	w.closed = true
	defer w.f.Close()
	if err := w.sw.Flush(); err != nil {
		return fmt.Errorf("excel: %w", err)
	}
	if _, err := w.f.WriteTo(w.out); err != nil {
		return fmt.Errorf("excel: %w", err)
	}
	return w.f.Close()
}
