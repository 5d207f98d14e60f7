package sqlledger

import (
	"context"
	"database/sql"
	"errors"
)

// Conn runs the protocol's statements: a connection pool, a connection or
// a transaction of the destination's driver. SQL wraps those of
// database/sql; a driver with an API of its own (pgx) needs an adapter of a
// few lines.
type Conn interface {
	// Exec runs a statement that returns no rows.
	Exec(ctx context.Context, query string, args ...any) error
	// Query runs a query and calls row once for each of its rows, with a
	// scan that reads the row's values into pointers as database/sql's
	// Rows.Scan does (a pointer to a pointer reads NULL as nil). An error
	// of row stops the query and is returned.
	Query(ctx context.Context, query string, args []any, row func(scan func(dest ...any) error) error) error
}

// Tx is a transaction of the destination's driver, opened by DB.Begin.
type Tx interface {
	Conn
	Commit(ctx context.Context) error
	// Rollback ends the transaction without committing; the protocol calls
	// it on every path that does not commit, also after a failed Commit.
	Rollback(ctx context.Context) error
}

// SQLQuerier is what SQL needs of a database/sql handle: *sql.DB, *sql.Conn
// and *sql.Tx have it.
type SQLQuerier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// SQL returns q as a Conn.
func SQL(q SQLQuerier) Conn { return sqlConn{q} }

type sqlConn struct{ q SQLQuerier }

func (c sqlConn) Exec(ctx context.Context, query string, args ...any) error {
	_, err := c.q.ExecContext(ctx, query, args...)
	return err
}

func (c sqlConn) Query(ctx context.Context, query string, args []any, row func(scan func(dest ...any) error) error) error {
	rows, err := c.q.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	for rows.Next() {
		if err := row(rows.Scan); err != nil {
			return errors.Join(err, rows.Close())
		}
	}
	if err := rows.Close(); err != nil {
		return err
	}
	return rows.Err()
}

// QueryRow runs a query for at most one row through c and scans it into
// dest; found is false when there is none. Dialects read their catalogs
// with it.
func QueryRow(ctx context.Context, c Conn, query string, args []any, dest ...any) (found bool, err error) {
	err = c.Query(ctx, query, args, func(scan func(...any) error) error {
		if found {
			return errors.New("more than one row")
		}
		found = true
		return scan(dest...)
	})
	return found, err
}
