package main

import (
	"bytes"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"testing"
)

// run runs the filedge command line in-process and returns its output and
// exit code.
func run(t *testing.T, args ...string) (string, int) {
	t.Helper()
	stderr = io.Discard
	root := newRoot()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	err := root.ExecuteContext(t.Context())
	var ee *exitError
	switch {
	case errors.As(err, &ee):
		return out.String(), ee.code
	case err != nil:
		return out.String() + err.Error(), 2
	}
	return out.String(), 0
}

func write(t *testing.T, path, content string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestValidateReportsEveryProblemWithItsLine(t *testing.T) {
	dir := t.TempDir()
	cfg := write(t, filepath.Join(dir, "pipeline.yaml"), `name: Bad Name
source: {path: ./missing}
on_eror: skip
connector: {type: postgres, url: "postgresql://u:hunter2@h/db"}
`)
	out, code := run(t, "validate", "-c", cfg)
	if code != 1 {
		t.Fatalf("exit %d, want 1:\n%s", code, out)
	}
	for _, want := range []string{"pipeline.yaml:1:", "pipeline.yaml:2:", "pipeline.yaml:3:", "on_error", "pipeline.yaml:4:"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "hunter2") {
		t.Fatalf("a password reached the output:\n%s", out)
	}
}

func TestValidateAcceptsTheExamplePipeline(t *testing.T) {
	out, code := run(t, "validate", "-c", "../../examples/pipeline.yaml")
	if code != 0 || !strings.Contains(out, "is valid") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
}

func TestPreviewShowsColumnsTypesAndRowsAsJSON(t *testing.T) {
	file := write(t, filepath.Join(t.TempDir(), "people.csv"), "\ufeffPrénom;Âge;Inscrit le\nZoë;31;2026-01-02\nLiam;;2026-02-03\n")
	res := previewJSON(t, file)
	if res.Format != "csv" || len(res.Tables) != 1 {
		t.Fatalf("%+v", res)
	}
	tb := res.Tables[0]
	got := ""
	for _, c := range tb.Columns {
		got += c.Name + ":" + c.Type.String() + " "
	}
	if got != "prenom:string age:integer inscrit_le:date " || tb.Rows != 2 || len(tb.First) != 2 || tb.First[1][1] != nil {
		t.Fatalf("columns %q, rows %d, first rows %v", got, tb.Rows, tb.First)
	}
}

func TestPreviewOfABadFileExitsOneAndNamesTheLine(t *testing.T) {
	file := write(t, filepath.Join(t.TempDir(), "bad.csv"), "a,b\n1,2\n3,4,5\n")
	out, code := run(t, "preview", file)
	if code != 1 || !strings.Contains(out, "line 3") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	out, code = run(t, "preview", file, "--on-error", "skip")
	if code != 0 || !strings.Contains(out, "1 rows skipped") {
		t.Fatalf("with --on-error skip: exit %d:\n%s", code, out)
	}
}

func TestRunOnceLoadsAFolderIntoSQLiteAndPrintsTheSummary(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "in", "a.csv"), "id,name\n1,x\n2,y\n")
	write(t, filepath.Join(dir, "in", "sub", "b.jsonl"), `{"id": 3, "name": "z"}`+"\n")
	write(t, filepath.Join(dir, "in", "bad.csv"), "id\n1,2\n")
	cfg := write(t, filepath.Join(dir, "pipeline.yaml"), `name: t
source: {path: ./in}
watcher: {settle: 20ms}
connector: {type: sqlite, url: sqlite:///out.db}
`)
	out, code := run(t, "run", "--once", "-c", cfg)
	if code != 1 {
		t.Fatalf("a failed file must make run --once exit 1; got %d:\n%s", code, out)
	}
	for _, want := range []string{"a.csv", "sub/b.jsonl", "bad.csv", "3 files, 1 destinations: 2 committed, 1 failed; 3 rows committed"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	os.Remove(filepath.Join(dir, "in", "bad.csv"))
	out, code = run(t, "run", "--once", "-c", cfg)
	if code != 0 || !strings.Contains(out, "2 unchanged") {
		t.Fatalf("a rerun must find both files unchanged and exit 0; got %d:\n%s", code, out)
	}
}

func TestTuneGCKeepsWhatTheEnvironmentSets(t *testing.T) {
	oldPercent, oldLimit := debug.SetGCPercent(100), debug.SetMemoryLimit(math.MaxInt64)
	t.Cleanup(func() { debug.SetGCPercent(oldPercent); debug.SetMemoryLimit(oldLimit) })
	tuneGC(func(string) string { return "" })
	if got := debug.SetGCPercent(100); got != gcPercent {
		t.Errorf("GC percent = %d, want %d", got, gcPercent)
	}
	if got := debug.SetMemoryLimit(math.MaxInt64); got != memoryLimit {
		t.Errorf("memory limit = %d, want %d", got, memoryLimit)
	}
	env := map[string]string{"GOGC": "50", "GOMEMLIMIT": "2GiB"}
	tuneGC(func(k string) string { return env[k] })
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("with GOGC set, GC percent = %d, want it untouched (100)", got)
	}
	if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
		t.Errorf("with GOMEMLIMIT set, memory limit = %d, want it untouched", got)
	}
}

func TestOnlyTheParsingCommandsTuneTheGC(t *testing.T) {
	var tuned []string
	for _, c := range newRoot().Commands() {
		if c.Annotations[parseOnlyAnnotation] != "" {
			tuned = append(tuned, c.Name())
		}
	}
	slices.Sort(tuned)
	if want := []string{"parser", "preview"}; !slices.Equal(tuned, want) {
		t.Errorf("commands that tune the GC: %q, want %q", tuned, want)
	}
}
