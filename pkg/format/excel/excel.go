package excel

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/filedge/filedge/pkg/format"
	"github.com/filedge/filedge/pkg/format/excel/internal/biff"
	"github.com/filedge/filedge/pkg/format/excel/internal/cfb"
	"github.com/filedge/filedge/pkg/record"
)

func init() {
	format.Register(format.Info{
		Code:  "excel",
		Label: "Excel",
		// .xlsb is claimed so that such a file is refused by its content,
		// with advice (ErrBinaryWorkbook), not for want of a format.
		Extensions: []string{".xlsx", ".xlsm", ".xls", ".xlsb"},
		Sheets:     true,
		Binary:     true,
	}, New)
	format.RegisterWriter("excel", NewWriter)
}

// MaxXLSBytes caps a legacy .xls file (its compound file and workbook
// stream): the format's own limits keep real files far below it.
const MaxXLSBytes = 256 << 20

// limits are the caps derived from format.Options.MaxSpoolBytes.
type limits struct {
	spool int64 // an XLSX stream held in memory for random access
	part  int64 // one XML part held in memory (shared strings, styles): spool/2
	unzip int64 // everything one XLSX decompresses, streamed sheets included: 16 × spool
	xls   int64 // a legacy .xls file: min(spool, MaxXLSBytes)
}

func limitsFor(spool int64) limits {
	if spool == 0 {
		spool = format.DefaultMaxSpoolBytes
	}
	return limits{spool: spool, part: max(spool/2, 1), unzip: 16 * spool, xls: min(spool, MaxXLSBytes)}
}

// Reader reads Excel workbooks: .xlsx and .xlsm (Office Open XML) and
// legacy .xls (BIFF2 to BIFF8). Make one with New. It is not safe for
// concurrent use.
type Reader struct {
	lim  limits
	skip int64
}

var _ format.SheetLister = (*Reader)(nil)

// New returns a Reader for opts: opts.MaxSpoolBytes caps what the reader
// holds in memory (see Read), opts.SkipHeaderLines skips that many rows
// of every sheet before its header row. The other options do not apply
// to workbooks.
func New(opts format.Options) (format.Reader, error) {
	switch {
	case opts.MaxSpoolBytes < 0:
		return nil, fmt.Errorf("excel: max spool bytes %d is negative", opts.MaxSpoolBytes)
	case opts.SkipHeaderLines < 0:
		return nil, fmt.Errorf("excel: skip header lines %d is negative", opts.SkipHeaderLines)
	}
	return &Reader{lim: limitsFor(opts.MaxSpoolBytes), skip: int64(opts.SkipHeaderLines)}, nil
}

// Read reads every worksheet of the workbook in, each as the table named
// after the sheet, in workbook order. The format is known by the file's
// first bytes, whatever its extension.
//
// A sheet's first row (after SkipHeaderLines rows) names its columns; a
// column whose first-row cell is empty is left out, and an issue counts
// the values it held. A sheet whose first row is empty is skipped (with
// an issue when it holds values), and so are sheets with a pivot table,
// chart and macro sheets, and a second sheet of the same name. Each later
// row that holds a value is a row, its line the spreadsheet's row number.
//
// Cells come typed: a number is a record.Number cell (integral values
// written as integers, 42 rather than 42.0); a number in a date format
// (built-in formats 14-22 and 45-47, the East Asian date formats, and
// any format with d, m, y, h or s outside quotes and brackets) is a date
// (record.Quoted, YYYY-MM-DD) when the format shows no time, a timestamp
// (UTC, to the millisecond) when it shows both, and a time of day
// (hh:mm:ss text) when it shows only the time of a value under one day;
// text is record.Quoted, so "00123" stays text; booleans are record.Bool;
// a formula gives its saved result; an error value (#N/A, #DIV/0!) and a
// formula saved without its result are null, counted in an issue per
// sheet. Columns are declared with type record.Unknown: the writer infers
// each column's type from these cells.
//
// XLSX files are read from the zip without being unpacked: the shared
// strings (capped at half of MaxSpoolBytes) and styles are held in
// memory, each sheet's XML is streamed one row at a time, and everything
// the file decompresses together is capped at 16 times MaxSpoolBytes and
// at 1000 times the file's size. An XLSX file that comes as a stream (out
// of an archive or decompressed) is held in memory, up to MaxSpoolBytes.
// A .xls file is read through a compound-file reader of our own, one row
// at a time, from a file of at most min(MaxSpoolBytes, MaxXLSBytes) bytes
// (a stream is held in memory as far as it is read). A damaged,
// encrypted, oversized or foreign file is a *format.FileError wrapping
// ErrNotWorkbook, ErrBinaryWorkbook, ErrEncrypted or ErrLimit where one
// applies, and a workbook none of whose worksheets has a table (all
// empty, or without a header row) is one wrapping ErrNothingToLoad.
func (r *Reader) Read(ctx context.Context, in *format.Input, w format.Writer) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	b, err := r.open(in)
	if err != nil {
		return err
	}
	if b.xlsx != nil {
		return r.readXLSX(ctx, in.Path, b.xlsx, w)
	}
	return r.readXLS(ctx, in.Path, b.xls, w)
}

