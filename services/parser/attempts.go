package parser

import (
	"sync"
	"time"

	"github.com/filedge/filedge/pkg/bus"
)

// attemptsMemory is how long a version's failed attempts are remembered
// after its last one: far beyond the longest wait between two attempts, so
// that a version whose redeliveries went to another process is forgotten.
const attemptsMemory = time.Hour

// attempts counts the failed attempts at each file version in this
// process, so that a file that cannot be read fails after
// parser.max_attempts while failures of the bus (which are not counted) are
// retried for as long as they last. The bus's own delivery count cannot
// tell these apart. Several parser processes each count their own
// attempts: a file fails after at most max_attempts times their number.
// It is safe for concurrent use.
type attempts struct {
	mu     sync.Mutex
	failed map[string]attempt // version → its failed attempts
}

type attempt struct {
	n    int
	last time.Time
}

func newAttempts() *attempts { return &attempts{failed: map[string]attempt{}} }

// fail records a failed attempt at version, at now, and returns how many
// have failed.
func (a *attempts) fail(version string, now time.Time) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	for v, at := range a.failed {
		if now.Sub(at.last) > attemptsMemory {
			delete(a.failed, v)
		}
	}
	at := a.failed[version]
	at.n++
	at.last = now
	a.failed[version] = at
	return at.n
}

// forget drops version's count once its outcome is on the bus.
func (a *attempts) forget(version string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.failed, version)
}

// retryDelay is the wait after the n-th failed attempt at a file: 2s, 4s,
// 8s, 16s ... capped at 5 minutes (see config.DefaultMaxAttempts).
func retryDelay(n int) time.Duration {
	return bus.Backoff(n + 1)
}
