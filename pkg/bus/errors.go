package bus

import "errors"

// ErrNotFound is returned (wrapped) by Table.Get for a key that holds no
// value.
var ErrNotFound = errors.New("bus: key not found")

// ErrClosed is returned (wrapped) by operations on a closed bus or cursor.
var ErrClosed = errors.New("bus: closed")

// ErrTooLarge is returned (wrapped) by Publish and Table.Put for a message
// larger than the bus accepts (headers and key count). Publishing it again
// fails the same way: the producer must make the message smaller, or give
// up on it.
var ErrTooLarge = errors.New("bus: message larger than the bus accepts")

// ErrInvalidAddress is returned (wrapped) for a topic, pipeline, scope,
// group, header, table or key that the contract does not allow (see
// CheckAddress): the same on every bus, so that a service tested on one bus
// does not fail on another.
var ErrInvalidAddress = errors.New("bus: invalid address")

// ErrInvalidConfig is returned (wrapped) by Config.Open for settings that
// no retry can make work, such as a server URL that does not parse or a
// topic with fewer partitions than asked for; any other error of Open may
// go away once the bus can be reached.
var ErrInvalidConfig = errors.New("bus: invalid configuration")
