package decode

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/encoding/unicode/utf32"
)

// Auto is the encoding name that makes Text detect a text's encoding (see
// Text).
const Auto = "auto"

// Byte order marks, longest first where one is a prefix of another.
var boms = []struct {
	mark []byte
	name string
}{
	{[]byte{0xFF, 0xFE, 0x00, 0x00}, "utf-32le"},
	{[]byte{0x00, 0x00, 0xFE, 0xFF}, "utf-32be"},
	{[]byte{0xEF, 0xBB, 0xBF}, "utf-8"},
	{[]byte{0xFF, 0xFE}, "utf-16le"},
	{[]byte{0xFE, 0xFF}, "utf-16be"},
}

// textEncoding is an encoding Text knows.
type textEncoding struct {
	// names are its names: the first is the one messages use, the
	// others are aliases.
	names []string
	enc   encoding.Encoding // nil: UTF-8
	// langs are the languages whose text the encoding is for, most used
	// first (keys of languages); an encoding with languages is one that
	// auto may pick, in the order of textEncodings.
	langs []string
}

func (e *textEncoding) name() string { return e.names[0] }

var (
	western  = []string{"fr", "de", "es", "pt", "it", "nl", "sv", "fi", "da", "no", "is", "ca"}
	central  = []string{"cs", "sk", "pl", "hu", "ro", "hr", "sl", "sq", "de"}
	cyrillic = []string{"ru", "uk", "bg", "sr", "mk", "be"}
)

// textEncodings lists the encodings Text knows. utf-16 and utf-32 without
// a BOM are settled by guessBE. Those with languages are auto's
// candidates, in order of preference: when two decode a text to the same
// characters, the first is taken.
var textEncodings = []*textEncoding{
	{names: []string{"utf-8", "ascii", "us-ascii", "utf8"}},
	{names: []string{"utf-16"}, enc: unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM)},
	{names: []string{"utf-16le"}, enc: unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM)},
	{names: []string{"utf-16be"}, enc: unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM)},
	{names: []string{"utf-32"}, enc: utf32.UTF32(utf32.BigEndian, utf32.IgnoreBOM)},
	{names: []string{"utf-32le"}, enc: utf32.UTF32(utf32.LittleEndian, utf32.IgnoreBOM)},
	{names: []string{"utf-32be"}, enc: utf32.UTF32(utf32.BigEndian, utf32.IgnoreBOM)},
	{names: []string{"windows-1252", "cp1252"}, enc: charmap.Windows1252, langs: western},
	{names: []string{"windows-1250", "cp1250"}, enc: charmap.Windows1250, langs: central},
	{names: []string{"windows-1251", "cp1251"}, enc: charmap.Windows1251, langs: cyrillic},
	{names: []string{"koi8-r"}, enc: charmap.KOI8R, langs: []string{"ru", "bg"}},
	{names: []string{"windows-1253", "cp1253"}, enc: charmap.Windows1253, langs: []string{"el"}},
	{names: []string{"windows-1254", "cp1254"}, enc: charmap.Windows1254, langs: append([]string{"tr"}, western...)},
	{names: []string{"windows-1257", "cp1257"}, enc: charmap.Windows1257, langs: []string{"lt", "lv", "et", "pl", "de", "sv", "fi", "da"}},
	{names: []string{"windows-1255", "cp1255"}, enc: charmap.Windows1255, langs: []string{"he"}},
	{names: []string{"windows-1256", "cp1256"}, enc: charmap.Windows1256, langs: []string{"ar", "fr"}},
	{names: []string{"windows-874", "cp874", "tis-620"}, enc: charmap.Windows874, langs: []string{"th"}},
	{names: []string{"iso-8859-2", "latin-2", "l2"}, enc: charmap.ISO8859_2, langs: central},
	{names: []string{"iso-8859-7", "greek"}, enc: charmap.ISO8859_7, langs: []string{"el"}},
	{names: []string{"cp850", "ibm850"}, enc: charmap.CodePage850, langs: western},
	{names: []string{"cp866", "ibm866"}, enc: charmap.CodePage866, langs: []string{"ru", "uk", "bg", "be"}},
	{names: []string{"shift_jis", "sjis", "cp932", "windows-31j"}, enc: japanese.ShiftJIS, langs: []string{"ja"}},
	{names: []string{"euc-jp"}, enc: japanese.EUCJP, langs: []string{"ja"}},
	{names: []string{"gbk", "cp936", "gb2312"}, enc: simplifiedchinese.GBK, langs: []string{"zh-hans"}},
	{names: []string{"big5", "cp950"}, enc: traditionalchinese.Big5, langs: []string{"zh-hant"}},
	{names: []string{"euc-kr", "cp949", "uhc"}, enc: korean.EUCKR, langs: []string{"ko"}},
	// Known by name only.
	{names: []string{"latin-1", "iso-8859-1", "l1"}, enc: charmap.ISO8859_1},
	{names: []string{"iso-8859-3", "latin-3"}, enc: charmap.ISO8859_3},
	{names: []string{"iso-8859-4", "latin-4"}, enc: charmap.ISO8859_4},
	{names: []string{"iso-8859-5"}, enc: charmap.ISO8859_5},
	{names: []string{"iso-8859-6"}, enc: charmap.ISO8859_6},
	{names: []string{"iso-8859-8"}, enc: charmap.ISO8859_8},
	{names: []string{"iso-8859-9", "latin-5"}, enc: charmap.ISO8859_9},
	{names: []string{"iso-8859-10", "latin-6"}, enc: charmap.ISO8859_10},
	{names: []string{"iso-8859-13", "latin-7"}, enc: charmap.ISO8859_13},
	{names: []string{"iso-8859-14", "latin-8"}, enc: charmap.ISO8859_14},
	{names: []string{"iso-8859-15", "latin-9"}, enc: charmap.ISO8859_15},
	{names: []string{"iso-8859-16", "latin-10"}, enc: charmap.ISO8859_16},
	{names: []string{"windows-1258", "cp1258"}, enc: charmap.Windows1258},
	{names: []string{"koi8-u"}, enc: charmap.KOI8U},
	{names: []string{"cp437", "ibm437"}, enc: charmap.CodePage437},
	{names: []string{"macintosh", "mac-roman"}, enc: charmap.Macintosh},
	{names: []string{"iso-2022-jp"}, enc: japanese.ISO2022JP},
	{names: []string{"gb18030"}, enc: simplifiedchinese.GB18030},
}

