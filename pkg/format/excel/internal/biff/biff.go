// Package biff reads the cells of legacy Excel workbooks in the Binary
// Interchange File Format: BIFF8 (Excel 97-2003) and BIFF5 (Excel 5 and
// 95), which live in a compound file's "Workbook" or "Book" stream, and
// the BIFF2, BIFF3 and BIFF4 files of Excel 2 to 4, which are a bare
// record stream: a single worksheet, or (BIFF4W, Excel 4.0's workbooks)
// workbook globals that enclose one substream per sheet.
//
// It reads cell values (numbers, text from the shared string table and
// inline, booleans, error codes, and the cached results of formulas), the
// number format of each cell, so that its caller can tell dates from
// numbers, the 1904 date system and the code page of 8-bit text. It does
// not evaluate formulas. A worksheet is read one row at a time; only the
// workbook's shared strings and formats are held in memory.
//
// Every length and index read from the file is checked: a corrupt file
// gives an error wrapping ErrCorrupt, never a panic or a loop.
package biff

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"unicode/utf16"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
)

// ErrCorrupt is a record stream that breaks the format.
var ErrCorrupt = errors.New("corrupt BIFF record stream")

// ErrEncrypted is a workbook protected by a password.
var ErrEncrypted = errors.New("workbook is encrypted (password-protected)")

// ErrUnsupported is a BIFF variant this package does not read.
var ErrUnsupported = errors.New("unsupported BIFF variant")

// Record identifiers.
const (
	recFormula2    = 0x0006 // BIFF2 and BIFF5/8
	recFormula3    = 0x0206
	recFormula4    = 0x0406
	recEOF         = 0x000A
	recInteger2    = 0x0002
	recNumber2     = 0x0003
	recLabel2      = 0x0004
	recBoolErr2    = 0x0005
	recString2     = 0x0007
	recFormat2     = 0x001E // BIFF2 and BIFF3
	recDateMode    = 0x0022
	recFilePass    = 0x002F
	recContinue    = 0x003C
	recCodePage    = 0x0042
	recXF2         = 0x0043
	recBoundSheet  = 0x0085
	recSheetHdr    = 0x008F // BIFF4W: size and name of the sheet substream that follows
	recSXView      = 0x00B0
	recMulRK       = 0x00BD
	recRString     = 0x00D6
	recXF5         = 0x00E0
	recSST         = 0x00FC
	recLabelSST    = 0x00FD
	recNumber      = 0x0203
	recLabel       = 0x0204
	recBoolErr     = 0x0205
	recString      = 0x0207
	recXF3         = 0x0243
	recRK          = 0x027E
	recFormat4     = 0x041E // BIFF4 to BIFF8
	recXF4         = 0x0443
	recBOF2        = 0x0009
	recBOF3        = 0x0209
	recBOF4        = 0x0409
	recBOF5        = 0x0809
	bofWorkbook    = 0x0005
	bofWorksheet   = 0x0010
	bofChart       = 0x0020
	bofMacro4      = 0x0040 // BIFF2-4: an Excel 4.0 macro sheet
	bofWorkspace4W = 0x0100 // BIFF4W workbook globals
)

// Kind is the kind of a cell's value.
type Kind uint8

// Kinds of cell values.
const (
	Empty  Kind = iota // a blank cell, or a formula whose result is ""
	Number             // Num
	String             // Str
	Bool               // Num is 1 or 0
	Error              // Str is the error's text, such as "#N/A"
)

// Cell is one cell of a row.
type Cell struct {
	Col    int // from 0
	Kind   Kind
	Num    float64
	Str    string
	Format int // the number format's key: see Book.Format
}

// SheetKind is the kind of a sheet.
type SheetKind uint8

// Kinds of sheets.
const (
	Worksheet SheetKind = iota
	Chart
	Macro
	Other
)

// Sheet is one sheet of a workbook.
type Sheet struct {
	Name   string
	Kind   SheetKind
	offset int64 // of its BOF in the stream
	end    int64 // BIFF4W: where its substream ends; 0 elsewhere
}

// Book is an open workbook.
type Book struct {
	// Version is 2, 3, 4, 5 or 8.
	Version int
	// Date1904 is the 1904 date system: serial 0 is 1904-01-01.
	Date1904 bool
	// Sheets lists the sheets in workbook order.
	Sheets []Sheet

	stream  io.ReaderAt
	size    int64
	dec     *encoding.Decoder // 8-bit text
	sst     []string
	formats map[int]string // format key → format code
	xfFmt   []int          // XF index of the globals → format key
	nfmt    int            // BIFF4W globals: formats are keyed by their order
	// The globals' settings, which a BIFF2-4 sheet stream may change.
	globalDec  *encoding.Decoder
	global1904 bool
}

