package health_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/filedge/filedge/internal/health"
)

// serve starts a server of r on a free loopback port, stopped when the test
// ends, and returns its base URL.
func serve(t *testing.T, r *health.Registry) (*health.Server, string) {
	t.Helper()
	s, err := health.Listen("127.0.0.1:0", r)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return s, "http://" + s.Addr().String()
}

// get fetches url and returns the status code and body.
func get(t *testing.T, url string) (int, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, body
}

func ready(t *testing.T, base string) (int, health.Report) {
	t.Helper()
	code, body := get(t, base+"/readyz")
	var rep health.Report
	if err := json.Unmarshal(body, &rep); err != nil {
		t.Fatalf("/readyz body %q: %v", body, err)
	}
	return code, rep
}

func TestReadyzNamesEachComponentWithItsStateSinceAndRedactedErrorAndIs503UntilAllAreUp(t *testing.T) {
	const secret = "s3cr3t-canary"
	r := health.New(func(s string) string { return strings.ReplaceAll(s, secret, "REDACTED") })
	bus, db := r.Add("bus"), r.Add("destination warehouse")
	_, base := serve(t, r)

	code, rep := ready(t, base)
	if code != http.StatusServiceUnavailable || rep.Ready || len(rep.Components) != 2 {
		t.Fatalf("before anything is up: %d %+v, want 503 with two components", code, rep)
	}
	for i, want := range []string{"bus", "destination warehouse"} {
		if c := rep.Components[i]; c.Name != want || c.State != health.Starting || c.Since.IsZero() {
			t.Errorf("component %d = %+v, want %s starting, with a since", i, c, want)
		}
	}

	bus.Set(nil)
	db.Set(fmt.Errorf("dial postgres://u:%s@db:5432/x: connection refused", secret))
	code, body := get(t, base+"/readyz")
	if code != http.StatusServiceUnavailable {
		t.Fatalf("with a destination down: %d, want 503", code)
	}
	if bytes.Contains(body, []byte(secret)) {
		t.Fatalf("/readyz shows a secret:\n%s", body)
	}
	_, rep = ready(t, base)
	if c := rep.Components[1]; c.State != health.Down || !strings.Contains(c.LastError, "connection refused") || !strings.Contains(c.LastError, "REDACTED") {
		t.Errorf("the down destination reads %+v, want down with its redacted error", c)
	}
	downSince := rep.Components[1].Since

	db.Set(nil)
	code, rep = ready(t, base)
	if code != http.StatusOK || !rep.Ready {
		t.Fatalf("with every component up: %d %+v, want 200", code, rep)
	}
	if c := rep.Components[1]; c.State != health.Up || !c.Since.After(downSince) || c.LastError == "" {
		t.Errorf("the recovered destination reads %+v, want up since it recovered, keeping its last error", c)
	}
	if db.Set(nil) {
		t.Error("Set(nil) on an up component reports a change")
	}
}

func TestHealthzIsAliveUntilTheStagesStop(t *testing.T) {
	r := health.New(nil)
	r.Add("bus") // not up: liveness does not care
	_, base := serve(t, r)
	if code, body := get(t, base+"/healthz"); code != http.StatusOK {
		t.Fatalf("/healthz = %d %s, want 200", code, body)
	}
	r.Stopped(errors.New("sink warehouse: boom"))
	if code, body := get(t, base+"/healthz"); code != http.StatusServiceUnavailable || !strings.Contains(string(body), "boom") {
		t.Fatalf("/healthz after the stages stopped = %d %s, want 503 with the reason", code, body)
	}
	if code, _ := ready(t, base); code != http.StatusServiceUnavailable {
		t.Fatalf("/readyz after the stages stopped = %d, want 503", code)
	}
}

func TestReadyzRunsEachProbe(t *testing.T) {
	r := health.New(nil)
	c := r.Add("bus")
	var fail atomic.Bool
	c.SetProbe(func(ctx context.Context) error {
		if _, ok := ctx.Deadline(); !ok {
			t.Error("a probe runs without a deadline")
		}
		if fail.Load() {
			return errors.New("not connected")
		}
		return nil
	})
	_, base := serve(t, r)
	if code, _ := ready(t, base); code != http.StatusOK {
		t.Fatalf("probe passing: %d, want 200", code)
	}
	fail.Store(true)
	code, rep := ready(t, base)
	if code != http.StatusServiceUnavailable || rep.Components[0].LastError != "not connected" {
		t.Fatalf("probe failing: %d %+v, want 503 with the probe's error", code, rep)
	}
}

