package destination

import "errors"

var (
	// ErrTableOwned rejects a file whose table belongs to another file
	// (magic folder mode). It is permanent.
	ErrTableOwned = errors.New("table belongs to another file")
)

// PermanentError marks a commit failure that retrying cannot fix (the file's
// data does not fit the database, or its table is owned by another file).
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// IsPermanent reports whether err is a permanent commit failure.
func IsPermanent(err error) bool {
	var p *PermanentError
	return errors.As(err, &p) || errors.Is(err, ErrTableOwned)
}