// Open reads the workbook globals of the record stream in r (size bytes):
// the sheets, shared strings, formats and date system. A single-sheet
// BIFF2-4 file has one sheet, "Sheet1"; a BIFF4W workbook has the sheets
// its SHEETHDR records name. The formats that BIFF2-4 keep in a sheet's
// stream are read with its rows.
func Open(r io.ReaderAt, size int64) (*Book, error) {
	b := &Book{stream: r, size: size, formats: map[int]string{}}
	rr := newRecReader(r, 0, size)
	id, data, err := rr.next()
	if err != nil {
		return nil, fmt.Errorf("%w: no BOF record: %w", ErrCorrupt, err)
	}
	switch id {
	case recBOF2, recBOF3, recBOF4:
		b.Version = map[uint16]int{recBOF2: 2, recBOF3: 3, recBOF4: 4}[id]
		if len(data) >= 4 && binary.LittleEndian.Uint16(data[2:]) == bofWorkspace4W {
			if err := b.openWorkbook4(rr); err != nil {
				return nil, err
			}
			b.globalDec, b.global1904 = b.dec, b.Date1904
			return b, nil
		}
		b.Sheets = []Sheet{{Name: "Sheet1"}}
		return b, nil
	case recBOF5:
	default:
		return nil, fmt.Errorf("%w: stream starts with record 0x%04X, not BOF", ErrCorrupt, id)
	}
	if len(data) < 4 {
		return nil, fmt.Errorf("%w: short BOF record", ErrCorrupt)
	}
	b.Version = 5
	if binary.LittleEndian.Uint16(data) >= 0x0600 {
		b.Version = 8
	}
	if typ := binary.LittleEndian.Uint16(data[2:]); typ != bofWorkbook {
		return nil, fmt.Errorf("%w: first substream is of type 0x%04X, not workbook globals", ErrCorrupt, typ)
	}
	for {
		id, data, err := rr.next()
		if errors.Is(err, io.EOF) {
			return b, nil // no EOF record: take what was read
		}
		if err != nil {
			return nil, err
		}
		switch id {
		case recEOF:
			return b, nil
		case recFilePass:
			return nil, ErrEncrypted
		case recSST:
			if err := b.readSST(rr, data); err != nil {
				return nil, err
			}
		case recBoundSheet:
			if err := b.readBoundSheet(data); err != nil {
				return nil, err
			}
		default:
			if err := b.global(id, data); err != nil {
				return nil, err
			}
		}
	}
}

// global reads a record of the workbook globals (or, through
// Rows.global, of a BIFF2-4 sheet stream).
func (b *Book) global(id uint16, data []byte) error {
	le := binary.LittleEndian
	switch id {
	case recCodePage:
		if len(data) >= 2 {
			b.dec = decoderFor(le.Uint16(data))
		}
	case recDateMode:
		if len(data) >= 2 {
			b.Date1904 = le.Uint16(data) == 1
		}
	case recFilePass:
		return ErrEncrypted
	case recFormat2, recFormat4:
		key := b.nfmt // BIFF2-4; BIFF5 and BIFF8 give the key in the record
		b.nfmt++
		return b.readFormat(id, data, key)
	case recXF2, recXF3, recXF4, recXF5:
		if f, ok := xfFormat(id, data); ok {
			b.xfFmt = append(b.xfFmt, f)
		}
	}
	return nil
}

// xfFormat returns the number format an XF record points to: the format's
// key (BIFF5 and BIFF8) or its position among the FORMAT records (BIFF2-4).
func xfFormat(id uint16, data []byte) (int, bool) {
	switch id {
	case recXF2: // font, reserved, then the format index in the low 6 bits
		if len(data) >= 3 {
			return int(data[2] & 0x3F), true
		}
	case recXF3, recXF4:
		if len(data) >= 2 {
			return int(data[1]), true
		}
	case recXF5:
		if len(data) >= 4 {
			return int(binary.LittleEndian.Uint16(data[2:])), true
		}
	}
	return 0, false
}

// readFormat reads a FORMAT record. BIFF5 and BIFF8 give its key; BIFF2-4
// formats are known by their order, so their caller gives the key.
func (b *Book) readFormat(id uint16, data []byte, key int) error {
	var code string
	var err error
	switch {
	case b.Version >= 5:
		if len(data) < 2 {
			return fmt.Errorf("%w: short FORMAT record", ErrCorrupt)
		}
		key = int(binary.LittleEndian.Uint16(data))
		if b.Version == 8 {
			code, _, err = b.unicode(data[2:], 2)
		} else {
			code, _, err = b.byteString(data[2:], 1)
		}
	case id == recFormat4: // BIFF4: two unused bytes, then the string
		if len(data) < 2 {
			return fmt.Errorf("%w: short FORMAT record", ErrCorrupt)
		}
		code, _, err = b.byteString(data[2:], 1)
	default:
		code, _, err = b.byteString(data, 1)
	}
	if err != nil {
		return err
	}
	b.formats[key] = code
	return nil
}

