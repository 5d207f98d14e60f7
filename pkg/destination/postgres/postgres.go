package postgres

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/filedge/filedge/internal/redact"
	"github.com/filedge/filedge/pkg/destination"
	"github.com/filedge/filedge/pkg/destination/sqlledger"
)

func init() {
	destination.Register(destination.Info{
		Type: "postgres", Aliases: []string{"postgresql"}, Label: "PostgreSQL",
		Atomicity: destination.AllTables,
		CDC:       true,
		Decode:    decode,
	})
}

// DefaultSchema is the schema tables live in when Config.Schema is empty.
const DefaultSchema = "public"

// maxIdentifier is PostgreSQL's limit on the length of a name, in bytes
// (NAMEDATALEN - 1). Longer names are silently truncated by the server, so
// they are refused instead.
const maxIdentifier = 63

// DB is a PostgreSQL destination. It is safe for concurrent use.
type DB struct {
	pool   *pgxpool.Pool
	name   string // the destination's name, for errors
	schema string

	// The ledger protocol, in the schema's bookkeeping tables.
	ledger *sqlledger.Ledger

	copies atomic.Int64 // COPY statements run
}

// New connects to the PostgreSQL database at cfg.URL (postgres:// or
// postgresql://), creates cfg.Schema (default "public") if it is missing and,
// in it, the ledger and _filedge_tables tables. Concurrent calls from several
// processes are safe. Errors never include the URL: they name only the host,
// port and database, and still unwrap to the driver's error. env.Name names
// the destination in errors.
func New(ctx context.Context, cfg Config, env destination.Env) (*DB, error) {
	schema := cfg.Schema
	if schema == "" {
		schema = DefaultSchema
	}
	if err := checkIdentifier("schema", schema); err != nil {
		return nil, fmt.Errorf("postgres destination %q: %w: %w", env.Name, destination.ErrInvalidConfig, err)
	}
	url := cfg.URL.Reveal()
	poolCfg, target, err := parseURL(url)
	if err != nil {
		return nil, fmt.Errorf("postgres destination %q: the connection URL: %w: %w", env.Name, destination.ErrInvalidConfig, err)
	}
	d := &DB{
		name:   env.Name,
		schema: schema,
		ledger: newLedger(schema),
	}
	// The messages of errors from here on come from pgx and the server,
	// about a URL that parseURL read as a person does; scrub its
	// credentials from them all the same.
	scrub := redact.New(url)
	if err := d.setUp(ctx, poolCfg.ConnConfig); err != nil {
		return nil, scrub.Error(fmt.Errorf("postgres destination %q (%s): %w", env.Name, target, err))
	}
	d.pool, err = pgxpool.NewWithConfig(ctx, poolCfg)
	if err != nil {
		return nil, scrub.Error(fmt.Errorf("postgres destination %q (%s): %w", env.Name, target, err))
	}
	return d, nil
}

// parseURL turns a connection URL into a pool configuration, and names its
// target as "host:port/database" for messages. A URL that a driver could
// read otherwise than a person does (redact.URL.Check: a password holding
// an unescaped '/', which net/url takes for the start of the path after a
// port) is refused before pgx reads it, so that neither the target nor a
// message of pgx holds a piece of the password. Parse errors from net/url
// and pgx quote the URL, password included, so they are replaced by
// messages that name only the target and the reason; they still unwrap to
// the parser's error. The messages say what is wrong with the URL without
// naming it, for the caller to say which URL (a key of pipeline.yaml, or
// "the connection URL").
func parseURL(raw string) (*pgxpool.Config, string, error) {
	ru, ok := redact.ParseURL(raw)
	if !ok {
		return nil, "", errors.New("want a postgresql://user@host:5432/dbname URL (the value is not shown)")
	}
	if err := ru.Check(); err != nil {
		return nil, "", err
	}
	if ru.Scheme != "postgres" && ru.Scheme != "postgresql" {
		return nil, "", fmt.Errorf("scheme %s is not postgres:// or postgresql://", schemeName(ru.Scheme))
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, "", redact.Masked(err, "not a valid URL: check its host, port and query (the URL is not shown)")
	}
	target := u.Host
	if h := u.Query().Get("host"); h != "" && target == "" {
		target = h
	}
	if target == "" {
		target = "(default host)"
	}
	target += u.Path
	cfg, err := pgxpool.ParseConfig(raw)
	if err != nil {
		return nil, "", redact.Masked(err, redact.New(raw).String(parseConfigReason(err, target)))
	}
	cc := cfg.ConnConfig
	// Exec mode sends each query in one round trip and keeps no prepared
	// statements, whose cached result types would go stale when a table is
	// widened.
	cc.DefaultQueryExecMode = pgx.QueryExecModeExec
	if _, ok := cc.RuntimeParams["application_name"]; !ok {
		cc.RuntimeParams["application_name"] = "filedge"
	}
	return cfg, target, nil
}

