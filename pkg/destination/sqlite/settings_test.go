package sqlite_test

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/filedge/filedge/pkg/destination"
	"github.com/filedge/filedge/pkg/destination/sqlite"
	"github.com/filedge/filedge/pkg/settings"
)

// decodeBlock decodes block, the keys of a connector: block as written in
// pipeline.yaml in folder dir, through the registry.
func decodeBlock(t *testing.T, block, dir string) (sqlite.Config, settings.Errors) {
	t.Helper()
	info, ok := destination.Lookup("sqlite")
	if !ok {
		t.Fatal("sqlite is not registered")
	}
	f := &settings.File{Name: "pipeline.yaml", Dir: dir, Lookup: func(string) (string, bool) { return "", false }}
	cfg := info.Decode(f.ParseBlock([]byte(block), "connector", "type", "name", "write_mode"))
	return cfg.(sqlite.Config), f.Errors()
}

func TestSettingsResolveURLsAsSQLAlchemyDoes(t *testing.T) {
	dir := filepath.FromSlash("/work/pipes")
	for _, tc := range []struct{ name, url, want string }{
		{"three slashes are relative to the pipeline's folder", "sqlite:///out.db", "sqlite:///work/pipes/out.db"},
		{"relative with folders", "sqlite:///sub/out.db", "sqlite:///work/pipes/sub/out.db"},
		{"relative, cleaned", "sqlite:///db/../x/out.db", "sqlite:///work/pipes/x/out.db"},
		{"relative above the folder", "sqlite:///../out.db", "sqlite:///work/out.db"},
		{"four slashes are absolute", "sqlite:////var/db/out.db", "sqlite:///var/db/out.db"},
		{"plain relative path", "out.db", "sqlite:///work/pipes/out.db"},
		{"plain relative path, cleaned", "./a/../out.db", "sqlite:///work/pipes/out.db"},
		{"plain absolute path", "/var/db/out.db", "sqlite:///var/db/out.db"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, errs := decodeBlock(t, "url: '"+tc.url+"'\n", dir)
			if len(errs) > 0 {
				t.Fatal(errs)
			}
			if cfg.URL != tc.want {
				t.Errorf("url = %q, want %q", cfg.URL, tc.want)
			}
		})
	}
}

// TestSettingsProblemsAreReportedAtTheirLine gives blocks whose line 1 is
// type: sqlite; each problem names its line and key.
func TestSettingsProblemsAreReportedAtTheirLine(t *testing.T) {
	for _, tc := range []struct{ name, lines, want string }{
		{"url missing", "", "pipeline.yaml:1: connector.url: required: the database file, e.g. url: sqlite:///out.db (relative to this file's folder)"},
		{"url null", "url:\n", "pipeline.yaml:1: connector.url: required"},
		{"url empty", "url: ''\n", "pipeline.yaml:2: connector.url: must not be empty"},
		{"url with options", "url: 'sqlite:////var/db/out.db?mode=rwc'\n", "pipeline.yaml:2: connector.url: a sqlite URL takes no options"},
		{"url with a host", "url: 'sqlite://host/x.db'\n", "pipeline.yaml:2: connector.url: a sqlite URL has no host"},
		{"url with no file", "url: 'sqlite://'\n", "pipeline.yaml:2: connector.url: no database file"},
		{"url with only a slash", "url: 'sqlite:///'\n", "pipeline.yaml:2: connector.url: no database file"},
		{"url without slashes", "url: 'sqlite:out.db'\n", "pipeline.yaml:2: connector.url: write sqlite:///"},
		{"url in memory", "url: 'sqlite:///:memory:'\n", "pipeline.yaml:2: connector.url: an in-memory database"},
		{"plain path in memory", "url: ':memory:'\n", "pipeline.yaml:2: connector.url: an in-memory database"},
		{"url of another scheme", "url: 'postgres://h/d'\n", "pipeline.yaml:2: connector.url: want a sqlite:/// URL or a file path"},
		{"url from an unset variable", "url: ${DB}\n", "pipeline.yaml:2: connector.url: environment variable not set: DB"},
		{"schema", "url: x.db\nschema: raw\n", "pipeline.yaml:3: connector.schema: sqlite has no schemas"},
		{"unknown key", "url: x.db\nwrite-mode: append\n", "pipeline.yaml:3: connector.write-mode: unknown key; did you mean write_mode?"},
		{"a password key", "url: x.db\npassword: pw-Secret-1\n", "pipeline.yaml:3: connector.password: a credential is written in the file, and this block takes none"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, errs := decodeBlock(t, "type: sqlite\n"+tc.lines, t.TempDir())
			if len(errs) != 1 || !strings.HasPrefix(errs[0].Error(), tc.want) {
				t.Fatalf("got %v, want one problem %q", errs, tc.want)
			}
			if strings.Contains(errs.Error(), "pw-Secret-1") {
				t.Errorf("the message quotes the password: %v", errs)
			}
		})
	}
	_, errs := decodeBlock(t, "schema: raw\nurl: x.db\n", t.TempDir())
	if !errors.Is(errs, sqlite.ErrSchemaUnsupported) {
		t.Errorf("a schema is not ErrSchemaUnsupported: %v", errs)
	}
}
