package membus_test

import (
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
	c, err := b.Read(ctx, bus.Files, "p", "")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, want := range []string{"first", "after the window"} {
		m, err := c.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if string(m.Data) != want {
			t.Fatalf("read %q, want %q", m.Data, want)
		}
	}
}

func TestMaxPayloadOptionLimitsMessagesAndValues(t *testing.T) {
	b := membus.New(membus.Options{MaxPayload: 1000})
	ctx := t.Context()
	err := b.Publish(ctx, &bus.Message{Topic: bus.Files, Pipeline: "p", Data: make([]byte, 1000)})
	if !errors.Is(err, membus.ErrTooLarge) {
		t.Errorf("Publish of 1000 bytes with headers = %v, want ErrTooLarge", err)
	}
	if err := b.Publish(ctx, &bus.Message{Topic: bus.Files, Pipeline: "p", Data: make([]byte, 900)}); err != nil {
		t.Errorf("Publish of 900 bytes: %v", err)
	}
	kv, err := b.KeyValue(ctx, "b")
	if err != nil {
		t.Fatal(err)
	}
	if err := kv.Put(ctx, "k", make([]byte, 1001)); !errors.Is(err, membus.ErrTooLarge) {
		t.Errorf("Put of 1001 bytes = %v, want ErrTooLarge", err)
	}
}
