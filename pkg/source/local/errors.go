package local

import "errors"

// ErrInvalidPath is wrapped by Stat and Open errors for a path that is not a
// clean, '/'-separated path inside the root (absolute, "..", "./", empty).
var ErrInvalidPath = errors.New("invalid path: want a clean path relative to the source root")
