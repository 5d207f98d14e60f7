package parser

import (
	"errors"
	"fmt"
	"io/fs"
	"unicode/utf8"
)

// tooLargeError is a row, or a table's columns alone, that encodes to more
// than one bus message can hold. Parsing the same bytes again fails the
// same way, so the file fails (see isFileFault).
type tooLargeError struct {
	file    string
	line    int64 // the row's line; 0 for no row (a header-only table) or unknown
	rows    int64 // 1, or 0 for the columns alone
	columns int   // the table's columns, system columns left out
	size    int   // the encoded batch, in bytes
	limit   int   // the bus's message limit, in bytes
}

func (e *tooLargeError) Error() string {
	if e.line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.file, e.line, e.reason())
	}
	return e.file + ": " + e.reason()
}

// reason says what is too large and what the user can do, without the
// file and line (the outcome carries them apart).
func (e *tooLargeError) reason() string {
	what := fmt.Sprintf("a single row of %d columns encodes", e.columns)
	if e.rows == 0 {
		what = fmt.Sprintf("the table's %d columns alone encode", e.columns)
	}
	return fmt.Sprintf("%s to %d bytes, over the bus message limit of %d bytes: "+
		"raise the bus's message limit (max_payload of a NATS server, bus.max_message_bytes on Kafka), split the file into smaller rows, or load fewer columns", what, e.size, e.limit)
}

// publishError is a failure to publish on the bus. It is not the file's
// fault: it never counts against parser.max_attempts.
type publishError struct{ err error }

func (e *publishError) Error() string { return "publish: " + e.err.Error() }
func (e *publishError) Unwrap() error { return e.err }

// isPublishError reports whether err is a failure to publish on the bus.
func isPublishError(err error) bool {
	var pe *publishError
	return errors.As(err, &pe)
}

// gaveUp is the reason a file fails after n attempts that failed with err
// (the last one's error).
func gaveUp(path string, n int, err error) string {
	what := "cannot parse " + path
	if errors.Is(err, fs.ErrPermission) {
		what = "permission denied reading " + path
	}
	return clip(fmt.Sprintf("%s (%d attempts): %v", what, n, err), maxReasonBytes)
}

// maxReasonBytes caps a reason carried on the bus (a FileParseRetry, or the
// error of a trimmed outcome), so that it fits any message.
const maxReasonBytes = 1024

// clip cuts s to at most n bytes, on a character boundary, marking the cut.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const more = " [...]"
	cut := max(n-len(more), 0)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + more
}
