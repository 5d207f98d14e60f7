package decode

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/encoding/unicode/utf32"
)

// sample has ASCII, Latin-1, BMP and astral characters, and line ends.
const sample = "id,name\r\n1,Zoë ☃ 😀\n2,\"x\"\n"

func encode(t testing.TB, enc encoding.Encoding, s string) []byte {
	t.Helper()
	b, err := enc.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

var (
	utf16le = unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM)
	utf16be = unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM)
	utf32le = utf32.UTF32(utf32.LittleEndian, utf32.IgnoreBOM)
	utf32be = utf32.UTF32(utf32.BigEndian, utf32.IgnoreBOM)
)

func TestTextDecodes(t *testing.T) {
	latin := "café, naïve, 100°"
	cp := "price: 5€ – “quoted”"
	tests := []struct {
		name     string
		encoding string
		input    []byte
		want     string
	}{
		{"plain UTF-8 passes through", "", []byte(sample), sample},
		{"UTF-8 BOM is dropped", "", cat([]byte("\xef\xbb\xbf"), []byte(sample)), sample},
		{"UTF-8 BOM is dropped when UTF-8 is set", "utf-8", cat([]byte("\xef\xbb\xbf"), []byte(sample)), sample},
		{"only a UTF-8 BOM", "", []byte("\xef\xbb\xbf"), ""},
		{"empty input", "", nil, ""},
		{"empty input as UTF-16", "utf-16", nil, ""},
		{"UTF-16 LE by its BOM", "", cat([]byte{0xFF, 0xFE}, encode(t, utf16le, sample)), sample},
		{"UTF-16 BE by its BOM", "", cat([]byte{0xFE, 0xFF}, encode(t, utf16be, sample)), sample},
		{"UTF-32 LE by its BOM", "", cat([]byte{0xFF, 0xFE, 0, 0}, encode(t, utf32le, sample)), sample},
		{"UTF-32 BE by its BOM", "", cat([]byte{0, 0, 0xFE, 0xFF}, encode(t, utf32be, sample)), sample},
		{"a BOM wins over the encoding set", "latin-1", cat([]byte{0xFF, 0xFE}, encode(t, utf16le, sample)), sample},
		{"UTF-16 LE set, no BOM", "utf-16le", encode(t, utf16le, sample), sample},
		{"UTF-16 BE set, no BOM", "UTF-16BE", encode(t, utf16be, sample), sample},
		{"UTF-16 without a BOM guesses little-endian", "utf-16", encode(t, utf16le, sample), sample},
		{"UTF-16 without a BOM guesses big-endian", "utf16", encode(t, utf16be, sample), sample},
		{"UTF-32 LE set, no BOM", "utf-32le", encode(t, utf32le, sample), sample},
		{"UTF-32 without a BOM guesses little-endian", "utf-32", encode(t, utf32le, sample), sample},
		{"UTF-32 without a BOM guesses big-endian", "utf-32", encode(t, utf32be, sample), sample},
		{"Latin-1", "latin-1", encode(t, charmap.ISO8859_1, latin), latin},
		{"ISO-8859-1", "ISO_8859-1", encode(t, charmap.ISO8859_1, latin), latin},
		{"Windows-1252", "windows-1252", encode(t, charmap.Windows1252, cp), cp},
		{"CP1252", "cp1252", encode(t, charmap.Windows1252, cp), cp},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, oneByte := range []bool{false, true} {
				var in io.Reader = bytes.NewReader(tt.input)
				if oneByte {
					in = iotest.OneByteReader(in)
				}
				r, err := Text(in, tt.encoding)
				if err != nil {
					t.Fatal(err)
				}
				got, err := io.ReadAll(r)
				if err != nil {
					t.Fatal(err)
				}
				if string(got) != tt.want {
					t.Errorf("one byte a read %v: got %q, want %q", oneByte, got, tt.want)
				}
			}
		})
	}
}

func TestTextRejectsUnknownEncoding(t *testing.T) {
	_, err := Text(strings.NewReader("x"), "ebcdic")
	if !errors.Is(err, ErrUnknownEncoding) {
		t.Fatalf("error %v, want ErrUnknownEncoding", err)
	}
	for _, name := range []string{"ebcdic", "utf-8", "utf-16le", "latin-1", "windows-1252"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error %q does not name %q", err, name)
		}
	}
}

func TestTextReturnsReadError(t *testing.T) {
	boom := errors.New("disk on fire")
	if _, err := Text(iotest.ErrReader(boom), ""); !errors.Is(err, boom) {
		t.Fatalf("error %v, want the read error", err)
	}
}

// TestTextStreams proves Text does not read ahead of its reader by more
// than a buffer: a stream that never ends is decoded piece by piece.
func TestTextStreams(t *testing.T) {
	for _, enc := range []string{"auto", "utf-16le", "latin-1"} {
		r, err := Text(endless{}, enc)
		if err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 1<<20)
		if _, err := io.ReadFull(r, buf); err != nil {
			t.Fatalf("%q: %v", enc, err)
		}
	}
}

