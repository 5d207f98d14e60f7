package natsbus_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/filedge/filedge/pkg/bus"
	"github.com/filedge/filedge/pkg/bus/natsbus"
)

// collect consumes as group g until n messages were acked, and returns
// their payloads in delivery order.
func collect(t *testing.T, b bus.Bus, pipeline, group string, n int) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
	defer cancel()
	var mu sync.Mutex
	var got []string
	err := b.Consume(ctx, bus.ConsumerConfig{Topic: bus.Files, Pipeline: pipeline, Group: group, AckWait: 10 * time.Second},
		func(hctx context.Context, d *bus.Delivery) bus.Outcome {
			mu.Lock()
			defer mu.Unlock()
			got = append(got, string(d.Message.Data))
			if len(got) == n {
				cancel()
			}
			return bus.Done()
		})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Consume = %v after %d of %d messages", err, len(got), n)
	}
	return got
}

func TestEmbeddedSyncAlwaysKeepsMessagesBucketsAndConsumerPositionAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	opts := natsbus.EmbeddedOptions{DataDir: dir, SyncAlways: true, Logger: testLogger(t)}
	ctx := t.Context()

	s := embedded(t, opts)
	b := connect(t, natsbus.Options{Server: s})
	for i := range 4 {
		if err := b.Publish(ctx, &bus.Message{Topic: bus.Files, Pipeline: "p", ID: fmt.Sprint(i), Data: []byte(fmt.Sprint(i))}); err != nil {
			t.Fatal(err)
		}
		if i == 1 {
			if got := collect(t, b, "p", "parsers", 2); !slices.Equal(got, []string{"0", "1"}) {
				t.Fatalf("before the restart the group got %v, want [0 1]", got)
			}
		}
	}
	kv, err := b.Table(ctx, "state")
	if err != nil {
		t.Fatal(err)
	}
	if err := kv.Put(ctx, "watcher.cursor", []byte("42")); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	s.Shutdown()

	s = embedded(t, opts)
	b = connect(t, natsbus.Options{Server: s})
	for i, m := range follow(t, b, bus.Files, "p", "", 4) {
		if string(m.Data) != fmt.Sprint(i) {
			t.Fatalf("message %d after the restart is %q", i, m.Data)
		}
	}
	kv, err = b.Table(ctx, "state")
	if err != nil {
		t.Fatal(err)
	}
	if v, err := kv.Get(ctx, "watcher.cursor"); err != nil || string(v) != "42" {
		t.Errorf("key after the restart = %q, %v; want 42", v, err)
	}
	// The group resumes after the messages it acknowledged.
	if got := collect(t, b, "p", "parsers", 2); !slices.Equal(got, []string{"2", "3"}) {
		t.Errorf("after the restart the group got %v, want [2 3]", got)
	}
}

func TestStartEmbeddedListensAsPortSays(t *testing.T) {
	cases := []struct {
		name   string
		port   int
		listen bool
	}{
		{"ZeroOpensNoPort", 0, false},
		{"MinusOnePicksAFreePort", -1, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := embedded(t, natsbus.EmbeddedOptions{Port: tc.port})
			if got := s.Addr() != nil; got != tc.listen {
				t.Fatalf("listening = %v, want %v", got, tc.listen)
			}
			if !tc.listen {
				return
			}
			b := connect(t, natsbus.Options{URL: s.ClientURL()})
			if err := b.Publish(t.Context(), &bus.Message{Topic: bus.Files, Pipeline: "p", Data: []byte("x")}); err != nil {
				t.Fatalf("publish over %s: %v", s.ClientURL(), err)
			}
		})
	}
}

func TestStartEmbeddedRequiresADataDir(t *testing.T) {
	if _, err := natsbus.StartEmbedded(t.Context(), natsbus.EmbeddedOptions{}); err == nil {
		t.Fatal("StartEmbedded without a data dir succeeded")
	}
}

func TestConnectFromManyProcessesAtOnceCreatesTheStreamsOnce(t *testing.T) {
	s := embedded(t, natsbus.EmbeddedOptions{})
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			b, err := natsbus.Connect(t.Context(), natsbus.Options{Server: s, Logger: testLogger(t)})
			if err != nil {
				errs <- err
				return
			}
			errs <- b.Close()
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	js := jetStream(t, "", s)
	var names []string
	for n := range js.StreamNames(t.Context()).Name() {
		names = append(names, n)
	}
	slices.Sort(names)
	if want := []string{"FILEDGE_BATCHES", "FILEDGE_COMMITTED", "FILEDGE_FILES", "FILEDGE_PARSED"}; !slices.Equal(names, want) {
		t.Errorf("streams = %v, want %v", names, want)
	}
}

func TestConnectUpdatesTheBatchRetentionOfAnExistingStream(t *testing.T) {
	s := embedded(t, natsbus.EmbeddedOptions{})
	js := jetStream(t, "", s)
	for _, retention := range []time.Duration{0, time.Hour} {
		connect(t, natsbus.Options{Server: s, BatchRetention: retention})
		st, err := js.Stream(t.Context(), "FILEDGE_BATCHES")
		if err != nil {
			t.Fatal(err)
		}
		want := retention
		if want == 0 {
			want = natsbus.DefaultBatchRetention
		}
		if got := st.CachedInfo().Config.MaxAge; got != want {
			t.Errorf("BatchRetention %v: stream MaxAge = %v, want %v", retention, got, want)
		}
	}
}

func TestConnectRejectsABatchRetentionBelowTheDedupWindow(t *testing.T) {
	s := embedded(t, natsbus.EmbeddedOptions{})
	if _, err := natsbus.Connect(t.Context(), natsbus.Options{Server: s, BatchRetention: time.Minute}); err == nil {
		t.Fatal("Connect with a one-minute batch retention succeeded")
	}
}

func TestPublishErrorsWrapSentinels(t *testing.T) {
	b := connect(t, natsbus.Options{Server: embedded(t, natsbus.EmbeddedOptions{})})
	cases := []struct {
		name string
		m    *bus.Message
		want error
	}{
		{"TooLarge", &bus.Message{Topic: bus.Batches, Pipeline: "p", Scope: "v", Data: make([]byte, b.Capabilities().MaxPayload)}, natsbus.ErrTooLarge},
		{"DotInPipeline", &bus.Message{Topic: bus.Files, Pipeline: "a.b"}, natsbus.ErrInvalidAddress},
		{"ReservedHeader", &bus.Message{Topic: bus.Files, Pipeline: "p", Header: map[string]string{"Nats-Msg-Id": "x"}}, natsbus.ErrInvalidAddress},
		{"HeaderWithLineBreak", &bus.Message{Topic: bus.Files, Pipeline: "p", Header: map[string]string{"X": "a\r\nB: c"}}, natsbus.ErrInvalidAddress},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := b.Publish(t.Context(), tc.m); !errors.Is(err, tc.want) {
				t.Errorf("Publish = %v, want %v", err, tc.want)
			}
		})
	}
}

// jetStream opens a plain JetStream client on url, or in process on s.
func jetStream(t *testing.T, url string, s nats.InProcessConnProvider) jetstream.JetStream {
	t.Helper()
	var opts []nats.Option
	if url == "" {
		opts = append(opts, nats.InProcessServer(s))
	}
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return js
}
