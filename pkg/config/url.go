package config

import (
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/filedge/filedge/internal/redact"
	"github.com/filedge/filedge/pkg/settings"
)

// writtenBusPassword is writtenPassword for bus.url: a comma-separated list
// of NATS URLs, each read as nats:// when it names no scheme, as NATS does.
func writtenBusPassword(raw string) bool {
	return settings.WrittenPasswordInList(raw, redact.NATSServers)
}

// RedactURL returns s, a URL or a comma-separated list of URLs, with every
// user name, password and credential query parameter replaced by REDACTED,
// for messages and logs. A URL it cannot read safely becomes REDACTED.
func RedactURL(s string) string { return redact.URLs(s) }

// checkPostgresURL checks that s is a postgres:// or postgresql:// URL that
// a driver reads as a person does (see redact.URL.Check). Its errors never
// quote s.
func checkPostgresURL(s string) error {
	u, ok := redact.ParseURL(s)
	if !ok {
		return errors.New("want a postgresql://user@host:5432/dbname URL (the value is not shown)")
	}
	if err := u.Check(); err != nil {
		return err
	}
	if u.Scheme != "postgres" && u.Scheme != "postgresql" {
		return fmt.Errorf("scheme %s is not postgres:// or postgresql://", schemeName(u.Scheme))
	}
	if _, err := url.Parse(s); err != nil {
		return errors.New("not a valid URL: check its host, port and query (the URL is not shown)")
	}
	return nil
}

// checkBusURL checks that every server of s, a bus URL, is read by NATS as
// a person reads it (see redact.URL.Check). Its errors never quote s.
func checkBusURL(s string) error {
	for _, server := range redact.NATSServers(s) {
		u, _ := redact.ParseURL(server)
		if err := u.Check(); err != nil {
			return err
		}
		if _, err := url.Parse(server); err != nil {
			return errors.New("not a valid URL: check its hosts and ports (the URL is not shown)")
		}
	}
	return nil
}

// schemePattern is the syntax of a URL scheme (RFC 3986).
var schemePattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*$`)

// schemeName quotes scheme for a message, or describes it when it is not
// a scheme at all (and so may be a piece of something else).
func schemeName(scheme string) string {
	if schemePattern.MatchString(scheme) {
		return strconv.Quote(scheme)
	}
	return "(not a valid scheme)"
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
