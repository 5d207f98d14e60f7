package natsbus

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/filedge/filedge/internal/redact"
	"github.com/filedge/filedge/pkg/bus"
)

// ErrTooLarge is bus.ErrTooLarge: Publish and KeyValue.Put return it
// (wrapped) for a message larger than the server accepts (see
// Bus.MaxPayload, and the stream's max_msg_size; headers count). The caller
// can split the payload and publish the parts.
var ErrTooLarge = bus.ErrTooLarge

// ErrInvalidOptions is bus.ErrInvalidConfig: Connect returns it (wrapped)
// for options that no retry can make work, such as a server URL that does
// not parse; any other error of Connect may go away when the server can be
// reached.
var ErrInvalidOptions = bus.ErrInvalidConfig

// ErrDataDirLocked is returned (inside a *LockedError) by StartEmbedded when
// another process holds the data dir: two servers on one store corrupt it.
var ErrDataDirLocked = errors.New("natsbus: the data dir is in use by another process")

// LockedError reports a data dir held by another process.
type LockedError struct {
	Dir    string
	Holder Holder // zero when the lock file could not be read
}

func (e *LockedError) Error() string {
	return fmt.Sprintf("natsbus: the data dir %s is in use by %s", e.Dir, e.Holder)
}

// Unwrap returns ErrDataDirLocked.
func (e *LockedError) Unwrap() error { return ErrDataDirLocked }

// errDisconnected is returned (wrapped) by Ping while the connection to the
// server is lost and being re-established.
var errDisconnected = errors.New("not connected to the NATS server (reconnecting)")

// ErrInvalidAddress is bus.ErrInvalidAddress, returned (wrapped) for a
// topic, pipeline, scope, group, header, table or key that the contract
// does not allow: pipelines and scopes become subject tokens, so they must
// be non-empty (a consumer's scope may be "") and hold no '.', '*', '>' or
// white space.
var ErrInvalidAddress = bus.ErrInvalidAddress

// apiErrorCode returns the JetStream API error code carried by err, or 0.
func apiErrorCode(err error) jetstream.ErrorCode {
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode
	}
	return 0
}

// isTooLarge tells whether err reports a message too large for the client's
// or the stream's limit.
func isTooLarge(err error) bool {
	return errors.Is(err, nats.ErrMaxPayload) ||
		apiErrorCode(err) == jetstream.JSErrCodeStreamMessageExceedsMaximum
}

// isClosed tells whether err reports a closed connection.
func isClosed(err error) bool {
	return errors.Is(err, nats.ErrConnectionClosed) ||
		errors.Is(err, nats.ErrConnectionDraining) ||
		errors.Is(err, jetstream.ErrConnectionClosed)
}

// classify wraps err with what it means for callers: ErrTooLarge or
// bus.ErrClosed where they apply, err itself otherwise.
func classify(err error) error {
	switch {
	case isTooLarge(err):
		return fmt.Errorf("%w: %w", ErrTooLarge, err)
	case isClosed(err):
		return fmt.Errorf("%w: %w", bus.ErrClosed, err)
	}
	return err
}

// checkURL refuses a server URL that nats.go would read otherwise than a
// person does (see urlProblem), with an error wrapping ErrInvalidOptions.
func checkURL(servers string) error {
	if err := urlProblem(servers); err != nil {
		return fmt.Errorf("%w: the server URL: %w", ErrInvalidOptions, err)
	}
	return nil
}

// urlProblem says what is wrong with servers, a NATS URL or list of URLs,
// or returns nil: a server that nats.go would read otherwise than a person
// does (see redact.URL.Check: a password with an unescaped '/' is read as a
// port, and the error or the connection would then hold a piece of it), or
// that does not parse (a host of x:y:z never connects, however long we
// retry). The error never quotes the URL.
func urlProblem(servers string) error {
	list := redact.NATSServers(servers)
	for i, s := range list {
		u, _ := redact.ParseURL(s)
		if err := u.Check(); err != nil {
			return err
		}
		if !strings.Contains(s, "://") {
			s = "nats://" + s
		}
		if _, err := url.Parse(s); err != nil {
			return fmt.Errorf("server URL %d of %d is not a valid URL: check its hosts and ports (it is not shown: it may hold a password)", i+1, len(list))
		}
	}
	return nil
}

// connectError wraps err, from connecting to servers, in an error that
// names the servers without their credentials and that unwraps to err.
// nats.go returns net/url's errors as they are, and they quote the URL:
// such an error says only that the URL is not valid. What remains is
// scrubbed of the URL's credentials all the same.
func connectError(servers string, err error) error {
	reason := err.Error()
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		reason = "not a valid URL: check its hosts and ports (the URL is not shown)"
	}
	msg := fmt.Sprintf("natsbus: connect to %s: %s", redact.URLs(strings.Join(redact.NATSServers(servers), ",")), reason)
	return redact.Masked(err, redact.New(servers).String(msg))
}
