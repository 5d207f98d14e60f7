package databricks

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	dbsql "github.com/databricks/databricks-sql-go"
	dbsqllog "github.com/databricks/databricks-sql-go/logger"

	"github.com/filedge/filedge/pkg/destination"
)

// DB is a databricks destination: a pool of SQL sessions on the warehouse
// and a client of the workspace's Files API. It is safe for concurrent use.
type DB struct {
	name    string
	cfg     Config
	db      *sql.DB
	files   *filesClient
	log     *slog.Logger
	catalog string // quoted
	schema  string // quoted, catalog-qualified

	// retry paces the retries of statements that lost a Delta
	// concurrency conflict.
	retry backoff
}

var (
	_ destination.Destination = (*DB)(nil)
	_ destination.Ledger      = (*DB)(nil)
	_ destination.Pinger      = (*DB)(nil)
)

// driverLogs silences the driver's own logger once: it writes to standard
// error behind slog's back (and the redacting handler's), and every error
// it logs is also returned to filedge, which reports it.
var driverLogs sync.Once

// New connects to the workspace and creates the bookkeeping tables (the
// ledger, _filedge_tables and _filedge_paths) where they are missing. The
// catalog and schema must exist. Settings no retry can fix are an error
// wrapping destination.ErrInvalidConfig.
func New(ctx context.Context, c Config, env destination.Env) (*DB, error) {
	log := env.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	base, err := c.baseURL()
	if err != nil {
		return nil, fmt.Errorf("databricks destination %q: %w: %w", env.Name, destination.ErrInvalidConfig, err)
	}
	if c.Token.Reveal() == "" {
		return nil, fmt.Errorf("databricks destination %q: %w: no access token (%s)", env.Name, destination.ErrInvalidConfig, EnvToken)
	}
	driverLogs.Do(func() { _ = dbsqllog.SetLogLevel("disabled") })

	connector, err := c.connector(base)
	if err != nil {
		return nil, fmt.Errorf("databricks destination %q: %w: %w", env.Name, destination.ErrInvalidConfig, err)
	}
	d := &DB{
		name:    env.Name,
		cfg:     c,
		db:      sql.OpenDB(connector),
		files:   &filesClient{base: base.String(), token: c.Token, http: &http.Client{Timeout: 30 * time.Minute}},
		log:     log,
		catalog: quote(c.Catalog),
		retry:   defaultBackoff,
	}
	d.schema = d.catalog + "." + quote(c.Schema)
	d.db.SetMaxIdleConns(4)
	d.db.SetConnMaxIdleTime(10 * time.Minute)
	if err := d.setup(ctx); err != nil {
		d.db.Close()
		return nil, fmt.Errorf("databricks destination %q: %w", env.Name, err)
	}
	return d, nil
}

// connector returns the driver's connector to the SQL warehouse at base.
func (c Config) connector(base *url.URL) (driver.Connector, error) {
	port := 443
	if p := base.Port(); p != "" {
		port, _ = strconv.Atoi(p) // checked by parseEndpoint
	} else if base.Scheme == "http" {
		port = 80
	}
	host := base.Hostname()
	if strings.Contains(host, ":") {
		host = "[" + host + "]" // IPv6
	}
	return dbsql.NewConnector(
		dbsql.WithServerHostname(base.Scheme+"://"+host),
		dbsql.WithPort(port),
		dbsql.WithHTTPPath(c.HTTPPath),
		dbsql.WithAccessToken(c.Token.Reveal()),
		// Timestamps are rendered, and read back, in UTC.
		dbsql.WithSessionParams(map[string]string{"timezone": "UTC"}),
		dbsql.WithUserAgentEntry("filedge"),
	)
}

// baseURL is the URL the requests go to: Endpoint, or
// https://ServerHostname.
func (c Config) baseURL() (*url.URL, error) {
	if c.Endpoint != "" {
		return parseEndpoint(c.Endpoint)
	}
	if err := checkHostname(c.ServerHostname); err != nil {
		return nil, fmt.Errorf("server_hostname: %w", err)
	}
	return &url.URL{Scheme: "https", Host: c.ServerHostname}, nil
}

// Close closes the SQL sessions.
func (d *DB) Close() error { return d.db.Close() }

// Ping checks that the warehouse answers a query.
func (d *DB) Ping(ctx context.Context) error {
	if err := d.db.PingContext(ctx); err != nil {
		return fmt.Errorf("databricks destination %q: %w", d.name, err)
	}
	return nil
}

// table returns the quoted, fully qualified name of a table of the
// destination's schema.
func (d *DB) table(name string) string { return d.schema + "." + quote(name) }

// setup creates the bookkeeping tables where they are missing.
func (d *DB) setup(ctx context.Context) error {
	for _, stmt := range []string{
		`CREATE TABLE IF NOT EXISTS ` + d.table(destination.LedgerTable) + ` (
			pipeline STRING NOT NULL, version STRING NOT NULL, path STRING NOT NULL,
			size BIGINT, modified TIMESTAMP, seq BIGINT, sha256 STRING,
			` + "`tables`" + ` STRING, ` + "`rows`" + ` BIGINT, committed TIMESTAMP NOT NULL)` + tableOptions,
		`CREATE TABLE IF NOT EXISTS ` + d.table(destination.TablesTable) + ` (
			pipeline STRING, table_name STRING NOT NULL, owner STRING, created TIMESTAMP)` + tableOptions,
		`CREATE TABLE IF NOT EXISTS ` + d.table(PathsTable) + ` (
			pipeline STRING NOT NULL, path STRING NOT NULL, version STRING NOT NULL,
			seq BIGINT, modified TIMESTAMP, claimed TIMESTAMP NOT NULL)` + tableOptions,
	} {
		if err := d.exec(ctx, stmt); err != nil {
			return fmt.Errorf("create the bookkeeping tables: %w", err)
		}
	}
	return nil
}
