package record

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func FuzzInfer(f *testing.F) {
	for _, s := range []string{
		"", "0", "-0", "00", "42", "-9223372036854775808", "9223372036854775808", "1.5", ".5", "1.",
		"1e3", "1e400", "NaN", "true", "FALSE", "2024-02-29", "2024-02-30", "2024-01-01T10:20:30.123456789+05:30",
		"2024-01-01 10:20Z", `{"a":1}`, "a\x00b", "\xff",
	} {
		for k := range Empty + 1 {
			f.Add(s, uint8(k))
		}
	}
	f.Fuzz(func(t *testing.T, s string, kind uint8) {
		c := Cell{Text: s, Kind: Kind(kind % uint8(Empty+1))}
		checkAgreement(t, c)
		clean := CleanText(s)
		if !utf8.ValidString(clean) || strings.IndexByte(clean, 0) >= 0 {
			t.Fatalf("CleanText(%q) = %q is not clean", s, clean)
		}
		if isClean(s) && clean != s {
			t.Fatalf("CleanText changed clean text %q", s)
		}
	})
}

func FuzzNames(f *testing.F) {
	f.Add("Prénom", "prenom", "")
	f.Add("_line", "line", "LINE")
	f.Add("a", "a_2", "a")
	f.Add(strings.Repeat("x", 80), strings.Repeat("x", 81), "9")
	f.Add(`a"; DROP TABLE x; --`, "名前", "\xff")
	f.Fuzz(func(t *testing.T, a, b, c string) {
		raw := []string{a, b, c, a, b, c}
		checkNames(t, raw, Names(raw))
		for _, s := range []string{SafeName(a), TableName(a)} {
			if !identifier.MatchString(s) || len(s) > MaxNameBytes {
				t.Fatalf("%q gave the unsafe name %q", a, s)
			}
		}
	})
}
