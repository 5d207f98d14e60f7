package biff_test

import (
	"bytes"
	"errors"
	"io"
	"math/rand"
	"slices"
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

func TestBIFF4WorkbookIsUnsupported(t *testing.T) {
	var r fx.Records
	r.Add(0x0409, fx.U16(0), fx.U16(0x0100))
	if _, err := biff.Open(bytes.NewReader(r.Bytes()), int64(r.Len())); !errors.Is(err, biff.ErrUnsupported) {
		t.Fatalf("got %v, want ErrUnsupported", err)
	}
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
