package natsbus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"github.com/filedge/filedge/internal/redact"
	"github.com/filedge/filedge/pkg/bus"
	"github.com/filedge/filedge/pkg/settings"
)

// EnvURL is the environment variable whose value, when set and not empty,
// replaces bus.url.
const EnvURL = "FILEDGE_NATS_URL"

// Defaults of the bus: block's keys.
const (
	DefaultDataDir = ".filedge"
)

func init() {
	bus.Register(bus.Info{
		Type:       "nats",
		Label:      "NATS JetStream",
		Decode:     decodeSettings,
		EnvSecrets: func(getenv func(string) string) []string { return redact.NATSSecrets(getenv(EnvURL)) },
	})
}

// Config is the nats bus's settings: the keys of the bus: block besides
// type.
type Config struct {
	// URL of the NATS server or cluster (comma-separated URLs) for split
	// stages; EnvURL, when set, replaces it. A password or token in it
	// comes from the environment (${VAR}), never the file. `filedge run`
	// ignores it and embeds a server.
	URL string `yaml:"url"`
	// DataDir holds the embedded server's state; default DefaultDataDir,
	// relative to the pipeline file's folder; absolute once decoded.
	DataDir string `yaml:"data_dir"`
	// SyncAlways makes the embedded server fsync every write before it
	// acknowledges it (default true). See docs/adr/0002-embedded-durability.md.
	SyncAlways bool `yaml:"sync_always"`
	// BatchRetention is how long record batches stay on the bus for
	// replay; default DefaultBatchRetention, at least DedupWindow.
	BatchRetention time.Duration `yaml:"batch_retention"`
}

// credentialError is a password or token written in bus.url.
type credentialError struct{}

func (credentialError) Error() string {
	return fmt.Sprintf("a password is written in the file; put it in the environment (nats://user:%s@host:4222 or nats://%s@host:4222, or %s)",
		"${NATS_PASSWORD}", "${NATS_TOKEN}", EnvURL)
}

func (credentialError) Unwrap() error { return settings.ErrCredentialInFile }

// decodeSettings reads a nats bus: block. A credential written in url (in any of
// its servers) is refused; EnvURL replaces url; every server of the URL
// must read the same to NATS as to a person. No message quotes the URL.
func decodeSettings(b *settings.Block) bus.Config {
	c := Config{DataDir: DefaultDataDir, SyncAlways: true, BatchRetention: DefaultBatchRetention}
	b.Decode(&c)
	c.URL = strings.TrimSpace(c.URL)
	if raw, ok := b.Raw("url"); ok && !b.Failed("url") && settings.WrittenPasswordInList(raw, redact.NATSServers) {
		b.Errorf("url", "%w", credentialError{})
		c.URL = ""
	} else if c.URL != "" {
		if err := urlProblem(c.URL); err != nil {
			b.Errorf("url", "%w", err)
			c.URL = ""
		}
	}
	if v, ok := b.Lookup(EnvURL); ok && strings.TrimSpace(v) != "" {
		c.URL = strings.TrimSpace(v)
		if err := urlProblem(c.URL); err != nil {
			b.Errorf("url", "%s: %w", EnvURL, err)
			c.URL = ""
		}
	}
	if b.Has("data_dir") && !b.Failed("data_dir") && strings.TrimSpace(c.DataDir) == "" {
		b.Errorf("data_dir", "must not be empty")
	}
	if !filepath.IsAbs(c.DataDir) {
		c.DataDir = filepath.Join(b.Dir(), c.DataDir)
	}
	c.DataDir = filepath.Clean(c.DataDir)
	if c.BatchRetention < DedupWindow && !b.Failed("batch_retention") {
		b.Errorf("batch_retention", "%v is below the bus's dedup window of %v", c.BatchRetention, DedupWindow)
	}
	return c
}

// Open connects to the server at URL; see Connect. Without a URL it fails
// with an error wrapping bus.ErrInvalidConfig.
func (c Config) Open(ctx context.Context, env bus.Env) (bus.Bus, error) {
	if c.URL == "" {
		return nil, fmt.Errorf("%w: no bus: set bus.url in the pipeline file or %s (or use `filedge run`, which embeds one)", bus.ErrInvalidConfig, EnvURL)
	}
	b, err := Connect(ctx, Options{URL: c.URL, Logger: env.Logger, BatchRetention: c.BatchRetention})
	if err != nil {
		return nil, err // not a nil *Bus in a non-nil interface
	}
	return b, nil
}

// OpenEmbedded starts a server on DataDir (see StartEmbedded) and connects
// to it in process; the bus's Close stops the server. env.OnHealth learns
// when the server's store breaks on a full disk and when it works again.
func (c Config) OpenEmbedded(ctx context.Context, env bus.Env) (bus.Bus, error) {
	srv, err := StartEmbedded(ctx, EmbeddedOptions{
		DataDir: c.DataDir, SyncAlways: c.SyncAlways, Logger: env.Logger, OnHealth: env.OnHealth,
	})
	if errors.Is(err, ErrDataDirLocked) {
		return nil, fmt.Errorf("%w; stop that process, or give this pipeline another bus.data_dir", err)
	}
	if err != nil {
		return nil, fmt.Errorf("start the embedded bus in %s: %w", c.DataDir, err)
	}
	b, err := Connect(ctx, Options{Server: srv, Logger: env.Logger, BatchRetention: c.BatchRetention})
	if err != nil {
		srv.Shutdown()
		return nil, err
	}
	b.server = srv
	return b, nil
}

// Credentials returns the credentials that URL holds (each server's user
// and password or token), for the process's scrubber.
func (c Config) Credentials() []string { return redact.NATSSecrets(c.URL) }

// redacted returns c with credentials removed from its URL.
func (c Config) redacted() plainConfig {
	c.URL = redact.URLs(c.URL)
	return plainConfig(c)
}

// plainConfig is Config without its methods, for formatting.
type plainConfig Config

// String describes the bus with the URL's credentials replaced by
// REDACTED.
func (c Config) String() string {
	r := c.redacted()
	if r.URL == "" {
		return "nats data_dir=" + r.DataDir
	}
	return fmt.Sprintf("nats url=%s data_dir=%s", r.URL, r.DataDir)
}

// GoString implements fmt.GoStringer with the URL redacted.
func (c Config) GoString() string {
	r := c.redacted()
	return fmt.Sprintf("natsbus.Config{URL:%q, DataDir:%q, SyncAlways:%t, BatchRetention:%d}", r.URL, r.DataDir, r.SyncAlways, int64(r.BatchRetention))
}

// MarshalJSON implements json.Marshaler with the URL redacted.
func (c Config) MarshalJSON() ([]byte, error) {
	r := c.redacted()
	return json.Marshal(struct {
		URL            string        `json:"url,omitempty"`
		DataDir        string        `json:"data_dir"`
		SyncAlways     bool          `json:"sync_always"`
		BatchRetention time.Duration `json:"batch_retention"`
	}{r.URL, r.DataDir, r.SyncAlways, r.BatchRetention})
}

// LogValue implements slog.LogValuer with the URL redacted.
func (c Config) LogValue() slog.Value {
	r := c.redacted()
	return slog.GroupValue(
		slog.String("type", "nats"),
		slog.String("url", r.URL),
		slog.String("data_dir", r.DataDir),
		slog.Bool("sync_always", r.SyncAlways),
		slog.Duration("batch_retention", r.BatchRetention),
	)
}

var (
	_ bus.Config       = Config{}
	_ bus.Embedder     = Config{}
	_ bus.Credentialed = Config{}
)
