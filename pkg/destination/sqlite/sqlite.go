package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"github.com/filedge/filedge/pkg/destination"
	"github.com/filedge/filedge/pkg/destination/sqlledger"
)

func init() {
	destination.Register(destination.Info{
		Type: "sqlite", Aliases: []string{"sqlite3"}, Label: "SQLite",
		Atomicity: destination.AllTables,
		CDC:       true,
		Decode:    decode,
	})
}

// DefaultBusyTimeout is how long a commit waits for another writer (in this
// process or another) to finish before it fails with a transient error.
const DefaultBusyTimeout = 30 * time.Second

// DB is a SQLite database file that filedge loads. It is safe for concurrent
// use; several DBs, in one process or several, may share one file.
type DB struct {
	db          *sql.DB
	conn        sqlledger.Conn // db, for the ledger's statements
	path        string
	log         *slog.Logger
	busyTimeout time.Duration
	// write serialises this process's commits, so that they queue in Go,
	// cancellably, rather than spin in SQLite's busy handler.
	write chan struct{}
}

// Option configures Open.
type Option func(*DB)

// WithLogger sets the logger (by default, nothing is logged).
func WithLogger(l *slog.Logger) Option {
	return func(d *DB) {
		if l != nil {
			d.log = l
		}
	}
}

// WithBusyTimeout sets how long a commit waits for the write lock held by
// another process (DefaultBusyTimeout by default).
func WithBusyTimeout(t time.Duration) Option {
	return func(d *DB) {
		if t > 0 {
			d.busyTimeout = t
		}
	}
}

var _ destination.Destination = (*DB)(nil)

// Open opens (creating it and its folders if needed) the database file that
// cfg.URL names and creates the ledger tables if they are missing. cfg.URL
// is "sqlite://" followed by an absolute path, or a plain path; a relative
// path is resolved against env.Dir. env.Logger, when set, is the logger
// (WithLogger overrides it); env.Name names the destination in errors.
func Open(ctx context.Context, cfg Config, env destination.Env, opts ...Option) (*DB, error) {
	if cfg.Schema != "" {
		return nil, fmt.Errorf("destination %q: %w: schema %q: %w", env.Name, destination.ErrInvalidConfig, cfg.Schema, ErrSchemaUnsupported)
	}
	path, err := Path(cfg.URL, env.Dir)
	if err != nil {
		return nil, fmt.Errorf("destination %q: %w: %w", env.Name, destination.ErrInvalidConfig, err)
	}
	d := &DB{path: path, log: slog.New(slog.DiscardHandler), busyTimeout: DefaultBusyTimeout, write: make(chan struct{}, 1)}
	for _, o := range append([]Option{WithLogger(env.Logger)}, opts...) {
		o(d)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("destination %q: create folder of %s: %w", env.Name, path, err)
	}
	db, err := sql.Open("sqlite", dsn(path, d.busyTimeout))
	if err != nil {
		return nil, fmt.Errorf("destination %q: open %s: %w", env.Name, path, err)
	}
	db.SetMaxOpenConns(8)
	db.SetMaxIdleConns(4)
	d.db, d.conn = db, sqlledger.SQL(db)
	if err := d.createLedger(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("destination %q: open %s: %w", env.Name, path, err)
	}
	return d, nil
}

// Path returns the database file path that a destination URL names:
// "sqlite://" + absolute path (as the config package writes it, so
// "sqlite:///data/x.db" is /data/x.db), the SQLAlchemy absolute form
// "sqlite:////data/x.db", or a plain path. A relative path is resolved
// against baseDir (the current directory when baseDir is empty). The rest
// of the URL is taken literally: a path may hold '?' or '#'.
func Path(rawURL, baseDir string) (string, error) {
	p := rawURL
	switch {
	case strings.HasPrefix(p, "sqlite://"):
		p = p[len("sqlite://"):]
	case strings.HasPrefix(p, "sqlite:"):
		p = p[len("sqlite:"):]
	}
	if p == "" || p == ":memory:" || strings.HasPrefix(p, "file::memory:") {
		return "", fmt.Errorf("%w (got %q; an in-memory database cannot be shared by commits)", ErrNoPath, rawURL)
	}
	if !filepath.IsAbs(p) {
		base := baseDir
		if base == "" {
			wd, err := os.Getwd()
			if err != nil {
				return "", fmt.Errorf("resolve sqlite path %q: %w", p, err)
			}
			base = wd
		}
		p = filepath.Join(base, p)
	}
	return filepath.Clean(p), nil // also folds the SQLAlchemy "//data" to "/data"
}

