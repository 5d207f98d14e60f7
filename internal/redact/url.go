package redact

import (
	"net/url"
	"regexp"
	"strings"
)

// Redacted replaces what is hidden.
const Redacted = "REDACTED"

// URL is a connection URL split the way a person reads it. Every field is
// as written, percent-escapes included.
type URL struct {
	// Scheme is what comes before "://".
	Scheme string
	// UserInfo is everything between "://" and the last '@' before the
	// query ("user:password", or a NATS token); HasUserInfo reports whether
	// that '@' is there. A URL whose text after "://" starts with '/' has
	// neither user info nor host ("sqlite:///path", "postgresql:///db").
	UserInfo    string
	HasUserInfo bool
	// Host is what follows the user info up to the first '/', '?' or '#':
	// host[:port], or several of them separated by commas.
	Host string
	// Rest is the path, query and fragment.
	Rest string

	// authority is the text after "://", for the readings of UserInfos.
	authority string
}

// ParseURL splits s, read as a person reads it; ok is false when s has no
// "://" after a scheme. It never fails otherwise: URL.Check tells whether
// a driver would read s the same way.
func ParseURL(s string) (u URL, ok bool) {
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok || scheme == "" || strings.ContainsAny(scheme, "/?#@") {
		return URL{}, false
	}
	u = URL{Scheme: scheme, authority: rest}
	after := rest
	if !strings.HasPrefix(rest, "/") {
		head := rest
		if q := strings.IndexByte(rest, '?'); q >= 0 {
			head = rest[:q]
		}
		if at := strings.LastIndexByte(head, '@'); at >= 0 {
			u.UserInfo, u.HasUserInfo, after = rest[:at], true, rest[at+1:]
		}
	}
	end := strings.IndexAny(after, "/?#")
	if end < 0 {
		end = len(after)
	}
	u.Host, u.Rest = after[:end], after[end:]
	return u, true
}

// Check returns an error wrapping ErrAmbiguousURL when a driver could read
// u otherwise than ParseURL does: the user info holds a character that
// must be percent-encoded ('/', '?', '#', '@', a space, a '%' that starts
// no %XX escape, or any other character outside those RFC 3986 allows
// there), or the URL holds an '@' after its user info. Drivers differ:
// Go's net/url (and so nats.go) ends the authority at the first '/', '?'
// or '#' and the user info at its last '@'; pgx, like libpq, ends the user
// info at the first '@' before any '/'. A URL that passes Check reads the
// same to all three. The error never quotes the URL.
func (u URL) Check() error {
	if strings.Contains(u.Host, "@") || strings.Contains(u.Rest, "@") || !validUserInfo(u.UserInfo) {
		return ErrAmbiguousURL
	}
	return nil
}

// validUserInfo reports whether s holds only the characters RFC 3986
// allows in user info, with every '%' starting a %XX escape.
func validUserInfo(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("-._~!$&'()*+,;=:", c) >= 0:
		case c == '%':
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
				return false
			}
			i += 2
		default:
			return false
		}
	}
	return true
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// User returns the user name as written: the user info up to its first ':'.
func (u URL) User() string {
	user, _, _ := strings.Cut(u.UserInfo, ":")
	return user
}

// Password returns the password as written (after the user info's first
// ':'), and whether there is one.
func (u URL) Password() (string, bool) {
	_, pw, ok := strings.Cut(u.UserInfo, ":")
	return pw, ok
}

// UserInfos returns every user info a reader could take u to have: its
// UserInfo and, when the URL holds an '@' after it (so that Check fails),
// everything up to the last '@' of the URL, in case the password holds a
// '?' (postgresql://u:p?w@host). Empty when u has no user info at all.
func (u URL) UserInfos() []string {
	var out []string
	if u.HasUserInfo {
		out = append(out, u.UserInfo)
	}
	if !strings.HasPrefix(u.authority, "/") {
		if at := strings.LastIndexByte(u.authority, '@'); at >= 0 && (!u.HasUserInfo || at > len(u.UserInfo)) {
			out = append(out, u.authority[:at])
		}
	}
	return out
}

// TokenScheme reports whether a user name without a password is a
// credential in a URL of scheme: NATS reads nats://TOKEN@host as an
// authentication token.
func TokenScheme(scheme string) bool {
	switch strings.ToLower(scheme) {
	case "nats", "tls", "ws", "wss":
		return true
	}
	return false
}

// NATSServers splits s, a comma-separated list of NATS server URLs, as
// NATS does: each trimmed, empty ones dropped, and nats:// before each that
// names no scheme.
func NATSServers(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		p = strings.TrimSpace(p)
		switch {
		case p == "":
		case strings.Contains(p, "://"):
			out = append(out, p)
		default:
			out = append(out, "nats://"+p)
		}
	}
	return out
}

// CredentialParams returns the values, as written, of the query
// parameters of u whose names say they hold a credential (see
// IsCredentialName).
func (u URL) CredentialParams() []string {
	_, query, ok := strings.Cut(u.Rest, "?")
	if !ok {
		return nil
	}
	query, _, _ = strings.Cut(query, "#")
	var out []string
	for _, kv := range strings.Split(query, "&") {
		k, v, _ := strings.Cut(kv, "=")
		if name, err := url.QueryUnescape(k); err == nil {
			k = name
		}
		if IsCredentialName(k) {
			out = append(out, v)
		}
	}
	return out
}

// IsCredentialName reports whether a key or URL query parameter name says
// that its value is a credential.
func IsCredentialName(name string) bool {
	n := strings.ToLower(name)
	for _, w := range []string{"password", "passwd", "secret", "token", "apikey", "api_key", "credential"} {
		if strings.Contains(n, w) {
			return true
		}
	}
	return n == "pwd" || n == "pass"
}

// keywordPassword finds password=... in a keyword/value connection string
// ("host=db user=loader password=...").
var keywordPassword = regexp.MustCompile(`(?i)(?:^|\s)password\s*=\s*('[^']*'|\S+)`)

// KeywordPassword returns the password of a keyword/value connection
// string ("host=db user=loader password=..."), without its quotes.
func KeywordPassword(s string) (string, bool) {
	m := keywordPassword.FindStringSubmatch(s)
	if m == nil {
		return "", false
	}
	return strings.Trim(m[1], "'"), true
}

// URLs returns s, a URL or a comma-separated list of URLs, with every user
// name, password, token and credential query parameter replaced by
// REDACTED, for messages and logs. A URL that Check refuses, or that does
// not parse, becomes REDACTED whole.
func URLs(s string) string {
	if s == "" {
		return s
	}
	parts := strings.Split(s, ",")
	for i, p := range parts {
		parts[i] = redactOne(p)
	}
	return strings.Join(parts, ",")
}

func redactOne(s string) string {
	s = strings.TrimSpace(s)
	u, ok := ParseURL(s)
	if !ok {
		if strings.Contains(s, "@") || strings.Contains(strings.ToLower(s), "pass") {
			return Redacted
		}
		return s
	}
	if u.Check() != nil {
		return Redacted
	}
	pu, err := url.Parse(s)
	if err != nil {
		return Redacted
	}
	if pu.User != nil {
		pu.User = url.User(Redacted)
	}
	if pu.RawQuery != "" {
		q := pu.Query()
		changed := false
		for k := range q {
			if IsCredentialName(k) {
				q.Set(k, Redacted)
				changed = true
			}
		}
		if changed {
			pu.RawQuery = q.Encode()
		}
	}
	return pu.String()
}