func (b *Book) readBoundSheet(data []byte) error {
	if len(data) < 7 {
		return fmt.Errorf("%w: short BOUNDSHEET record", ErrCorrupt)
	}
	s := Sheet{offset: int64(binary.LittleEndian.Uint32(data))}
	switch data[5] {
	case 0:
		s.Kind = Worksheet
	case 1:
		s.Kind = Macro
	case 2:
		s.Kind = Chart
	default:
		s.Kind = Other
	}
	var err error
	if b.Version == 8 {
		s.Name, _, err = b.unicode(data[6:], 1)
	} else {
		s.Name, _, err = b.byteString(data[6:], 1)
	}
	if err != nil {
		return err
	}
	b.Sheets = append(b.Sheets, s)
	return nil
}

// openWorkbook4 reads the globals of a BIFF4W workbook (Excel 4.0), rr
// being past its BOF. The globals enclose the sheets' substreams, each
// after a SHEETHDR record that gives its size and name:
//
//	BOF (globals) … SHEETHDR BOF … EOF  SHEETHDR BOF … EOF … EOF
//
// The sheets are listed and stepped over, not read; the other records
// are the globals' (BOUNDSHEET records, which repeat the names, and
// SHEETSOFFSET, where the first SHEETHDR is, are not needed).
func (b *Book) openWorkbook4(rr *recReader) error {
	for {
		id, data, err := rr.next()
		if errors.Is(err, io.EOF) {
			// Cut between two sheets: the later ones would be lost.
			after := "before its first sheet"
			if n := len(b.Sheets); n > 0 {
				after = fmt.Sprintf("after sheet %q", b.Sheets[n-1].Name)
			}
			return fmt.Errorf("%w: the workbook's stream ends %s, without its EOF record", ErrCorrupt, after)
		}
		if err != nil {
			return err
		}
		switch id {
		case recEOF:
			return nil
		case recSheetHdr:
			if err := b.sheetHeader(rr, data); err != nil {
				return err
			}
		case recBOF2, recBOF3, recBOF4, recBOF5:
			return fmt.Errorf("%w: the sheet substream at offset %d has no SHEETHDR record before it", ErrCorrupt, rr.off-4-int64(len(data)))
		default:
			if err := b.global(id, data); err != nil {
				return err
			}
		}
	}
}

// sheetHeader lists the sheet of a BIFF4W SHEETHDR record, whose data is
// the size of the substream that follows (from its BOF to its EOF, both
// included) and the sheet's name. It checks that the substream starts
// with a BOF record, which tells the kind of sheet, and ends with an EOF
// record where its size says, and leaves rr after it: each sheet moves
// the reader forward, so sheets can neither overlap nor loop.
func (b *Book) sheetHeader(rr *recReader, data []byte) error {
	if len(data) < 5 {
		return fmt.Errorf("%w: short SHEETHDR record at offset %d", ErrCorrupt, rr.off-4-int64(len(data)))
	}
	size := int64(binary.LittleEndian.Uint32(data))
	name, _, err := b.byteString(data[4:], 1)
	if err != nil {
		return err
	}
	s := Sheet{Name: name, offset: rr.off, end: rr.off + size}
	// A stream that ends early fails alike whether its size is known or
	// not (a stream read as far as it goes).
	past := func() error {
		return fmt.Errorf("%w: sheet %q: its substream of %d bytes at offset %d runs past the end of the stream", ErrCorrupt, name, size, s.offset)
	}
	if s.end > b.size {
		return past()
	}
	id, bof, err := rr.next()
	switch {
	case errors.Is(err, io.EOF) || errors.Is(err, ErrCorrupt): // the stream ends in the record
		return past()
	case err != nil:
		return fmt.Errorf("sheet %q: %w", name, err)
	case id != recBOF2 && id != recBOF3 && id != recBOF4:
		return fmt.Errorf("%w: sheet %q: its substream at offset %d starts with record 0x%04X, not BOF", ErrCorrupt, name, s.offset, id)
	case len(bof) < 4:
		return fmt.Errorf("%w: sheet %q: short BOF record", ErrCorrupt, name)
	case rr.off > s.end-4:
		return fmt.Errorf("%w: sheet %q: its substream of %d bytes cannot hold its BOF and EOF records", ErrCorrupt, name, size)
	}
	switch binary.LittleEndian.Uint16(bof[2:]) {
	case bofWorksheet:
		s.Kind = Worksheet
	case bofChart:
		s.Kind = Chart
	case bofMacro4:
		s.Kind = Macro
	default:
		s.Kind = Other
	}
	rr.seek(s.end - 4)
	id, eof, err := rr.next()
	switch {
	case errors.Is(err, io.EOF) || errors.Is(err, ErrCorrupt):
		return past()
	case err != nil:
		return fmt.Errorf("sheet %q: %w", name, err)
	case id != recEOF || len(eof) != 0:
		return fmt.Errorf("%w: sheet %q: its substream of %d bytes at offset %d does not end with an EOF record", ErrCorrupt, name, size, s.offset)
	}
	b.Sheets = append(b.Sheets, s)
	return nil
}

