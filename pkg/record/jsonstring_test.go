package record

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestAppendJSONString(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", `""`},
		{"plain", `"plain"`},
		{"q\"b\\s", `"q\"b\\s"`},
		{"a\nb\tc\rd\x01\x1f", `"a\nb\tc\rd\u0001\u001f"`},
		{"nul\x00kept", `"nul\u0000kept"`},
		{"bad\xffbyte\xe2\x82", "\"bad\xffbyte\xe2\x82\""}, // left to CleanJSON
		{"sep\u2028x\u2029", `"sep\u2028x\u2029"`},
		{"日本 😀 <&>", `"日本 😀 <&>"`},
	}
	for _, tt := range tests {
		if got := string(AppendJSONString([]byte("x"), tt.in)); got != "x"+tt.want {
			t.Errorf("AppendJSONString(%q) = %s, want %s", tt.in, got[1:], tt.want)
		}
		if got := string(AppendJSONString(nil, []byte(tt.in))); got != tt.want {
			t.Errorf("AppendJSONString([]byte(%q)) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestAppendJSONStringOfBytesAllocatesNothingMore(t *testing.T) {
	in := []byte(strings.Repeat("Zoë ☃ 😀 \"x\"\n", 100))
	dst := make([]byte, 0, 4096)
	if n := testing.AllocsPerRun(100, func() { AppendJSONString(dst[:0], in) }); n != 0 {
		t.Errorf("%v allocations, want 0", n)
	}
}

// FuzzAppendJSONString checks that the output, cleaned by CleanJSON as
// the parser cleans every value, is one JSON string which encoding/json
// decodes to CleanText of the input: the same text filedge stores in a
// string column (each bad byte and each NUL replaced by U+FFFD, so that a
// NUL never joins two bytes into a character); and that the output of
// valid UTF-8 needs no cleaning but of its NULs.
func FuzzAppendJSONString(f *testing.F) {
	for _, s := range []string{"", "a\x00b", "\xff", "\u2028", "\"\\\n", "日本😀", "\xd8\x00\x80", `\u0000`, "\\\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := AppendJSONString(nil, s)
		clean, fix := CleanValue(string(out), true)
		var got string
		if err := json.Unmarshal([]byte(clean), &got); err != nil {
			t.Fatalf("%q gave %s, cleaned %s: %v", s, out, clean, err)
		}
		if want := CleanText(s); got != want {
			t.Fatalf("%q gave %s, cleaned %s, which decodes to %q, want %q", s, out, clean, got, want)
		}
		if _, want := CleanValue(s, false); fix != want {
			t.Fatalf("%q gave %s, whose cleaning fixed %b, want %b as for the text", s, out, fix, want)
		}
	})
}
