package avro

import (
	"errors"
	"fmt"
)

// Errors of a value's encoding: a record whose bytes do not decode by the
// schema. The record, and the rest of its block, cannot be read.
var (
	errTruncated    = errors.New("value runs past the end of its block")
	errVarint       = errors.New("malformed variable-length integer")
	errIntRange     = errors.New("int value out of the 32-bit range")
	errBoolean      = errors.New("boolean byte is neither 0 nor 1")
	errLength       = errors.New("negative length")
	errTooDeep      = fmt.Errorf("value nested deeper than %d levels", maxDepth)
	errEmptyItems   = fmt.Errorf("more than %d array items or records that take no bytes", maxEmptyItems)
	errItemsOverrun = errors.New("array or map block declares more items than its bytes can hold")
)

// errNotAvro is a file that does not start as an Avro object container
// file.
var errNotAvro = errors.New(`not an Avro object container file (it does not start with "Obj\x01")`)

// readError is a failure to read the file's bytes (storage, network, a
// decode layer's limit) rather than a fault of the file: it is returned as
// is, not as a *format.FileError, so that it is retried or reported by the
// layer that made it.
type readError struct{ err error }

func (e *readError) Error() string { return e.err.Error() }
func (e *readError) Unwrap() error { return e.err }

// columnError is an error decoding one column of a record.
type columnError struct {
	column string
	err    error
}

func (e *columnError) Error() string { return e.err.Error() }
func (e *columnError) Unwrap() error { return e.err }