// encodings maps each name of textEncodings, folded (see fold), to its
// encoding.
var encodings = func() map[string]*textEncoding {
	m := map[string]*textEncoding{}
	for _, e := range textEncodings {
		for _, n := range e.names {
			m[fold(n)] = e
		}
	}
	return m
}()

// known lists the encoding names for messages: "auto, utf-8 (ascii,
// us-ascii, utf8), utf-16, ...".
var known = func() string {
	var b strings.Builder
	b.WriteString(Auto)
	for _, e := range textEncodings {
		b.WriteString(", " + e.names[0])
		if len(e.names) > 1 {
			b.WriteString(" (" + strings.Join(e.names[1:], ", ") + ")")
		}
	}
	return b.String()
}()

// EncodingNames returns every encoding name Text knows, aliases included,
// as messages write them ("auto", "utf-8", "latin-1", "cp1252", ...). Text
// matches a name ignoring case, '-', '_' and spaces.
func EncodingNames() []string {
	out := []string{Auto}
	for _, e := range textEncodings {
		out = append(out, e.names...)
	}
	return out
}

// KnownEncoding reports whether Text knows the encoding name; "" (no
// encoding given) is known.
func KnownEncoding(name string) bool {
	_, ok := encodings[fold(name)]
	return ok || name == "" || fold(name) == Auto
}

// fold makes an encoding name comparable: lower case, without '-', '_'
// and spaces.
func fold(name string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case '-', '_', ' ':
			return -1
		}
		return r
	}, strings.ToLower(name))
}

