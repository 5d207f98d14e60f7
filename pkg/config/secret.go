package config

import (
	"encoding/json"
	"log/slog"
	"regexp"

	"github.com/filedge/filedge/internal/redact"
)

// Secret is a string that may hold a credential. It never prints: its
// String, LogValue and JSON form are REDACTED. Reveal returns the value.
type Secret string

const redacted = redact.Redacted

// Reveal returns the secret's value, for the code that connects with it.
func (s Secret) Reveal() string { return string(s) }

func (s Secret) String() string { return redacted }

// LogValue implements slog.LogValuer.
func (s Secret) LogValue() slog.Value { return slog.StringValue(redacted) }

// MarshalJSON implements json.Marshaler.
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(redacted) }

// Regexp is a compiled regular expression that keeps its source text.
type Regexp struct {
	*regexp.Regexp
}

// MarshalJSON implements json.Marshaler.
func (r *Regexp) MarshalJSON() ([]byte, error) { return json.Marshal(r.String()) }
