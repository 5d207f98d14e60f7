package local_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/filedge/filedge/pkg/settings"
	"github.com/filedge/filedge/pkg/source"
	"github.com/filedge/filedge/pkg/source/local"
)

// decodeBlock decodes block, the keys of a source: block as written in
// pipeline.yaml in folder dir, through the registry.
func decodeBlock(t *testing.T, block, dir string) (local.Config, settings.Errors) {
	t.Helper()
	info, ok := source.Lookup("local")
	if !ok {
		t.Fatal("local is not registered")
	}
	f := &settings.File{Name: "pipeline.yaml", Dir: dir, Lookup: func(k string) (string, bool) {
		if k == "IN" {
			return "in", true
		}
		return "", false
	}}
	cfg := info.Decode(f.ParseBlock([]byte(block), "source", "type", "pattern"))
	return cfg.(local.Config), f.Errors()
}

func TestSettingsPathIsRelativeToThePipelinesFolder(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string][]byte{"in/a.csv": nil, "afile": nil})
	abs := t.TempDir()
	for _, tc := range []struct{ name, block, want string }{
		{"relative", "path: in\n", filepath.Join(dir, "in")},
		{"relative with ./", "path: ./in/\n", filepath.Join(dir, "in")},
		{"from the environment", "path: ./${IN}\n", filepath.Join(dir, "in")},
		{"absolute", "path: '" + abs + "'\n", abs},
		{"with the pipeline's keys", "type: local\npath: in\npattern: x\n", filepath.Join(dir, "in")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, errs := decodeBlock(t, tc.block, dir)
			if len(errs) > 0 {
				t.Fatal(errs)
			}
			if cfg.Path != tc.want {
				t.Errorf("path = %q, want %q", cfg.Path, tc.want)
			}
		})
	}
}

// TestSettingsProblemsAreReportedAtTheirLine gives blocks whose line 1 is
// type: local.
func TestSettingsProblemsAreReportedAtTheirLine(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string][]byte{"in/a.csv": nil, "afile": nil})
	unreadable := filepath.Join(dir, "locked")
	if err := os.MkdirAll(filepath.Join(unreadable, "in"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(unreadable, 0); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(unreadable, 0o755) })
	cases := []struct{ name, lines, want string }{
		{"path missing", "", "pipeline.yaml:1: source.path: required: the folder to load files from, e.g. source: {path: ./data}"},
		{"path empty", "path: ''\n", "pipeline.yaml:2: source.path: must not be empty"},
		{"path does not exist", "path: ./nope\n", "pipeline.yaml:2: source.path: folder " + filepath.Join(dir, "nope") + " does not exist"},
		{"path is a file", "path: afile\n", "pipeline.yaml:2: source.path: " + filepath.Join(dir, "afile") + " is a file, not a folder"},
		{"path a list", "path: [a]\n", "pipeline.yaml:2: source.path: want a single value, not a list"},
		{"unknown key", "path: in\npatth: in\n", "pipeline.yaml:3: source.patth: unknown key; did you mean path?"},
	}
	if os.Geteuid() != 0 { // root reads any folder
		cases = append(cases, struct{ name, lines, want string }{"path unreadable", "path: locked/in\n",
			"pipeline.yaml:2: source.path: cannot read folder " + filepath.Join(unreadable, "in") + ": permission denied"})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, errs := decodeBlock(t, "type: local\n"+tc.lines, dir)
			if len(errs) != 1 || !strings.HasPrefix(errs[0].Error(), tc.want) {
				t.Fatalf("got %v, want one problem %q", errs, tc.want)
			}
		})
	}
}
