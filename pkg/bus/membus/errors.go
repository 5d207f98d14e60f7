package membus

import "github.com/filedge/filedge/pkg/bus"

// ErrTooLarge is bus.ErrTooLarge: Publish and Table.Put return it
// (wrapped) for a message larger than Options.MaxPayload (headers count),
// as natsbus does.
var ErrTooLarge = bus.ErrTooLarge

// ErrInvalidAddress is bus.ErrInvalidAddress, returned (wrapped) for a
// topic, pipeline, scope, group, header, table or key that the contract
// does not allow.
var ErrInvalidAddress = bus.ErrInvalidAddress