// Sheets lists the worksheets of the workbook in, in workbook order,
// without reading their rows. Chart and macro sheets are not listed.
func (r *Reader) Sheets(ctx context.Context, in *format.Input) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	b, err := r.open(in)
	if err != nil {
		return nil, err
	}
	var names []string
	if b.xlsx != nil {
		for _, s := range b.xlsx.sheets {
			if s.kind == worksheet {
				names = append(names, s.name)
			}
		}
		return names, nil
	}
	for _, s := range b.xls.Sheets {
		if s.Kind == biff.Worksheet {
			names = append(names, s.Name)
		}
	}
	return names, nil
}

// opened is an open workbook of either family.
type opened struct {
	xlsx *workbook
	xls  *biff.Book
}

// open knows the workbook by its first bytes and opens it.
func (r *Reader) open(in *format.Input) (*opened, error) {
	head, err := peek(in, 8)
	if err != nil {
		return nil, classify(in.Path, err)
	}
	switch {
	case bytes.HasPrefix(head, []byte("PK\x03\x04")) || bytes.HasPrefix(head, []byte("PK\x05\x06")):
		ra, size, err := in.RandomAccess(r.lim.spool)
		var fe *format.FileError
		if err != nil && !errors.As(err, &fe) {
			err = &readError{err}
		}
		if err != nil {
			return nil, classify(in.Path, err)
		}
		wb, err := openWorkbook(tagged{ra}, size, in.Path, r.lim)
		if err != nil {
			return nil, classify(in.Path, err)
		}
		return &opened{xlsx: wb}, nil
	case bytes.HasPrefix(head, []byte(cfb.Signature)):
		book, err := r.openCFB(in)
		if err != nil {
			return nil, classify(in.Path, err)
		}
		return &opened{xls: book}, nil
	case isBIFF(head):
		ra, size := r.xlsAccess(in)
		if size < 0 {
			size = r.lim.xls
		}
		book, err := biff.Open(ra, size)
		if err != nil {
			return nil, classify(in.Path, err)
		}
		return &opened{xls: book}, nil
	}
	var why string
	switch t := bytes.TrimLeft(bytes.TrimPrefix(head, []byte("\xef\xbb\xbf")), " \t\r\n"); {
	case len(head) == 0:
		why = "the file is empty"
	case len(t) > 0 && t[0] == '<':
		why = "it is an HTML or XML document with an Excel extension: save it as .xlsx"
	default:
		why = fmt.Sprintf("unknown signature % x", head)
	}
	return nil, &format.FileError{File: in.Path, Err: fmt.Errorf("%w: %s", ErrNotWorkbook, why)}
}

