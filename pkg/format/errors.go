package format

import (
	"context"
	"errors"
	"fmt"
)

// RowError is a row a reader could not read, or a value the writer refused.
type RowError struct {
	File   string
	Table  string // sheet, for formats with several tables
	Line   int64
	Column string // "" when the whole row is at fault
	Err    error
}

func (e *RowError) Error() string {
	s := e.File
	if e.Table != "" {
		s += " [" + e.Table + "]"
	}
	if e.Line > 0 {
		s += fmt.Sprintf(":%d", e.Line)
	}
	if e.Column != "" {
		s += fmt.Sprintf(": column %q", e.Column)
	}
	return s + ": " + e.Err.Error()
}

func (e *RowError) Unwrap() error { return e.Err }

// FileError is a file that cannot be read at all: its bytes are not the
// format (or are corrupt) from Line on. It is permanent.
type FileError struct {
	File string
	Line int64 // 0 when no line applies
	Err  error
}

func (e *FileError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.File, e.Err)
}

func (e *FileError) Unwrap() error { return e.Err }

// ErrNotSupported means no registered format reads a file.
var ErrNotSupported = errors.New("format: not a supported file format")

// IsPermanent reports whether err means the same bytes will fail the same
// way again (a bad file), as opposed to a failure worth retrying (a storage
// or network error).
func IsPermanent(err error) bool {
	var re *RowError
	var fe *FileError
	return errors.As(err, &re) || errors.As(err, &fe) || errors.Is(err, ErrNotSupported)
}

// Guard runs r.Read and turns a panic inside it (a third-party reader
// meeting malformed input) into a *FileError naming the file.
func Guard(ctx context.Context, r Reader, in *Input, w Writer) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &FileError{File: in.Path, Err: fmt.Errorf("reader panicked: %v", p)}
		}
	}()
	return r.Read(ctx, in, w)
}
