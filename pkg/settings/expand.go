package settings

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// varName is the syntax of a variable name in ${NAME}.
var varName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// pureRef matches a value that is exactly one ${NAME} reference, with no
// default: the only form a password may take in the file.
var pureRef = regexp.MustCompile(`^\$\{[A-Za-z_][A-Za-z0-9_]*\}$`)

// IsRef reports whether s is exactly one ${NAME} reference, with no default:
// the only form a credential may take in a settings file.
func IsRef(s string) bool { return pureRef.MatchString(s) }

// Expand replaces ${NAME} and ${NAME:-default} with values from lookup and
// $$ with $. A $ followed by anything else is kept, so that regular
// expressions such as `\.csv$` need no escaping. ${NAME:-default} takes the
// default when NAME is unset or empty; ${NAME} with NAME unset is an error
// wrapping ErrUnsetVariable that names the variable, never a value.
func Expand(s string, lookup func(string) (string, bool)) (string, error) {
	if !strings.Contains(s, "$") {
		return s, nil
	}
	var b strings.Builder
	var missing []string
	for i := 0; i < len(s); {
		if s[i] != '$' || i+1 == len(s) {
			b.WriteByte(s[i])
			i++
			continue
		}
		switch s[i+1] {
		case '$':
			b.WriteByte('$')
			i += 2
			continue
		case '{':
		default:
			b.WriteByte('$')
			i++
			continue
		}
		end := strings.IndexByte(s[i+2:], '}')
		if end < 0 {
			return "", errors.New("unterminated ${ (write $$ for a literal dollar sign)")
		}
		body := s[i+2 : i+2+end]
		name, def, hasDef := strings.Cut(body, ":-")
		if !varName.MatchString(name) {
			return "", fmt.Errorf("invalid variable reference: %q is not a variable name (write ${NAME} or ${NAME:-default}, $$ for a literal dollar sign)", name)
		}
		v, ok := lookup(name)
		switch {
		case hasDef && v == "":
			v = def
		case !ok:
			missing = append(missing, name)
		}
		b.WriteString(v)
		i += 2 + end + 1
	}
	switch len(missing) {
	case 0:
		return b.String(), nil
	case 1:
		return "", fmt.Errorf("%w: %s (set it, or write ${%s:-default})", ErrUnsetVariable, missing[0], missing[0])
	}
	return "", fmt.Errorf("%w: %s", ErrUnsetVariable, strings.Join(missing, ", "))
}
