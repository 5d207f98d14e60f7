package settings

import (
	"slices"
	"strconv"
	"strings"

	"github.com/filedge/filedge/internal/redact"
)

// WrittenPassword reports whether raw, a connection string as written in
// the file (before ${VAR} expansion), holds a credential that is not
// entirely one ${VAR} reference: a password in any reading of its user info
// (see redact.URL.UserInfos, so that an unescaped '/', '?', '#' or '@' in it
// does not hide it), a NATS token (nats://TOKEN@host), a credential query
// parameter (?password=, ?sslpassword=, ...), or password= in a
// keyword/value string. It never returns the password.
func WrittenPassword(raw string) bool {
	if !strings.Contains(raw, "://") {
		pw, ok := redact.KeywordPassword(raw)
		return ok && pw != "" && !IsRef(pw)
	}
	masked, pure := maskRefs(raw)
	return literalCredential(masked, pure)
}

// WrittenPasswordInList is WrittenPassword for a value that holds several
// URLs, which split separates as their reader does (redact.NATSServers for
// a NATS server list, which also reads a URL without a scheme as nats://).
func WrittenPasswordInList(raw string, split func(string) []string) bool {
	masked, pure := maskRefs(raw)
	return slices.ContainsFunc(split(masked), func(s string) bool { return literalCredential(s, pure) })
}

// literalCredential reports whether the URL masked (see maskRefs) holds a
// credential other than a pure ${VAR} reference.
func literalCredential(masked string, pure map[string]bool) bool {
	u, ok := redact.ParseURL(masked)
	if !ok {
		return false
	}
	literal := func(v string) bool { return v != "" && !pure[v] }
	for _, ui := range u.UserInfos() {
		user, pw, hasPW := strings.Cut(ui, ":")
		if hasPW && literal(pw) || !hasPW && redact.TokenScheme(u.Scheme) && literal(user) {
			return true
		}
	}
	return slices.ContainsFunc(u.CredentialParams(), literal)
}

// maskRefs replaces every ${...} in s with a token of letters and digits,
// so that s parses as a URL, and reports which tokens stand for a pure
// ${NAME} reference.
func maskRefs(s string) (string, map[string]bool) {
	pure := map[string]bool{}
	var b strings.Builder
	n := 0
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			break
		}
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			break
		}
		ref := s[i : i+end+1]
		tok := "zfiledgeref" + strconv.Itoa(n) + "z"
		n++
		pure[tok] = IsRef(ref)
		b.WriteString(s[:i])
		b.WriteString(tok)
		s = s[i+end+1:]
	}
	b.WriteString(s)
	return b.String(), pure
}
