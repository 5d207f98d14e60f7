package bustest

import (
	"context"
	"testing"
	"time"

	"github.com/filedge/filedge/pkg/bus"
)

// followWait bounds how long Follow waits for the messages it wants.
const followWait = 30 * time.Second

// Follow reads the messages of topic, pipeline and scope ("" for every
// scope) from the first retained one, as a follower: the first n, or with
// n 0, those that come until none has come for half a second (at least
// one). It fails the test when they do not come within 30 seconds. It is
// how a test sees what a service published.
func Follow(t testing.TB, b bus.Bus, topic bus.Topic, pipeline, scope string, n int) []*bus.Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), followWait)
	defer cancel()
	got := make(chan *bus.Message, 1024)
	done := make(chan error, 1)
	go func() {
		done <- b.Consume(ctx, bus.ConsumerConfig{Topic: topic, Pipeline: pipeline, Scope: scope}, func(_ context.Context, d *bus.Delivery) bus.Outcome {
			select {
			case got <- d.Message:
			case <-ctx.Done():
			}
			return bus.Done()
		})
	}()
	defer func() { cancel(); <-done }()
	var out []*bus.Message
	for n == 0 || len(out) < n {
		quiet := time.After(followWait)
		if n == 0 && len(out) > 0 {
			quiet = time.After(500 * time.Millisecond)
		}
		select {
		case m := <-got:
			out = append(out, m)
			continue
		case <-quiet:
		case err := <-done:
			done <- err
			t.Fatalf("follow %s/%s/%s: Consume = %v after %d messages", topic, pipeline, scope, err, len(out))
		case <-ctx.Done():
		}
		if len(out) == 0 || n > 0 {
			t.Fatalf("follow %s/%s/%s: %d messages within %v, want %d", topic, pipeline, scope, len(out), followWait, max(n, 1))
		}
		break
	}
	return out
}
