package bus

import (
	"context"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"
)

func TestCallTurnsAPanicOrAMissingVerdictIntoARetryWithBackoff(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	d := &Delivery{Message: &Message{ID: "m"}, Attempt: 3}
	for name, h := range map[string]Handler{
		"panic":      func(context.Context, *Delivery) Outcome { panic("bug") },
		"no verdict": func(context.Context, *Delivery) Outcome { return Outcome{} },
	} {
		out := Call(t.Context(), h, d, log, time.Minute)
		if out.Verdict != VerdictRetry || out.After != Backoff(3) {
			t.Errorf("%s: Call = %v, want a retry after %v", name, out, Backoff(3))
		}
		if out := Call(t.Context(), h, d, log, time.Second); out.After != time.Second {
			t.Errorf("%s: Call with a 1s ceiling retries after %v", name, out.After)
		}
	}
	for _, want := range []Outcome{Done(), Retry(time.Minute), GiveUp("poison")} {
		if got := Call(t.Context(), func(context.Context, *Delivery) Outcome { return want }, d, log, time.Second); got != want {
			t.Errorf("Call = %v, want the handler's %v", got, want)
		}
	}
	if got := Retry(-time.Second); got.After != 0 {
		t.Errorf("Retry(-1s).After = %v, want 0", got.After)
	}
}

func TestEveryCallsUntilStoppedOrQuit(t *testing.T) {
	var n atomic.Int32
	stop := Every(10*time.Millisecond, nil, func() { n.Add(1) })
	for deadline := time.Now().Add(10 * time.Second); n.Load() < 3; {
		if time.Now().After(deadline) {
			t.Fatal("fn was not called three times within 10s")
		}
		time.Sleep(5 * time.Millisecond)
	}
	stop()
	stop() // idempotent
	after := n.Load()
	time.Sleep(50 * time.Millisecond)
	if n.Load() != after {
		t.Error("fn called after stop returned")
	}
	quit := make(chan struct{})
	close(quit)
	stop = Every(time.Millisecond, quit, func() { n.Add(100) })
	stop()
}

func TestStartSaysWhereItIs(t *testing.T) {
	at := time.Date(2026, 12, 7, 3, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		s      Start
		latest bool
		at     bool
		str    string
	}{
		{Earliest, false, false, "earliest"},
		{Start{}, false, false, "earliest"},
		{Latest, true, false, "latest"},
		{StartAt(at), false, true, "at 2026-12-07T03:00:00Z"},
	} {
		got, ok := tc.s.Time()
		if tc.s.IsLatest() != tc.latest || ok != tc.at || (ok && !got.Equal(at)) || tc.s.String() != tc.str {
			t.Errorf("%v: latest %v, time %v %v", tc.s, tc.s.IsLatest(), got, ok)
		}
	}
}
