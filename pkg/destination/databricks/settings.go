package databricks

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"unicode"

	"github.com/filedge/filedge/pkg/destination"
	"github.com/filedge/filedge/pkg/settings"
)

// EnvToken is the environment variable a databricks destination takes its
// access token from when its block has no token key.
const EnvToken = "DATABRICKS_TOKEN"

// DefaultSchema is the schema tables live in when the block names none.
const DefaultSchema = "default"

func init() {
	destination.Register(destination.Info{
		Type:  "databricks",
		Label: "Databricks",
		// Each MERGE commits one Delta table; the ledger row, written
		// last, makes the version committed once every table is in.
		Atomicity: destination.PerTable,
		Decode:    decode,
	})
}

// Config is a databricks destination's settings: the keys of its
// connector: block (or destinations: entry) besides the pipeline's name,
// type and write_mode.
type Config struct {
	// ServerHostname is the workspace's host name, as the workspace's
	// connection details give it (dbc-a1b2c3d4-e5f6.cloud.databricks.com).
	// Required.
	ServerHostname string `yaml:"server_hostname"`
	// HTTPPath is the SQL warehouse's (or cluster's) HTTP path
	// (/sql/1.0/warehouses/abc123). Required.
	HTTPPath string `yaml:"http_path"`
	// Catalog and Schema name where the tables live (Unity Catalog):
	// the catalog is required, the schema defaults to DefaultSchema. Both
	// must exist.
	Catalog string `yaml:"catalog"`
	Schema  string `yaml:"schema"`
	// Staging is the Unity Catalog volume folder the Parquet files of a
	// commit are uploaded to before COPY INTO reads them
	// (/Volumes/main/default/filedge_staging). Required.
	Staging string `yaml:"staging"`
	// Token is the access token (a personal access token or a service
	// principal's), only as ${VAR}; without the key, DATABRICKS_TOKEN.
	Token settings.Secret `yaml:"token" credential:"${DATABRICKS_TOKEN}"`
	// Endpoint, optional, is the base URL the SQL and Files API requests
	// go to instead of https://ServerHostname: a private endpoint, a proxy,
	// or an emulator in tests. Plain http is accepted for a loopback host
	// only, since the token travels with every request.
	Endpoint string `yaml:"endpoint"`
}

// Open connects to the workspace; see New.
func (c Config) Open(ctx context.Context, env destination.Env) (destination.Destination, error) {
	db, err := New(ctx, c, env)
	if err != nil {
		return nil, err // not a nil *DB in a non-nil interface
	}
	return db, nil
}

// decode reads a databricks block and checks each key, reporting every
// problem at its key's line; no message quotes the token.
func decode(b *settings.Block) destination.Config {
	c := Config{Schema: DefaultSchema}
	b.Decode(&c)
	c.ServerHostname = strings.TrimSpace(c.ServerHostname)
	c.HTTPPath = strings.TrimSpace(c.HTTPPath)
	c.Catalog = strings.TrimSpace(c.Catalog)
	c.Schema = strings.TrimSpace(c.Schema)
	c.Staging = strings.TrimSpace(c.Staging)
	c.Endpoint = strings.TrimSpace(c.Endpoint)

	required := func(key, v, example string, check func(string) error) {
		switch {
		case b.Failed(key):
		case v == "":
			b.Errorf(key, "required: %s", example)
		default:
			if err := check(v); err != nil {
				b.Errorf(key, "%w", err)
			}
		}
	}
	required("server_hostname", c.ServerHostname, "the workspace's host name, e.g. server_hostname: dbc-a1b2c3d4-e5f6.cloud.databricks.com", checkHostname)
	required("http_path", c.HTTPPath, "the SQL warehouse's HTTP path, e.g. http_path: /sql/1.0/warehouses/abc123", checkHTTPPath)
	required("catalog", c.Catalog, "the Unity Catalog catalog of the tables, e.g. catalog: main", checkName)
	required("staging", c.Staging, "a volume folder for the staged Parquet files, e.g. staging: /Volumes/main/default/filedge_staging", checkStaging)
	if !b.Failed("schema") {
		if err := checkName(c.Schema); err != nil {
			b.Errorf("schema", "%w", err)
		}
	}
	if c.HTTPPath != "" && !strings.HasPrefix(c.HTTPPath, "/") {
		c.HTTPPath = "/" + c.HTTPPath
	}
	if c.Endpoint != "" && !b.Failed("endpoint") {
		if _, err := parseEndpoint(c.Endpoint); err != nil {
			b.Errorf("endpoint", "%w", err)
		}
	}
	switch {
	case b.Failed("token"):
	case b.Has("token"):
		if strings.TrimSpace(c.Token.Reveal()) == "" {
			b.Errorf("token", "must not be empty (omit it to use %s)", EnvToken)
		}
	default:
		if v, ok := b.Lookup(EnvToken); ok && strings.TrimSpace(v) != "" {
			c.Token = settings.Secret(strings.TrimSpace(v))
		} else {
			b.Errorf("token", "no token, and %s is not set: set %s to an access token (or token: ${VAR})", EnvToken, EnvToken)
		}
	}
	return c
}