// Text returns r decoded to UTF-8, as a stream that fails rather than
// change a character: a byte that is not valid in the text's encoding
// ends it with an *EncodingError, which gives the line and byte offset of
// the byte. Nothing is ever replaced.
//
// A byte order mark decides the encoding whatever encoding says, and is
// dropped: UTF-8, UTF-16 LE and BE, UTF-32 LE and BE. Text without one is
// decoded from encoding:
//
//   - "" or "utf-8" (or "ascii"): UTF-8, checked as it streams. A text
//     that starts like UTF-16 or UTF-32 without a BOM (ASCII with zero
//     bytes on one side), or holds a byte that is not UTF-8, fails; the
//     error names the encoding the text looks like, if any.
//   - "auto": see Detect. Text that is ASCII as far as it goes is passed
//     through; at its first byte that is not ASCII, the encoding is
//     decided on the bytes from there (at most DetectBytes of them), and
//     the rest of the text must be valid in it. TextReader.Detected says
//     what was decided.
//   - "utf-16" and "utf-32" take the byte order from the first characters
//     (ASCII text has its zero bytes on one side), big-endian when they do
//     not tell; the other names (EncodingNames) are what they say.
//
// Names are matched ignoring case, '-' and '_'; an unknown name is an
// error (ErrUnknownEncoding) that lists the known ones.
//
// Text reads the first bytes of r before it returns (a read error then is
// returned); the rest is decoded as the returned reader is read, holding
// no more than DetectBytes beyond its reader's buffer.
func Text(r io.Reader, name string) (*TextReader, error) {
	if !KnownEncoding(name) {
		return nil, fmt.Errorf("%w %q (known: %s)", ErrUnknownEncoding, name, known)
	}
	// The first bytes, enough to tell UTF-16 or UTF-32 by its zero bytes;
	// then the decoder reads from r itself, so the layer copies no more
	// than the library does.
	head := make([]byte, wideSniffBytes)
	n, err := io.ReadFull(r, head)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, fmt.Errorf("decode: read: %w", err)
	}
	head = head[:n]
	t := &TextReader{}
	rest := func(skip int) io.Reader { return io.MultiReader(bytes.NewReader(head[skip:]), r) }
	for _, b := range boms {
		if bytes.HasPrefix(head, b.mark) {
			t.pos.offset = int64(len(b.mark))
			t.start(encodings[fold(b.name)], rest(len(b.mark)))
			return t, nil
		}
	}
	f := fold(name)
	enc := encodings[f]
	wide := guessWide(head)
	switch {
	case f == Auto && wide != "":
		t.detected = &Detection{Encoding: wide, Confidence: 1, Line: 1, Wide: true}
		enc = encodings[fold(wide)]
	case f == Auto:
		t.auto, t.src = true, rest(0)
		return t, nil
	case (enc == nil || enc.enc == nil) && wide != "":
		t.err = &EncodingError{Encoding: "utf-8", Line: 1, Wide: wide}
		return t, nil
	case enc == nil || enc.enc == nil:
		enc = encodings["utf8"]
	case f == "utf16" && !guessBE(head, 2):
		enc = encodings["utf16le"]
	case f == "utf32" && !guessBE(head, 4):
		enc = encodings["utf32le"]
	}
	t.start(enc, rest(0))
	return t, nil
}

// guessBE reports whether text in units of size bytes that starts with
// head looks big-endian: its first unit has its zero bytes first, as an
// ASCII character has. It reports true when head does not tell.
func guessBE(head []byte, size int) bool {
	if len(head) < size {
		return true
	}
	unit := head[:size]
	return !(unit[0] != 0 && unit[size-1] == 0)
}

// TextReader is text decoded to UTF-8 (see Text). It is not safe for
// concurrent use.
type TextReader struct {
	src io.Reader // the bytes not yet decoded
	dec io.Reader // src decoded; nil while auto has not decided
	enc *textEncoding

	pos position // of src's first byte, while auto has not decided
	err error    // sticky

	// auto is set while the encoding is to be detected; detected is what
	// was decided, once it was.
	auto     bool
	detected *Detection
}

// position is a place in the text: its byte offset in the input, and the
// line it is on (lines counted from 1 by line feeds).
type position struct {
	offset int64
	lines  int64 // line feeds before it
}

// Encoding returns the name of the encoding the text is read in: the one
// its BOM names, the one set, or the one auto decided on; "" while auto
// has read nothing that is not ASCII.
func (t *TextReader) Encoding() string {
	if t.enc == nil {
		return ""
	}
	return t.enc.name()
}

// Detected returns what auto decided for a text that is not ASCII and has
// no BOM, once it did; ok is false for text read in a set encoding or by
// its BOM, for ASCII text, and for UTF-8 text (which auto takes for UTF-8
// and checks to its end).
func (t *TextReader) Detected() (Detection, bool) {
	if t.detected == nil || t.detected.Encoding == "utf-8" {
		return Detection{}, false
	}
	return *t.detected, true
}

// start reads the rest of the text, src, in enc, from t.pos.
func (t *TextReader) start(enc *textEncoding, src io.Reader) {
	t.enc, t.src = enc, src
	if enc.enc == nil {
		t.dec = &utf8Check{r: src, pos: t.pos, auto: t.detected}
		return
	}
	t.dec = newStrictReader(src, enc, t.pos, t.detected)
}

