package kafkabus

import (
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/filedge/filedge/pkg/bus"
)

// ErrTooLarge is bus.ErrTooLarge: Publish and Table.Put return it
// (wrapped) for a message larger than Capabilities().MaxPayload or than a
// broker accepts.
var ErrTooLarge = bus.ErrTooLarge

// ErrInvalidOptions is bus.ErrInvalidConfig: Connect returns it (wrapped)
// for options no retry can make work (no broker, a topic with too few
// partitions, a SASL mechanism it does not know).
var ErrInvalidOptions = bus.ErrInvalidConfig

// ErrPartitions is returned (wrapped, with ErrInvalidOptions) by Connect
// when a topic exists with fewer partitions than Options.Partitions.
var ErrPartitions = errors.New("kafkabus: topic has fewer partitions than asked for")

// isTooLarge tells whether err says a record or batch is larger than the
// client or a broker accepts.
func isTooLarge(err error) bool {
	return errors.Is(err, kerr.MessageTooLarge) || errors.Is(err, kerr.RecordListTooLarge)
}

// isDenied tells whether err says the brokers refuse the client's
// credentials or rights: no retry fixes that.
func isDenied(err error) bool {
	return errors.Is(err, kerr.SaslAuthenticationFailed) || errors.Is(err, kerr.IllegalSaslState) ||
		errors.Is(err, kerr.UnsupportedSaslMechanism) || errors.Is(err, kerr.TopicAuthorizationFailed) ||
		errors.Is(err, kerr.ClusterAuthorizationFailed) || errors.Is(err, kerr.GroupAuthorizationFailed)
}

// isClosed tells whether err says the client was closed.
func isClosed(err error) bool { return errors.Is(err, kgo.ErrClientClosed) }

// classify wraps err with what it means for callers: ErrTooLarge or
// bus.ErrClosed where they apply, err itself otherwise.
func classify(err error) error {
	switch {
	case isTooLarge(err):
		return fmt.Errorf("%w: %w", ErrTooLarge, err)
	case isDenied(err):
		return fmt.Errorf("%w: %w", ErrInvalidOptions, err)
	case isClosed(err):
		return fmt.Errorf("%w: %w", bus.ErrClosed, err)
	}
	return err
}
