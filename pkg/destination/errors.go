package destination

import "errors"

var (
	// ErrInvalidConfig is returned (wrapped) by Open when the destination's
	// settings are wrong in themselves (a URL that does not parse, a name
	// the database cannot hold), so that no retry can succeed; any other
	// error of Open may go away once the database can be reached.
	ErrInvalidConfig = errors.New("invalid destination settings")
	// ErrTableOwned rejects a file whose table belongs to another file
	// (magic folder mode). It is permanent.
	ErrTableOwned = errors.New("table belongs to another file")
)

// PermanentError marks a commit failure that retrying cannot fix (the file's
// data does not fit the database, or its table is owned by another file).
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// IsInvalidConfig reports whether err, from Open, says the destination's
// settings are wrong (ErrInvalidConfig): retrying cannot help.
func IsInvalidConfig(err error) bool {
	return errors.Is(err, ErrInvalidConfig)
}

// IsPermanent reports whether err is a permanent commit failure.
func IsPermanent(err error) bool {
	var p *PermanentError
	return errors.As(err, &p) || errors.Is(err, ErrTableOwned)
}
