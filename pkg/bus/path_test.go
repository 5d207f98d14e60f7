package bus_test

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/filedge/filedge/pkg/bus"
)

func TestEscapePathKeepsUTF8AndEscapesTheRest(t *testing.T) {
	for in, want := range map[string]string{
		"a.csv":                   "a.csv",
		"dir/é\n\t数据.csv":         "dir/é\n\t数据.csv",
		`back\slash.csv`:          `back\slash.csv`,
		"latin1-\xe9t\xe9.csv":    `latin1-\xe9t\xe9.csv`,
		"dir\xff/sub\\x\xfe.csv":  `dir\xff/sub\\x\xfe.csv`,
		"\xc3":                    `\xc3`,
		"ok-é-then-\x80-after.gz": `ok-é-then-\x80-after.gz`,
	} {
		got := bus.EscapePath(in)
		if got != want || !utf8.ValidString(got) {
			t.Errorf("EscapePath(%q) = %q, want %q", in, got, want)
		}
	}
	// Two names that differ only by a backslash and an escape stay apart.
	if a, b := bus.EscapePath("x\\xff\xfe"), bus.EscapePath("x\xff\xfe"); a == b {
		t.Errorf("EscapePath maps two names to %q", a)
	}
}

func TestFileDiscoveredCarriesAnyPathExactlyThroughJSON(t *testing.T) {
	for _, p := range keys[1:] {
		var f bus.FileDiscovered
		f.SetPath(p)
		b, err := json.Marshal(&f)
		if err != nil {
			t.Fatal(err)
		}
		var back bus.FileDiscovered
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if got := back.SourcePath(); got != p {
			t.Errorf("path %q came back from %s as %q", p, b, got)
		}
		if back.Path != bus.EscapePath(p) || !utf8.ValidString(back.Path) {
			t.Errorf("path %q: Path = %q, want %q", p, back.Path, bus.EscapePath(p))
		}
		if issue := back.PathIssue(); (issue != "") != !utf8.ValidString(p) || issue != "" && !strings.Contains(issue, back.Path) {
			t.Errorf("path %q: issue %q", p, issue)
		}
	}
}
