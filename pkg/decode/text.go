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

// encodings maps each name Text knows, folded (see fold), to its encoding;
// nil is UTF-8, and utf16 and utf32 without a BOM are settled by guessBE.
var encodings = map[string]encoding.Encoding{
	"utf8":        nil,
	"ascii":       nil,
	"usascii":     nil,
	"utf16":       unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM),
	"utf16le":     unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM),
	"utf16be":     unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM),
	"utf32":       utf32.UTF32(utf32.BigEndian, utf32.IgnoreBOM),
	"utf32le":     utf32.UTF32(utf32.LittleEndian, utf32.IgnoreBOM),
	"utf32be":     utf32.UTF32(utf32.BigEndian, utf32.IgnoreBOM),
	"latin1":      charmap.ISO8859_1,
	"iso88591":    charmap.ISO8859_1,
	"l1":          charmap.ISO8859_1,
	"windows1252": charmap.Windows1252,
	"cp1252":      charmap.Windows1252,
}

// known lists the encoding names for messages.
const known = "utf-8, utf-16, utf-16le, utf-16be, utf-32, utf-32le, utf-32be, latin-1 (iso-8859-1), windows-1252 (cp1252)"

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
	enc, ok := encodings[fold(encoding)]
	if !ok && encoding != "" {
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