// openCFB opens the workbook stream of a compound file.
func (r *Reader) openCFB(in *format.Input) (*biff.Book, error) {
	ra, size := r.xlsAccess(in)
	f, err := cfb.Open(ra, size, r.lim.xls)
	if errors.Is(err, cfb.ErrTooLarge) {
		// An encrypted .xlsx is as large as its workbook: tell it by its
		// directory alone before calling it too large.
		if names, nerr := cfb.Names(ra, size, r.lim.xls); nerr == nil && slices.ContainsFunc(names, isEncryption) {
			return nil, ErrEncrypted
		}
	}
	if err != nil {
		return nil, err
	}
	if f.Has("EncryptedPackage") || f.Has("EncryptionInfo") {
		return nil, ErrEncrypted // an encrypted .xlsx wraps its zip in a compound file
	}
	for _, name := range []string{"Workbook", "Book"} {
		s, ok, err := f.Find(name)
		if err != nil {
			return nil, err
		}
		if ok {
			return biff.Open(s, s.Size())
		}
	}
	return nil, fmt.Errorf("%w: a compound file without a workbook stream (another Office document?)", ErrNotWorkbook)
}

// isEncryption reports whether a compound file entry is one of those of
// an encrypted Office Open XML package ([MS-OFFCRYPTO]).
func isEncryption(name string) bool {
	return strings.EqualFold(name, "EncryptedPackage") || strings.EqualFold(name, "EncryptionInfo")
}

// xlsAccess gives random access to a .xls file and its size: its own
// when it has one, else the stream, read into memory as far as the reader
// goes (size -1: unknown).
func (r *Reader) xlsAccess(in *format.Input) (io.ReaderAt, int64) {
	if in.ReaderAt != nil {
		return tagged{in.ReaderAt}, in.Size
	}
	return &spool{r: in.R, max: r.lim.xls}, -1
}

// isBIFF reports whether head starts a bare BIFF2-4 record stream (a BOF
// record of a plausible length).
func isBIFF(head []byte) bool {
	if len(head) < 4 || head[0] != 0x09 || (head[1] != 0x00 && head[1] != 0x02 && head[1] != 0x04) {
		return false
	}
	n := int(head[2]) | int(head[3])<<8
	return n >= 4 && n <= 16
}

// readXLSX reads the worksheets of an XLSX workbook.
func (r *Reader) readXLSX(ctx context.Context, path string, wb *workbook, w format.Writer) error {
	var names []string
	for _, s := range wb.sheets {
		if s.kind == worksheet {
			names = append(names, s.name)
		}
	}
	t := &tables{w: w}
	for _, s := range wb.sheets {
		if err := ctx.Err(); err != nil {
			return err
		}
		if s.kind != worksheet || !t.unique(s.name) {
			continue
		}
		if s.part == "" || wb.files[strings.ToLower(s.part)] == nil {
			t.skip(s.name, "the workbook has no worksheet part for it")
			continue
		}
		pivot, err := wb.hasPivotTable(s.part)
		if err != nil {
			return classify(path, err)
		}
		if pivot {
			t.skip(s.name, "it holds a pivot table")
			continue
		}
		rows, err := wb.rows(s.part)
		if err != nil {
			return classify(path, err)
		}
		err = readSheet(ctx, t, path, s.name, &classified{path, rows}, r.skip, wb.date1904)
		rows.close()
		if err != nil {
			return err
		}
	}
	return t.end(path, names)
}

// hasPivotTable reports whether a worksheet part relates to a pivot
// table.
func (wb *workbook) hasPivotTable(part string) (bool, error) {
	rels, err := wb.rels(relsPath(part), "")
	if err != nil {
		return false, err
	}
	return slices.ContainsFunc(rels, func(r relationship) bool { return r.is(relPivotTable) }), nil
}

