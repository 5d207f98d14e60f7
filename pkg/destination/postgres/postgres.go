package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/filedge/filedge/internal/redact"
	"github.com/filedge/filedge/pkg/destination"
)

func init() {
	destination.Register(destination.Info{
		Type: "postgres", Aliases: []string{"postgresql"}, Label: "PostgreSQL",
		Atomicity: destination.AllTables,
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

	// Quoted, schema-qualified names of the bookkeeping tables.
	ledger string
	tables string

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
		ledger: pgx.Identifier{schema, destination.LedgerTable}.Sanitize(),
		tables: pgx.Identifier{schema, destination.TablesTable}.Sanitize(),
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

// setUp creates the schema and the bookkeeping tables if they are missing,
// and brings a ledger written by an earlier filedge up to date (the seq
// column and its index).
// It runs on a connection of its own, under a session advisory lock, so that
// concurrent calls of New do not race on the catalog (CREATE ... IF NOT EXISTS is
// not safe against itself); closing the connection releases the lock even
// when a statement fails.
func (d *DB) setUp(ctx context.Context, cc *pgx.ConnConfig) error {
	conn, err := pgx.ConnectConfig(ctx, cc)
	if err != nil {
		return connectError(err)
	}
	defer conn.Close(context.WithoutCancel(ctx))

	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock(hashtextextended('filedge.open/' || $1::text, 0))`, d.schema); err != nil {
		return fmt.Errorf("lock schema %q for set-up: %w", d.schema, err)
	}
	// The catalog is read first, and only what is missing is created or
	// altered: an ALTER TABLE takes an ACCESS EXCLUSIVE lock, which would
	// wait for every commit in progress and hold up the ones after it.
	pathSeqIndex := pgx.Identifier{d.schema, destination.LedgerTable + "_path_seq"}.Sanitize()
	var hasSchema, hasLedger, hasSeq, hasPathSeqIndex, hasTables bool
	err = conn.QueryRow(ctx, `SELECT
		EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1),
		to_regclass($2) IS NOT NULL,
		EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = to_regclass($2) AND attname = 'seq' AND NOT attisdropped),
		to_regclass($3) IS NOT NULL,
		to_regclass($4) IS NOT NULL`, d.schema, d.ledger, pathSeqIndex, d.tables).Scan(&hasSchema, &hasLedger, &hasSeq, &hasPathSeqIndex, &hasTables)
	if err != nil {
		return fmt.Errorf("read the catalog of schema %q: %w", d.schema, err)
	}
	var stmts []string
	if !hasSchema {
		stmts = append(stmts, `CREATE SCHEMA IF NOT EXISTS `+pgx.Identifier{d.schema}.Sanitize())
	}
	if !hasLedger {
		stmts = append(stmts, `CREATE TABLE IF NOT EXISTS `+d.ledger+` (
				pipeline text NOT NULL,
				version text NOT NULL,
				path text NOT NULL,
				size bigint,
				modified timestamptz,
				seq bigint,
				sha256 text,
				tables text,
				rows bigint,
				committed timestamptz NOT NULL,
				PRIMARY KEY (pipeline, version))`)
	} else if !hasSeq {
		// A ledger written by an earlier filedge: its rows keep seq NULL.
		stmts = append(stmts, `ALTER TABLE `+d.ledger+` ADD COLUMN IF NOT EXISTS seq bigint`)
	}
	if !hasPathSeqIndex {
		// (pipeline, path, seq) serves newest-wins and every lookup of a
		// path the (pipeline, path) index of earlier versions served.
		stmts = append(stmts,
			`CREATE INDEX IF NOT EXISTS `+pgx.Identifier{destination.LedgerTable + "_path_seq"}.Sanitize()+
				` ON `+d.ledger+` (pipeline, path, seq)`,
			`DROP INDEX IF EXISTS `+pgx.Identifier{d.schema, destination.LedgerTable + "_path"}.Sanitize())
	}
	if !hasTables {
		stmts = append(stmts, `CREATE TABLE IF NOT EXISTS `+d.tables+` (
			pipeline text,
			table_name text PRIMARY KEY,
			owner text,
			created timestamptz)`)
	}
	for _, s := range stmts {
		if _, err := conn.Exec(ctx, s); err != nil {
			return fmt.Errorf("create or update the bookkeeping tables in schema %q: %w", d.schema, err)
		}
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
	res, found, err := d.lookup(ctx, d.pool, cleanText(pipeline), cleanText(version))
	if err != nil {
		return nil, false, fmt.Errorf("postgres destination %q: %w", d.name, err)
	}
	return res, found, nil
}

// lookup reads the ledger row of (pipeline, version) through q.
func (d *DB) lookup(ctx context.Context, q querier, pipeline, version string) (*destination.Result, bool, error) {
	var (
		tables    *string
		rows      *int64
		committed time.Time
	)
	err := q.QueryRow(ctx, `SELECT tables, rows, committed FROM `+d.ledger+
		` WHERE pipeline = $1 AND version = $2`, pipeline, version).Scan(&tables, &rows, &committed)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("look up version %s of pipeline %q in the ledger: %w", version, pipeline, err)
	}
	res := &destination.Result{Outcome: destination.Committed, Committed: committed.UTC()}
	if rows != nil {
		res.Rows = *rows
	}
	if tables != nil && *tables != "" {
		if err := json.Unmarshal([]byte(*tables), &res.Tables); err != nil {
			return nil, false, fmt.Errorf("version %s of pipeline %q: ledger column tables: %w", version, pipeline, err)
		}
	}
	return res, true, nil
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
