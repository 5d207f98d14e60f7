package natsbus

import (
	"fmt"
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

// subject returns filedge.<topic>.<pipeline>[.<scope>], checking the
// address (bus.CheckAddress).
func subject(t bus.Topic, pipeline, scope string) (string, error) {
	if err := bus.CheckAddress(t, pipeline, scope, false); err != nil {
		return "", err
	}
	s := subjectRoot + "." + string(t) + "." + pipeline
	if scope != "" {
		s += "." + scope
	}
	return s, nil
}

// filterSubject returns the subject a consumer of topic t and pipeline
// takes: one scope's, or, for scope "" on a scoped topic, every scope's.
func filterSubject(t bus.Topic, pipeline, scope string) (string, error) {
	if err := bus.CheckAddress(t, pipeline, scope, true); err != nil {
		return "", err
	}
	s := subjectRoot + "." + string(t) + "." + pipeline
	switch {
	case scope != "":
		s += "." + scope
	case bus.Scoped(t):
		s += ".>"
	}
	return s, nil
}

// parseSubject splits filedge.<topic>.<pipeline>[.<scope>].
func parseSubject(s string) (t bus.Topic, pipeline, scope string, err error) {
	parts := strings.Split(s, ".")
	if len(parts) < 3 || len(parts) > 4 || parts[0] != subjectRoot {
		return "", "", "", fmt.Errorf("%w: subject %q is not filedge.<topic>.<pipeline>[.<scope>]", bus.ErrInvalidAddress, s)
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
		if strings.ContainsRune(".*>/\\", r) || unicode.IsSpace(r) || unicode.IsControl(r) {
			return '_'
		}
		return r
	}, name)
}
