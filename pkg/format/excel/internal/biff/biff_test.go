package biff_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math/rand"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/filedge/filedge/pkg/format/excel/internal/biff"
	fx "github.com/filedge/filedge/pkg/format/excel/internal/fixture"
)

// book returns a BIFF8 Workbook stream: globals, then one worksheet
// whose cell records sheet writes.
func book(globals, sheet func(r *fx.Records)) []byte {
	var g fx.Records
	g.Add(0x0809, fx.U16(0x0600), fx.U16(0x0005))
	if globals != nil {
		globals(&g)
	}
	var s fx.Records
	s.Add(0x0809, fx.U16(0x0600), fx.U16(0x0010))
	if sheet != nil {
		sheet(&s)
	}
	s.Add(0x000A)
	// BOUNDSHEET: its own size is known (4+4+2+1+1+name), so the sheet
	// starts right after it and the globals' EOF.
	name := fx.Unicode("S", 1)
	off := g.Len() + 4 + 6 + len(name) + 4
	g.Add(0x0085, fx.U32(uint32(off)), fx.U8(0), fx.U8(0), name)
	g.Add(0x000A)
	return append(g.Bytes(), s.Bytes()...)
}

func open(t *testing.T, stream []byte) *biff.Book {
	t.Helper()
	b, err := biff.Open(bytes.NewReader(stream), int64(len(stream)))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// rows reads every row of sheet 0.
func rows(t *testing.T, b *biff.Book) map[int][]biff.Cell {
	t.Helper()
	r, err := b.Rows(0)
	if err != nil {
		t.Fatal(err)
	}
	out := map[int][]biff.Cell{}
	for {
		n, cells, err := r.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out[n] = slices.Clone(cells)
	}
}

func TestSharedStringsSurviveContinueRecords(t *testing.T) {
	alphabet := []rune("abcXYZ019 éüß€ΑΩжЯ中文😀🎉")
	rnd := rand.New(rand.NewSource(7))
	for round := range 200 {
		strs := make([]string, 1+rnd.Intn(30))
		for i := range strs {
			r := make([]rune, rnd.Intn(40))
			for j := range r {
				r[j] = alphabet[rnd.Intn(len(alphabet))]
			}
			strs[i] = string(r)
		}
		max := 12 + rnd.Intn(90)
		stream := book(func(g *fx.Records) { g.SST(strs, max) }, func(s *fx.Records) {
			for i := range strs {
				s.Add(0x00FD, fx.U16(i), fx.U16(0), fx.U16(0), fx.U32(uint32(i)))
			}
		})
		got := rows(t, open(t, stream))
		for i, want := range strs {
			if c := got[i+1]; len(c) != 1 || c[0].Kind != biff.String || c[0].Str != want {
				t.Fatalf("round %d (records of %d bytes): string %d is %+v, want %q", round, max, i, c, want)
			}
		}
	}
}

func TestRKNumbersDecode(t *testing.T) {
	tests := []struct {
		rk   []byte
		want float64
	}{
		{fx.RKInt(0), 0},
		{fx.RKInt(-100), -100},
		{fx.RKInt(536870911), 536870911},
		{fx.RKHundredths(1234), 12.34},
		{fx.RKHundredths(-5), -0.05},
		{fx.RKFloat(2.5), 2.5},
		{fx.RKFloat(-1024), -1024},
	}
	stream := book(nil, func(s *fx.Records) {
		for i, tt := range tests {
			s.Add(0x027E, fx.U16(i), fx.U16(0), fx.U16(0), tt.rk)
		}
	})
	got := rows(t, open(t, stream))
	for i, tt := range tests {
		if c := got[i+1]; len(c) != 1 || c[0].Kind != biff.Number || c[0].Num != tt.want {
			t.Errorf("RK % x: %+v, want %v", tt.rk, c, tt.want)
		}
	}
}

func TestDamagedStreamsFailWithErrCorrupt(t *testing.T) {
	good := book(func(g *fx.Records) { g.SST([]string{"a", "bcd"}, 100) }, func(s *fx.Records) {
		s.Add(0x00FD, fx.U16(0), fx.U16(0), fx.U16(0), fx.U32(1))
	})
	tests := []struct {
		name   string
		stream []byte
	}{
		{"empty", nil},
		{"not a BOF", []byte{0x01, 0x02, 0x00, 0x00}},
		{"cut in a record", good[:len(good)-3]},
		{"globals of another type", func() []byte {
			var r fx.Records
			r.Add(0x0809, fx.U16(0x0600), fx.U16(0x0010))
			return r.Bytes()
		}()},
		{"shared string out of range", book(nil, func(s *fx.Records) {
			s.Add(0x00FD, fx.U16(0), fx.U16(0), fx.U16(0), fx.U32(5))
		})},
		{"short cell record", book(nil, func(s *fx.Records) { s.Add(0x0203, fx.U16(0)) })},
		{"string longer than its record", book(nil, func(s *fx.Records) {
			s.Add(0x0204, fx.U16(0), fx.U16(0), fx.U16(0), fx.U16(50), fx.U8(1), []byte("ab"))
		})},
		{"SST longer than its records", book(func(g *fx.Records) {
			g.Add(0x00FC, fx.U32(1), fx.U32(1), fx.U16(10), fx.U8(0), []byte("abc"))
		}, nil)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := biff.Open(bytes.NewReader(tt.stream), int64(len(tt.stream)))
			if err == nil {
				_, err = readAll(b)
			}
			if !errors.Is(err, biff.ErrCorrupt) {
				t.Errorf("got %v, want an error wrapping ErrCorrupt", err)
			}
		})
	}
}

