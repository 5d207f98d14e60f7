package config

import (
	"github.com/filedge/filedge/internal/redact"
	"github.com/filedge/filedge/pkg/bus"
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

// Secrets returns, revealed, every value of the pipeline that holds a
// credential, for a process to remove from all it prints (see
// internal/redact): each settings.Secret of the source's, a destination's
// or the bus's settings (a connection URL when it carries a password, a
// token or a credential parameter; any other secret, such as a password,
// whole), the credentials a bus's settings hold elsewhere
// (bus.Credentialed: a NATS server list), and the PGP private key,
// passphrase and trusted signers' keys. A URL without credentials says only where to
// connect, which logs should keep saying.
func (p *Pipeline) Secrets() []string {
	var out []string
	components := []any{p.Source.Settings, p.Bus.Settings}
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
	if c, ok := p.Bus.Settings.(bus.Credentialed); ok {
		out = append(out, c.Credentials()...)
	}
	if g := p.Layers.PGP; g != nil {
		for _, s := range append([]settings.Secret{g.PrivateKey, g.Passphrase}, g.TrustedSigners...) {
			if s != "" {
				out = append(out, s.Reveal())
			}
		}
	}
	return out
}

// credential reports whether v, the value of a Secret, holds a credential:
// a URL only when it carries one (redact.HasCredentials), anything else
// when it is not empty.
func credential(v string) bool {
	if _, isURL := redact.ParseURL(v); isURL {
		return redact.HasCredentials(v)
	}
	return v != ""
}
