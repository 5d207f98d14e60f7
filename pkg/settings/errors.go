package settings

import (
	"errors"
	"strconv"
	"strings"
)

// Sentinel causes carried by an Error, for errors.Is on the problems a
// File collects.
var (
	// ErrUnsetVariable: a ${VAR} reference names a variable that is not set
	// and gives no default.
	ErrUnsetVariable = errors.New("environment variable not set")
	// ErrCredentialInFile: a password or other credential is written in the
	// file instead of coming from the environment.
	ErrCredentialInFile = errors.New("credential written in the pipeline file")
	// ErrUnknownKey: a key that neither the block's owner nor its component
	// takes.
	ErrUnknownKey = errors.New("unknown key")
)

// Error is one problem in a settings file, with its place.
type Error struct {
	File   string // the file as named to the user (File.Name)
	Line   int    // 1-based; 0 when the problem has no place in the file
	Column int    // 1-based; 0 when unknown
	Key    string // dotted path of the key, e.g. destinations[0].url
	Msg    string // what is wrong; never quotes a secret
	Err    error  // the cause, for errors.Is and errors.As; may be nil
}

// Error formats the problem as "file:line: key: message".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		if e.File != "" {
			b.WriteByte(':')
		} else {
			b.WriteString("line ")
		}
		b.WriteString(strconv.Itoa(e.Line))
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	if e.Key != "" {
		b.WriteString(e.Key)
		b.WriteString(": ")
	}
	switch {
	case e.Msg != "":
		b.WriteString(e.Msg)
	case e.Err != nil:
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Errors is every problem found in a settings file, in file order (see
// File.Errors). config.Load returns a *Errors when pipeline.yaml is not
// valid.
type Errors []*Error

// Error lists the problems, one per line.
func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap returns the problems, so that errors.Is and errors.As see each one.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// As lets errors.As fill a target of type *Errors as well as **Errors.
func (es *Errors) As(target any) bool {
	if t, ok := target.(*Errors); ok {
		*t = *es
		return true
	}
	return false
}