// Format returns the number format of a cell's format key: its format
// code, and whether the key is one of Excel's built-in formats that the
// file does not spell out (BIFF5 and BIFF8 only; code is then "").
func (b *Book) Format(key int) (code string, builtin bool) {
	if c, ok := b.formats[key]; ok {
		return c, false
	}
	return "", b.Version >= 5
}

// readSST reads the shared string table from the SST record data and the
// CONTINUE records after it.
func (b *Book) readSST(rr *recReader, data []byte) error {
	s := &segments{b: append([]byte(nil), data...)}
	for {
		id, ok := rr.peekID()
		if !ok || id != recContinue {
			break
		}
		_, more, err := rr.next()
		if err != nil {
			return err
		}
		s.ends = append(s.ends, len(s.b))
		s.b = append(s.b, more...)
	}
	s.ends = append(s.ends, len(s.b))
	if len(s.b) < 8 {
		return fmt.Errorf("%w: short SST record", ErrCorrupt)
	}
	unique := int(binary.LittleEndian.Uint32(s.b[4:]))
	s.pos = 8
	b.sst = make([]string, 0, min(unique, len(s.b)/3))
	for i := 0; i < unique && s.pos < len(s.b); i++ {
		str, err := s.richString()
		if err != nil {
			return fmt.Errorf("shared string %d: %w", i, err)
		}
		b.sst = append(b.sst, str)
	}
	return nil
}

// unicode reads a BIFF8 string whose character count is lenBytes (1 or 2)
// bytes long, followed by an option byte, from d. It returns the string
// and the bytes it took.
func (b *Book) unicode(d []byte, lenBytes int) (string, int, error) {
	s := &segments{b: d, ends: []int{len(d)}}
	var n int
	if lenBytes == 1 {
		c, err := s.byte()
		if err != nil {
			return "", 0, err
		}
		n = int(c)
	} else {
		v, err := s.u16()
		if err != nil {
			return "", 0, err
		}
		n = int(v)
	}
	str, err := s.unicodeBody(n)
	return str, s.pos, err
}

// byteString reads an 8-bit string (BIFF2-5) whose length is lenBytes (1
// or 2) bytes long, from d, in the workbook's code page.
func (b *Book) byteString(d []byte, lenBytes int) (string, int, error) {
	if len(d) < lenBytes {
		return "", 0, fmt.Errorf("%w: string length cut short", ErrCorrupt)
	}
	n := int(d[0])
	if lenBytes == 2 {
		n = int(binary.LittleEndian.Uint16(d))
	}
	if len(d) < lenBytes+n {
		n = len(d) - lenBytes // Excel 95 writers sometimes overstate the length
	}
	return b.decode8(d[lenBytes : lenBytes+n]), lenBytes + n, nil
}

// decode8 decodes 8-bit text in the workbook's code page (Windows-1252
// when the file does not name one).
func (b *Book) decode8(p []byte) string {
	ascii := true
	for _, c := range p {
		if c >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		return string(p)
	}
	dec := b.dec
	if dec == nil {
		dec = charmap.Windows1252.NewDecoder()
	}
	out, err := dec.Bytes(p)
	if err != nil {
		return latin1(p)
	}
	return string(out)
}

// latin1 decodes ISO 8859-1: BIFF8's "compressed" strings.
func latin1(p []byte) string {
	var sb strings.Builder
	sb.Grow(len(p) + len(p)/4)
	for _, c := range p {
		sb.WriteRune(rune(c))
	}
	return sb.String()
}

// segments reads a record and its CONTINUE records as one run of bytes,
// knowing where each record ends: BIFF8 character data cut by a record
// boundary resumes with a fresh option byte.
type segments struct {
	b    []byte
	ends []int // end offset of each record in b, ascending; the last is len(b)
	pos  int
	k    int // index in ends of the record holding pos
}

func (s *segments) byte() (byte, error) {
	if s.pos >= len(s.b) {
		return 0, fmt.Errorf("%w: string runs past its record", ErrCorrupt)
	}
	c := s.b[s.pos]
	s.pos++
	return c, nil
}

func (s *segments) u16() (uint16, error) {
	lo, err := s.byte()
	if err != nil {
		return 0, err
	}
	hi, err := s.byte()
	return uint16(lo) | uint16(hi)<<8, err
}

func (s *segments) u32() (uint32, error) {
	lo, err := s.u16()
	if err != nil {
		return 0, err
	}
	hi, err := s.u16()
	return uint32(lo) | uint32(hi)<<16, err
}

func (s *segments) skip(n int64) error {
	if n < 0 || int64(len(s.b)-s.pos) < n {
		return fmt.Errorf("%w: string runs past its record", ErrCorrupt)
	}
	s.pos += int(n)
	return nil
}

// recordEnd returns the end of the record holding pos, and whether pos is
// exactly at the boundary with a following record.
func (s *segments) recordEnd() (end int, boundary bool) {
	for s.k < len(s.ends)-1 && s.ends[s.k] < s.pos {
		s.k++
	}
	end = s.ends[s.k]
	return end, end == s.pos && s.k < len(s.ends)-1
}

