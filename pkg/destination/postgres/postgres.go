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
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/filedge/filedge/pkg/destination"
)

func init() {
	destination.Register(destination.Info{Type: "postgres", Label: "PostgreSQL"},
		func(ctx context.Context, cfg destination.Config) (destination.Destination, error) {
			db, err := New(ctx, cfg)
			if err != nil {
				return nil, err
			}
			return db, nil
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
// processes are safe. Errors never include the URL: they name only the host
// and database.
func New(ctx context.Context, cfg destination.Config) (*DB, error) {
	schema := cfg.Schema
	if schema == "" {
		schema = DefaultSchema
	}
	if err := checkIdentifier("schema", schema); err != nil {
		return nil, fmt.Errorf("postgres destination %q: %w: %w", cfg.Name, destination.ErrInvalidConfig, err)
	}
	poolCfg, target, err := parseURL(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("postgres destination %q: %w: %w", cfg.Name, destination.ErrInvalidConfig, err)
	}
	d := &DB{
		name:   cfg.Name,
		schema: schema,
		ledger: pgx.Identifier{schema, destination.LedgerTable}.Sanitize(),
		tables: pgx.Identifier{schema, destination.TablesTable}.Sanitize(),
	}
	if err := d.setUp(ctx, poolCfg.ConnConfig); err != nil {
		return nil, fmt.Errorf("postgres destination %q (%s): %w", cfg.Name, target, err)
	}
	d.pool, err = pgxpool.NewWithConfig(ctx, poolCfg)
	if err != nil {
		return nil, fmt.Errorf("postgres destination %q (%s): %w", cfg.Name, target, err)
	}
	return d, nil
}

// parseURL turns a connection URL into a pool configuration, and names its
// target as "host/database" for messages. Parse errors from net/url and pgx
// quote the URL, password included, so they are replaced by a message that
// names only the host and database.
func parseURL(raw string) (*pgxpool.Config, string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		// Neither err nor its cause may be shown: both can quote the URL.
		return nil, "", errors.New("the connection URL is not a valid URL")
	}
	if u.Scheme != "postgres" && u.Scheme != "postgresql" {
		return nil, "", fmt.Errorf("the connection URL has scheme %q, want postgres:// or postgresql://", u.Scheme)
	}
	target := u.Host
	if h := u.Query().Get("host"); h != "" && target == "" {
		target = h
	}
	if i := strings.LastIndexByte(target, '@'); i >= 0 { // defensive: never show userinfo
		target = target[i+1:]
	}
	target += u.Path
	if target == "" {
		target = "(default host)"
	}
	cfg, err := pgxpool.ParseConfig(raw)
	if err != nil {
		return nil, "", fmt.Errorf("cannot parse the connection URL for %s (check its query parameters; the URL is not shown because it may hold a password)", target)
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

// setUp creates the schema and the bookkeeping tables if they are missing.
// It runs on a connection of its own, under a session advisory lock, so that
// concurrent calls of New do not race on the catalog (CREATE ... IF NOT EXISTS is
// not safe against itself); closing the connection releases the lock even
// when a statement fails.
func (d *DB) setUp(ctx context.Context, cc *pgx.ConnConfig) error {
	conn, err := pgx.ConnectConfig(ctx, cc)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))

	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock(hashtextextended('filedge.open/' || $1::text, 0))`, d.schema); err != nil {
		return fmt.Errorf("lock schema %q for set-up: %w", d.schema, err)
	}
	var hasSchema, hasLedger, hasTables bool
	err = conn.QueryRow(ctx, `SELECT
		EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1),
		to_regclass($2) IS NOT NULL,
		to_regclass($3) IS NOT NULL`, d.schema, d.ledger, d.tables).Scan(&hasSchema, &hasLedger, &hasTables)
	if err != nil {
		return fmt.Errorf("read the catalog of schema %q: %w", d.schema, err)
	}
	var stmts []string
	if !hasSchema {
		stmts = append(stmts, `CREATE SCHEMA IF NOT EXISTS `+pgx.Identifier{d.schema}.Sanitize())
	}
	if !hasLedger {
		stmts = append(stmts,
			`CREATE TABLE IF NOT EXISTS `+d.ledger+` (
				pipeline text NOT NULL,
				version text NOT NULL,
				path text NOT NULL,
				size bigint,
				modified timestamptz,
				sha256 text,
				tables text,
				rows bigint,
				committed timestamptz NOT NULL,
				PRIMARY KEY (pipeline, version))`,
			`CREATE INDEX IF NOT EXISTS `+pgx.Identifier{destination.LedgerTable + "_path"}.Sanitize()+
				` ON `+d.ledger+` (pipeline, path)`)
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
			return fmt.Errorf("create the bookkeeping tables in schema %q: %w", d.schema, err)
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
