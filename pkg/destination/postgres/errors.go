package postgres

import (
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/filedge/filedge/pkg/destination"
)

// commitError wraps an error of a commit of f with the destination, the
// file and the version, and marks it permanent when retrying cannot fix it
// (see isPermanentPg).
func (d *DB) commitError(f *destination.File, err error) error {
	wrapped := fmt.Errorf("postgres destination %q: commit %s (version %s): %w", d.name, f.Path, f.Version, err)
	if !destination.IsPermanent(err) && isPermanentPg(err) {
		return &destination.PermanentError{Err: wrapped}
	}
	return wrapped
}

// isPermanentPg reports whether err is a PostgreSQL error that the same
// data would raise again: a data exception (class 22, e.g. a value out of
// range), an integrity violation (class 23, e.g. a NOT NULL or unique
// constraint a user added) or a program limit (class 54, e.g. too many
// columns). Connection failures, deadlocks, serialization failures, lock
// timeouts and the like are worth a retry.
func isPermanentPg(err error) bool {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || len(pgErr.Code) < 2 {
		return false
	}
	switch pgErr.Code[:2] {
	case "22", "23", "54":
		return true
	}
	return false
}
