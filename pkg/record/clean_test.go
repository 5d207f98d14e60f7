package record

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestIsCleanFindsABadByteAnywhere puts a NUL, an invalid byte or a valid
// multi-byte character at every position of ASCII strings of every length
// up to 20, so that each of isClean's paths (short strings read in two
// halves, whole words, the last word read overlapping) meets each.
func TestIsCleanFindsABadByteAnywhere(t *testing.T) {
	for n := 1; n <= 20; n++ {
		for pos := range n {
			for _, c := range []struct {
				insert string
				clean  bool
			}{{"\x00", false}, {"\xff", false}, {"é", true}, {"\xc3", false}} {
				s := strings.Repeat("a", pos) + c.insert + strings.Repeat("b", n-pos-1)
				if got := isClean(s); got != c.clean {
					t.Errorf("isClean(%q) = %v, want %v", s, got, c.clean)
				}
			}
		}
	}
}

// The one rule (see CleanValue): a NUL and each byte that is not UTF-8
// become U+FFFD, in JSON so do \u0000 and escapes of unpaired surrogates,
// and CleanValue says which of the two it met.
func TestCleanValueReplacesNULAndBadTextAndSaysSo(t *testing.T) {
	tests := []struct {
		in   string
		json bool
		want string
		fix  TextFix
	}{
		{"plain", false, "plain", 0},
		{"a\x00b", false, "a\uFFFDb", FixedNUL},
		{"\x00\x00", false, "\uFFFD\uFFFD", FixedNUL},
		{"caf\xe9", false, "caf\uFFFD", FixedInvalid},
		{"\x00\xff", false, "\uFFFD\uFFFD", FixedNUL | FixedInvalid},
		{`\u0000 is text outside JSON`, false, `\u0000 is text outside JSON`, 0},
		{`{"a\u0000b":1}`, true, `{"a\ufffdb":1}`, FixedNUL},
		{`["\u0000","\u0000"]`, true, `["\ufffd","\ufffd"]`, FixedNUL},
		{`"\\u0000"`, true, `"\\u0000"`, 0}, // an escaped backslash, then text
		{`"\\\u0000"`, true, `"\\\ufffd"`, FixedNUL},
		{`"\ud800"`, true, `"\ufffd"`, FixedInvalid},
		{`"\udc00x"`, true, `"\ufffdx"`, FixedInvalid},
		{`"\ud800\ud800\udc00"`, true, `"\ufffd\ud800\udc00"`, FixedInvalid},
		{`"\ud83d\ude00 \u00e9 \uFFFD"`, true, `"\ud83d\ude00 \u00e9 \uFFFD"`, 0},
		{"{\"k\":\"\x00\"}", true, "{\"k\":\"\uFFFD\"}", FixedNUL},
		{"[\"\xff\",\"\\u0000\"]", true, "[\"\uFFFD\",\"\\ufffd\"]", FixedNUL | FixedInvalid},
		{`"\u00"`, true, `"\u00"`, 0}, // not an escape: not JSON, left alone
	}
	for _, tt := range tests {
		got, fix := CleanValue(tt.in, tt.json)
		if got != tt.want || fix != tt.fix {
			t.Errorf("CleanValue(%q, %v) = %q, %b; want %q, %b", tt.in, tt.json, got, fix, tt.want, tt.fix)
		}
	}
	s := `{"clean": "\u00e9\n"}`
	if allocs := testing.AllocsPerRun(100, func() { CleanValue(s, true) }); allocs != 0 {
		t.Errorf("CleanValue allocated %v times on clean JSON", allocs)
	}
}

// FuzzCleanValue proves that a cleaned value holds neither a NUL nor a
// byte that is not UTF-8 nor, as JSON, a \u0000 escape or an unpaired
// surrogate (so that PostgreSQL takes it), that valid JSON stays valid
// JSON of the same shape, that cleaning twice changes nothing more, and
// that a value said to be clean is the same.
func FuzzCleanValue(f *testing.F) {
	for _, s := range []string{"", "a\x00b", "\xff", `{"a\u0000":"\ud800"}`, `"\\u0000"`, `["\ud83d\ude00"]`, "\"\x00\""} {
		f.Add(s, true)
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, s string, isJSON bool) {
		clean, fix := CleanValue(s, isJSON)
		if !utf8.ValidString(clean) || strings.IndexByte(clean, 0) >= 0 {
			t.Fatalf("CleanValue(%q) = %q holds a NUL or bad UTF-8", s, clean)
		}
		if (fix == 0) != (clean == s) {
			t.Fatalf("CleanValue(%q) = %q, %b: the fixes do not say whether it changed", s, clean, fix)
		}
		again, fix2 := CleanValue(clean, isJSON)
		if again != clean || fix2 != 0 {
			t.Fatalf("CleanValue(%q) = %q, and again %q, %b", s, clean, again, fix2)
		}
		if !isJSON {
			return
		}
		eachEscape(clean, func(at int, _ TextFix) { t.Fatalf("CleanValue(%q) = %q keeps a bad escape at %d", s, clean, at) })
		if json.Valid([]byte(s)) && strings.IndexByte(s, 0) < 0 && !json.Valid([]byte(clean)) {
			t.Fatalf("CleanValue(%q) = %q is no longer valid JSON", s, clean)
		}
	})
}
