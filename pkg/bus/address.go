package bus

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
)

// The rules of this file are NATS's, the stricter bus's, so that a message
// any bus accepts every bus accepts: pipelines and scopes become subject
// tokens on NATS and header values on Kafka.

// Scoped reports whether messages of topic t carry a scope: Batches (the
// version) and Committed (the destination) do; Files and Parsed do not.
func Scoped(t Topic) bool { return t == Batches || t == Committed }

// CheckAddress reports whether t, pipeline and scope address messages: a
// known topic, a pipeline, and a scope exactly when the topic is scoped.
// With filter set it checks a consumer's address instead, which may leave
// the scope of a scoped topic empty to take every scope. Pipelines and
// scopes are tokens (see CheckToken).
func CheckAddress(t Topic, pipeline, scope string, filter bool) error {
	if !slices.Contains(Topics, t) {
		return fmt.Errorf("%w: unknown topic %q", ErrInvalidAddress, t)
	}
	if err := CheckToken("pipeline", pipeline); err != nil {
		return err
	}
	switch {
	case !Scoped(t) && scope != "":
		return fmt.Errorf("%w: scope %q on topic %s, which has none", ErrInvalidAddress, scope, t)
	case Scoped(t) && (scope != "" || !filter):
		if err := CheckToken("scope", scope); err != nil {
			return fmt.Errorf("%w (topic %s needs one)", err, t)
		}
	}
	return nil
}

// CheckToken reports whether s, a pipeline, scope or group, is a token:
// not empty, without '.', '*', '>', white space or control characters.
func CheckToken(what, s string) error {
	if s == "" {
		return fmt.Errorf("%w: empty %s", ErrInvalidAddress, what)
	}
	if i := strings.IndexFunc(s, badTokenRune); i >= 0 {
		return fmt.Errorf("%w: %s %q holds %q at byte %d (tokens cannot hold '.', '*', '>' or white space)",
			ErrInvalidAddress, what, s, s[i:i+1], i)
	}
	return nil
}

func badTokenRune(r rune) bool {
	return r == '.' || r == '*' || r == '>' || unicode.IsSpace(r) || unicode.IsControl(r)
}

// HeaderKey is the header that carries Message.Key on buses that carry
// keys as text (NATS), quoted by QuoteKey. It is reserved.
const HeaderKey = "Filedge-Key"

// ReservedHeaderPrefixes start the header names that buses keep for
// themselves (NATS's own headers; the address on Kafka).
var ReservedHeaderPrefixes = []string{"Nats-", "Filedge-Bus-"}

// CheckMessage checks m's address, its headers and its id: header names
// are not empty, hold no ':', white space or control characters and are
// not reserved (HeaderKey, ReservedHeaderPrefixes, in any case); header
// values and the id hold no line break. The key may hold any bytes.
func CheckMessage(m *Message) error {
	if err := CheckAddress(m.Topic, m.Pipeline, m.Scope, false); err != nil {
		return err
	}
	for k, v := range m.Header {
		if k == "" || strings.ContainsFunc(k, func(r rune) bool { return r == ':' || unicode.IsSpace(r) || unicode.IsControl(r) }) {
			return fmt.Errorf("%w: header name %q (want no ':', white space or control characters)", ErrInvalidAddress, k)
		}
		if strings.EqualFold(k, HeaderKey) || slices.ContainsFunc(ReservedHeaderPrefixes, func(p string) bool {
			return len(k) >= len(p) && strings.EqualFold(k[:len(p)], p)
		}) {
			return fmt.Errorf("%w: header name %q is reserved", ErrInvalidAddress, k)
		}
		if strings.ContainsAny(v, "\r\n") {
			return fmt.Errorf("%w: header %s holds a line break", ErrInvalidAddress, k)
		}
	}
	if strings.ContainsAny(m.ID, "\r\n") {
		return fmt.Errorf("%w: id holds a line break", ErrInvalidAddress)
	}
	return nil
}

// CheckTableName reports whether name can name a Table: letters, digits,
// '-' and '_'.
func CheckTableName(name string) error {
	if name == "" || strings.ContainsFunc(name, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_')
	}) {
		return fmt.Errorf("%w: table %q (want letters, digits, '-' and '_')", ErrInvalidAddress, name)
	}
	return nil
}

// CheckTableKey reports whether key can be a key of a Table: letters,
// digits, '-', '_', '=', '/' and '.', not first or last.
func CheckTableKey(key string) error {
	if key == "" || strings.HasPrefix(key, ".") || strings.HasSuffix(key, ".") || strings.ContainsFunc(key, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_=./", r))
	}) {
		return fmt.Errorf("%w: key %q (want letters, digits, '-', '_', '=', '/' and '.', not first or last)", ErrInvalidAddress, key)
	}
	return nil
}
