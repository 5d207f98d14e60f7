package natsbus

import (
	"errors"
	"fmt"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/filedge/filedge/pkg/bus"
)

// ErrTooLarge is returned (wrapped) by Publish and KeyValue.Put for a
// message larger than the server accepts (see Bus.MaxPayload; headers
// count). The caller can split the payload and publish the parts.
var ErrTooLarge = errors.New("natsbus: message larger than the server's max payload")

// ErrInvalidOptions is returned (wrapped) by Connect for options that no
// retry can make work, such as a server URL that does not parse; any other
// error of Connect may go away when the server can be reached.
var ErrInvalidOptions = errors.New("natsbus: invalid options")

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
