package bus_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/filedge/filedge/pkg/bus"
)

// keys are file names a Linux folder may hold: every byte but NUL and '/'
// is legal in a name.
var keys = []string{
	"", "a.csv", "dir/sub/é été 数据.csv", "line\nbreak.csv", "carriage\rreturn.csv", "tab\there.csv",
	"bell\a.csv", "\x1b[31mred.csv", "del\x7f.csv", "latin1-\xe9t\xe9.csv", "\xff\xfe", " leading space.csv",
	"trailing space.csv ", `"quoted".csv`, `back\slash.csv`, "100%.csv", "nbsp\u00a0.csv", "rtl\u202emoc.csv",
	"\t", " ", `"`, `"\x41"`,
}

func TestQuoteKeyRoundTripsAnyBytesAsOneHeaderLine(t *testing.T) {
	for _, k := range keys {
		q := bus.QuoteKey(k)
		if strings.ContainsAny(q, "\r\n") || strings.TrimSpace(q) != q || !utf8.ValidString(q) {
			t.Errorf("QuoteKey(%q) = %q, which a header line cannot carry unchanged", k, q)
		}
		if got := bus.UnquoteKey(q); got != k {
			t.Errorf("UnquoteKey(QuoteKey(%q)) = %q", k, got)
		}
	}
	for _, plain := range []string{"a.csv", "dir/é 数据.csv", "v1/dest_1", "100%.csv"} {
		if q := bus.QuoteKey(plain); q != plain {
			t.Errorf("QuoteKey(%q) = %q, want the key unchanged", plain, q)
		}
	}
}

func FuzzQuoteKey(f *testing.F) {
	for _, k := range keys {
		f.Add(k)
	}
	f.Fuzz(func(t *testing.T, k string) {
		q := bus.QuoteKey(k)
		if strings.ContainsAny(q, "\r\n") || strings.TrimSpace(q) != q {
			t.Fatalf("QuoteKey(%q) = %q", k, q)
		}
		if got := bus.UnquoteKey(q); got != k {
			t.Fatalf("UnquoteKey(QuoteKey(%q)) = %q", k, got)
		}
	})
}