// A stream that never ends is checked as UTF-8 piece by piece too.
func TestTextStreamsUTF8(t *testing.T) {
	r, err := Text(iotest.OneByteReader(endlessASCII{}), "")
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1<<20)
	if _, err := io.ReadFull(r, buf); err != nil {
		t.Fatal(err)
	}
}

// endlessASCII is an endless stream of "a\n".
type endlessASCII struct{}

func (endlessASCII) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = "a\n"[i%2]
	}
	return len(p), nil
}

// endless is an endless stream of 'a', 0 bytes: "a" in UTF-16 LE.
type endless struct{}

func (endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = "a\x00"[i%2]
	}
	return len(p) &^ 1, nil
}

// FuzzText proves that any bytes in any encoding decode to valid UTF-8 or
// fail with an *EncodingError whose line and offset are those of a byte of
// the input; and that UTF-8 passes through unchanged, up to the bad byte
// when there is one.
func FuzzText(f *testing.F) {
	f.Add([]byte(sample), uint8(0))
	f.Add(cat([]byte{0xFF, 0xFE}, encode(f, utf16le, sample)), uint8(1))
	f.Add(cat([]byte{0, 0, 0xFE, 0xFF}, encode(f, utf32be, sample)), uint8(2))
	f.Add([]byte{0xFF, 0xFE, 0}, uint8(3))
	f.Add([]byte{0xD8, 0x00, 0xDC}, uint8(4))
	f.Add([]byte("a,b\nca\xe9,\xe8\n"), uint8(11))
	f.Add([]byte("x\n\x93\xfa\x96\x7b,\x82\xa0\n"), uint8(13))
	f.Add(encode(f, utf16le, sample), uint8(0))
	names := []string{"", "utf-8", "utf-16", "utf-16le", "utf-16be", "utf-32", "utf-32le", "utf-32be", "latin-1", "windows-1252",
		"auto", "auto", "shift_jis", "auto", "gbk", "windows-1251", "euc-kr", "gb18030"}
	f.Fuzz(func(t *testing.T, data []byte, which uint8) {
		enc := names[int(which)%len(names)]
		r, err := Text(bytes.NewReader(data), enc)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(r)
		var ee *EncodingError
		if err != nil && !errors.As(err, &ee) {
			t.Fatalf("%q: %v", enc, err)
		}
		if ee != nil && (ee.Offset < 0 || ee.Offset > int64(len(data)) || ee.Line < 1 || ee.Line > int64(bytes.Count(data, []byte{'\n'}))+1) {
			t.Fatalf("%q: %q: error at line %d, offset %d: %v", enc, data, ee.Line, ee.Offset, err)
		}
		if !utf8.Valid(got) {
			t.Fatalf("%q: decoded %q is not valid UTF-8", enc, got)
		}
		passThrough := (enc == "" || enc == "utf-8") && !bytes.HasPrefix(data, []byte{0xFF, 0xFE}) &&
			!bytes.HasPrefix(data, []byte{0xFE, 0xFF}) && !bytes.HasPrefix(data, []byte{0, 0, 0xFE, 0xFF})
		if !passThrough {
			return
		}
		bom := len(data) - len(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")))
		want := data[bom:]
		if ee != nil {
			want = data[bom:max(int(ee.Offset), bom)]
			if ee.Wide == "" && (!utf8.Valid(want) || int64(bytes.Count(data[:ee.Offset], []byte{'\n'}))+1 != ee.Line) {
				t.Fatalf("%q: %q fails at line %d, offset %d, not at its first bad byte", enc, data, ee.Line, ee.Offset)
			}
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("%q: UTF-8 %q came out as %q (%v)", enc, data, got, err)
		}
	})
}

// BenchmarkText decodes 4 MiB of text with Text (BOM sniffing, then the
// decoder) and, as "library", with golang.org/x/text's decoder alone, told
// the encoding: the layer must cost no more than the library.
func BenchmarkText(b *testing.B) {
	text := strings.Repeat(sample, (4<<20)/len(sample))
	inputs := []struct {
		name, encoding string
		data           []byte
		library        encoding.Encoding // nil: no library pass (UTF-8 passes through)
	}{
		{"utf-8", "", []byte(text), nil},
		{"utf-16le", "", cat([]byte{0xFF, 0xFE}, encode(b, utf16le, text)), unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM)},
		{"windows-1252", "windows-1252", encode(b, charmap.Windows1252, strings.ReplaceAll(strings.ReplaceAll(text, "☃", "?"), "😀", "?")), charmap.Windows1252},
	}
	drain := func(b *testing.B, r io.Reader) {
		buf := make([]byte, 32<<10) // as a format reader reads
		for {
			_, err := r.Read(buf)
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	for _, in := range inputs {
		b.Run(in.name, func(b *testing.B) {
			b.SetBytes(int64(len(in.data)))
			for b.Loop() {
				r, err := Text(bytes.NewReader(in.data), in.encoding)
				if err != nil {
					b.Fatal(err)
				}
				drain(b, r)
			}
		})
		if in.library != nil {
			b.Run(in.name+"/library", func(b *testing.B) {
				b.SetBytes(int64(len(in.data)))
				for b.Loop() {
					drain(b, in.library.NewDecoder().Reader(bytes.NewReader(in.data)))
				}
			})
		}
	}
}
