package watcher

import "errors"

// ErrRunning is returned by Run and Scan when the Watcher is already
// running one of them: a Watcher does one at a time.
var ErrRunning = errors.New("watcher: already running")
