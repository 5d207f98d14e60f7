package record

import (
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// MaxNameBytes is the longest identifier Names, SafeName and TableName
// return: PostgreSQL's limit, which the other destinations accept too.
const MaxNameBytes = 63

// foldTable spells the letters that Unicode decomposition leaves alone.
var foldTable = map[rune]string{
	'ß': "ss", 'ẞ': "ss",
	'æ': "ae", 'Æ': "ae",
	'œ': "oe", 'Œ': "oe",
	'ø': "o", 'Ø': "o",
	'ł': "l", 'Ł': "l",
	'đ': "d", 'Đ': "d",
	'ð': "d", 'Ð': "d",
	'þ': "th", 'Þ': "th",
	'ħ': "h", 'Ħ': "h",
	'ı': "i",
	'ŋ': "ng", 'Ŋ': "ng",
}

// fold returns raw ASCII-folded (compatibility decomposition, combining
// marks dropped, foldTable applied), lower case, with every run of other
// characters turned into one '_', trimmed of '_' and cut to MaxNameBytes.
// It may return "".
func fold(raw string) string {
	var b strings.Builder
	b.Grow(len(raw))
	sep := false // a separator is pending
	put := func(s string) {
		if sep && b.Len() > 0 {
			b.WriteByte('_')
		}
		sep = false
		b.WriteString(s)
	}
	for _, r := range norm.NFKD.String(raw) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			put(string(r))
		case r >= 'A' && r <= 'Z':
			put(string(r + ('a' - 'A')))
		case unicode.Is(unicode.Mn, r):
			// a combining mark: dropped, so "é" is "e"
		default:
			if s, ok := foldTable[r]; ok {
				put(s)
			} else {
				sep = true
			}
		}
		if b.Len() >= MaxNameBytes {
			break
		}
	}
	return cut(b.String(), MaxNameBytes)
}

// cut shortens an ASCII name to at most n bytes, without a trailing '_'.
func cut(s string, n int) string {
	if len(s) > n {
		s = s[:n]
	}
	return strings.TrimRight(s, "_")
}

// safe turns a folded name into an identifier: prefix when it starts with
// a digit, def when it is empty.
func safe(folded, prefix, def string) string {
	switch {
	case folded == "":
		return def
	case folded[0] >= '0' && folded[0] <= '9':
		return cut(prefix+folded, MaxNameBytes)
	}
	return folded
}

// SafeName returns the identifier a column named raw gets: ASCII-folded
// ("Prénom" is "prenom", "Straße" is "strasse", "Ærø" is "aero"), lower
// case, every run of other characters turned into one '_', trimmed of '_',
// prefixed with "c_" when it starts with a digit, "column" when nothing is
// left, and cut to MaxNameBytes. The result matches ^[a-z][a-z0-9_]*$, so
// it never needs quoting and never names a system column; destinations
// quote it anyway. SafeName does not make names unique: see Names.
func SafeName(raw string) string {
	return safe(fold(raw), "c_", "column")
}

// TableName returns the identifier a table named after raw (a file name
// without its extension, or "<file>_<sheet>") gets: the rules of SafeName,
// with prefix "t_" for a name that starts with a digit or with "sqlite_"
// (which SQLite reserves), and "table" when nothing is left.
func TableName(raw string) string {
	name := safe(fold(raw), "t_", "table")
	if strings.HasPrefix(name, "sqlite_") {
		name = cut("t_"+name, MaxNameBytes)
	}
	return name
}

// Names returns the identifiers of a table's columns, whose names in the
// file are raw, in order: SafeName of each, except that a name with nothing
// left to fold (blank, or only punctuation or non-Latin letters) becomes
// column_<i> (i its 0-based position), and a name already taken by an
// earlier column or by a system column gets the first free suffix of _2,
// _3, ... (cut so that the result stays within MaxNameBytes). Headers that
// differ only by case or accents therefore get suffixes.
//
// Names is deterministic, and each name depends only on the raw names before
// it, so Names(append(a, b...))[:len(a)] equals Names(a): columns found
// later (JSON keys) leave earlier names as they were. DataColumn is the one
// name kept as it is.
func Names(raw []string) []string {
	out := make([]string, len(raw))
	taken := make(map[string]bool, len(raw))
	for i, r := range raw {
		base := safe(fold(r), "c_", "")
		if r == DataColumn {
			base = DataColumn
		}
		if base == "" {
			base = "column_" + strconv.Itoa(i)
		}
		name := base
		for k := 2; taken[name] || IsSystem(name); k++ {
			suffix := "_" + strconv.Itoa(k)
			name = cut(base, MaxNameBytes-len(suffix)) + suffix
		}
		taken[name] = true
		out[i] = name
	}
	return out
}
