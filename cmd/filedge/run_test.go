package main

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/filedge/filedge/pkg/bus"
	"github.com/filedge/filedge/pkg/config"
	"github.com/filedge/filedge/pkg/source"
	"github.com/filedge/filedge/services/watcher"
)

// Every file is one line per destination, whatever its name holds; files
// the watcher skipped or could not publish are a line each, with why.
func TestSummaryKeepsOneLinePerFileAndEscapesNamesAndDetails(t *testing.T) {
	var files []bus.FileDiscovered
	for i, p := range []string{"plain.csv", "line\nbreak.csv", "tab\there.csv", "cr\rhere.csv", " lead.csv", "latin1-\xe9.csv", "数据.csv"} {
		var f bus.FileDiscovered
		f.SetPath(p)
		f.Version = string(rune('a' + i))
		files = append(files, f)
	}
	rep := &watcher.Report{
		Files:   files,
		Skipped: []source.Skipped{{Path: "fifo\n.csv", Reason: "named pipe"}, {Path: "locked.csv", Reason: "permission denied"}},
		Failed:  []watcher.Failure{{Path: "gone\t.csv", Err: errors.New("stat gone\t.csv: input/output error")}},
	}
	tl := newTally("p", rep, []config.Destination{{Name: "pg"}, {Name: "lite"}})
	for _, f := range files {
		for _, d := range tl.dests {
			c := &bus.FileCommitted{Version: f.Version, Destination: d, Path: f.Path, Status: bus.StatusCommitted, Rows: 2, Tables: []string{"t"}}
			if f.Path == "tab\there.csv" && d == "pg" {
				c.Status, c.Rows, c.Tables, c.Error = bus.StatusFailed, 0, nil, &bus.Problem{Message: "bad value \"x\ty\"", Line: 3}
			}
			tl.record(c)
		}
	}
	var out bytes.Buffer
	tl.print(&out)
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if want := 1 + len(files)*2 + 3 + 1; len(lines) != want {
		t.Fatalf("summary has %d lines, want %d (header, 2 per file, 3 left out, totals):\n%s", len(lines), want, out.String())
	}
	for _, want := range []string{
		`"line\nbreak.csv"  pg`, `"tab\there.csv"`, `"cr\rhere.csv"`, `" lead.csv"`, `"latin1-\xe9.csv"`, "数据.csv  ", "plain.csv  ",
		`"line 3: bad value \"x\ty\""`, "file name is not valid UTF-8: _file holds it escaped as latin1-\\xe9.csv",
		`"fifo\n.csv"`, "skipped", "named pipe", "permission denied", `"gone\t.csv"`, `"stat gone\t.csv: input/output error"`,
		"10 files, 2 destinations: 13 committed, 2 failed, 2 skipped; 26 rows committed",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, out.String())
		}
	}
	if !tl.anyFailed() {
		t.Error("a file the watcher could not publish does not fail the run")
	}
}

func TestSkippedFilesDoNotFailTheRun(t *testing.T) {
	tl := newTally("p", &watcher.Report{Skipped: []source.Skipped{{Path: "pipe", Reason: "named pipe"}}}, []config.Destination{{Name: "d"}})
	if tl.anyFailed() || !tl.done() {
		t.Fatal("a skipped file fails the run or leaves it waiting")
	}
}
