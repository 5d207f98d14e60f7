package bus

import "errors"

// ErrNotFound is returned by KeyValue.Get for a key that holds no value.
var ErrNotFound = errors.New("bus: key not found")

// ErrClosed is returned by operations on a closed bus or cursor.
var ErrClosed = errors.New("bus: closed")
