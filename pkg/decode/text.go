package decode

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/encoding/unicode/utf32"
	"golang.org/x/text/transform"
)

// Byte order marks, longest first where one is a prefix of another.
var boms = []struct {
	mark []byte
	enc  encoding.Encoding // nil: UTF-8
}{
	{[]byte{0xFF, 0xFE, 0x00, 0x00}, utf32.UTF32(utf32.LittleEndian, utf32.IgnoreBOM)},
	{[]byte{0x00, 0x00, 0xFE, 0xFF}, utf32.UTF32(utf32.BigEndian, utf32.IgnoreBOM)},
	{[]byte{0xEF, 0xBB, 0xBF}, nil},
	{[]byte{0xFF, 0xFE}, unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM)},
	{[]byte{0xFE, 0xFF}, unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM)},
}

// textEncodings lists the encodings Text knows, each under its names: the
// first is the one messages use, the others are aliases. nil is UTF-8, and
// utf-16 and utf-32 without a BOM are settled by guessBE.
var textEncodings = []struct {
	names []string
	enc   encoding.Encoding
}{
	{[]string{"utf-8", "ascii", "us-ascii"}, nil},
	{[]string{"utf-16"}, unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM)},
	{[]string{"utf-16le"}, unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM)},
	{[]string{"utf-16be"}, unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM)},
	{[]string{"utf-32"}, utf32.UTF32(utf32.BigEndian, utf32.IgnoreBOM)},
	{[]string{"utf-32le"}, utf32.UTF32(utf32.LittleEndian, utf32.IgnoreBOM)},
	{[]string{"utf-32be"}, utf32.UTF32(utf32.BigEndian, utf32.IgnoreBOM)},
	{[]string{"latin-1", "iso-8859-1", "l1"}, charmap.ISO8859_1},
	{[]string{"windows-1252", "cp1252"}, charmap.Windows1252},
}

// encodings maps each name of textEncodings, folded (see fold), to its
// encoding.
var encodings = func() map[string]encoding.Encoding {
	m := map[string]encoding.Encoding{}
	for _, e := range textEncodings {
		for _, n := range e.names {
			m[fold(n)] = e.enc
		}
	}
	return m
}()

// known lists the encoding names for messages: "utf-8 (ascii, us-ascii),
// utf-16, ...".
var known = func() string {
	var b strings.Builder
	for i, e := range textEncodings {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(e.names[0])
		if len(e.names) > 1 {
			b.WriteString(" (" + strings.Join(e.names[1:], ", ") + ")")
		}
	}
	return b.String()
}()

// EncodingNames returns every encoding name Text knows, aliases included,
// as messages write them ("utf-8", "latin-1", "cp1252", ...). Text matches
// a name ignoring case, '-', '_' and spaces.
func EncodingNames() []string {
	var out []string
	for _, e := range textEncodings {
		out = append(out, e.names...)
	}
	return out
}

// KnownEncoding reports whether Text knows the encoding name; "" (no
// encoding given) is known.
func KnownEncoding(name string) bool {
	_, ok := encodings[fold(name)]
	return ok || name == ""
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

// Text returns r decoded to UTF-8, as a stream.
//
// A byte order mark decides the encoding whatever encoding says, and is
// dropped: UTF-8, UTF-16 LE and BE, UTF-32 LE and BE. Text without one is
// decoded from encoding: "" or "utf-8" (and "ascii") pass it through as it
// is; "utf-16" and "utf-32" take the byte order from the first characters
// (ASCII text has its zero bytes on one side), big-endian when they do not
// tell; "utf-16le", "utf-16be", "utf-32le", "utf-32be", "latin-1" (or
// "iso-8859-1") and "windows-1252" (or "cp1252") are what they say. Names
// are matched ignoring case, '-' and '_'; an unknown name is an error
// (ErrUnknownEncoding) that lists the known ones. Bytes that are not valid
// in the encoding become U+FFFD; UTF-8 passed through is not checked.
//
// Text reads the first bytes of r before it returns (a read error then is
// returned); the rest is decoded as the returned reader is read.
func Text(r io.Reader, encoding string) (io.Reader, error) {
	enc := encodings[fold(encoding)]
	if !KnownEncoding(encoding) {
		return nil, fmt.Errorf("%w %q (known: %s)", ErrUnknownEncoding, encoding, known)
	}
	// The first bytes, read without a buffer of our own: the decoder reads
	// from r itself after them, so the layer copies no more than the
	// library does.
	head := make([]byte, 4)
	n, err := io.ReadFull(r, head)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, fmt.Errorf("decode: read: %w", err)
	}
	head = head[:n]
	rest := func(skip int) io.Reader { return io.MultiReader(bytes.NewReader(head[skip:]), r) }
	for _, b := range boms {
		if bytes.HasPrefix(head, b.mark) {
			if b.enc == nil {
				return rest(len(b.mark)), nil
			}
			return transform.NewReader(rest(len(b.mark)), b.enc.NewDecoder()), nil
		}
	}
	switch f := fold(encoding); {
	case enc == nil:
		return rest(0), nil
	case f == "utf16" && !guessBE(head, 2):
		enc = encodings["utf16le"]
	case f == "utf32" && !guessBE(head, 4):
		enc = encodings["utf32le"]
	}
	return transform.NewReader(rest(0), enc.NewDecoder()), nil
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
