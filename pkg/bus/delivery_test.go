package bus

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

func TestBackoffDoublesFromOneSecondUpToFiveMinutes(t *testing.T) {
	for _, tc := range []struct {
		n    uint64
		want time.Duration
	}{{0, time.Second}, {1, time.Second}, {2, 2 * time.Second}, {3, 4 * time.Second}, {9, 256 * time.Second}, {10, 5 * time.Minute}, {1000, 5 * time.Minute}} {
		if got := Backoff(tc.n); got != tc.want {
			t.Errorf("Backoff(%d) = %v, want %v", tc.n, got, tc.want)
		}
	}
}

type countingDelivery struct {
	Delivery
	n atomic.Int32
}

func (d *countingDelivery) InProgress(context.Context) error { d.n.Add(1); return nil }

func TestKeepAliveSignalsProgressUntilStopped(t *testing.T) {
	d := &countingDelivery{}
	stop := KeepAlive(t.Context(), d, 30*time.Millisecond)
	time.Sleep(100 * time.Millisecond)
	stop()
	n := d.n.Load()
	if n < 3 {
		t.Fatalf("InProgress called %d times in 100ms with a 30ms ack wait, want at least 3", n)
	}
	time.Sleep(50 * time.Millisecond)
	if d.n.Load() != n {
		t.Fatalf("InProgress called after stop")
	}
}