func TestHandleAddsAnEndpoint(t *testing.T) {
	s, base := serve(t, health.New(nil))
	s.Handle("GET /metrics", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "up 1\n") }))
	if code, body := get(t, base+"/metrics"); code != http.StatusOK || string(body) != "up 1\n" {
		t.Fatalf("/metrics = %d %q", code, body)
	}
}

func TestListenFailsAtOnceOnAnAddressInUse(t *testing.T) {
	s, _ := serve(t, health.New(nil))
	if _, err := health.Listen(s.Addr().String(), health.New(nil)); err == nil {
		t.Fatal("a second Listen on the same address succeeded")
	}
}

func TestRetryLogsOneLinePerStateChangeAndReportsTheState(t *testing.T) {
	const secret = "pw-canary-42"
	r := health.New(func(s string) string { return strings.ReplaceAll(s, secret, "REDACTED") })
	c := r.Add("destination warehouse")
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	attempts := 0
	err := c.Retry(t.Context(), log, health.Backoff{Min: time.Millisecond, Max: 4 * time.Millisecond}, func(context.Context) error {
		attempts++
		if got := c.Status().State; attempts > 1 && got != health.Down {
			t.Errorf("attempt %d: state %s, want down", attempts, got)
		}
		if attempts < 5 {
			return fmt.Errorf("connect to u:%s@db: connection refused", secret)
		}
		return nil
	}, nil)
	if err != nil || attempts != 5 {
		t.Fatalf("Retry = %v after %d attempts, want nil after 5", err, attempts)
	}
	if st := c.Status(); st.State != health.Up {
		t.Errorf("state after Retry = %s, want up", st.State)
	}
	out := logs.String()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d log lines, want one when it went down and one when it came back:\n%s", len(lines), out)
	}
	if !strings.Contains(lines[0], "level=WARN") || !strings.Contains(lines[0], "connection refused") {
		t.Errorf("the first line does not say it is down and why: %s", lines[0])
	}
	if !strings.Contains(lines[1], "level=INFO") || !strings.Contains(lines[1], "attempts=5") || !strings.Contains(lines[1], "after=") {
		t.Errorf("the second line does not say it is back, after how long and how many attempts: %s", lines[1])
	}
	if strings.Contains(out, secret) {
		t.Errorf("the log shows the secret:\n%s", out)
	}
}

func TestRetryStopsAtAPermanentErrorAndWhenTheContextEnds(t *testing.T) {
	bad := errors.New("the URL does not parse")
	c := health.New(nil).Add("x")
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	attempts := 0
	err := c.Retry(t.Context(), log, health.DefaultBackoff, func(context.Context) error { attempts++; return bad }, func(err error) bool { return errors.Is(err, bad) })
	if !errors.Is(err, bad) || attempts != 1 {
		t.Fatalf("Retry = %v after %d attempts, want the permanent error after 1", err, attempts)
	}
	if logs.Len() != 0 {
		t.Errorf("a permanent error is logged as something retried:\n%s", logs.String())
	}
	if st := c.Status(); st.State != health.Down || st.LastError != bad.Error() {
		t.Errorf("state after a permanent error = %+v, want down with the error", st)
	}

	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	err = c.Retry(ctx, log, health.Backoff{Min: time.Hour, Max: time.Hour}, func(context.Context) error { return errors.New("refused") }, nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Retry = %v, want the context's error", err)
	}
}

func TestAttemptThenRetryLogTheOutageOnceAndCountEveryAttempt(t *testing.T) {
	c := health.New(nil).Add("bus")
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	attempts := 0
	try := func(context.Context) error {
		attempts++
		if attempts < 4 {
			return errors.New("connection refused")
		}
		return nil
	}
	if err := c.Attempt(t.Context(), log, try, nil); err == nil {
		t.Fatal("the first attempt succeeded")
	}
	if err := c.Retry(t.Context(), log, health.Backoff{Min: time.Millisecond, Max: time.Millisecond}, try, nil); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], "unavailable") || !strings.Contains(lines[1], "attempts=4") {
		t.Fatalf("want one line when it went down and one when it came back after 4 attempts:\n%s", logs.String())
	}
}
