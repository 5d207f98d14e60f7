package redact

import "errors"

// ErrAmbiguousURL is returned (wrapped) by URL.Check for a connection URL
// that a driver could read otherwise than a person does: its user name or
// password holds a character that must be percent-encoded, or the URL holds
// an '@' besides the one that ends the user name and password.
var ErrAmbiguousURL = errors.New("ambiguous URL: percent-encode / ? # @ % and spaces in the user name and password " +
	"(%2F %3F %23 %40 %25 %20), values from ${VAR} included, and any @ after the host (%40); the URL is not shown")

// maskedError reads msg, and unwraps to the error it stands for.
type maskedError struct {
	msg string
	err error
}

func (e *maskedError) Error() string { return e.msg }
func (e *maskedError) Unwrap() error { return e.err }

// Masked returns an error whose message is msg and that unwraps to err, so
// that errors.Is and errors.As still see err: for a driver's error whose
// own message may quote a secret. Masked(nil, msg) is nil.
func Masked(err error, msg string) error {
	if err == nil {
		return nil
	}
	return &maskedError{msg: msg, err: err}
}
