package databricks_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/filedge/filedge/pkg/destination"
	"github.com/filedge/filedge/pkg/destination/databricks"
	"github.com/filedge/filedge/pkg/settings"
)

// decodeBlock decodes block, the keys of a connector: block as written in
// pipeline.yaml (its line 1 is type: databricks), through the registry,
// with the environment vars.
func decodeBlock(t *testing.T, block string, vars map[string]string) (databricks.Config, settings.Errors) {
	t.Helper()
	info, ok := destination.Lookup("Databricks")
	if !ok || info.Type != "databricks" || info.Atomicity != destination.PerTable {
		t.Fatalf("Lookup(Databricks) = %+v, %v; want the databricks type, PerTable", info, ok)
	}
	f := &settings.File{Name: "pipeline.yaml", Dir: t.TempDir(), Lookup: func(k string) (string, bool) {
		v, ok := vars[k]
		return v, ok
	}}
	cfg := info.Decode(f.ParseBlock([]byte("type: databricks\n"+block), "connector", "type", "name", "write_mode"))
	return cfg.(databricks.Config), f.Errors()
}

const validBlock = `server_hostname: dbc-a1b2c3d4-e5f6.cloud.databricks.com
http_path: sql/1.0/warehouses/abc123
catalog: main
staging: /Volumes/main/default/filedge_staging
`

func TestSettingsReadEveryKeyAndTheTokenFromTheEnvironment(t *testing.T) {
	cfg, errs := decodeBlock(t, validBlock, map[string]string{"DATABRICKS_TOKEN": "dapi-from-env"})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	want := databricks.Config{
		ServerHostname: "dbc-a1b2c3d4-e5f6.cloud.databricks.com",
		HTTPPath:       "/sql/1.0/warehouses/abc123",
		Catalog:        "main",
		Schema:         "default",
		Staging:        "/Volumes/main/default/filedge_staging",
		Token:          "dapi-from-env",
	}
	if cfg != want {
		t.Errorf("decoded %+v\nwant    %+v", cfg, want)
	}
	if got := settings.Secrets(cfg); len(got) != 1 || got[0].Reveal() != "dapi-from-env" {
		t.Errorf("the token is not among the secrets the process scrubs: %v", got)
	}

	cfg, errs = decodeBlock(t, validBlock+"schema: raw\ntoken: ${MY_TOKEN}\nendpoint: http://127.0.0.1:8080\n",
		map[string]string{"MY_TOKEN": "dapi-mine", "DATABRICKS_TOKEN": "dapi-from-env"})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if cfg.Schema != "raw" || cfg.Token.Reveal() != "dapi-mine" || cfg.Endpoint != "http://127.0.0.1:8080" {
		t.Errorf("schema %q, token from MY_TOKEN %v, endpoint %q", cfg.Schema, cfg.Token.Reveal() == "dapi-mine", cfg.Endpoint)
	}
}

// TestSettingsProblemsNameTheirLineAndNeverTheToken gives blocks with one
// problem each: the message names the line and key, and never shows the
// token.
func TestSettingsProblemsNameTheirLineAndNeverTheToken(t *testing.T) {
	const canary = "dapiK7q9Zx3wPa0123"
	env := map[string]string{"DATABRICKS_TOKEN": canary}
	for _, tc := range []struct {
		name, block string
		vars        map[string]string
		want        string
		cause       error
	}{
		{"no server_hostname", strings.Replace(validBlock, "server_hostname: dbc-a1b2c3d4-e5f6.cloud.databricks.com\n", "", 1), env,
			"pipeline.yaml:1: connector.server_hostname: required: the workspace's host name", nil},
		{"a URL for a host name", strings.Replace(validBlock, "server_hostname: dbc", "server_hostname: https://dbc", 1), env,
			"pipeline.yaml:2: connector.server_hostname: write the host name alone, without a scheme", nil},
		{"a port in the host name", strings.Replace(validBlock, ".com\n", ".com:443\n", 1), env,
			"pipeline.yaml:2: connector.server_hostname: write the host name alone, without a port", nil},
		{"no http_path", strings.Replace(validBlock, "http_path: sql/1.0/warehouses/abc123\n", "", 1), env,
			"pipeline.yaml:1: connector.http_path: required: the SQL warehouse's HTTP path", nil},
		{"no catalog", strings.Replace(validBlock, "catalog: main\n", "", 1), env,
			"pipeline.yaml:1: connector.catalog: required", nil},
		{"a catalog with a period", strings.Replace(validBlock, "catalog: main", "catalog: main.x", 1), env,
			`pipeline.yaml:4: connector.catalog: "main.x" may not hold a period`, nil},
		{"a schema with a space", validBlock + "schema: my schema\n", env,
			`pipeline.yaml:6: connector.schema: "my schema" may not hold a period, a space`, nil},
		{"staging outside a volume", strings.Replace(validBlock, "/Volumes/main/default/filedge_staging", "/tmp/staging", 1), env,
			"pipeline.yaml:5: connector.staging: must be a volume folder", nil},
		{"staging with ..", strings.Replace(validBlock, "filedge_staging", "x/../y", 1), env,
			"pipeline.yaml:5: connector.staging: must be a clean path", nil},
		{"no token anywhere", validBlock, nil,
			"pipeline.yaml:1: connector.token: no token, and DATABRICKS_TOKEN is not set", nil},
		{"a token written in the file", validBlock + "token: " + canary + "\n", nil,
			"pipeline.yaml:6: connector.token: ", settings.ErrCredentialInFile},
		{"an empty token", validBlock + "token: ${EMPTY}\n", map[string]string{"EMPTY": ""},
			"pipeline.yaml:6: connector.token: must not be empty", nil},
		{"plain http to another host", validBlock + "endpoint: http://proxy.internal:8080\n", env,
			"pipeline.yaml:6: connector.endpoint: plain http sends the token in clear", nil},
		{"an endpoint with a path", validBlock + "endpoint: https://proxy.internal/x\n", env,
			"pipeline.yaml:6: connector.endpoint: want https://host[:port] alone", nil},
		{"an unknown key", validBlock + "warehouse: x\n", env,
			"pipeline.yaml:6: connector.warehouse: unknown key", settings.ErrUnknownKey},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, errs := decodeBlock(t, tc.block, tc.vars)
			if len(errs) != 1 || !strings.HasPrefix(errs[0].Error(), tc.want) {
				t.Fatalf("got %v, want one problem %q", errs, tc.want)
			}
			if strings.Contains(errs.Error(), canary) {
				t.Errorf("the message shows the token: %v", errs)
			}
			if tc.cause != nil && !errors.Is(errs, tc.cause) {
				t.Errorf("errors.Is(%v) is false", tc.cause)
			}
		})
	}
}
