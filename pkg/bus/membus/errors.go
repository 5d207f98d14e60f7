package membus

import "errors"

// ErrTooLarge is returned (wrapped) by Publish and KeyValue.Put for a
// message larger than Options.MaxPayload (headers count), like
// natsbus.ErrTooLarge.
var ErrTooLarge = errors.New("membus: message larger than the max payload")

// ErrInvalidAddress is returned (wrapped) for a topic, pipeline, scope,
// group, header, bucket or key that NATS would refuse (see
// natsbus.ErrInvalidAddress).
var ErrInvalidAddress = errors.New("membus: invalid address")

// ErrAlreadySettled is returned (wrapped) when a delivery that was already
// acknowledged, nak'ed or terminated is settled again.
var ErrAlreadySettled = errors.New("membus: delivery already settled")
