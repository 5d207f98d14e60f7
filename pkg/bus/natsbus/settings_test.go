package natsbus_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/filedge/filedge/pkg/bus"
	"github.com/filedge/filedge/pkg/bus/natsbus"
	"github.com/filedge/filedge/pkg/settings"
)

// decodeBlock decodes block, the keys of a bus: block as written in
// pipeline.yaml after its first line (type: nats), through the registry,
// with the environment vars, in the folder dir.
func decodeBlock(t *testing.T, dir, block string, vars map[string]string) (natsbus.Config, settings.Errors) {
	t.Helper()
	info, ok := bus.Lookup("NATS")
	if !ok || info.Type != "nats" {
		t.Fatalf("Lookup(NATS) = %+v, %v; want the nats type", info, ok)
	}
	f := &settings.File{Name: "pipeline.yaml", Dir: dir, Lookup: func(k string) (string, bool) {
		v, ok := vars[k]
		return v, ok
	}}
	cfg := info.Decode(f.ParseBlock([]byte("type: nats\n"+block), "bus", "type"))
	return cfg.(natsbus.Config), f.Errors()
}

func TestSettingsDefaultsAndKeys(t *testing.T) {
	dir := t.TempDir()
	c, errs := decodeBlock(t, dir, "", nil)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	want := natsbus.Config{DataDir: filepath.Join(dir, ".filedge"), SyncAlways: true, BatchRetention: 72 * time.Hour}
	if c != want {
		t.Errorf("defaults %#v, want %#v", c, want)
	}
	c, errs = decodeBlock(t, dir, "url: nats://bus:4222\ndata_dir: state\nsync_always: false\nbatch_retention: 30m\n", nil)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	want = natsbus.Config{URL: "nats://bus:4222", DataDir: filepath.Join(dir, "state"), BatchRetention: 30 * time.Minute}
	if c != want {
		t.Errorf("decoded %#v, want %#v", c, want)
	}
}

func TestSettingsProblemsNameTheirLineAndKey(t *testing.T) {
	for _, tc := range []struct{ name, block, want string }{
		{"sync_always not a bool", "sync_always: maybe\n", `pipeline.yaml:2: bus.sync_always: "maybe" is not true or false`},
		{"batch_retention in days", "batch_retention: 3d\n", `pipeline.yaml:2: bus.batch_retention: "3d" is not a duration`},
		{"batch_retention below the dedup window", "batch_retention: 1m\n", "pipeline.yaml:2: bus.batch_retention: 1m0s is below the bus's dedup window of 2m0s"},
		{"data_dir empty", "data_dir: ''\n", "pipeline.yaml:2: bus.data_dir: must not be empty"},
		{"unknown key", "urls: nats://x\n", `pipeline.yaml:2: bus.urls: unknown key`},
		{"url that does not parse", "url: 'nats://a:4222,nats://x:y:z'\n", "pipeline.yaml:2: bus.url: server URL 2 of 2 is not a valid URL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, errs := decodeBlock(t, t.TempDir(), tc.block, nil)
			if !strings.Contains(errs.Error(), tc.want) {
				t.Errorf("errors %q, want %q", errs.Error(), tc.want)
			}
		})
	}
}

func TestSettingsRefuseAPasswordWrittenInTheURL(t *testing.T) {
	const pw = "Lit3ral-pw"
	for name, url := range map[string]string{
		"user and password":                  "nats://u:" + pw + "@bus:4222",
		"token":                              "nats://" + pw + "@bus:4222",
		"token without a scheme":             pw + "@bus:4222",
		"digits before a slash":              "nats://u:4222/" + pw + "@bus:4222",
		"second server of a list":            "nats://a:4222,nats://u:" + pw + "@b:4222",
		"token in the second server of list": "nats://${NATS_TOKEN}@a:4222, tls://" + pw + "@b:4222",
	} {
		t.Run(name, func(t *testing.T) {
			_, errs := decodeBlock(t, t.TempDir(), "url: '"+url+"'\n", map[string]string{"NATS_TOKEN": "from-env"})
			if !strings.Contains(errs.Error(), "pipeline.yaml:2: bus.url: a password is written in the file; put it in the environment") {
				t.Errorf("errors %q", errs.Error())
			}
			if strings.Contains(errs.Error(), pw) {
				t.Errorf("error shows the password: %v", errs)
			}
			if !errors.Is(errs, settings.ErrCredentialInFile) {
				t.Errorf("errors.Is(ErrCredentialInFile) false")
			}
		})
	}
	t.Run("from the environment", func(t *testing.T) {
		c, errs := decodeBlock(t, t.TempDir(), "url: 'nats://a:4222,nats://${NATS_TOKEN}@b:4222'\n", map[string]string{"NATS_TOKEN": "tok"})
		if len(errs) > 0 || c.URL != "nats://a:4222,nats://tok@b:4222" {
			t.Errorf("url %q, %v", c.URL, errs)
		}
	})
}