// parseConfigReason says why pgx could not read the connection URL of
// target: pgx's own message (which setting, and why) about target instead
// of the URL.
func parseConfigReason(err error, target string) string {
	var pce *pgconn.ParseConfigError
	if !errors.As(err, &pce) {
		return "cannot parse it for " + target + " (it is not shown)"
	}
	safe := *pce
	safe.ConnString = target
	return safe.Error()
}

// connectError replaces the message of pgx's error from a connection
// attempt, which names the user and database as pgx read them, by its
// cause's: the dial or server error, which names the host. It unwraps to
// err.
func connectError(err error) error {
	var ce *pgconn.ConnectError
	if !errors.As(err, &ce) || errors.Unwrap(ce) == nil {
		return err
	}
	return redact.Masked(err, "connect: "+errors.Unwrap(ce).Error())
}

// setUp creates the schema if it is missing, and the bookkeeping tables
// (sqlledger.Ledger.Setup, which also brings a ledger written by an
// earlier filedge up to date).
// It runs on a connection of its own, under a session advisory lock, so that
// concurrent calls of New do not race on the catalog (CREATE ... IF NOT EXISTS is
// not safe against itself); closing the connection releases the lock even
// when a statement fails. Setup reads the catalog first and changes only
// what is missing: an ALTER TABLE takes an ACCESS EXCLUSIVE lock, which
// would wait for every commit in progress and hold up the ones after it.
func (d *DB) setUp(ctx context.Context, cc *pgx.ConnConfig) error {
	conn, err := pgx.ConnectConfig(ctx, cc)
	if err != nil {
		return connectError(err)
	}
	defer conn.Close(context.WithoutCancel(ctx))

	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock(hashtextextended('filedge.open/' || $1::text, 0))`, d.schema); err != nil {
		return fmt.Errorf("lock schema %q for set-up: %w", d.schema, err)
	}
	var hasSchema bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1)`, d.schema).Scan(&hasSchema); err != nil {
		return fmt.Errorf("read the catalog of schema %q: %w", d.schema, err)
	}
	if !hasSchema {
		if _, err := conn.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS `+quote(d.schema)); err != nil {
			return fmt.Errorf("create schema %q: %w", d.schema, err)
		}
	}
	if err := d.ledger.Setup(ctx, pgxConn{conn}); err != nil {
		return fmt.Errorf("schema %q: %w", d.schema, err)
	}
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_unlock(hashtextextended('filedge.open/' || $1::text, 0))`, d.schema); err != nil {
		return fmt.Errorf("unlock schema %q after set-up: %w", d.schema, err)
	}
	return nil
}

// Close closes the destination's connections. Commits in progress fail.
func (d *DB) Close() error {
	d.pool.Close()
	return nil
}

// Lookup reports whether the ledger holds (pipeline, version) and, if so,
// what that commit wrote (Outcome Committed; Widened is not recorded).
func (d *DB) Lookup(ctx context.Context, pipeline, version string) (*destination.Result, bool, error) {
	res, found, err := d.ledger.Lookup(ctx, store{d}, pipeline, version)
	if err != nil {
		return nil, false, fmt.Errorf("postgres destination %q: %w", d.name, err)
	}
	return res, found, nil
}

// checkIdentifier refuses a name PostgreSQL cannot hold as it is: empty,
// longer than 63 bytes (the server would truncate it) or holding a NUL byte.
func checkIdentifier(kind, name string) error {
	switch {
	case name == "":
		return fmt.Errorf("empty %s name", kind)
	case len(name) > maxIdentifier:
		return fmt.Errorf("%s name %q is %d bytes long, PostgreSQL allows at most %d", kind, truncate(name, maxIdentifier), len(name), maxIdentifier)
	case strings.IndexByte(name, 0) >= 0:
		return fmt.Errorf("%s name %q holds a NUL byte", kind, strings.ReplaceAll(name, "\x00", ""))
	}
	return nil
}

// truncate shortens s to at most n bytes without splitting a UTF-8 sequence.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && n < len(s) && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n] + "…"
}
