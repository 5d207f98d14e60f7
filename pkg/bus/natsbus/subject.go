package natsbus

import (
	"fmt"
	"slices"
	"strings"
	"unicode"

	"github.com/filedge/filedge/pkg/bus"
)

// subjectRoot is the first token of every filedge subject.
const subjectRoot = "filedge"

// streamName returns the name of the stream that holds topic t.
func streamName(t bus.Topic) string {
	return "FILEDGE_" + strings.ToUpper(string(t))
}

// checkTopic reports whether t is one of bus.Topics.
func checkTopic(t bus.Topic) error {
	if !slices.Contains(bus.Topics, t) {
		return fmt.Errorf("%w: unknown topic %q", ErrInvalidAddress, t)
	}
	return nil
}

// checkToken reports whether s can be one token of a subject: non-empty,
// without '.', '*', '>' or white space or control characters.
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

// scoped tells whether messages of topic t carry a scope: Batches (the
// version) and Committed (the destination) do; Files and Parsed do not.
func scoped(t bus.Topic) bool { return t == bus.Batches || t == bus.Committed }

// subject returns filedge.<topic>.<pipeline>[.<scope>], checking each part
// and that the scope is there exactly when the topic is scoped.
func subject(t bus.Topic, pipeline, scope string) (string, error) {
	if err := checkTopic(t); err != nil {
		return "", err
	}
	if err := checkToken("pipeline", pipeline); err != nil {
		return "", err
	}
	s := subjectRoot + "." + string(t) + "." + pipeline
	if !scoped(t) {
		if scope != "" {
			return "", fmt.Errorf("%w: scope %q on topic %s, which has none", ErrInvalidAddress, scope, t)
		}
		return s, nil
	}
	if err := checkToken("scope", scope); err != nil {
		return "", fmt.Errorf("%w (topic %s needs one)", err, t)
	}
	return s + "." + scope, nil
}

// filterSubject returns the subject a consumer of topic t and pipeline
// takes: one scope's, or, for scope "" on a scoped topic, every scope's.
func filterSubject(t bus.Topic, pipeline, scope string) (string, error) {
	if scope == "" && scoped(t) {
		if _, err := subject(t, pipeline, "any"); err != nil {
			return "", err
		}
		return subjectRoot + "." + string(t) + "." + pipeline + ".>", nil
	}
	return subject(t, pipeline, scope)
}

// parseSubject splits filedge.<topic>.<pipeline>[.<scope>].
func parseSubject(s string) (t bus.Topic, pipeline, scope string, err error) {
	parts := strings.Split(s, ".")
	if len(parts) < 3 || len(parts) > 4 || parts[0] != subjectRoot {
		return "", "", "", fmt.Errorf("%w: subject %q is not filedge.<topic>.<pipeline>[.<scope>]", ErrInvalidAddress, s)
	}
	t, pipeline = bus.Topic(parts[1]), parts[2]
	if len(parts) == 4 {
		scope = parts[3]
	}
	return t, pipeline, scope, nil
}

// durableName returns the name of the durable consumer of a group:
// <group>_<pipeline>[_<scope>], with every character a consumer name cannot
// hold replaced by '_'. The topic is not part of it: each topic has its own
// stream, and consumer names are per stream.
func durableName(group, pipeline, scope string) string {
	name := group + "_" + pipeline
	if scope != "" {
		name += "_" + scope
	}
	return strings.Map(func(r rune) rune {
		if badTokenRune(r) || r == '/' || r == '\\' {
			return '_'
		}
		return r
	}, name)
}

// checkHeader reports whether a header key and value can travel in a NATS
// message and are not reserved for the bus itself.
func checkHeader(k, v string) error {
	if k == "" || strings.ContainsFunc(k, func(r rune) bool { return r == ':' || unicode.IsSpace(r) || unicode.IsControl(r) }) {
		return fmt.Errorf("%w: header name %q (want no ':', white space or control characters)", ErrInvalidAddress, k)
	}
	if strings.EqualFold(k, headerKey) || len(k) >= 5 && strings.EqualFold(k[:5], "Nats-") {
		return fmt.Errorf("%w: header name %q is reserved", ErrInvalidAddress, k)
	}
	if strings.ContainsAny(v, "\r\n") {
		return fmt.Errorf("%w: header %s holds a line break", ErrInvalidAddress, k)
	}
	return nil
}
