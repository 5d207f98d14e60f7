package watcher

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"
)

// records keeps the messages logged, with their attributes.
type records struct {
	mu   sync.Mutex
	msgs []string
}

func (r *records) Enabled(context.Context, slog.Level) bool { return true }
func (r *records) WithAttrs([]slog.Attr) slog.Handler       { return r }
func (r *records) WithGroup(string) slog.Handler            { return r }
func (r *records) Handle(_ context.Context, rec slog.Record) error {
	s := rec.Level.String() + " " + rec.Message
	rec.Attrs(func(a slog.Attr) bool {
		if a.Key != "err" {
			s += " " + a.String()
		}
		return true
	})
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, s)
	return nil
}

// An outage is logged when it starts, then at most every outageReport
// while it lasts (with the files waiting), and when it ends, however many
// files meet it.
func TestOutageIsLoggedWhenItStartsEveryMinuteAtMostAndWhenItEnds(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	logs := &records{}
	w := &Watcher{log: slog.New(logs), now: func() time.Time { return now }}
	o := newOutage("bus", "publishing file events", "published")
	errDown := errors.New("nats: timeout")
	fail := func(paths ...string) {
		for _, p := range paths {
			w.failed(o, nil, p, errDown)
		}
	}
	fail("a", "b", "c") // starts
	for range 50 {      // 50 s of failing scans: nothing more
		now = now.Add(time.Second)
		fail("a", "b", "c", "d")
	}
	now = now.Add(10 * time.Second) // a minute after the first line
	fail("a")
	now = now.Add(30 * time.Second)
	fail("e")
	now = now.Add(31 * time.Second) // a minute after the summary
	fail("b")
	now = now.Add(8 * time.Second)
	w.worked(o, nil, []string{"a", "b"})
	w.worked(o, nil, []string{"c"}) // works: nothing to say
	fail("c")                       // a new outage starts

	want := []string{
		"WARN bus unavailable: publishing file events fails; files wait until it works again",
		"WARN bus still unavailable for=1m0s files_waiting=4 failures=204",
		"WARN bus still unavailable for=2m1s files_waiting=5 failures=206",
		"INFO bus available again after=2m9s published=2 files_waiting=3 failures=206",
		"WARN bus unavailable: publishing file events fails; files wait until it works again",
	}
	if !slices.Equal(logs.msgs, want) {
		t.Fatalf("logged\n%q\nwant\n%q", logs.msgs, want)
	}
}

// While an outage lasts, one file is tried per look: when it fails, the
// others fail with its error, untried.
func TestTryAllTriesOneFileWhileDown(t *testing.T) {
	o := newOutage("bus", "publishing file events", "published")
	errDown := errors.New("nats: timeout")
	var mu sync.Mutex
	tried := 0
	fn := func(err error) func(int) error {
		return func(int) error {
			mu.Lock()
			defer mu.Unlock()
			tried++
			return err
		}
	}
	if errs := tryAll(o, 10, fn(errDown)); tried != 10 || !errors.Is(errs[9], errDown) || errors.Is(errs[9], errNotTried) {
		t.Fatalf("while up: tried %d, errors %v; want all 10 tried", tried, errs)
	}
	o.since = time.Now()
	tried = 0
	errs := tryAll(o, 10, fn(errDown))
	notTried := 0
	for _, err := range errs {
		if !errors.Is(err, errDown) {
			t.Fatalf("while down: error %v, want each to wrap the one met", err)
		}
		if errors.Is(err, errNotTried) {
			notTried++
		}
	}
	if tried != 1 || notTried != 9 {
		t.Fatalf("while down: tried %d, %d not tried; want one tried and 9 not", tried, notTried)
	}
	tried = 0
	if errs := tryAll(o, 10, fn(nil)); tried != 10 || slices.ContainsFunc(errs, func(err error) bool { return err != nil }) {
		t.Fatalf("while down, a first success: tried %d, errors %v; want all 10 tried", tried, errs)
	}
}