// TestSettingsRefuseAnAmbiguousURLWithoutEcho gives URLs that Go's parser
// reads otherwise than a person (a password with an unescaped '/', '?',
// '#', '@' or '%', or with digits before a '/', which read as a port)
// through ${VAR} and FILEDGE_NATS_URL: each is refused with the fix, and no
// message holds the password or a piece of it.
func TestSettingsRefuseAnAmbiguousURLWithoutEcho(t *testing.T) {
	const canary = "Kq7vZx3wPa"
	for name, pw := range map[string]string{
		"digits before a slash": "2024/" + canary,
		"slash":                 canary + "/" + canary,
		"question mark":         canary + "?x=" + canary,
		"hash":                  canary + "#" + canary,
		"at sign":               canary + "@" + canary,
		"bad escape":            canary + "%zz" + canary,
		"space":                 canary + " " + canary,
	} {
		t.Run(name, func(t *testing.T) {
			for _, tc := range []struct {
				where, block, want string
				vars               map[string]string
			}{
				{"${VAR} in url", "url: 'nats://filedge:${NATS_PASSWORD}@bus:4222'\n",
					"pipeline.yaml:2: bus.url: ambiguous URL: percent-encode", map[string]string{"NATS_PASSWORD": pw}},
				{"FILEDGE_NATS_URL", "",
					"bus.url: FILEDGE_NATS_URL: ambiguous URL: percent-encode", map[string]string{"FILEDGE_NATS_URL": "nats://a:4222,nats://filedge:" + pw + "@b:4222"}},
				{"FILEDGE_NATS_URL token", "",
					"bus.url: FILEDGE_NATS_URL: ambiguous URL: percent-encode", map[string]string{"FILEDGE_NATS_URL": "nats://" + pw + "@b:4222"}},
			} {
				t.Run(tc.where, func(t *testing.T) {
					_, errs := decodeBlock(t, t.TempDir(), tc.block, tc.vars)
					if !strings.Contains(errs.Error(), tc.want) {
						t.Errorf("errors %q, want %q", errs.Error(), tc.want)
					}
					if strings.Contains(errs.Error(), canary) || strings.Contains(errs.Error(), "2024") {
						t.Errorf("error shows a piece of the password: %v", errs)
					}
				})
			}
		})
	}
}

func TestSettingsURLFromTheEnvironmentReplacesTheFiles(t *testing.T) {
	c, _ := decodeBlock(t, t.TempDir(), "url: 'nats://file:4222'\n", map[string]string{"FILEDGE_NATS_URL": "nats://env:4222"})
	if c.URL != "nats://env:4222" {
		t.Errorf("url = %q, want FILEDGE_NATS_URL", c.URL)
	}
	c, _ = decodeBlock(t, t.TempDir(), "url: 'nats://file:4222'\n", map[string]string{"FILEDGE_NATS_URL": ""})
	if c.URL != "nats://file:4222" {
		t.Errorf("url = %q, want the file's when FILEDGE_NATS_URL is empty", c.URL)
	}
}