func readAll(b *biff.Book) (int, error) {
	n := 0
	for i := range b.Sheets {
		r, err := b.Rows(i)
		if err != nil {
			return n, err
		}
		for {
			_, _, err := r.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return n, err
			}
			n++
		}
	}
	return n, nil
}

func TestEncryptedWorkbookFails(t *testing.T) {
	stream := book(func(g *fx.Records) { g.Add(0x002F, fx.U16(1), make([]byte, 52)) }, nil)
	if _, err := biff.Open(bytes.NewReader(stream), int64(len(stream))); !errors.Is(err, biff.ErrEncrypted) {
		t.Fatalf("got %v, want ErrEncrypted", err)
	}
}

// workbook4 is a BIFF4W workbook: globals with formats of their own, a
// worksheet with its own formats and date system, a chart, a worksheet
// using the globals' and a macro sheet.
func workbook4() []byte {
	format := func(r *fx.Records, code string) { r.Add(0x041E, fx.U16(0), fx.Byte8([]byte(code), 1)) }
	xf := func(r *fx.Records, f int) { r.Add(0x0443, fx.U8(0), fx.U8(f), make([]byte, 10)) }
	num := func(r *fx.Records, row, col, xf int, v float64) {
		r.Add(0x0203, fx.U16(row), fx.U16(col), fx.U16(xf), fx.F64(v))
	}
	return fx.Workbook4(func(g *fx.Records) {
		g.Add(0x0042, fx.U16(1251)) // the names below are in code page 1251
		g.Add(0x0022, fx.U16(1))    // the 1904 date system
		format(g, "General")
		format(g, "0.00")
		xf(g, 1)
		xf(g, 0)
	}, []fx.Sheet4{
		{Name: "Own", Type: 0x0010, Records: func(r *fx.Records) {
			r.Add(0x0022, fx.U16(0)) // the 1900 date system, for this sheet
			format(r, "General")
			format(r, "yyyy-mm-dd")
			xf(r, 0)
			xf(r, 1)
			num(r, 0, 0, 1, 100)
			r.Add(0x0204, fx.U16(0), fx.U16(1), fx.U16(0), fx.Byte8([]byte("\xc4\xe0"), 2)) // "Да"
			num(r, 1, 0, 0, 2)
		}},
		{Name: "Chart", Type: 0x0020, Records: func(r *fx.Records) { r.Add(0x1001, fx.U16(0)) }},
		{Name: "\xd1\xe2\xee\xe4", Type: 0x0010, Records: func(r *fx.Records) { // "Свод"
			num(r, 4, 2, 0, 0.5)
		}},
		{Name: "Macros", Type: 0x0040, Records: func(r *fx.Records) { num(r, 0, 0, 0, 1) }},
	}...)
}

