package sqlite

import (
	"context"
	"errors"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/filedge/filedge/pkg/destination"
)

var (
	// ErrSchemaUnsupported rejects a Config.Schema: SQLite has no schemas.
	ErrSchemaUnsupported = errors.New("sqlite has no schemas: leave schema empty")
	// ErrNoPath rejects a URL without a database file path.
	ErrNoPath = errors.New("sqlite url names no database file")
)

// sqliteCode returns the primary SQLite result code of err, or 0.
func sqliteCode(err error) int {
	var e *sqlite.Error
	if errors.As(err, &e) {
		return e.Code() & 0xff
	}
	return 0
}

// isUniqueViolation reports whether err is a primary key or unique
// constraint failure.
func isUniqueViolation(err error) bool {
	var e *sqlite.Error
	if !errors.As(err, &e) {
		return false
	}
	return e.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY || e.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE
}

// classify marks err permanent when retrying the same file cannot succeed:
// SQLite rejected the statement or the data (as opposed to a busy, full or
// failing disk, or a cancelled context, which are transient).
func classify(err error) error {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || destination.IsPermanent(err) {
		return err
	}
	switch sqliteCode(err) {
	case sqlite3.SQLITE_ERROR, sqlite3.SQLITE_CONSTRAINT, sqlite3.SQLITE_MISMATCH, sqlite3.SQLITE_TOOBIG, sqlite3.SQLITE_RANGE:
		return &destination.PermanentError{Err: err}
	}
	return err
}
