package config

import (
	"encoding/json"
	"fmt"
	"log/slog"

	"github.com/filedge/filedge/internal/redact"
	"github.com/filedge/filedge/pkg/settings"
)

// Destination returns the destination named name.
func (p *Pipeline) Destination(name string) (*Destination, bool) {
	for i := range p.Destinations {
		if p.Destinations[i].Name == name {
			return &p.Destinations[i], true
		}
	}
	return nil, false
}

// DataDir returns the folder of the embedded bus's state (bus.data_dir,
// absolute after Load).
func (p *Pipeline) DataDir() string { return p.Bus.DataDir }

// Secrets returns, revealed, every value of the pipeline that holds a
// credential, for a process to remove from all it prints (see
// internal/redact): each settings.Secret of the source's or a destination's
// settings (a connection URL when it carries a password, a token or a
// credential parameter; any other secret, such as a token, whole), the bus
// URL when it carries one (also with nats:// before each server that names
// no scheme, as NATS reads it), and the PGP private key, passphrase and
// trusted signers' keys. A URL without credentials says only where to
// connect, which logs should keep saying.
func (p *Pipeline) Secrets() []string {
	var out []string
	components := []any{p.Source.Settings}
	for _, d := range p.Destinations {
		components = append(components, d.Settings)
	}
	for _, c := range components {
		for _, s := range settings.Secrets(c) {
			if v := s.Reveal(); credential(v) {
				out = append(out, v)
			}
		}
	}
	out = append(out, redact.NATSSecrets(p.Bus.URL)...)
	if g := p.Layers.PGP; g != nil {
		for _, s := range append([]settings.Secret{g.PrivateKey, g.Passphrase}, g.TrustedSigners...) {
			if s != "" {
				out = append(out, s.Reveal())
			}
		}
	}
	return out
}

// plainBus is Bus without its methods, for formatting a redacted copy.
type plainBus Bus

// redacted returns b with credentials removed from its URL.
func (b Bus) redacted() plainBus {
	b.URL = RedactURL(b.URL)
	return plainBus(b)
}

// String formats b with credentials in its URL (a NATS user, password or
// token from ${VAR} or FILEDGE_NATS_URL) replaced by REDACTED.
func (b Bus) String() string { return fmt.Sprintf("%+v", b.redacted()) }

// credential reports whether v, the value of a Secret, holds a credential:
// a URL only when it carries one (redact.HasCredentials), anything else
// when it is not empty.
func credential(v string) bool {
	if _, isURL := redact.ParseURL(v); isURL {
		return redact.HasCredentials(v)
	}
	return v != ""
}

// GoString implements fmt.GoStringer with the URL redacted.
func (b Bus) GoString() string {
	r := b.redacted()
	return fmt.Sprintf("config.Bus{URL:%q, DataDir:%q, SyncAlways:%t, BatchRetention:%d}", r.URL, r.DataDir, r.SyncAlways, int64(r.BatchRetention))
}

// MarshalJSON implements json.Marshaler with the URL redacted.
func (b Bus) MarshalJSON() ([]byte, error) { return json.Marshal(b.redacted()) }

// LogValue implements slog.LogValuer with the URL redacted.
func (b Bus) LogValue() slog.Value {
	r := b.redacted()
	return slog.GroupValue(
		slog.String("url", r.URL),
		slog.String("data_dir", r.DataDir),
		slog.Bool("sync_always", r.SyncAlways),
		slog.Duration("batch_retention", r.BatchRetention),
	)
}
