package files_test

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/filedge/filedge/pkg/destination"
	"github.com/filedge/filedge/pkg/destination/files"
	"github.com/filedge/filedge/pkg/settings"
)

// decodeBlock decodes block, the keys of a connector: block as written in
// pipeline.yaml in folder dir, through the registry.
func decodeBlock(t *testing.T, block, dir string) (files.Config, settings.Errors) {
	t.Helper()
	info, ok := destination.Lookup("files")
	if !ok {
		t.Fatal("files is not registered")
	}
	f := &settings.File{Name: "pipeline.yaml", Dir: dir, Lookup: func(k string) (string, bool) {
		if k == "OUT" {
			return "/data/out", true
		}
		return "", false
	}}
	cfg := info.Decode(f.ParseBlock([]byte(block), "connector", "type", "name", "write_mode"))
	return cfg.(files.Config), f.Errors()
}

func TestSettingsResolvePathsAndDefaultToParquet(t *testing.T) {
	dir := filepath.FromSlash("/work/pipes")
	for _, tc := range []struct{ name, block, path, format string }{
		{"relative path, default format", "path: out\n", "/work/pipes/out", "parquet"},
		{"dot path", "path: ./out/tables/\n", "/work/pipes/out/tables", "parquet"},
		{"above the folder", "path: ../shared\nformat: csv\n", "/work/shared", "csv"},
		{"absolute path", "path: /var/lib/out\nformat: JSON\n", "/var/lib/out", "json"},
		{"from the environment", "path: ${OUT}\nformat: excel\n", "/data/out", "excel"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, errs := decodeBlock(t, tc.block, dir)
			if len(errs) > 0 {
				t.Fatal(errs)
			}
			if cfg.Path != filepath.FromSlash(tc.path) || cfg.Format != tc.format {
				t.Errorf("path, format = %q, %q; want %q, %q", cfg.Path, cfg.Format, tc.path, tc.format)
			}
		})
	}
}

// TestSettingsProblemsAreReportedAtTheirLine gives blocks whose line 1 is
// type: files; each problem names its line and key.
func TestSettingsProblemsAreReportedAtTheirLine(t *testing.T) {
	for _, tc := range []struct{ name, lines, want string }{
		{"path missing", "", "pipeline.yaml:1: connector.path: required: the folder the tables are written to"},
		{"path empty", "path: ''\n", "pipeline.yaml:2: connector.path: must not be empty"},
		{"path not text", "path: [a, b]\n", "pipeline.yaml:2: connector.path:"},
		{"unknown format", "path: out\nformat: parket\n", `pipeline.yaml:3: connector.format: unknown format "parket" (want one of csv, excel, json, parquet); did you mean parquet?`},
		{"a reader-only format", "path: out\nformat: avro\n", `pipeline.yaml:3: connector.format: unknown format "avro"`},
		{"unknown key", "path: out\nurl: sqlite:///x.db\n", "pipeline.yaml:3: connector.url: unknown key"},
		{"path from an unset variable", "path: ${NOPE}\n", "pipeline.yaml:2: connector.path: environment variable not set: NOPE"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, errs := decodeBlock(t, "type: files\n"+tc.lines, t.TempDir())
			if len(errs) != 1 || !strings.HasPrefix(errs[0].Error(), tc.want) {
				t.Fatalf("got %v, want one problem %q", errs, tc.want)
			}
		})
	}
	_, errs := decodeBlock(t, "path: out\nformat: xml\n", t.TempDir())
	if !errors.Is(errs, files.ErrUnknownFormat) {
		t.Errorf("an unknown format is not ErrUnknownFormat: %v", errs)
	}
}

func TestOpenRefusesSettingsNoRetryCanFix(t *testing.T) {
	dir := t.TempDir()
	notDir := filepath.Join(dir, "file")
	writeFile(t, notDir, "x")
	csvDir := filepath.Join(dir, "csv")
	open(t, csvDir, "csv")
	for _, tc := range []struct {
		name string
		cfg  files.Config
		want error
	}{
		{"a format it does not write", files.Config{Path: filepath.Join(dir, "x"), Format: "avro"}, files.ErrUnknownFormat},
		{"a path that is a file", files.Config{Path: notDir, Format: "csv"}, files.ErrNotAFolder},
		{"a folder of another format", files.Config{Path: csvDir, Format: "parquet"}, files.ErrOtherFormat},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := files.Open(t.Context(), tc.cfg, destination.Env{Name: "out", Dir: dir})
			if err == nil {
				d.Close()
				t.Fatal("Open succeeded")
			}
			if !destination.IsInvalidConfig(err) || !errors.Is(err, tc.want) {
				t.Errorf("Open error = %v, want ErrInvalidConfig and %v", err, tc.want)
			}
		})
	}
}
