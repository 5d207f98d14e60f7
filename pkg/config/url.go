package config

import (
	"errors"
	"net/url"

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
