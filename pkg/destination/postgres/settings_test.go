package postgres_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/filedge/filedge/pkg/destination"
	"github.com/filedge/filedge/pkg/destination/postgres"
	"github.com/filedge/filedge/pkg/settings"
)

// decodeBlock decodes block, the keys of a connector: block as written in
// pipeline.yaml, through the registry, with the environment vars.
func decodeBlock(t *testing.T, block string, vars map[string]string) (postgres.Config, settings.Errors) {
	t.Helper()
	info, ok := destination.Lookup("postgresql")
	if !ok || info.Type != "postgres" || info.Atomicity != destination.AllTables {
		t.Fatalf("Lookup(postgresql) = %+v, %v; want the postgres type, AllTables", info, ok)
	}
	f := &settings.File{Name: "pipeline.yaml", Dir: t.TempDir(), Lookup: func(k string) (string, bool) {
		v, ok := vars[k]
		return v, ok
	}}
	cfg := info.Decode(f.ParseBlock([]byte(block), "connector", "type", "name", "write_mode"))
	return cfg.(postgres.Config), f.Errors()
}

func TestSettingsURLAndSchema(t *testing.T) {
	vars := map[string]string{"PGPASSWORD": "s3cr3t-from-env", "PGUSER": "loader", "PGHOST": "db.internal"}
	for _, tc := range []struct{ name, block, url, schema string }{
		{"url without a password", "url: postgresql://user@host:5432/dbname\n", "postgresql://user@host:5432/dbname", ""},
		{"postgres scheme", "url: postgres://x@h/d\nschema: ' raw '\n", "postgres://x@h/d", "raw"},
		{"password from the environment", "url: 'postgresql://loader:${PGPASSWORD}@db:5432/sales'\n", "postgresql://loader:s3cr3t-from-env@db:5432/sales", ""},
		{"user and password from the environment", "url: 'postgresql://${PGUSER}:${PGPASSWORD}@db/sales'\n", "postgresql://loader:s3cr3t-from-env@db/sales", ""},
		{"user with a default", "url: 'postgresql://${NOPE:-root}@db/sales'\n", "postgresql://root@db/sales", ""},
		{"password parameter from the environment", "url: 'postgresql://loader@db/sales?password=${PGPASSWORD}'\n", "postgresql://loader@db/sales?password=s3cr3t-from-env", ""},
		{"empty password", "url: 'postgresql://loader:@db/sales'\n", "postgresql://loader:@db/sales", ""},
		{"host from the environment", "url: 'postgresql://u@${PGHOST}:5432/d'\n", "postgresql://u@db.internal:5432/d", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, errs := decodeBlock(t, tc.block, vars)
			if len(errs) > 0 {
				t.Fatal(errs)
			}
			if cfg.URL.Reveal() != tc.url || cfg.Schema != tc.schema {
				t.Errorf("url %q schema %q, want %q %q", cfg.URL.Reveal(), cfg.Schema, tc.url, tc.schema)
			}
		})
	}
}

func TestSettingsURLFallsBackToDatabaseURL(t *testing.T) {
	const dbURL = "postgresql://loader:pw-from-env@db:5432/sales"
	t.Run("DATABASE_URL set", func(t *testing.T) {
		cfg, errs := decodeBlock(t, "type: postgres\n", map[string]string{"DATABASE_URL": dbURL})
		if len(errs) > 0 || cfg.URL.Reveal() != dbURL {
			t.Errorf("url = %q, %v; want DATABASE_URL", cfg.URL.Reveal(), errs)
		}
	})
	t.Run("url in the file wins", func(t *testing.T) {
		cfg, errs := decodeBlock(t, "url: 'postgres://x@h/d'\n", map[string]string{"DATABASE_URL": dbURL})
		if len(errs) > 0 || cfg.URL.Reveal() != "postgres://x@h/d" {
			t.Errorf("url = %q, %v", cfg.URL.Reveal(), errs)
		}
	})
}

