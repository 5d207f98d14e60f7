package excel

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"unsafe"
)

// maxColumns is the column count of a worksheet (A to XFD).
const maxColumns = 16384

// xlsxRows streams the rows of one worksheet part, token by token: it
// never holds more than one row.
type xlsxRows struct {
	sc       *scanner
	rc       io.Closer
	part     string
	sst      *sharedStrings
	xfClass  []class
	inData   bool
	done     bool
	line     int64 // the last row's number
	cells    []xcell
	arena    []byte // text of this row's inline and formula strings
	v, is    []byte
	rowError *cellError
	err      error // what stopped the sheet
}

func (wb *workbook) rows(part string) (*xlsxRows, error) {
	sst, err := wb.sharedStrings()
	if err != nil {
		return nil, err
	}
	rc, err := wb.open(part, 0)
	if err != nil {
		return nil, err
	}
	return &xlsxRows{sc: newScanner(rc), rc: rc, part: part, sst: sst, xfClass: wb.xfClass}, nil
}

func (r *xlsxRows) close() error { return r.rc.Close() }

func (r *xlsxRows) next() (int64, []xcell, error) {
	if r.err != nil {
		return 0, nil, r.err
	}
	for !r.done {
		k, err := r.sc.next(false)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return 0, nil, r.fail(err)
		}
		switch {
		case k == tokStart && string(r.sc.name) == "sheetData":
			r.inData = true
		case k == tokStart && string(r.sc.name) == "row" && r.inData:
			if err := r.row(); err != nil {
				return 0, nil, err
			}
			if r.rowError != nil {
				ce := r.rowError
				r.rowError = nil
				return r.line, nil, ce
			}
			return r.line, r.cells, nil
		case k == tokEnd && string(r.sc.name) == "sheetData":
			r.done = true // what follows the cells is of no use here
		}
	}
	r.done = true
	return 0, nil, io.EOF
}

// fail describes an error that stops the sheet: next returns it from
// then on.
func (r *xlsxRows) fail(err error) error {
	if errors.Is(err, io.EOF) {
		err = syntaxErr("unexpected end of the document")
	}
	if errors.Is(err, errSyntax) {
		err = fmt.Errorf("%w: %w", errPackage, err)
	}
	r.done = true
	r.err = fmt.Errorf("%s, after row %d: %w", r.part, r.line, err)
	return r.err
}

// row reads a row element, its start tag just read, up to its end.
func (r *xlsxRows) row() error {
	r.line++
	for _, a := range r.sc.attrs {
		if string(a.name) == "r" {
			n, err := strconv.ParseInt(string(a.value), 10, 64)
			if err != nil || n < 1 {
				r.rowError = &cellError{col: -1, err: fmt.Errorf("row number %q is not a positive integer", a.value)}
			} else {
				r.line = n
			}
		}
	}
	r.cells = r.cells[:0]
	r.arena = r.arena[:0]
	col := -1
	for {
		k, err := r.sc.next(false)
		if err != nil {
			return r.fail(err)
		}
		switch {
		case k == tokStart && string(r.sc.name) == "c":
			if col, err = r.cell(col); err != nil {
				return err
			}
		case k == tokEnd && string(r.sc.name) == "row":
			return nil
		}
	}
}