// readXLS reads the worksheets of a legacy workbook.
func (r *Reader) readXLS(ctx context.Context, path string, book *biff.Book, w format.Writer) error {
	var names []string
	for _, s := range book.Sheets {
		if s.Kind == biff.Worksheet {
			names = append(names, s.Name)
		}
	}
	t := &tables{w: w}
	classes := map[int]class{}
	for i, s := range book.Sheets {
		if err := ctx.Err(); err != nil {
			return err
		}
		if s.Kind != biff.Worksheet || !t.unique(s.Name) {
			continue
		}
		rows, err := book.Rows(i)
		if errors.Is(err, biff.ErrUnsupported) {
			t.skip(s.Name, err.Error())
			continue
		}
		if err != nil {
			return classify(path, err)
		}
		if rows.HasPivotTable() {
			t.skip(s.Name, "it holds a pivot table")
			continue
		}
		src := &classified{path, &biffRows{rows: rows, book: book, classes: classes}}
		if err := readSheet(ctx, t, path, s.Name, src, r.skip, book.Date1904); err != nil {
			return err
		}
	}
	return t.end(path, names)
}

// biffRows adapts a BIFF sheet to rowSource.
type biffRows struct {
	rows    *biff.Rows
	book    *biff.Book
	classes map[int]class // by format key
	cells   []xcell
}

func (b *biffRows) next() (int64, []xcell, error) {
	line, cells, err := b.rows.Next()
	if err != nil {
		return 0, nil, err
	}
	b.cells = b.cells[:0]
	for _, c := range cells {
		x := xcell{col: c.Col, num: c.Num, str: c.Str}
		switch c.Kind {
		case biff.Number:
			x.kind, x.cls = vNumber, b.class(c.Format)
		case biff.String:
			x.kind = vString
		case biff.Bool:
			x.kind = vBool
		case biff.Error:
			x.kind = vError
		}
		b.cells = append(b.cells, x)
	}
	return int64(line), b.cells, nil
}

func (b *biffRows) class(key int) class {
	if c, ok := b.classes[key]; ok {
		return c
	}
	var c class
	switch code, builtin := b.book.Format(key); {
	case code != "":
		c = formatClass(code)
	case builtin:
		c = builtinClass(key)
	}
	b.classes[key] = c
	return c
}

// classified makes the errors that stop a source file errors (or read
// errors, which may be retried), leaving cell errors and the end alone.
type classified struct {
	path string
	src  rowSource
}

func (c *classified) next() (int64, []xcell, error) {
	line, cells, err := c.src.next()
	if err != nil && !errors.Is(err, io.EOF) {
		var ce *cellError
		if !errors.As(err, &ce) {
			err = classify(c.path, err)
		}
	}
	return line, cells, err
}

// tables passes a reader's tables on to the writer, knowing whether any
// was begun, which sheet names were seen and which sheets were skipped.
type tables struct {
	w       format.Writer
	began   bool
	seen    map[string]bool
	skipped []string // "Sheet "A": why", in workbook order
}

func (t *tables) Begin(table string, cols []format.Column) error {
	t.began = true
	return t.w.Begin(table, cols)
}
func (t *tables) Row(line int64, cells []record.Cell) error { return t.w.Row(line, cells) }
func (t *tables) RowError(err *format.RowError) error       { return t.w.RowError(err) }
func (t *tables) Issue(msg string)                          { t.w.Issue(msg) }

// skip reports a worksheet that is not loaded, and why, as an issue.
func (t *tables) skip(sheet, why string) {
	t.skipped = append(t.skipped, fmt.Sprintf("sheet %q: %s", sheet, why))
	t.w.Issue(fmt.Sprintf("Sheet %q skipped: %s", sheet, why))
}

// unique reports whether no sheet of the same name (without case, as
// Excel compares them) came before; a repeat is skipped with an issue.
func (t *tables) unique(name string) bool {
	key := strings.ToLower(name)
	if t.seen[key] {
		t.skip(name, "another sheet has the same name")
		return false
	}
	if t.seen == nil {
		t.seen = map[string]bool{}
	}
	t.seen[key] = true
	return true
}

