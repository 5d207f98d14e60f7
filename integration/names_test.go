package integration

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// summaryLines returns the lines of run --once's summary table (its
// standard output), header and totals left out.
func summaryLines(t *testing.T, out string) []string {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) < 2 || !strings.HasPrefix(lines[0], "FILE ") || !regexp.MustCompile(`^\d+ files, \d+ destinations: `).MatchString(lines[len(lines)-1]) {
		t.Fatalf("no summary in the output:\n%s", out)
	}
	return lines[1 : len(lines)-1]
}

// Any name Linux allows loads: control characters, a leading space, bytes
// that are not UTF-8, in files and folders. The summary shows each name on
// its own line, quoted when it must be; _file holds the exact name, or,
// when it is not UTF-8, the escaped form the summary reports as an issue.
func TestRunOnceLoadsFilesWhateverTheirNames(t *testing.T) {
	o := newOncePipeline(t, "upsert_file", "")
	names := map[string]string{ // name → _file
		"plain.csv":               "plain.csv",
		"line\nbreak.csv":         "line\nbreak.csv",
		"tab\there.csv":           "tab\there.csv",
		"carriage\rreturn.csv":    "carriage\rreturn.csv",
		" leading space.csv":      " leading space.csv",
		"ünïcode 数据.csv":          "ünïcode 数据.csv",
		"latin1-caf\xe9.csv":      `latin1-caf\xe9.csv`,
		"dir\xff\x01/sub\n/x.csv": `dir\xff` + "\x01/sub\n/x.csv",
	}
	for name := range names {
		o.write(t, name, threeRows)
	}
	out, code := runOnceSummary(t, o.config, nil)
	t.Logf("summary:\n%s", out)
	if code != 0 {
		t.Fatalf("run --once exited %d", code)
	}

	lines := summaryLines(t, out)
	if len(lines) != 2*len(names) {
		t.Errorf("summary has %d lines, want one per file and destination (%d):\n%s", len(lines), 2*len(names), out)
	}
	if want := "8 files, 2 destinations: 16 committed; 48 rows committed"; !strings.Contains(out, want) {
		t.Errorf("summary lacks %q", want)
	}
	for name, file := range names {
		shown := name
		if strings.ContainsAny(name, "\n\r\t\x01") || !utf8.ValidString(name) || name[0] == ' ' {
			shown = strconv.Quote(name)
		}
		n := 0
		for _, l := range lines {
			if strings.HasPrefix(l, shown+" ") && strings.Contains(l, "committed") {
				n++
			}
		}
		if n != 2 {
			t.Errorf("%q: %d summary lines start with %s and say committed, want 2", name, n, shown)
		}
		issue := "file name is not valid UTF-8: _file holds it escaped as " + file
		if file != name && !strings.Contains(out, issue) && !strings.Contains(out, strconv.Quote(issue)) {
			t.Errorf("%q: the summary does not report that _file holds it as %q", name, file)
		}
		if pg, lite := o.counts(t, file); pg != 3 || lite != 3 {
			t.Errorf("%q: %d rows in PostgreSQL and %d in SQLite with _file %q, want 3", name, pg, lite, file)
		}
	}
}
