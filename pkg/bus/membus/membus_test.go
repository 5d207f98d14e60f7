package membus_test

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/filedge/filedge/pkg/bus"
	"github.com/filedge/filedge/pkg/bus/bustest"
	"github.com/filedge/filedge/pkg/bus/membus"
)

func TestConformance(t *testing.T) {
	bustest.Run(t, bustest.Harness{
		New: func(t *testing.T) func(t *testing.T) bus.Bus {
			br := membus.NewBroker(membus.Options{Logger: slog.New(slog.NewTextHandler(t.Output(), nil))})
			return func(*testing.T) bus.Bus { return br.Connect() }
		},
	})
}

// follow returns the data of the first n messages of topic and pipeline.
func follow(t *testing.T, b bus.Bus, topic bus.Topic, pipeline string, n int) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	got := make(chan string, n)
	go b.Consume(ctx, bus.ConsumerConfig{Topic: topic, Pipeline: pipeline}, func(_ context.Context, d *bus.Delivery) bus.Outcome {
		got <- string(d.Message.Data)
		return bus.Done()
	})
	var out []string
	for range n {
		select {
		case s := <-got:
			out = append(out, s)
		case <-ctx.Done():
			t.Fatalf("got %v, want %d messages", out, n)
		}
	}
	return out
}

func TestDuplicateIDIsStoredAgainAfterTheDedupWindow(t *testing.T) {
	b := membus.New(membus.Options{DedupWindow: 50 * time.Millisecond})
	ctx := t.Context()
	publish := func(data string) {
		t.Helper()
		if err := b.Publish(ctx, &bus.Message{Topic: bus.Files, Pipeline: "p", ID: "same", Data: []byte(data)}); err != nil {
			t.Fatal(err)
		}
	}
	publish("first")
	publish("inside the window")
	time.Sleep(60 * time.Millisecond)
	publish("after the window")
	if got := follow(t, b, bus.Files, "p", 2); got[0] != "first" || got[1] != "after the window" {
		t.Fatalf("read %q, want [first, after the window]", got)
	}
}

func TestMaxPayloadOptionLimitsMessagesAndValues(t *testing.T) {
	b := membus.New(membus.Options{MaxPayload: 1000})
	ctx := t.Context()
	if got := b.Capabilities().MaxPayload; got != 1000 {
		t.Errorf("Capabilities().MaxPayload = %d, want 1000", got)
	}
	err := b.Publish(ctx, &bus.Message{Topic: bus.Files, Pipeline: "p", Data: make([]byte, 1000)})
	if !errors.Is(err, membus.ErrTooLarge) {
		t.Errorf("Publish of 1000 bytes with headers = %v, want ErrTooLarge", err)
	}
	if err := b.Publish(ctx, &bus.Message{Topic: bus.Files, Pipeline: "p", Data: make([]byte, 900)}); err != nil {
		t.Errorf("Publish of 900 bytes: %v", err)
	}
	tb, err := b.Table(ctx, "b")
	if err != nil {
		t.Fatal(err)
	}
	if err := tb.Put(ctx, "k", make([]byte, 1001)); !errors.Is(err, membus.ErrTooLarge) {
		t.Errorf("Put of 1001 bytes = %v, want ErrTooLarge", err)
	}
}