// TestSettingsProblemsNeverShowTheURL gives blocks whose line 1 is type:
// postgres; each problem names its line and key, and none shows the
// password or a piece of it.
func TestSettingsProblemsNeverShowTheURL(t *testing.T) {
	const canary = "Kq7vZx3wPa"
	for _, tc := range []struct {
		name, lines string
		vars        map[string]string
		want        string
		cause       error
	}{
		{"no url and no DATABASE_URL", "", nil,
			"pipeline.yaml:1: connector.url: no url, and DATABASE_URL is not set: give url: postgresql://user@host:5432/dbname or set DATABASE_URL", nil},
		{"DATABASE_URL empty", "", map[string]string{"DATABASE_URL": " "},
			"pipeline.yaml:1: connector.url: no url, and DATABASE_URL is not set", nil},
		{"DATABASE_URL of another scheme", "", map[string]string{"DATABASE_URL": "mysql://u:" + canary + "@h/d"},
			`pipeline.yaml:1: connector.url: DATABASE_URL: scheme "mysql" is not postgres:// or postgresql://`, nil},
		{"DATABASE_URL ambiguous", "", map[string]string{"DATABASE_URL": "postgres://loader:2024/" + canary + "@db/sales"},
			"pipeline.yaml:1: connector.url: DATABASE_URL: ambiguous URL: percent-encode", nil},
		{"url of another scheme", "url: 'mysql://h/d'\n", nil,
			`pipeline.yaml:2: connector.url: scheme "mysql" is not postgres:// or postgresql://`, nil},
		{"not a URL", "url: '${PGURL}'\n", map[string]string{"PGURL": "host=db password=" + canary},
			"pipeline.yaml:2: connector.url: want a postgresql://user@host:5432/dbname URL (the value is not shown)", nil},
		{"url empty", "url: ''\n", nil,
			"pipeline.yaml:2: connector.url: must not be empty (omit it to use DATABASE_URL)", nil},
		{"url a bad port", "url: 'postgres://u:${PW}@db:99999x/sales'\n", map[string]string{"PW": canary},
			"pipeline.yaml:2: connector.url: not a valid URL: check its host, port and query (the URL is not shown)", nil},
		{"a bad parameter", "url: 'postgres://u:${PW}@db.example:5432/sales?sslmode=sometimes'\n", map[string]string{"PW": canary},
			"pipeline.yaml:2: connector.url: cannot parse `db.example:5432/sales`", nil},
		{"ambiguous password from ${VAR}", "url: 'postgresql://loader:${PW}@db:5432/sales'\n", map[string]string{"PW": canary + "/" + canary},
			"pipeline.yaml:2: connector.url: ambiguous URL: percent-encode", nil},
		{"password written in the url", "url: postgresql://u:" + canary + "@h/d\n", nil,
			"pipeline.yaml:2: connector.url: a password is written in the file; put it in the environment (${PGPASSWORD} or DATABASE_URL)", settings.ErrCredentialInFile},
		{"keyword form", "url: host=db user=loader password=" + canary + "\n", nil,
			"pipeline.yaml:2: connector.url: a password is written in the file; put it in the environment (${PGPASSWORD} or DATABASE_URL)", settings.ErrCredentialInFile},
		{"password key", "url: postgresql://u@h/d\npassword: " + canary + "\n", nil,
			"pipeline.yaml:3: connector.password: a credential is written in the file; put it in the environment and reference it from the url (${PGPASSWORD} or DATABASE_URL)", settings.ErrCredentialInFile},
		{"password key holding a reference", "url: postgresql://u@h/d\npassword: ${PGPASSWORD}\n", nil,
			"pipeline.yaml:3: connector.password: unknown key: a credential goes into the url (${PGPASSWORD} or DATABASE_URL)", settings.ErrUnknownKey},
		{"schema with a NUL", "url: postgres://u@h/d\nschema: \"a\\0b\"\n", nil,
			"pipeline.yaml:3: connector.schema: ", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, errs := decodeBlock(t, "type: postgres\n"+tc.lines, tc.vars)
			if len(errs) != 1 || !strings.HasPrefix(errs[0].Error(), tc.want) {
				t.Fatalf("got %v, want one problem %q", errs, tc.want)
			}
			if strings.Contains(errs.Error(), canary) {
				t.Errorf("the message shows the password: %v", errs)
			}
			if tc.cause != nil && !errors.Is(errs, tc.cause) {
				t.Errorf("errors.Is(%v) is false", tc.cause)
			}
		})
	}
}