// richString reads an XLUnicodeRichExtendedString (the SST's strings).
func (s *segments) richString() (string, error) {
	n, err := s.u16()
	if err != nil {
		return "", err
	}
	return s.unicodeBody(int(n))
}

// unicodeBody reads the option byte, the optional run and extension
// sizes, n characters, and skips the runs and extension.
func (s *segments) unicodeBody(n int) (string, error) {
	flags, err := s.byte()
	if err != nil {
		return "", err
	}
	var runs, ext int64
	if flags&0x08 != 0 {
		r, err := s.u16()
		if err != nil {
			return "", err
		}
		runs = int64(r)
	}
	if flags&0x04 != 0 {
		e, err := s.u32()
		if err != nil {
			return "", err
		}
		ext = int64(e)
	}
	high := flags&0x01 != 0
	// Collect UTF-16 units and decode once: a surrogate pair may be cut
	// by a record boundary.
	u := make([]uint16, 0, min(n, 1024))
	for n > 0 {
		end, boundary := s.recordEnd()
		if boundary {
			// Character data continues in the next record, which
			// starts with its own option byte.
			f, err := s.byte()
			if err != nil {
				return "", err
			}
			high = f&0x01 != 0
			continue
		}
		width := 1
		if high {
			width = 2
		}
		avail := (end - s.pos) / width
		if avail == 0 {
			return "", fmt.Errorf("%w: string characters cut by a record boundary", ErrCorrupt)
		}
		take := min(n, avail)
		chunk := s.b[s.pos : s.pos+take*width]
		s.pos += take * width
		n -= take
		if high {
			for i := 0; i < len(chunk); i += 2 {
				u = append(u, binary.LittleEndian.Uint16(chunk[i:]))
			}
		} else {
			for _, c := range chunk {
				u = append(u, uint16(c))
			}
		}
	}
	if err := s.skip(4*runs + ext); err != nil {
		return "", err
	}
	return string(utf16.Decode(u)), nil
}

// recReader reads records from a stream, from an offset up to an end.
type recReader struct {
	ra  io.ReaderAt
	end int64
	br  *bufio.Reader
	off int64 // stream offset of the next record
	buf []byte
}

func newRecReader(r io.ReaderAt, off, end int64) *recReader {
	rr := &recReader{ra: r, end: end, off: off}
	rr.br = bufio.NewReaderSize(rr.from(off), 64<<10)
	return rr
}

func (r *recReader) from(off int64) io.Reader {
	return io.NewSectionReader(r.ra, off, max(r.end-off, 0))
}

// seek moves the reader forward to the stream offset off, at or after the
// next record, dropping buffered bytes rather than reading them again.
func (r *recReader) seek(off int64) {
	if n := off - r.off; n >= 0 && n <= int64(r.br.Buffered()) {
		_, _ = r.br.Discard(int(n))
	} else {
		r.br.Reset(r.from(off))
	}
	r.off = off
}

// next returns the next record; io.EOF at a clean end of the stream.
func (r *recReader) next() (uint16, []byte, error) {
	var h [4]byte
	if n, err := io.ReadFull(r.br, h[:]); err != nil {
		if errors.Is(err, io.EOF) || (errors.Is(err, io.ErrUnexpectedEOF) && allZero(h[:n])) {
			return 0, nil, io.EOF
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return 0, nil, fmt.Errorf("%w: record header cut short at offset %d", ErrCorrupt, r.off)
		}
		return 0, nil, err
	}
	id := binary.LittleEndian.Uint16(h[:])
	n := int(binary.LittleEndian.Uint16(h[2:]))
	if cap(r.buf) < n {
		r.buf = make([]byte, n)
	}
	r.buf = r.buf[:n]
	if _, err := io.ReadFull(r.br, r.buf); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return 0, nil, fmt.Errorf("%w: record 0x%04X at offset %d cut short", ErrCorrupt, id, r.off)
		}
		return 0, nil, err
	}
	r.off += 4 + int64(n)
	return id, r.buf, nil
}

