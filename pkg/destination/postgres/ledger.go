package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/filedge/filedge/pkg/destination"
	"github.com/filedge/filedge/pkg/destination/sqlledger"
)

// newLedger is the ledger protocol in PostgreSQL's dialect, for the
// bookkeeping tables of schema.
func newLedger(schema string) *sqlledger.Ledger {
	return sqlledger.New(sqlledger.Dialect{
		Param:  sqlledger.Dollar,
		Quote:  quote,
		Schema: schema,
		Types:  sqlledger.Types{Key: "text", Text: "text", BigInt: "bigint", Timestamp: "timestamptz", JSON: "text"},
		Text:   cleanText,
		// CDC: a row is its ctid, and text orders by its bytes.
		RowID:     "ctid",
		TextOrder: textOrder,
		IsUniqueViolation: func(err error) bool {
			var pgErr *pgconn.PgError
			return errors.As(err, &pgErr) && pgErr.Code == "23505" && pgErr.TableName == destination.LedgerTable
		},
		TableExists: func(name string) string {
			return `to_regclass(quote_ident(` + literal(schema) + `) || '.' || quote_ident(` + name + `)) IS NOT NULL`
		},
		Catalog: func(ctx context.Context, c sqlledger.Conn) (sqlledger.Catalog, error) {
			var cat sqlledger.Catalog
			qualified := func(name string) string { return pgx.Identifier{schema, name}.Sanitize() }
			_, err := sqlledger.QueryRow(ctx, c, `SELECT
				to_regclass($1) IS NOT NULL,
				EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = to_regclass($1) AND attname = 'seq' AND NOT attisdropped),
				to_regclass($2) IS NOT NULL,
				to_regclass($3) IS NOT NULL,
				to_regclass($4) IS NOT NULL`,
				[]any{qualified(destination.LedgerTable), qualified(sqlledger.PathSeqIndex), qualified(sqlledger.OldPathIndex), qualified(destination.TablesTable)},
				&cat.Ledger, &cat.Seq, &cat.PathSeqIndex, &cat.OldPathIndex, &cat.Tables)
			return cat, err
		},
	})
}

// literal is s as a string literal, whatever standard_conforming_strings
// says.
func literal(s string) string {
	return `E'` + strings.NewReplacer(`\`, `\\`, `'`, `''`).Replace(s) + `'`
}

// store is the database as the ledger protocol runs commits on it.
type store struct{ d *DB }

func (s store) Exec(ctx context.Context, query string, args ...any) error {
	return pgxConn{s.d.pool}.Exec(ctx, query, args...)
}

func (s store) Query(ctx context.Context, query string, args []any, row func(scan func(...any) error) error) error {
	return pgxConn{s.d.pool}.Query(ctx, query, args, row)
}

// Begin implements sqlledger.DB: a transaction that holds
// pg_advisory_xact_lock on the hash of key (the pipeline and the path), so
// that versions of one path commit one at a time, in this process or any
// other. The server releases the lock when the transaction ends.
func (s store) Begin(ctx context.Context, key string) (*pgTx, error) {
	tx, err := s.d.pool.Begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("begin: %w", err)
	}
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1::text, 0))`, key); err != nil {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), sqlledger.RollbackTimeout)
		defer cancel()
		_ = tx.Rollback(rctx) // the lock's error is the one to return; a broken connection is discarded by the pool
		return nil, fmt.Errorf("lock path: %w", err)
	}
	return &pgTx{pgxConn{tx}, tx}, nil
}

// pgTx is a commit's transaction.
type pgTx struct {
	pgxConn
	tx pgx.Tx
}

func (t *pgTx) Commit(ctx context.Context) error   { return t.tx.Commit(ctx) }
func (t *pgTx) Rollback(ctx context.Context) error { return t.tx.Rollback(ctx) }

// pgxConn runs the ledger's statements on a pool, a connection or a
// transaction of pgx.
type pgxConn struct {
	q interface {
		Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
		Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	}
}

func (c pgxConn) Exec(ctx context.Context, query string, args ...any) error {
	_, err := c.q.Exec(ctx, query, args...)
	return err
}

func (c pgxConn) Query(ctx context.Context, query string, args []any, row func(scan func(...any) error) error) error {
	rows, err := c.q.Query(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := row(rows.Scan); err != nil {
			return err
		}
	}
	return rows.Err()
}
