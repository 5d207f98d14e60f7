package settings

import (
	"encoding/json"
	"log/slog"
	"strconv"

	"github.com/filedge/filedge/internal/redact"
)

// Secret is a string that may hold a credential: a connection URL, a token,
// a key. It never prints: its String, GoString, LogValue and JSON form are
// REDACTED. Reveal returns the value, for the code that connects with it.
//
// A Secret field of a component's settings is refused by Block.Decode when
// the file writes a credential in it instead of a ${VAR} reference, and no
// message quotes it.
type Secret string

const redacted = redact.Redacted

// Reveal returns the secret's value, for the code that connects with it.
func (s Secret) Reveal() string { return string(s) }

func (s Secret) String() string { return redacted }

// GoString implements fmt.GoStringer, so that %#v does not print the
// secret either.
func (s Secret) GoString() string { return strconv.Quote(redacted) }

// LogValue implements slog.LogValuer.
func (s Secret) LogValue() slog.Value { return slog.StringValue(redacted) }

// MarshalJSON implements json.Marshaler.
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(redacted) }