func TestSettingsNeverPrintTheURLsCredentials(t *testing.T) {
	const pw = "nats-Secret-222"
	c, errs := decodeBlock(t, t.TempDir(), "url: nats://filedge:${NATS_PASSWORD}@bus:4222\n", map[string]string{"NATS_PASSWORD": pw})
	if len(errs) > 0 || !strings.Contains(c.URL, pw) {
		t.Fatalf("url %q, %v", c.URL, errs)
	}
	js, err := json.Marshal(struct{ Bus bus.Config }{c})
	if err != nil {
		t.Fatal(err)
	}
	var text, jsonLog bytes.Buffer
	slog.New(slog.NewTextHandler(&text, nil)).Info("loaded", "bus", c)
	slog.New(slog.NewJSONHandler(&jsonLog, nil)).Info("loaded", "bus", c)
	for name, out := range map[string]string{
		"%v":        fmt.Sprintf("%v", c),
		"%+v":       fmt.Sprintf("%+v", c),
		"%#v":       fmt.Sprintf("%#v", c),
		"String":    c.String(),
		"json":      string(js),
		"slog text": text.String(),
		"slog json": jsonLog.String(),
	} {
		if strings.Contains(out, pw) || !strings.Contains(out, "REDACTED") {
			t.Errorf("%s shows the password or not REDACTED: %s", name, out)
		}
	}
	if !strings.Contains(string(js), `"url":"nats://REDACTED@bus:4222"`) {
		t.Errorf("url in JSON is not redacted to its host: %s", js)
	}
}

func TestCredentialsNameEveryServersCredentials(t *testing.T) {
	c, _ := decodeBlock(t, t.TempDir(), "", map[string]string{"FILEDGE_NATS_URL": "tok@a:4222,nats://b:4222"})
	if got, want := c.Credentials(), []string{"tok@a:4222,nats://b:4222", "nats://tok@a:4222,nats://b:4222"}; !slices.Equal(got, want) {
		t.Errorf("Credentials() = %q, want %q", got, want)
	}
	info, _ := bus.Lookup("nats")
	if got := info.EnvSecrets(func(string) string { return "nats://u:pw@a:4222" }); !slices.Equal(got, []string{"nats://u:pw@a:4222"}) {
		t.Errorf("EnvSecrets = %q", got)
	}
	c, _ = decodeBlock(t, t.TempDir(), "url: 'nats://a:4222,nats://b:4222'\n", nil)
	if got := c.Credentials(); len(got) != 0 {
		t.Errorf("Credentials() = %q for a URL without credentials", got)
	}
}

func TestOpenWithoutAURLIsInvalidConfig(t *testing.T) {
	c, _ := decodeBlock(t, t.TempDir(), "", nil)
	if _, err := c.Open(t.Context(), bus.Env{}); !errors.Is(err, bus.ErrInvalidConfig) || !strings.Contains(err.Error(), "FILEDGE_NATS_URL") {
		t.Errorf("Open without a URL = %v, want bus.ErrInvalidConfig naming FILEDGE_NATS_URL", err)
	}
}

func TestOpenEmbeddedRunsAServerThatCloseStops(t *testing.T) {
	dir := t.TempDir()
	c, _ := decodeBlock(t, dir, "sync_always: false\n", nil)
	var health []error
	b, err := c.OpenEmbedded(t.Context(), bus.Env{Logger: testLogger(t), OnHealth: func(err error) { health = append(health, err) }})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Publish(t.Context(), &bus.Message{Topic: bus.Files, Pipeline: "p", Data: []byte("x")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.OpenEmbedded(t.Context(), bus.Env{Logger: testLogger(t)}); !errors.Is(err, natsbus.ErrDataDirLocked) || !strings.Contains(err.Error(), "another bus.data_dir") {
		t.Errorf("a second OpenEmbedded on the same data dir = %v, want ErrDataDirLocked with what to do", err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	b, err = c.OpenEmbedded(t.Context(), bus.Env{Logger: testLogger(t)})
	if err != nil {
		t.Fatalf("OpenEmbedded after Close (the server stopped, the dir unlocked): %v", err)
	}
	if got := follow(t, b, bus.Files, "p", "", 1); string(got[0].Data) != "x" {
		t.Errorf("after a restart the stream holds %q", got[0].Data)
	}
	_ = b.Close()
	if len(health) != 0 {
		t.Errorf("OnHealth called with %v on a healthy disk", health)
	}
}
