package record

import (
	"errors"
	"fmt"
	"unicode/utf8"
)

var (
	// ErrNull is returned by the Convert functions for a null cell: there is
	// no value to convert.
	ErrNull = errors.New("value is null")
	// ErrRequired is the error of a *ValueError for a null in a required
	// column.
	ErrRequired = errors.New("required value is missing")
	// ErrConvert is wrapped by every error of a value that does not convert
	// to a type.
	ErrConvert = errors.New("value does not convert")
)

// ValueError is a row that Builder.Append refused because of one value: a
// null in a required column, or a value that does not convert to its
// column's declared type. The caller adds the file and line (see
// format.RowError).
type ValueError struct {
	Column string // the column's safe name
	Err    error  // wraps ErrRequired or ErrConvert
}

// Error names the column and the cause.
func (e *ValueError) Error() string { return fmt.Sprintf("column %q: %v", e.Column, e.Err) }

// Unwrap returns the cause, so that errors.Is(err, ErrRequired) works.
func (e *ValueError) Unwrap() error { return e.Err }

// maxQuoted caps how much of a value an error message repeats.
const maxQuoted = 64

// convertError reports that text is not a value of type t.
func convertError(text string, t Type) error {
	return fmt.Errorf("%w: %q is not a valid %s", ErrConvert, shorten(text), t)
}

// shorten cuts text to maxQuoted bytes (at a character boundary) for a
// message.
func shorten(text string) string {
	if len(text) > maxQuoted {
		cut := maxQuoted
		for cut > 0 && !utf8.RuneStart(text[cut]) {
			cut--
		}
		text = text[:cut] + "…"
	}
	return text
}
