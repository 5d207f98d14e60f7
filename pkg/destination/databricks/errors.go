package databricks

import (
	"errors"
	"fmt"

	dbsqlerr "github.com/databricks/databricks-sql-go/errors"

	"github.com/filedge/filedge/pkg/destination"
)

// SQLSTATEs the destination acts on.
const (
	// stateConflict is the SQLSTATE of every Delta concurrency conflict
	// (DELTA_CONCURRENT_APPEND, _DELETE_READ, _DELETE_DELETE,
	// _TRANSACTION, _WRITE, DELTA_METADATA_CHANGED,
	// DELTA_PROTOCOL_CHANGED): a concurrent commit won, and the statement
	// is to be run again.
	stateConflict = "2D521"
	// stateTableExists is TABLE_OR_VIEW_ALREADY_EXISTS, which two
	// concurrent CREATE TABLE IF NOT EXISTS of one table may raise; the
	// statement run again finds the table.
	stateTableExists = "42P07"
)

// sqlState returns the SQLSTATE of a statement's error, or "".
func sqlState(err error) string {
	var e dbsqlerr.DBExecutionError
	if errors.As(err, &e) {
		return e.SqlState()
	}
	return ""
}

// IsConflict reports whether err is a Delta concurrency conflict (or the
// race of two CREATE TABLE IF NOT EXISTS): the statement lost to a
// concurrent commit and may be run again.
func IsConflict(err error) bool {
	switch sqlState(err) {
	case stateConflict, stateTableExists:
		return true
	}
	return false
}

// isPermanentSQL reports whether err is an error the same data would raise
// again: a data exception (SQLSTATE class 22, a value that does not fit
// its column) or a cardinality violation (class 21). Anything else (the
// warehouse starting, a network failure, a conflict that outlasted its
// retries, a permission granted later) is worth a retry.
func isPermanentSQL(err error) bool {
	s := sqlState(err)
	return len(s) == 5 && (s[:2] == "22" || s[:2] == "21")
}

// commitError wraps an error of a commit of f with the destination, the
// file and the version, and marks it permanent when retrying cannot fix
// it.
func (d *DB) commitError(f *destination.File, err error) error {
	wrapped := fmt.Errorf("databricks destination %q: commit %s (version %s): %w", d.name, f.Path, f.Version, err)
	if !destination.IsPermanent(err) && isPermanentSQL(err) {
		return &destination.PermanentError{Err: wrapped}
	}
	return wrapped
}
