package files

import (
	"strings"
	"testing"
)

func TestEscapedNamesDifferEvenOnCaseInsensitiveFileSystemsAndHideNothing(t *testing.T) {
	names := []string{
		"orders", "Orders", "ORDERS", "in/a.csv", "in%2Fa.csv", "in\\a.csv", "é", "e\u0301", "É",
		".hidden", "_filedge", "_x", "..", ".", "a b", "a~b", "a@b", "a/b@c", "naïve ✓", "x\ny", "x\x00y",
		strings.Repeat("long/", 60) + "a", strings.Repeat("long/", 60) + "b",
	}
	seen := map[string]string{}
	for _, n := range names {
		e := nameOf(n)
		folded := strings.ToLower(e)
		if other, dup := seen[folded]; dup {
			t.Errorf("%q and %q both make %q (case-folded)", n, other, folded)
		}
		seen[folded] = n
		if len(e) > maxEscaped {
			t.Errorf("%q makes a name of %d bytes, over %d", n, len(e), maxEscaped)
		}
		if e == "" || e[0] == '.' || e[0] == '_' {
			t.Errorf("%q makes %q, which starts hidden or is empty", n, e)
		}
		if strings.ContainsAny(e, "/\\@\x00\n ") {
			t.Errorf("%q makes %q, which holds a separator", n, e)
		}
		if strings.ContainsRune(e, '~') != (len(escapeName(n)) > maxEscaped) {
			t.Errorf("%q makes %q: only a name cut short ends with a digest", n, e)
		}
	}
	if got := escapeName("in/Sales 2024.csv"); got != "in%2F%53ales%202024.csv" {
		t.Errorf("escapeName = %q", got)
	}
}
