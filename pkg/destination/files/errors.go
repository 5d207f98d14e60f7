package files

import (
	"errors"
	"io"
)

var (
	// ErrUnknownFormat rejects a format a files destination does not write.
	ErrUnknownFormat = errors.New("unknown format")
	// ErrNotAFolder rejects a path that names something other than a
	// folder.
	ErrNotAFolder = errors.New("not a folder")
	// ErrOtherFormat rejects a folder that holds the outputs of another
	// format: a table's files all have one format.
	ErrOtherFormat = errors.New("the folder holds files of another format")
)

// ioTracker is the io.Writer a format's writer writes an output through:
// it keeps the first error of the file underneath, so that a writer's
// error can be told apart as the disk's (worth a retry) or the data's (the
// writer refused a value: permanent).
type ioTracker struct {
	w   io.Writer
	err error
}

func (t *ioTracker) Write(p []byte) (int, error) {
	n, err := t.w.Write(p)
	if err != nil && t.err == nil {
		t.err = err
	}
	return n, err
}