// cell reads a c element, its start tag just read, up to its end, and
// adds its cell. prev is the column of the cell before it in the row (a
// cell without a reference follows it).
func (r *xlsxRows) cell(prev int) (int, error) {
	col := prev + 1
	var typ cellType
	var typName string
	style := 0
	for _, a := range r.sc.attrs {
		switch string(a.name) {
		case "r":
			c, ok := refColumn(string(a.value))
			if !ok {
				r.cellError(col, fmt.Errorf("cell reference %q is not valid", a.value))
				break
			}
			col = c
		case "t":
			if typ = cellTypeOf(a.value); typ == typeUnknown {
				typName = string(a.value)
			}
		case "s":
			style = atoi(string(a.value), 0)
		}
	}
	if col >= maxColumns {
		r.cellError(-1, fmt.Errorf("cell in column %d, beyond column XFD", col+1))
		col = maxColumns - 1
	}
	r.v, r.is = r.v[:0], r.is[:0]
	formula, inV, inIs, inT, phonetic := false, false, false, false, 0
	for end := false; !end; {
		k, err := r.sc.next(inV || inT)
		if err != nil {
			return col, r.fail(err)
		}
		name := r.sc.name
		switch k {
		case tokStart:
			switch string(name) {
			case "v":
				inV = true
			case "f":
				formula = true
			case "is":
				inIs = true
			case "rPh":
				phonetic++
			case "t":
				inT = inIs && phonetic == 0
			}
		case tokEnd:
			switch string(name) {
			case "c":
				end = true
			case "v":
				inV = false
			case "is":
				inIs = false
			case "rPh":
				phonetic = max(phonetic-1, 0)
			case "t":
				inT = false
			}
		case tokText:
			switch {
			case inV:
				r.v = append(r.v, r.sc.text...)
			case inT:
				r.is = append(r.is, r.sc.text...)
			}
		}
	}
	c := xcell{col: col}
	if style >= 0 && style < len(r.xfClass) {
		c.cls = r.xfClass[style]
	}
	v := r.v
	if len(v) == 0 && typ != typeInline {
		if formula {
			c.kind = vUncached
			r.cells = append(r.cells, c)
		}
		return col, nil // an empty (styled) cell
	}
	switch typ {
	case typeShared:
		i, err := strconv.Atoi(string(v))
		s, ok := r.sst.get(i)
		if err != nil || !ok {
			r.cellError(col, fmt.Errorf("shared string %q does not exist", v))
			return col, nil
		}
		c.kind, c.str = vString, s
	case typeFormulaString:
		c.kind, c.str = vString, r.text(v)
	case typeInline:
		c.kind, c.str = vString, r.text(r.is)
	case typeBool:
		switch string(v) {
		case "1", "true":
			c.kind, c.num = vBool, 1
		case "0", "false":
			c.kind = vBool
		default:
			r.cellError(col, fmt.Errorf("boolean %q is neither 0 nor 1", v))
			return col, nil
		}
	case typeError:
		c.kind, c.str = vError, r.text(v)
	case typeDate:
		c.kind, c.str = vISO, r.text(v)
	case typeNumber:
		f, err := strconv.ParseFloat(string(v), 64)
		if err != nil {
			r.cellError(col, fmt.Errorf("number %q is not valid", v))
			return col, nil
		}
		c.kind, c.num = vNumber, f
	default:
		r.cellError(col, fmt.Errorf("unknown cell type %q", typName))
		return col, nil
	}
	r.cells = append(r.cells, c)
	return col, nil
}

// cellType is a cell's t attribute.
type cellType uint8

const (
	typeNumber        cellType = iota // "n", or no t
	typeShared                        // "s"
	typeFormulaString                 // "str"
	typeInline                        // "inlineStr"
	typeBool                          // "b"
	typeError                         // "e"
	typeDate                          // "d"
	typeUnknown
)

func cellTypeOf(t []byte) cellType {
	switch string(t) {
	case "n", "":
		return typeNumber
	case "s":
		return typeShared
	case "str":
		return typeFormulaString
	case "inlineStr":
		return typeInline
	case "b":
		return typeBool
	case "e":
		return typeError
	case "d":
		return typeDate
	}
	return typeUnknown
}

// cellError notes the first cell of the row that cannot be read.
func (r *xlsxRows) cellError(col int, err error) {
	if r.rowError == nil {
		r.rowError = &cellError{col: col, err: err}
	}
}

// text copies b (OOXML escapes decoded) into the row's arena and returns
// it as a string valid until the next row.
func (r *xlsxRows) text(b []byte) string {
	for i := 0; i+1 < len(b); i++ {
		if b[i] == '_' && b[i+1] == 'x' {
			return unescapeOOXML(b)
		}
	}
	if len(b) == 0 {
		return ""
	}
	start := len(r.arena)
	r.arena = append(r.arena, b...)
	return unsafe.String(&r.arena[start], len(b))
}

// refColumn returns the column of a cell reference such as "AB12" (from
// 0), ignoring its row.
func refColumn(ref string) (int, bool) {
	col, i := 0, 0
	for ; i < len(ref); i++ {
		c := ref[i] &^ 0x20
		if c < 'A' || c > 'Z' {
			break
		}
		col = col*26 + int(c-'A'+1)
		if col > maxColumns {
			return 0, false
		}
	}
	if i == 0 {
		return 0, false
	}
	for j := i; j < len(ref); j++ {
		if ref[j] < '0' || ref[j] > '9' {
			return 0, false
		}
	}
	return col - 1, true
}