// dsn is the driver's connection string for path: a file: URI (so that any
// character in the path is safe) with the pragmas every connection needs.
// The busy timeout comes first so that the others wait for locks too.
func dsn(path string, busy time.Duration) string {
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(path)}
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busy.Milliseconds()))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Add("_txlock", "immediate")
	// url.Values.Encode sorts by key only, keeping the order of the values
	// of one key.
	return u.String() + "?" + q.Encode()
}

// createLedger creates the ledger and ownership tables if they are
// missing, and brings a ledger written by an earlier filedge up to date
// (sqlledger.Ledger.Setup). Several processes may run it at once: the
// transaction is BEGIN IMMEDIATE, so each waits for the write lock in turn
// and sees what the one before did.
func (d *DB) createLedger(ctx context.Context) error {
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	if err := ledger.Setup(ctx, sqlledger.SQL(tx)); err != nil {
		return err
	}
	return tx.Commit()
}

// Close closes the database's connections.
func (d *DB) Close() error {
	if err := d.db.Close(); err != nil {
		return fmt.Errorf("sqlite: close %s: %w", d.path, err)
	}
	return nil
}

// Lookup returns the ledger's record of a committed file version: its
// tables, rows and commit time (Outcome is Committed), and whether the
// ledger holds the version at all.
func (d *DB) Lookup(ctx context.Context, pipeline, version string) (*destination.Result, bool, error) {
	res, found, err := ledger.Lookup(ctx, d.conn, pipeline, version)
	if err != nil {
		return nil, false, fmt.Errorf("sqlite %s: %w", d.path, err)
	}
	return res, found, nil
}

// ledger is the ledger protocol in SQLite's dialect: ? placeholders, text
// timestamps (formatTimestamp), and the catalog in sqlite_schema.
var ledger = sqlledger.New(sqlledger.Dialect{
	Types:             sqlledger.Types{Key: "TEXT", Text: "TEXT", BigInt: "BIGINT", Timestamp: "TIMESTAMP", JSON: "JSONTEXT"},
	Time:              func(t time.Time) any { return formatTimestamp(t) },
	ParseTime:         parseTimestamp,
	IsUniqueViolation: isUniqueViolation,
	TableExists: func(name string) string {
		return `EXISTS (SELECT 1 FROM "sqlite_schema" WHERE "type" = 'table' AND "name" = ` + name + `)`
	},
	Catalog: catalog,
})

// catalog reads which bookkeeping objects the file has.
func catalog(ctx context.Context, c sqlledger.Conn) (sqlledger.Catalog, error) {
	var cat sqlledger.Catalog
	_, err := sqlledger.QueryRow(ctx, c, `SELECT
		EXISTS (SELECT 1 FROM "sqlite_schema" WHERE "type" = 'table' AND "name" = ?),
		EXISTS (SELECT 1 FROM pragma_table_info(?) WHERE "name" = 'seq'),
		EXISTS (SELECT 1 FROM "sqlite_schema" WHERE "type" = 'index' AND "name" = ?),
		EXISTS (SELECT 1 FROM "sqlite_schema" WHERE "type" = 'index' AND "name" = ?),
		EXISTS (SELECT 1 FROM "sqlite_schema" WHERE "type" = 'table' AND "name" = ?)`,
		[]any{destination.LedgerTable, destination.LedgerTable, sqlledger.PathSeqIndex, sqlledger.OldPathIndex, destination.TablesTable},
		&cat.Ledger, &cat.Seq, &cat.PathSeqIndex, &cat.OldPathIndex, &cat.Tables)
	return cat, err
}

// quote quotes an identifier, doubling embedded double quotes.
func quote(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}