func (t *TextReader) Read(p []byte) (int, error) {
	if t.err != nil {
		return 0, t.err
	}
	if t.dec != nil {
		n, err := t.dec.Read(p)
		if err != nil && !errors.Is(err, io.EOF) {
			t.err = err
		}
		return n, err
	}
	// auto, ASCII so far: pass ASCII through, and decide at the first byte
	// that is not.
	n, err := t.src.Read(p)
	if i := firstNonASCII(p[:n]); i >= 0 {
		held := bytes.Clone(p[i:n])
		n = i
		t.advance(p[:n])
		if derr := t.decide(held, err); derr != nil {
			t.err = derr
			if n == 0 {
				return 0, derr
			}
		}
		return n, nil
	}
	t.advance(p[:n])
	if err != nil && !errors.Is(err, io.EOF) {
		t.err = err
	}
	return n, err
}

// advance moves t.pos over the text b.
func (t *TextReader) advance(b []byte) {
	t.pos.offset += int64(len(b))
	t.pos.lines += int64(bytes.Count(b, []byte{'\n'}))
}

// decide decides the encoding of the rest of the text, which starts with
// held (its first byte not ASCII): on held and what follows, up to
// DetectBytes; readErr is the error of the read that brought held.
func (t *TextReader) decide(held []byte, readErr error) error {
	window := held
	eof := readErr != nil
	if !eof && len(window) < DetectBytes {
		more := make([]byte, DetectBytes-len(window))
		n, err := io.ReadFull(t.src, more)
		window = append(window, more[:n]...)
		switch {
		case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
			eof = true
		case err != nil:
			return err
		}
	}
	var rest io.Reader = bytes.NewReader(window)
	if !eof {
		rest = io.MultiReader(rest, t.src)
	} else if readErr != nil && !errors.Is(readErr, io.EOF) {
		rest = io.MultiReader(rest, errReader{readErr})
	}
	d := Detect(window, eof)
	d.Line = t.pos.lines + 1
	t.detected = &d
	enc := encodings[fold(d.Encoding)]
	if enc == nil {
		// Nothing auto knows decodes it: the UTF-8 check reports the
		// first bad byte, with what was tried.
		enc = encodings["utf8"]
	}
	t.start(enc, rest)
	return nil
}

// errReader returns err at once.
type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

// firstNonASCII returns the index of the first byte of b that is not
// ASCII, or -1.
func firstNonASCII(b []byte) int {
	for i := 0; i+8 <= len(b); i += 8 {
		if u := uint64(b[i]) | uint64(b[i+1])<<8 | uint64(b[i+2])<<16 | uint64(b[i+3])<<24 |
			uint64(b[i+4])<<32 | uint64(b[i+5])<<40 | uint64(b[i+6])<<48 | uint64(b[i+7])<<56; u&0x8080808080808080 != 0 {
			for k := i; ; k++ {
				if b[k] >= 0x80 {
					return k
				}
			}
		}
	}
	for k := len(b) &^ 7; k < len(b); k++ {
		if b[k] >= 0x80 {
			return k
		}
	}
	return -1
}

// wideSniffBytes is how much of a text's start guessWide looks at.
const wideSniffBytes = 4 << 10

// guessWide returns the encoding of text starting with b when it is
// UTF-16 or UTF-32 without a BOM, as text that is mostly ASCII looks in
// them: a zero byte beside (or around) every character's byte. It returns
// "" when b does not look so (or is too short to tell: under 8 bytes).
func guessWide(b []byte) string {
	b = b[:min(len(b), wideSniffBytes)]
	b = b[:len(b)&^3]
	if len(b) < 8 || bytes.Count(b, []byte{0}) < len(b)/4 {
		return ""
	}
	var zeros [4]int
	for i, c := range b {
		if c == 0 {
			zeros[i%4]++
		}
	}
	q := len(b) / 4 // bytes at each position mod 4
	most := func(k int) bool { return zeros[k]*20 >= q*19 }
	few := func(k int) bool { return zeros[k]*2 < q }
	even, odd := zeros[0]+zeros[2], zeros[1]+zeros[3]
	switch {
	case most(2) && most(3) && few(0):
		return "utf-32le"
	case most(0) && most(1) && few(3):
		return "utf-32be"
	case odd*2 >= 2*q && even*10 < 2*q:
		return "utf-16le"
	case even*2 >= 2*q && odd*10 < 2*q:
		return "utf-16be"
	}
	return ""
}
