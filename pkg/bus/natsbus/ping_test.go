package natsbus_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/filedge/filedge/pkg/bus/natsbus"
)

func TestConnectTellsOptionsNoRetryFixesFromAServerNotReachedYet(t *testing.T) {
	const pw = "pw-canary-7"
	for _, tc := range []struct {
		name, url string
		invalid   bool
	}{
		{"space in the host", "nats://u:" + pw + "@a b:4222", true},
		{"bad port", "nats://u:" + pw + "@127.0.0.1:notaport", true},
		{"bad second URL of a list", "nats://127.0.0.1:1, nats://u:" + pw + "@x:y:z", true},
		{"nothing listens", "nats://u:" + pw + "@127.0.0.1:1", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
			defer cancel()
			b, err := natsbus.Connect(ctx, natsbus.Options{URL: tc.url, Logger: testLogger(t)})
			if err == nil {
				b.Close()
				t.Fatal("Connect succeeded")
			}
			if got := errors.Is(err, natsbus.ErrInvalidOptions); got != tc.invalid {
				t.Errorf("errors.Is(%v, ErrInvalidOptions) = %v, want %v", err, got, tc.invalid)
			}
			if tc.invalid && strings.Contains(err.Error(), pw) {
				t.Errorf("the error shows the password: %v", err)
			}
		})
	}
}

func TestPingAnswersWhileTheServerDoesAndFailsWhenItIsGone(t *testing.T) {
	s := embedded(t, natsbus.EmbeddedOptions{Port: -1})
	b := connect(t, natsbus.Options{URL: s.ClientURL()})
	if err := b.Ping(t.Context()); err != nil {
		t.Fatalf("Ping = %v", err)
	}
	s.Shutdown()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
		err := b.Ping(ctx)
		cancel()
		if err != nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("Ping still succeeds 30s after the server stopped")
		}
		time.Sleep(100 * time.Millisecond)
	}
}