func TestBIFF4WorkbookListsAndReadsEachSheet(t *testing.T) {
	b := open(t, workbook4())
	want := []struct {
		name string
		kind biff.SheetKind
	}{{"Own", biff.Worksheet}, {"Chart", biff.Chart}, {"Свод", biff.Worksheet}, {"Macros", biff.Macro}}
	if len(b.Sheets) != len(want) {
		t.Fatalf("sheets %+v, want %+v", b.Sheets, want)
	}
	for i, w := range want {
		if s := b.Sheets[i]; s.Name != w.name || s.Kind != w.kind {
			t.Errorf("sheet %d is %q of kind %d, want %q of kind %d", i, s.Name, s.Kind, w.name, w.kind)
		}
	}
	if b.Version != 4 || !b.Date1904 {
		t.Errorf("version %d, 1904 dates %v: want 4 and true (the globals')", b.Version, b.Date1904)
	}
	// Each sheet reads its own records only, with its own formats and
	// date system or, without any, those of the globals.
	type cell struct {
		row, col int
		kind     biff.Kind
		num      float64
		str      string
		format   string
	}
	read := func(i int) []cell {
		r, err := b.Rows(i)
		if err != nil {
			t.Fatalf("sheet %d: %v", i, err)
		}
		var got []cell
		for {
			n, cells, err := r.Next()
			if errors.Is(err, io.EOF) {
				return got
			}
			if err != nil {
				t.Fatalf("sheet %d: %v", i, err)
			}
			for _, c := range cells {
				code, _ := b.Format(c.Format)
				got = append(got, cell{n, c.Col, c.Kind, c.Num, c.Str, code})
			}
		}
	}
	// Read out of order, and the first sheet again, to show that no
	// sheet's formats leak into another's.
	for _, i := range []int{2, 0, 2} {
		got := read(i)
		var wantCells []cell
		if i == 0 {
			wantCells = []cell{{1, 0, biff.Number, 100, "", "yyyy-mm-dd"}, {1, 1, biff.String, 0, "Да", "General"}, {2, 0, biff.Number, 2, "", "General"}}
		} else {
			wantCells = []cell{{5, 2, biff.Number, 0.5, "", "0.00"}}
		}
		if !slices.Equal(got, wantCells) {
			t.Errorf("sheet %d: cells %+v, want %+v", i, got, wantCells)
		}
		if b.Date1904 != (i != 0) {
			t.Errorf("sheet %d: 1904 dates %v", i, b.Date1904)
		}
	}
}

// setSheetSize overwrites the size in the n-th SHEETHDR record of a
// BIFF4W stream.
func setSheetSize(t *testing.T, stream []byte, n int, size uint32) []byte {
	t.Helper()
	out := bytes.Clone(stream)
	for off := 0; off+4 <= len(out); {
		id, l := binary.LittleEndian.Uint16(out[off:]), int(binary.LittleEndian.Uint16(out[off+2:]))
		if id == 0x008F {
			if n == 0 {
				binary.LittleEndian.PutUint32(out[off+4:], size)
				return out
			}
			n--
			off += 4 + l + int(binary.LittleEndian.Uint32(out[off+4:])) // over the substream
			continue
		}
		off += 4 + l
	}
	t.Fatal("no such SHEETHDR record")
	return nil
}

// sheetSize returns the size in the n-th SHEETHDR record.
func sheetSize(t *testing.T, stream []byte, n int) int {
	t.Helper()
	for off := 0; off+4 <= len(stream); {
		id, l := binary.LittleEndian.Uint16(stream[off:]), int(binary.LittleEndian.Uint16(stream[off+2:]))
		if id == 0x008F {
			size := int(binary.LittleEndian.Uint32(stream[off+4:]))
			if n == 0 {
				return size
			}
			n--
			off += size
		}
		off += 4 + l
	}
	t.Fatal("no such SHEETHDR record")
	return 0
}