func (r *recReader) peekID() (uint16, bool) {
	b, err := r.br.Peek(2)
	if err != nil {
		return 0, false
	}
	return binary.LittleEndian.Uint16(b), true
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// Rows reads the rows of one worksheet, in row order.
type Rows struct {
	b        *Book
	sheet    Sheet
	index    int
	rr       *recReader
	ordered  bool
	done     bool
	depth    int
	cur      []Cell
	curRow   int
	next     []Cell // cells read for the row after cur
	nextRow  int
	pending  int // column of a formula cell of cur waiting for its STRING record, or -1
	pendRow  int
	sorted   []rowCell // unordered sheets: every cell, sorted by row
	sortedAt int
	pivot    bool

	// The number formats of the cells: XF index → format, whose key is
	// fmtBase + that format. BIFF2-4 keep formats and XF records in the
	// sheet stream, keyed apart for each sheet; those of a BIFF4W sheet
	// replace the globals'.
	xf            []int
	fmtBase       int
	nfmt          int
	ownFmt, ownXF bool
}

type rowCell struct {
	row int
	Cell
}

// Rows opens the worksheet at index i of b.Sheets. It reads the sheet
// once through first, to find pivot tables and to check that its cells
// come in row order (a sheet whose cells do not is read whole, sorted).
func (b *Book) Rows(i int) (*Rows, error) {
	if i < 0 || i >= len(b.Sheets) {
		return nil, fmt.Errorf("no sheet %d", i)
	}
	s := b.Sheets[i]
	r := &Rows{b: b, sheet: s, index: i, pending: -1, ordered: true, xf: b.xfFmt}
	if err := r.scan(); err != nil {
		return nil, err
	}
	r.rr = newRecReader(b.stream, s.offset, s.streamEnd(b))
	if err := r.begin(); err != nil {
		return nil, err
	}
	if !r.ordered {
		if err := r.readAll(); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// streamEnd is where the sheet's records end: its substream's end in a
// BIFF4W workbook, else the stream's.
func (s Sheet) streamEnd(b *Book) int64 {
	if s.end > 0 {
		return s.end
	}
	return b.size
}

// HasPivotTable reports whether the sheet holds a pivot table.
func (r *Rows) HasPivotTable() bool { return r.pivot }

// begin reads the sheet's BOF record.
func (r *Rows) begin() error {
	id, data, err := r.rr.next()
	if err != nil {
		return fmt.Errorf("sheet %q: %w", r.sheet.Name, err)
	}
	switch id {
	case recBOF2, recBOF3, recBOF4, recBOF5:
	default:
		return fmt.Errorf("%w: sheet %q does not start with a BOF record", ErrCorrupt, r.sheet.Name)
	}
	if id == recBOF5 && len(data) >= 4 {
		if typ := binary.LittleEndian.Uint16(data[2:]); typ != bofWorksheet {
			return fmt.Errorf("%w: sheet %q is of type 0x%04X, not a worksheet", ErrUnsupported, r.sheet.Name, typ)
		}
	}
	r.depth = 1
	return nil
}

// scan walks the sheet's records without keeping cells.
func (r *Rows) scan() error {
	if r.b.Version <= 4 { // the sheet's own settings, if any, are read below
		r.b.dec, r.b.Date1904 = r.b.globalDec, r.b.global1904
	}
	r.rr = newRecReader(r.b.stream, r.sheet.offset, r.sheet.streamEnd(r.b))
	if err := r.begin(); err != nil {
		return err
	}
	last := -1
	for {
		id, row, ok, err := r.record(true)
		if err != nil {
			return err
		}
		if !ok {
			return nil
		}
		if id == recSXView && r.depth == 1 {
			r.pivot = true
		}
		if row >= 0 {
			if row < last {
				r.ordered = false
			}
			last = row
		}
	}
}

// record reads one record of the sheet. In a scan it decodes nothing
// but the row of cell records (row is -1 for other records); otherwise
// it adds cells to r. ok is false at the sheet's end.
func (r *Rows) record(scan bool) (id uint16, row int, ok bool, err error) {
	id, data, err := r.rr.next()
	if errors.Is(err, io.EOF) {
		return 0, -1, false, nil
	}
	if err != nil {
		return 0, -1, false, fmt.Errorf("sheet %q: %w", r.sheet.Name, err)
	}
	switch id {
	case recBOF2, recBOF3, recBOF4, recBOF5:
		r.depth++ // an embedded chart's substream
		return id, -1, true, nil
	case recEOF:
		r.depth--
		return id, -1, r.depth > 0, nil
	}
	if r.depth != 1 {
		return id, -1, true, nil
	}
	if r.b.Version <= 4 && scan {
		// BIFF2-4: formats and the date system live in the sheet stream.
		if err := r.global(id, data); err != nil {
			return id, -1, false, fmt.Errorf("sheet %q: %w", r.sheet.Name, err)
		}
	}
	row, err = r.cells(id, data, scan)
	if err != nil {
		return id, -1, false, fmt.Errorf("sheet %q, record 0x%04X at offset %d: %w", r.sheet.Name, id, r.rr.off-4-int64(len(data)), err)
	}
	return id, row, true, nil
}

// global reads a record of a BIFF2-4 sheet stream that is not a cell: the
// sheet's own FORMAT and XF records, which replace any of the workbook
// globals, and settings (code page, date system) of the book.
func (r *Rows) global(id uint16, data []byte) error {
	switch id {
	case recFormat2, recFormat4:
		if !r.ownFmt {
			r.ownFmt, r.nfmt, r.fmtBase = true, 0, (r.index+1)<<16
		}
		r.nfmt++
		return r.b.readFormat(id, data, r.fmtBase+r.nfmt-1)
	case recXF2, recXF3, recXF4, recXF5:
		if !r.ownXF {
			r.ownXF, r.xf = true, nil
		}
		if f, ok := xfFormat(id, data); ok {
			r.xf = append(r.xf, f)
		}
		return nil
	}
	return r.b.global(id, data)
}

// cellFormat returns the format key of the cell with XF index xf (the
// first format for an index past the table).
func (r *Rows) cellFormat(xf int) int {
	if xf >= 0 && xf < len(r.xf) {
		return r.fmtBase + r.xf[xf]
	}
	return r.fmtBase
}

var errShort = fmt.Errorf("%w: cell record too short", ErrCorrupt)

// cells decodes a cell record: it returns the row of the cell (-1 for a
// record that is not a cell) and, unless scan, adds the cells to r.
func (r *Rows) cells(id uint16, d []byte, scan bool) (int, error) {
	le := binary.LittleEndian
	v := r.b.Version
	// BIFF2 cell records carry three bytes of attributes where later
	// versions have an XF index; FORMULA keeps its id across versions.
	biff2 := false
	switch id {
	case recNumber, recRK, recLabel, recBoolErr, recLabelSST, recRString, recMulRK, recFormula3, recFormula4:
	case recInteger2, recNumber2, recLabel2, recBoolErr2:
		biff2 = true
	case recFormula2:
		biff2 = v == 2
	case recString, recString2:
		if !scan {
			return -1, r.formulaString(id, d)
		}
		return -1, nil
	default:
		return -1, nil
	}
	if len(d) < 4 {
		return -1, errShort
	}
	row, col := int(le.Uint16(d)), int(le.Uint16(d[2:]))
	if scan {
		return row, nil
	}
	// The format of the cell: BIFF2 cells carry its index in their
	// attributes, later versions point to an XF record.
	var fmtKey int
	body := 6
	switch {
	case biff2:
		if len(d) < 7 {
			return -1, errShort
		}
		fmtKey = r.fmtBase + int(d[5]&0x3F)
		body = 7
	case id != recMulRK:
		if len(d) < 6 {
			return -1, errShort
		}
		fmtKey = r.cellFormat(int(le.Uint16(d[4:])))
	}
	c := Cell{Col: col, Format: fmtKey}
	switch id {
	case recNumber, recNumber2:
		if len(d) < body+8 {
			return -1, errShort
		}
		c.Kind, c.Num = Number, math.Float64frombits(le.Uint64(d[body:]))
	case recInteger2:
		if len(d) < body+2 {
			return -1, errShort
		}
		c.Kind, c.Num = Number, float64(le.Uint16(d[body:]))
	case recRK:
		if len(d) < 10 {
			return -1, errShort
		}
		c.Kind, c.Num = Number, rk(le.Uint32(d[6:]))
	case recMulRK:
		n := (len(d) - 6) / 6
		if n <= 0 {
			return -1, errShort
		}
		for i := range n {
			o := 4 + 6*i
			r.add(row, Cell{Col: col + i, Kind: Number, Num: rk(le.Uint32(d[o+2:])), Format: r.cellFormat(int(le.Uint16(d[o:])))})
		}
		return row, nil
	case recLabel, recLabel2, recRString:
		var err error
		switch {
		case v == 8:
			c.Str, _, err = r.b.unicode(d[body:], 2)
		case biff2:
			c.Str, _, err = r.b.byteString(d[body:], 1)
		default:
			c.Str, _, err = r.b.byteString(d[body:], 2)
		}
		if err != nil {
			return -1, err
		}
		c.Kind = String
	case recLabelSST:
		if len(d) < 10 {
			return -1, errShort
		}
		i := int(le.Uint32(d[6:]))
		if i >= len(r.b.sst) {
			return -1, fmt.Errorf("%w: shared string %d of %d", ErrCorrupt, i, len(r.b.sst))
		}
		c.Kind, c.Str = String, r.b.sst[i]
	case recBoolErr, recBoolErr2:
		if len(d) < body+2 {
			return -1, errShort
		}
		if d[body+1] != 0 {
			c.Kind, c.Str = Error, ErrorText(d[body])
		} else {
			c.Kind, c.Num = Bool, float64(min(d[body], 1))
		}
	case recFormula2, recFormula3, recFormula4:
		if len(d) < body+8 {
			return -1, errShort
		}
		res := d[body : body+8]
		if res[6] != 0xFF || res[7] != 0xFF {
			c.Kind, c.Num = Number, math.Float64frombits(le.Uint64(res))
			break
		}
		switch res[0] {
		case 0: // a string, in the STRING record that follows
			c.Kind = String
			r.pending, r.pendRow = col, row
		case 1:
			c.Kind, c.Num = Bool, float64(min(res[2], 1))
		case 2:
			c.Kind, c.Str = Error, ErrorText(res[2])
		default: // 3: the empty string
			c.Kind = Empty
		}
	}
	r.add(row, c)
	return row, nil
}

// formulaString fills the pending formula cell with a STRING record's text.
func (r *Rows) formulaString(id uint16, d []byte) error {
	if r.pending < 0 {
		return nil
	}
	col, row := r.pending, r.pendRow
	r.pending = -1
	var s string
	var err error
	switch {
	case r.b.Version == 8:
		s, err = r.stringRecord(d)
	case id == recString2:
		s, _, err = r.b.byteString(d, 1)
	default:
		s, _, err = r.b.byteString(d, 2)
	}
	if err != nil {
		return err
	}
	cells := r.cur
	if row == r.nextRow && len(r.next) > 0 {
		cells = r.next
	}
	if r.sorted != nil {
		for i := len(r.sorted) - 1; i >= 0; i-- {
			if c := &r.sorted[i]; c.row == row && c.Col == col {
				c.Str = s
				return nil
			}
		}
	}
	for i := len(cells) - 1; i >= 0; i-- {
		if cells[i].Col == col {
			cells[i].Str = s
			break
		}
	}
	return nil
}

// stringRecord reads a BIFF8 STRING record and its CONTINUE records.
func (r *Rows) stringRecord(d []byte) (string, error) {
	s := &segments{b: append([]byte(nil), d...)}
	for {
		id, ok := r.rr.peekID()
		if !ok || id != recContinue {
			break
		}
		_, more, err := r.rr.next()
		if err != nil {
			return "", err
		}
		s.ends = append(s.ends, len(s.b))
		s.b = append(s.b, more...)
	}
	s.ends = append(s.ends, len(s.b))
	return s.richString()
}

// add adds a cell to the row being read.
func (r *Rows) add(row int, c Cell) {
	if r.sorted != nil || !r.ordered {
		r.sorted = append(r.sorted, rowCell{row, c})
		return
	}
	if len(r.cur) == 0 && len(r.next) == 0 {
		r.curRow = row
	}
	if row == r.curRow && len(r.next) == 0 {
		r.cur = append(r.cur, c)
		return
	}
	r.nextRow = row
	r.next = append(r.next, c)
}

// readAll reads every cell of an unordered sheet and sorts them by row.
func (r *Rows) readAll() error {
	r.sorted = make([]rowCell, 0, 64)
	for {
		_, _, ok, err := r.record(false)
		if err != nil {
			return err
		}
		if !ok {
			break
		}
	}
	sort.SliceStable(r.sorted, func(i, j int) bool { return r.sorted[i].row < r.sorted[j].row })
	return nil
}

// Next returns the next row that has cells: its number (from 1) and its
// cells, in the order the file has them. The cells are valid until the
// next call. It returns io.EOF after the last row.
func (r *Rows) Next() (int, []Cell, error) {
	if r.sorted != nil {
		if r.sortedAt >= len(r.sorted) {
			return 0, nil, io.EOF
		}
		row := r.sorted[r.sortedAt].row
		r.cur = r.cur[:0]
		for r.sortedAt < len(r.sorted) && r.sorted[r.sortedAt].row == row {
			r.cur = append(r.cur, r.sorted[r.sortedAt].Cell)
			r.sortedAt++
		}
		return row + 1, r.cur, nil
	}
	// Start the row with the cells read ahead for it.
	if len(r.next) > 0 {
		r.cur = append(r.cur[:0], r.next...)
		r.curRow = r.nextRow
		r.next = r.next[:0]
	} else {
		r.cur = r.cur[:0]
	}
	for !r.done && len(r.next) == 0 {
		_, _, ok, err := r.record(false)
		if err != nil {
			return 0, nil, err
		}
		if !ok {
			r.done = true
		}
	}
	// A formula of the next row may still wait for its STRING record,
	// which comes before any other cell: read it now.
	for r.pending >= 0 && !r.done {
		id, ok := r.rr.peekID()
		if !ok {
			break
		}
		if id != recString && id != recString2 && id != 0x04BC && id != 0x0221 && id != 0x0236 {
			r.pending = -1
			break
		}
		if _, _, ok, err := r.record(false); err != nil {
			return 0, nil, err
		} else if !ok {
			r.done = true
		}
	}
	if len(r.cur) == 0 {
		return 0, nil, io.EOF
	}
	return r.curRow + 1, r.cur, nil
}

// rk decodes an RK number: a 30-bit integer or the high 30 bits of a
// double, optionally divided by 100.
func rk(v uint32) float64 {
	var f float64
	if v&2 != 0 {
		f = float64(int32(v) >> 2)
	} else {
		f = math.Float64frombits(uint64(v&0xFFFFFFFC) << 32)
	}
	if v&1 != 0 {
		f /= 100
	}
	return f
}

// ErrorText returns the text Excel shows for a cell error code.
func ErrorText(code byte) string {
	switch code {
	case 0x00:
		return "#NULL!"
	case 0x07:
		return "#DIV/0!"
	case 0x0F:
		return "#VALUE!"
	case 0x17:
		return "#REF!"
	case 0x1D:
		return "#NAME?"
	case 0x24:
		return "#NUM!"
	case 0x2A:
		return "#N/A"
	case 0x2B:
		return "#GETTING_DATA"
	}
	return fmt.Sprintf("#ERR%d", code)
}
