package bus

import (
	"sync"
	"time"
)

// Every calls fn every interval on a goroutine of its own, until the
// returned stop is called or quit (when not nil) is closed; stop waits for
// a call under way. Bus implementations use it for what they do while a
// handler runs (telling the broker it is still working) and for periodic
// commits.
func Every(interval time.Duration, quit <-chan struct{}, fn func()) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-quit:
				return
			case <-t.C:
				fn()
			}
		}
	})
	var once sync.Once
	return func() {
		once.Do(func() { close(done) })
		wg.Wait()
	}
}