// checkHostname refuses a server_hostname that is not a bare host name:
// a URL, a path or a port belongs elsewhere.
func checkHostname(h string) error {
	if strings.Contains(h, "://") {
		return fmt.Errorf("write the host name alone, without a scheme (use endpoint for a full URL)")
	}
	if strings.ContainsAny(h, "/?#@ ") {
		return fmt.Errorf("not a host name: write it alone, e.g. dbc-a1b2c3d4-e5f6.cloud.databricks.com")
	}
	if strings.Contains(h, ":") {
		return fmt.Errorf("write the host name alone, without a port (use endpoint for another port)")
	}
	return nil
}

// checkHTTPPath refuses an http_path that cannot be a path.
func checkHTTPPath(p string) error {
	if strings.Contains(p, "://") {
		return fmt.Errorf("the path alone, e.g. /sql/1.0/warehouses/abc123, not a URL")
	}
	if strings.IndexFunc(p, unicode.IsSpace) >= 0 || strings.IndexFunc(p, unicode.IsControl) >= 0 {
		return fmt.Errorf("must not hold spaces or control characters")
	}
	return nil
}

// checkName refuses a catalog or schema name Unity Catalog cannot hold: a
// period, a space, a slash or a control character.
func checkName(n string) error {
	if n == "" {
		return fmt.Errorf("must not be empty")
	}
	if len(n) > 255 {
		return fmt.Errorf("longer than 255 characters")
	}
	for _, r := range n {
		if r == '.' || r == ' ' || r == '/' || unicode.IsControl(r) {
			return fmt.Errorf("%q may not hold a period, a space, a slash or a control character", n)
		}
	}
	return nil
}

// checkStaging requires a folder of a Unity Catalog volume:
// /Volumes/<catalog>/<schema>/<volume>[/...].
func checkStaging(p string) error {
	parts := strings.Split(strings.TrimSuffix(p, "/"), "/")
	if !strings.HasPrefix(p, "/Volumes/") || len(parts) < 5 {
		return fmt.Errorf("must be a volume folder, /Volumes/<catalog>/<schema>/<volume>[/<folder>], e.g. /Volumes/main/default/filedge_staging")
	}
	for _, part := range parts[1:] {
		if part == "" || part == "." || part == ".." {
			return fmt.Errorf("must be a clean path: no empty, . or .. segment")
		}
		if strings.IndexFunc(part, unicode.IsControl) >= 0 || strings.ContainsAny(part, "?#%") {
			return fmt.Errorf("must not hold control characters, ?, # or %%")
		}
	}
	return nil
}

// parseEndpoint reads an endpoint: an http or https URL of a host and an
// optional port, and nothing else; plain http only for a loopback host.
func parseEndpoint(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("not a URL: want https://host[:port]")
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return nil, fmt.Errorf("scheme %q: want https (or http for a loopback host)", u.Scheme)
	}
	if u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("want https://host[:port] alone: no user, path, query or fragment")
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("port %q out of range", p)
		}
	}
	if u.Scheme == "http" && !loopback(u.Hostname()) {
		return nil, fmt.Errorf("plain http sends the token in clear: only for a loopback host (127.0.0.1, ::1, localhost); use https")
	}
	return u, nil
}

// loopback reports whether host is this machine.
func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