// end fails a workbook of which no worksheet was loaded: one that has
// none (only chart or macro sheets), or whose every worksheet was
// skipped (empty, without a header row, holding a pivot table). Such a
// workbook has nothing to load: the file error says so, and why each
// sheet was left out.
func (t *tables) end(path string, worksheets []string) error {
	switch {
	case t.began:
		return nil
	case len(worksheets) == 0:
		return &format.FileError{File: path, Err: fmt.Errorf("%w: the workbook has no worksheet", ErrNothingToLoad)}
	}
	return &format.FileError{File: path, Err: fmt.Errorf("%w: every sheet was skipped (%s)", ErrNothingToLoad, strings.Join(t.skipped, "; "))}
}

// classify turns a reader's error into a *format.FileError naming the
// file, except a cancelled context and a failure to read the bytes
// (which may succeed when tried again), which it wraps with the path.
func classify(path string, err error) error {
	var fe *format.FileError
	var rerr *readError
	switch {
	case err == nil || errors.As(err, &fe):
		return err
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded), errors.As(err, &rerr):
		return fmt.Errorf("%s: %w", path, err)
	case errors.Is(err, cfb.ErrTooLarge):
		return &format.FileError{File: path, Err: fmt.Errorf("%w: %w", ErrLimit, err)}
	case errors.Is(err, biff.ErrEncrypted):
		return &format.FileError{File: path, Err: fmt.Errorf("%w", ErrEncrypted)}
	case errors.Is(err, cfb.ErrFormat), errors.Is(err, biff.ErrCorrupt), errors.Is(err, biff.ErrUnsupported):
		return &format.FileError{File: path, Err: fmt.Errorf("damaged or unsupported .xls workbook: %w", err)}
	}
	return &format.FileError{File: path, Err: err}
}

// readError is a failure to read the file's bytes.
type readError struct{ err error }

func (e *readError) Error() string { return "read failed: " + e.err.Error() }
func (e *readError) Unwrap() error { return e.err }

// tagged marks the errors of a ReaderAt as read errors.
type tagged struct{ ra io.ReaderAt }

func (t tagged) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("%w: a read at offset %d", errPackage, off) // a damaged zip directory
	}
	n, err := t.ra.ReadAt(p, off)
	if err != nil && !errors.Is(err, io.EOF) {
		err = &readError{err}
	}
	return n, err
}

// peek returns the first n bytes of in (fewer for a shorter file),
// leaving in to be read from its start.
func peek(in *format.Input, n int) ([]byte, error) {
	head := make([]byte, n)
	if in.ReaderAt != nil {
		k, err := in.ReaderAt.ReadAt(head, 0)
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, &readError{err}
		}
		return head[:k], nil
	}
	k, err := io.ReadFull(in.R, head)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, &readError{err}
	}
	head = head[:k]
	in.R = io.MultiReader(bytes.NewReader(head), in.R)
	return head, nil
}

// spool gives random access to a stream by holding what has been read of
// it in memory, reading on only as far as asked, up to max bytes.
type spool struct {
	r   io.Reader
	buf []byte
	max int64
	err error // io.EOF at the stream's end, or why it cannot be read on
}

func (s *spool) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("excel: negative offset")
	}
	end := off + int64(len(p))
	for int64(len(s.buf)) < end && s.err == nil {
		have := int64(len(s.buf))
		if have >= s.max {
			s.err = fmt.Errorf("%w: the .xls file is over %d bytes", ErrLimit, s.max)
			break
		}
		// Read in chunks, so that what is held follows what the stream
		// has, not what a damaged file asks for.
		chunk := min(max(end-have, 64<<10), 4<<20, s.max-have)
		s.buf = slices.Grow(s.buf, int(chunk))
		n, err := io.ReadFull(s.r, s.buf[have:have+chunk])
		s.buf = s.buf[:have+int64(n)]
		switch {
		case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
			s.err = io.EOF
		case err != nil:
			s.err = &readError{err}
		}
	}
	if off >= int64(len(s.buf)) {
		return 0, s.err
	}
	n := copy(p, s.buf[off:])
	if n < len(p) {
		return n, s.err
	}
	return n, nil
}
