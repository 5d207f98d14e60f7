package bus

import "errors"

// ErrNotFound is returned by KeyValue.Get for a key that holds no value.
var ErrNotFound = errors.New("bus: key not found")

// ErrClosed is returned by operations on a closed bus or cursor.
var ErrClosed = errors.New("bus: closed")

// ErrTooLarge is returned (wrapped) by Publish and KeyValue.Put for a
// message larger than the bus accepts (headers count). Publishing it again
// fails the same way: the producer must make the message smaller, or give
// up on it.
var ErrTooLarge = errors.New("bus: message larger than the bus accepts")
