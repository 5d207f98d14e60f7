package config

import "github.com/filedge/filedge/internal/redact"

// RedactURL returns s, a URL or a comma-separated list of URLs, with every
// user name, password and credential query parameter replaced by REDACTED,
// for messages and logs. A URL it cannot read safely becomes REDACTED.
func RedactURL(s string) string { return redact.URLs(s) }
