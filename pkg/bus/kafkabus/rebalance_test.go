package kafkabus_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/filedge/filedge/pkg/bus"
	"github.com/filedge/filedge/pkg/bus/kafkabus"
)

// TestMembersJoiningAndLeavingLoseNoMessageAndRepeatNone streams messages
// to a group while a second member joins and the first leaves: every
// message is done, none twice (a leaving member finishes and commits what
// it runs before its partitions move), and a member that starts afterwards
// gets nothing (everything was committed).
func TestMembersJoiningAndLeavingLoseNoMessageAndRepeatNone(t *testing.T) {
	const n = 300
	c := cluster(t)
	pub := connect(t, c, kafkabus.Options{Partitions: 8})
	var mu sync.Mutex
	seen := map[string]int{}
	changed := make(chan struct{}, 1)
	handler := func(context.Context, *bus.Delivery) bus.Outcome { return bus.Done() }
	member := func(name string) (stop func()) {
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		b := connect(t, c, kafkabus.Options{Partitions: 8})
		go func() {
			done <- b.Consume(ctx, bus.ConsumerConfig{Topic: bus.Files, Pipeline: "p", Group: "g", AckWait: 6 * time.Second, Concurrency: 3},
				func(ctx context.Context, d *bus.Delivery) bus.Outcome {
					time.Sleep(5 * time.Millisecond)
					mu.Lock()
					seen[d.Message.ID]++
					mu.Unlock()
					select {
					case changed <- struct{}{}:
					default:
					}
					return handler(ctx, d)
				})
		}()
		return func() {
			cancel()
			if err := <-done; err != context.Canceled {
				t.Errorf("member %s: Consume = %v", name, err)
			}
		}
	}
	count := func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(seen)
	}
	waitFor := func(want int) {
		t.Helper()
		deadline := time.After(60 * time.Second)
		for count() < want {
			select {
			case <-changed:
			case <-deadline:
				t.Fatalf("%d of %d messages done within a minute", count(), want)
			}
		}
	}
	go func() {
		for i := range n {
			if err := pub.Publish(context.Background(), &bus.Message{Topic: bus.Files, Pipeline: "p", Key: fmt.Sprintf("f%d", i), ID: fmt.Sprint(i)}); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	stopA := member("a")
	waitFor(n / 4)
	stopB := member("b")
	waitFor(n / 2)
	stopA()
	waitFor(n)
	stopB()
	mu.Lock()
	for id, k := range seen {
		if k != 1 {
			t.Errorf("message %s done %d times", id, k)
		}
	}
	mu.Unlock()
	var late atomic.Int64
	handler = func(context.Context, *bus.Delivery) bus.Outcome { late.Add(1); return bus.Done() }
	stopC := member("c")
	time.Sleep(3 * time.Second)
	stopC()
	if n := late.Load(); n != 0 {
		t.Errorf("a member started after every message was done got %d", n)
	}
}
