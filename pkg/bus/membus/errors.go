package membus

import (
	"errors"

	"github.com/filedge/filedge/pkg/bus"
)

// ErrTooLarge is bus.ErrTooLarge: Publish and KeyValue.Put return it
// (wrapped) for a message larger than Options.MaxPayload (headers count),
// as natsbus does.
var ErrTooLarge = bus.ErrTooLarge

// ErrInvalidAddress is returned (wrapped) for a topic, pipeline, scope,
// group, header, bucket or key that NATS would refuse (see
// natsbus.ErrInvalidAddress).
var ErrInvalidAddress = errors.New("membus: invalid address")

// ErrAlreadySettled is returned (wrapped) when a delivery that was already
// acknowledged, nak'ed or terminated is settled again.
var ErrAlreadySettled = errors.New("membus: delivery already settled")
