package config

import (
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// isCredentialName reports whether a key or URL query parameter name says
// that its value is a credential.
func isCredentialName(name string) bool {
	n := strings.ToLower(name)
	for _, w := range []string{"password", "passwd", "secret", "token", "apikey", "api_key", "credential"} {
		if strings.Contains(n, w) {
			return true
		}
	}
	return n == "pwd" || n == "pass"
}

// kvPassword finds password=... in a keyword/value connection string
// ("host=db user=loader password=...").
var kvPassword = regexp.MustCompile(`(?i)(?:^|\s)password\s*=\s*('[^']*'|\S+)`)

// writtenPassword reports whether raw, a connection string as written in the
// file (before ${VAR} expansion), holds a password, or a credential in its
// query, that is not entirely one ${VAR} reference. It never returns the
// password.
func writtenPassword(raw string) bool {
	if !strings.Contains(raw, "://") {
		if m := kvPassword.FindStringSubmatch(raw); m != nil {
			v := strings.Trim(m[1], "'")
			return v != "" && !pureRef.MatchString(v)
		}
		return false
	}
	masked, pure := maskRefs(raw)
	literal := func(v string) bool { return v != "" && !pure[v] }
	if u, err := url.Parse(masked); err == nil {
		if u.User != nil {
			if pw, ok := u.User.Password(); ok && literal(pw) {
				return true
			}
		}
		for k, vs := range u.Query() {
			if !isCredentialName(k) {
				continue
			}
			for _, v := range vs {
				if literal(v) {
					return true
				}
			}
		}
		return false
	}
	// Not a valid URL (a password with an unescaped '/', '#' or '?' is
	// the usual cause): judge from its text, erring on refusal.
	rest := masked[strings.Index(masked, "://")+3:]
	if !strings.HasPrefix(rest, "/") {
		if at := strings.LastIndexByte(rest, '@'); at >= 0 {
			user, pw, ok := strings.Cut(rest[:at], ":")
			if ok && !strings.ContainsAny(user, "/?#") && literal(pw) {
				return true
			}
		}
	}
	if _, query, ok := strings.Cut(rest, "?"); ok {
		query, _, _ = strings.Cut(query, "#")
		for _, kv := range strings.Split(query, "&") {
			k, v, _ := strings.Cut(kv, "=")
			if isCredentialName(k) && literal(v) {
				return true
			}
		}
	}
	return false
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
		pure[tok] = pureRef.MatchString(ref)
		b.WriteString(s[:i])
		b.WriteString(tok)
		s = s[i+end+1:]
	}
	b.WriteString(s)
	return b.String(), pure
}

// RedactURL returns s, a URL or a comma-separated list of URLs, with every
// user name, password and credential query parameter replaced by REDACTED,
// for messages and logs. A URL it cannot read safely becomes REDACTED.
func RedactURL(s string) string {
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
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil {
		if strings.Contains(s, "@") || strings.Contains(strings.ToLower(s), "pass") {
			return redacted
		}
		return s
	}
	// An '@' after the authority means the parse may have split a
	// password: show nothing.
	if strings.Contains(u.Path+u.RawQuery+u.Fragment, "@") {
		return redacted
	}
	if u.User != nil {
		u.User = url.User(redacted)
	}
	if u.RawQuery != "" {
		q := u.Query()
		changed := false
		for k := range q {
			if isCredentialName(k) {
				q.Set(k, redacted)
				changed = true
			}
		}
		if changed {
			u.RawQuery = q.Encode()
		}
	}
	return u.String()
}

// checkPostgresURL checks that s is a postgres:// or postgresql:// URL. Its
// errors never quote s.
func checkPostgresURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return errors.New("not a valid URL (percent-encode characters such as @ : / # ? in the user name and password)")
	}
	if u.Scheme != "postgres" && u.Scheme != "postgresql" {
		if u.Scheme == "" {
			return errors.New("want a postgresql://user@host:5432/dbname URL")
		}
		return fmt.Errorf("scheme %q is not postgres:// or postgresql://", u.Scheme)
	}
	return nil
}

// resolveSQLite reads a sqlite URL as SQLAlchemy users write it and returns
// "sqlite://" + the absolute file path, the form pkg/destination/sqlite
// reads (everything after "sqlite://" is the path):
//
//	sqlite:///rel/path.db   relative to dir
//	sqlite:////abs/path.db  absolute
//	rel/path.db, /abs/path.db  a plain file path
func resolveSQLite(s, dir string) (string, error) {
	const scheme = "sqlite://"
	var path string
	switch {
	case strings.HasPrefix(s, scheme):
		rest := s[len(scheme):]
		if strings.Contains(rest, "?") {
			return "", errors.New("a sqlite URL takes no options (?...): write only the file, sqlite:///relative/path.db or sqlite:////absolute/path.db")
		}
		if rest != "" && !strings.HasPrefix(rest, "/") {
			return "", errors.New("a sqlite URL has no host: write sqlite:///relative/path.db or sqlite:////absolute/path.db")
		}
		path = strings.TrimPrefix(rest, "/")
	case strings.HasPrefix(s, "sqlite:"):
		return "", errors.New("write sqlite:///relative/path.db or sqlite:////absolute/path.db")
	case strings.Contains(s, "://"):
		return "", errors.New("want a sqlite:/// URL or a file path")
	default:
		path = s
	}
	switch path {
	case "":
		return "", errors.New("no database file: write sqlite:///relative/path.db or sqlite:////absolute/path.db")
	case ":memory:":
		return "", errors.New("an in-memory database cannot hold a pipeline's data: name a file")
	}
	if !filepath.IsAbs(path) {
		path = filepath.Join(dir, path)
	}
	return scheme + filepath.ToSlash(filepath.Clean(path)), nil
}