func TestDamagedBIFF4WorkbooksFailNamingTheSheet(t *testing.T) {
	good := workbook4()
	own := sheetSize(t, good, 0)
	// The second record of "Own" (a FORMAT after the BOF) made to run
	// past the sheet's EOF, whose bytes still end the substream.
	overrun := func() []byte {
		out := bytes.Clone(good)
		at := bytes.Index(out, []byte("\x09\x04\x06\x00\x00\x00\x10\x00")) + 10
		binary.LittleEndian.PutUint16(out[at+2:], uint16(own))
		return out
	}()
	tests := []struct {
		name   string
		stream []byte
		sheet  string
	}{
		{"substream past the end of the stream", setSheetSize(t, good, 0, 1<<20), "Own"},
		{"substream ending in another record", setSheetSize(t, good, 0, uint32(own-2)), "Own"},
		{"substream overlapping the next sheet's header", setSheetSize(t, good, 0, uint32(own+4)), "Own"},
		{"substream too short for its BOF and EOF", setSheetSize(t, good, 2, 6), "Свод"},
		{"substream of size zero", setSheetSize(t, good, 1, 0), "Chart"},
		{"stream cut inside a substream", good[:len(good)-30], "Macros"},
		{"stream cut after a substream", good[:len(good)-4], "Macros"},
		{"record running past its substream", overrun, "Own"},
		{"substream without a BOF", func() []byte {
			var g fx.Records
			g.Add(0x0409, fx.U16(0), fx.U16(0x0100), fx.U16(0))
			g.Add(0x008F, fx.U32(8), fx.Byte8([]byte("NoBOF"), 1))
			g.Add(0x0203, fx.U16(0), fx.U16(0))
			g.Add(0x000A)
			g.Add(0x000A)
			return g.Bytes()
		}(), "NoBOF"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := biff.Open(bytes.NewReader(tt.stream), int64(len(tt.stream)))
			if err == nil {
				_, err = readAll(b)
			}
			if !errors.Is(err, biff.ErrCorrupt) || !strings.Contains(err.Error(), strconv.Quote(tt.sheet)) {
				t.Errorf("got %v, want an error wrapping ErrCorrupt naming sheet %q", err, tt.sheet)
			}
		})
	}
	t.Run("sheet substream without its SHEETHDR", func(t *testing.T) {
		var g fx.Records
		g.Add(0x0409, fx.U16(0), fx.U16(0x0100), fx.U16(0))
		g.Add(0x0409, fx.U16(0), fx.U16(0x0010), fx.U16(0))
		g.Add(0x000A)
		g.Add(0x000A)
		if _, err := biff.Open(bytes.NewReader(g.Bytes()), int64(g.Len())); !errors.Is(err, biff.ErrCorrupt) || !strings.Contains(err.Error(), "SHEETHDR") {
			t.Errorf("got %v, want an error wrapping ErrCorrupt about the missing SHEETHDR", err)
		}
	})
}

// TestBIFF4WorkbookStepsOverSheetsWithoutReadingThem proves that listing
// the sheets of a workbook reads each SHEETHDR and the two ends of each
// substream, not the substreams: the cost of opening a workbook of many
// sheets follows the number of sheets, not their size.
func TestBIFF4WorkbookStepsOverSheetsWithoutReadingThem(t *testing.T) {
	sheets := make([]fx.Sheet4, 10)
	for i := range sheets {
		sheets[i] = fx.Sheet4{Name: strconv.Itoa(i), Type: 0x0010, Records: func(r *fx.Records) {
			for row := range 16000 { // 288 KB
				r.Add(0x0203, fx.U16(row), fx.U16(0), fx.U16(0), fx.F64(float64(row)))
			}
		}}
	}
	stream := fx.Workbook4(nil, sheets...)
	ra := &countingReaderAt{r: bytes.NewReader(stream)}
	b, err := biff.Open(ra, int64(len(stream)))
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Sheets) != len(sheets) {
		t.Fatalf("%d sheets, want %d", len(b.Sheets), len(sheets))
	}
	if ra.n > int64(len(stream))/4 {
		t.Errorf("opening read %d bytes of a %d-byte stream", ra.n, len(stream))
	}
}

type countingReaderAt struct {
	r io.ReaderAt
	n int64
}

func (c *countingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	n, err := c.r.ReadAt(p, off)
	c.n += int64(n)
	return n, err
}

func TestFormatsResolveThroughXF(t *testing.T) {
	stream := book(func(g *fx.Records) {
		g.Add(0x041E, fx.U16(164), fx.Unicode("yyyy-mm-dd", 2))
		g.Add(0x00E0, fx.U16(0), fx.U16(0), make([]byte, 16))
		g.Add(0x00E0, fx.U16(0), fx.U16(164), make([]byte, 16))
		g.Add(0x00E0, fx.U16(0), fx.U16(14), make([]byte, 16))
	}, func(s *fx.Records) {
		for xf := range 4 {
			s.Add(0x0203, fx.U16(0), fx.U16(xf), fx.U16(xf), fx.F64(1))
		}
	})
	b := open(t, stream)
	cells := rows(t, b)[1]
	want := []struct {
		code    string
		builtin bool
	}{{"", true}, {"yyyy-mm-dd", false}, {"", true}, {"", true}}
	for i, c := range cells {
		code, builtin := b.Format(c.Format)
		if code != want[i].code || builtin != want[i].builtin {
			t.Errorf("cell with XF %d: format %q (built-in %v), want %q (%v)", i, code, builtin, want[i].code, want[i].builtin)
		}
	}
	if cells[2].Format != 14 || cells[3].Format != 0 {
		t.Errorf("format keys %d and %d, want 14 and 0 (an XF index past the table)", cells[2].Format, cells[3].Format)
	}
}
