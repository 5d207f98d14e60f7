package membus

import (
	"fmt"
	"slices"
	"strings"
	"unicode"

	"github.com/filedge/filedge/pkg/bus"
)

// These checks mirror what natsbus accepts, so that a service tested on
// membus does not fail on NATS.

// scoped tells whether messages of topic t carry a scope: Batches (the
// version) and Committed (the destination) do; Files and Parsed do not.
func scoped(t bus.Topic) bool { return t == bus.Batches || t == bus.Committed }

// checkAddress checks a message's address: a known topic, a pipeline, and
// a scope exactly when the topic is scoped (or, with filter set, for a
// consumer, which may take every scope).
func checkAddress(t bus.Topic, pipeline, scope string, filter bool) error {
	if !slices.Contains(bus.Topics, t) {
		return fmt.Errorf("%w: unknown topic %q", ErrInvalidAddress, t)
	}
	if err := checkToken("pipeline", pipeline); err != nil {
		return err
	}
	switch {
	case !scoped(t) && scope != "":
		return fmt.Errorf("%w: scope %q on topic %s, which has none", ErrInvalidAddress, scope, t)
	case scoped(t) && (scope != "" || !filter):
		if err := checkToken("scope", scope); err != nil {
			return fmt.Errorf("%w (topic %s needs one)", err, t)
		}
	}
	return nil
}

func checkToken(what, s string) error {
	if s == "" {
		return fmt.Errorf("%w: empty %s", ErrInvalidAddress, what)
	}
	if i := strings.IndexFunc(s, badTokenRune); i >= 0 {
		return fmt.Errorf("%w: %s %q holds %q at byte %d (subject tokens cannot hold '.', '*', '>' or white space)",
			ErrInvalidAddress, what, s, s[i:i+1], i)
	}
	return nil
}

func badTokenRune(r rune) bool {
	return r == '.' || r == '*' || r == '>' || unicode.IsSpace(r) || unicode.IsControl(r)
}

func checkMessage(m *bus.Message) error {
	if err := checkAddress(m.Topic, m.Pipeline, m.Scope, false); err != nil {
		return err
	}
	for k, v := range m.Header {
		if k == "" || strings.ContainsFunc(k, func(r rune) bool { return r == ':' || unicode.IsSpace(r) || unicode.IsControl(r) }) {
			return fmt.Errorf("%w: header name %q (want no ':', white space or control characters)", ErrInvalidAddress, k)
		}
		if strings.EqualFold(k, "Filedge-Key") || len(k) >= 5 && strings.EqualFold(k[:5], "Nats-") {
			return fmt.Errorf("%w: header name %q is reserved", ErrInvalidAddress, k)
		}
		if strings.ContainsAny(v, "\r\n") {
			return fmt.Errorf("%w: header %s holds a line break", ErrInvalidAddress, k)
		}
	}
	if strings.ContainsAny(m.ID, "\r\n") { // the key may hold any bytes: natsbus quotes it
		return fmt.Errorf("%w: id holds a line break", ErrInvalidAddress)
	}
	return nil
}

// wireSize estimates the size of m on NATS: payload plus the headers
// natsbus sends.
func wireSize(m *bus.Message) int {
	n := len(m.Data) + len("NATS/1.0\r\n\r\n")
	for k, v := range m.Header {
		n += len(k) + len(v) + 4
	}
	subject := len("filedge..") + len(m.Topic) + len(m.Pipeline) + len(m.Scope) + 1
	if m.Key != "" {
		n += len("Filedge-Key") + len(bus.QuoteKey(m.Key)) + 4
	}
	if m.ID != "" {
		n += len("Nats-Msg-Id") + subject + 1 + len(m.ID) + 4
	}
	n += len("Nats-Expected-Stream") + len("FILEDGE_") + len(m.Topic) + 4
	return n
}

func checkBucket(bucket string) error {
	if bucket == "" || strings.ContainsFunc(bucket, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_')
	}) {
		return fmt.Errorf("%w: key-value bucket %q (want letters, digits, '-' and '_')", ErrInvalidAddress, bucket)
	}
	return nil
}

func checkKey(key string) error {
	if key == "" || strings.HasPrefix(key, ".") || strings.HasSuffix(key, ".") || strings.ContainsFunc(key, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_=./", r))
	}) {
		return fmt.Errorf("%w: key %q (want letters, digits, '-', '_', '=', '/' and '.', not first or last)", ErrInvalidAddress, key)
	}
	return nil
}
