package postgres

import (
	"context"
	"regexp"
	"strconv"
	"strings"

	"github.com/filedge/filedge/pkg/destination"
	"github.com/filedge/filedge/pkg/settings"
)

// EnvDatabaseURL is the environment variable whose value is a postgres
// destination's url when its block has none.
const EnvDatabaseURL = "DATABASE_URL"

// Config is a postgres destination's settings: the keys of its
// connector: block (or destinations: entry) besides the pipeline's name,
// type, write_mode and cdc.
type Config struct {
	// URL is the connection URL, postgres:// or postgresql://; a password
	// in it comes from the environment (${PGPASSWORD}), never the file.
	// Without the key, DATABASE_URL.
	URL settings.Secret `yaml:"url" credential:"${PGPASSWORD} or DATABASE_URL"`
	// Schema is the schema tables live in; "" is DefaultSchema.
	Schema string `yaml:"schema"`
}

// Open connects to the destination; see New.
func (c Config) Open(ctx context.Context, env destination.Env) (destination.Destination, error) {
	db, err := New(ctx, c, env)
	if err != nil {
		return nil, err
	}
	return db, nil
}

// decode reads a postgres block: url, or DATABASE_URL without it, must be
// a URL that a driver and a person read alike and that pgx accepts; no
// message quotes it.
func decode(b *settings.Block) destination.Config {
	var c Config
	b.Decode(&c)
	c.Schema = strings.TrimSpace(c.Schema)
	if c.Schema != "" {
		if err := checkIdentifier("schema", c.Schema); err != nil {
			b.Errorf("schema", "%w", err)
		}
	}
	switch {
	case b.Failed("url"):
	case b.Has("url"):
		if strings.TrimSpace(c.URL.Reveal()) == "" {
			b.Errorf("url", "must not be empty (omit it to use %s)", EnvDatabaseURL)
		} else if _, _, err := parseURL(c.URL.Reveal()); err != nil {
			b.Errorf("url", "%w", err)
		}
	default:
		env, set := b.Lookup(EnvDatabaseURL)
		switch _, _, err := parseURL(env); {
		case !set || strings.TrimSpace(env) == "":
			b.Errorf("url", "no url, and %s is not set: give url: postgresql://user@host:5432/dbname or set %s", EnvDatabaseURL, EnvDatabaseURL)
		case err != nil:
			b.Errorf("url", "%s: %w", EnvDatabaseURL, err)
		default:
			c.URL = settings.Secret(env)
		}
	}
	return c
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
