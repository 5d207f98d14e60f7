package bus

import (
	"encoding/json"
	"strings"
	"unicode/utf8"
)

// A path on the bus is a JSON string, and JSON strings hold only UTF-8:
// encoding/json would turn the bytes of a file name that are not UTF-8 into
// U+FFFD, and the parser would then open another file. So FileDiscovered
// carries such a path twice: escaped in Path (EscapePath), which every
// message and every destination's _file column shows, and exactly in
// RawPath, from which the parser opens the file.

// EscapePath returns path itself when it is valid UTF-8. Otherwise it
// returns path with each backslash doubled and each byte that is not part
// of a valid UTF-8 sequence written \xNN (two lower-case hex digits), as in
// a Go string literal: the result is valid UTF-8, keeps every valid
// character (the extension included) and tells apart any two such paths.
func EscapePath(path string) string {
	if utf8.ValidString(path) {
		return path
	}
	const hex = "0123456789abcdef"
	var b strings.Builder
	b.Grow(len(path) + 8)
	for i := 0; i < len(path); {
		r, n := utf8.DecodeRuneInString(path[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			b.WriteString(`\x`)
			b.WriteByte(hex[path[i]>>4])
			b.WriteByte(hex[path[i]&0xf])
		case r == '\\':
			b.WriteString(`\\`)
		default:
			b.WriteString(path[i : i+n])
		}
		i += n
	}
	return b.String()
}

// Base64 is a string of any bytes, which JSON carries base64-encoded
// (a JSON string holds only UTF-8).
type Base64 string

// MarshalJSON encodes b as a base64 JSON string.
func (b Base64) MarshalJSON() ([]byte, error) { return json.Marshal([]byte(b)) }

// UnmarshalJSON decodes a base64 JSON string.
func (b *Base64) UnmarshalJSON(data []byte) error {
	var v []byte
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	*b = Base64(v)
	return nil
}

// SetPath sets f.Path and f.RawPath from the exact path of the file in its
// source: Path is EscapePath(path), and RawPath is path when it is not
// valid UTF-8 ("" otherwise).
func (f *FileDiscovered) SetPath(path string) {
	f.Path, f.RawPath = EscapePath(path), ""
	if !utf8.ValidString(path) {
		f.RawPath = Base64(path)
	}
}

// SourcePath returns the exact path of the file in its source, to stat and
// open it with: RawPath when it is set, Path otherwise.
func (f *FileDiscovered) SourcePath() string {
	if f.RawPath != "" {
		return string(f.RawPath)
	}
	return f.Path
}

// PathIssue returns the issue to report about a path that is not valid
// UTF-8 (which Path shows escaped), or "" when there is none.
func (f *FileDiscovered) PathIssue() string {
	if f.RawPath == "" {
		return ""
	}
	return "file name is not valid UTF-8: _file holds it escaped as " + f.Path
}
