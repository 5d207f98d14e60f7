package health

import (
	"testing"
	"time"
)

func TestBackoffDoublesIsCappedAndJittered(t *testing.T) {
	b := Backoff{Min: time.Second, Max: 30 * time.Second}
	for n, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 3: 4 * time.Second, 5: 16 * time.Second, 6: 30 * time.Second, 40: 30 * time.Second} {
		seen := map[time.Duration]bool{}
		for range 50 {
			got := b.wait(n)
			if got < want/2 || got > want {
				t.Fatalf("wait(%d) = %v, want within [%v, %v]", n, got, want/2, want)
			}
			seen[got] = true
		}
		if len(seen) < 2 {
			t.Errorf("wait(%d) is always %v: no jitter", n, b.wait(n))
		}
	}
}
