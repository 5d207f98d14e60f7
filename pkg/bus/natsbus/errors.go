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

// ErrInvalidAddress is returned (wrapped) for a topic, pipeline, scope,
// group, header or bucket that cannot be written on the bus: pipelines and
// scopes become subject tokens, so they must be non-empty (a scope may be
// "") and hold no '.', '*', '>' or white space.
var ErrInvalidAddress = errors.New("natsbus: invalid address")

// ErrAlreadySettled is returned (wrapped) when a delivery that was already
// acknowledged, nak'ed or terminated is settled again.
var ErrAlreadySettled = errors.New("natsbus: delivery already settled")

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
// person does (see redact.URL.Check): a password with an unescaped '/' is
// read as a port, and the error or the connection would then hold a piece
// of it. The error never quotes the URL.
func checkURL(servers string) error {
	for _, s := range redact.NATSServers(servers) {
		u, _ := redact.ParseURL(s)
		if err := u.Check(); err != nil {
			return fmt.Errorf("natsbus: connect: the server URL: %w", err)
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
