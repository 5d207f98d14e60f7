package parser

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/filedge/filedge/pkg/bus"
	"github.com/filedge/filedge/pkg/source"
)

// lockedSource is a source whose files named in locked cannot be opened:
// permission denied, as for a file its owner made unreadable (root reads
// every file, so a test cannot rely on chmod).
type lockedSource struct {
	source.Source
	locked map[string]bool
}

func (s *lockedSource) Open(ctx context.Context, path string) (io.ReadCloser, error) {
	if s.locked[path] {
		return nil, fmt.Errorf("local: open %q: %w", path, fs.ErrPermission)
	}
	return s.Source.Open(ctx, path)
}

// flakyBus fails every publish of a record batch while down is set.
type flakyBus struct {
	bus.Bus
	down atomic.Bool
}

var errBusDown = errors.New("nats: timeout")

func (b *flakyBus) Publish(ctx context.Context, m *bus.Message) error {
	if b.down.Load() && m.Header[bus.HeaderType] == bus.TypeBatch {
		return errBusDown
	}
	return b.Bus.Publish(ctx, m)
}

// rebuild replaces the fixture's service with one over src and b, with a
// clock that stands still at now.
func (f *fixture) rebuild(t *testing.T, src source.Source, b bus.Bus, now time.Time) {
	t.Helper()
	svc, err := New(Config{Pipeline: f.p, Source: src, Bus: b, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	f.svc = svc
}

// notices returns the FileParseRetry notices on the version's batches, up
// to the first FileParsed if there is one.
func (f *fixture) notices(t *testing.T, version string) []bus.FileParseRetry {
	t.Helper()
	cur, err := f.b.Read(t.Context(), f.p.Name, version)
	if err != nil {
		t.Fatal(err)
	}
	defer cur.Close()
	var out []bus.FileParseRetry
	for {
		ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
		m, err := cur.Next(ctx)
		cancel()
		if err != nil || m.Header[bus.HeaderType] == bus.TypeFileParsed {
			return out
		}
		if m.Header[bus.HeaderType] == bus.TypeFileParseRetry {
			var n bus.FileParseRetry
			if err := bus.Decode(m, bus.TypeFileParseRetry, &n); err != nil {
				t.Fatal(err)
			}
			out = append(out, n)
		}
	}
}

func TestAnUnreadableFileIsRetriedWithBackoffThenFailsForGoodWithTheReason(t *testing.T) {
	f := newFixture(t, 0, nil)
	f.p.Parser.MaxAttempts = 3
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	f.rebuild(t, &lockedSource{Source: f.src, locked: map[string]bool{"locked.csv": true}}, f.b, now)
	fd := f.drop(t, "locked.csv", csvRows(3))

	for n, want := range []time.Duration{2 * time.Second, 4 * time.Second} {
		d := f.deliver(t, fd, n+1)
		if d.Verdict != bus.VerdictRetry || d.After != want {
			t.Fatalf("attempt %d: %v, want a retry after %v", n+1, d, want)
		}
	}
	notices := f.notices(t, fd.Version)
	if len(notices) != 2 {
		t.Fatalf("%d retry notices on the batches, want one per failed attempt: %+v", len(notices), notices)
	}
	for i, n := range notices {
		wantAt := now.Add(time.Duration(2<<i) * time.Second)
		if n.Attempt != i+1 || !n.RetryAt.Equal(wantAt) || !strings.Contains(n.Reason, "permission denied") || n.Path != fd.Path {
			t.Errorf("notice %d: %+v; want attempt %d, retry at %v, the reason", i, n, i+1, wantAt)
		}
	}

	if d := f.deliver(t, fd, 3); d.Verdict.String() != "done" {
		t.Fatalf("last attempt outcome %q, want done: the file fails for good", d.Verdict.String())
	}
	p := trailer(t, f.scope(t, fd.Version))
	if p.Status != bus.StatusFailed || p.Error == nil || !strings.Contains(p.Error.Message, "permission denied reading locked.csv (3 attempts)") {
		t.Fatalf("trailer %+v, error %+v; want failed with the reason", p, p.Error)
	}
	var marker bus.FileParsed
	if err := bus.Decode(f.marker(t), bus.TypeFileParsed, &marker); err != nil || marker.Status != bus.StatusFailed || marker.Version != fd.Version {
		t.Fatalf("marker %+v, %v; want the failure on the parsed topic too", marker, err)
	}
}

func TestAReadFailureThatPassesIsParsedOnTheNextAttempt(t *testing.T) {
	f := newFixture(t, 0, nil)
	src := &lockedSource{Source: f.src, locked: map[string]bool{"a.csv": true}}
	f.rebuild(t, src, f.b, time.Now())
	fd := f.drop(t, "a.csv", csvRows(3))
	if d := f.deliver(t, fd, 1); d.Verdict.String() != "retry" {
		t.Fatalf("outcome %q, want retry", d.Verdict.String())
	}
	src.locked = nil
	if d := f.deliver(t, fd, 2); d.Verdict.String() != "done" {
		t.Fatalf("outcome %q, want done", d.Verdict.String())
	}
	msgs := f.scope(t, fd.Version)
	if msgs[0].Header[bus.HeaderType] != bus.TypeFileParseRetry || msgs[1].Header[bus.HeaderSeq] != "0" {
		t.Fatalf("batch scope %v; want the notice, then the batches from seq 0", types(msgs))
	}
	if p := trailer(t, msgs); p.Status != bus.StatusOK || p.Tables[0].Rows != 3 {
		t.Fatalf("trailer %+v", p)
	}
}

func TestBusFailuresAreRetriedWithoutCountingAgainstTheFile(t *testing.T) {
	f := newFixture(t, 0, nil)
	f.p.Parser.MaxAttempts = 2
	b := &flakyBus{Bus: f.b}
	b.down.Store(true)
	f.rebuild(t, f.src, b, time.Now())
	fd := f.drop(t, "a.csv", csvRows(3))
	for n := 1; n <= 5; n++ {
		if d := f.deliver(t, fd, n); d.Verdict.String() != "retry" {
			t.Fatalf("delivery %d with the bus down outcome %q, want retry", n, d.Verdict.String())
		}
	}
	if n := f.notices(t, fd.Version); len(n) != 0 {
		t.Errorf("retry notices %+v for a bus failure; the file is not at fault", n)
	}
	b.down.Store(false)
	if d := f.deliver(t, fd, 6); d.Verdict.String() != "done" {
		t.Fatalf("outcome %q once the bus is back, want done", d.Verdict.String())
	}
	if p := trailer(t, f.scope(t, fd.Version)); p.Status != bus.StatusOK || p.Tables[0].Rows != 3 {
		t.Fatalf("trailer %+v; want the file parsed, not failed", p)
	}
}

func TestANewVersionOfAFileThatFailedIsTriedAfresh(t *testing.T) {
	f := newFixture(t, 0, nil)
	f.p.Parser.MaxAttempts = 1
	src := &lockedSource{Source: f.src, locked: map[string]bool{"a.csv": true}}
	f.rebuild(t, src, f.b, time.Now())
	old := f.drop(t, "a.csv", csvRows(3))
	f.deliver(t, old, 1)
	if p := trailer(t, f.scope(t, old.Version)); p.Status != bus.StatusFailed {
		t.Fatalf("trailer %+v, want failed", p)
	}
	src.locked = nil
	fresh := f.drop(t, "a.csv", csvRows(4))
	if fresh.Version == old.Version {
		t.Fatal("the rewrite kept the version id")
	}
	if d := f.deliver(t, fresh, 1); d.Verdict.String() != "done" {
		t.Fatalf("outcome %q, want done", d.Verdict.String())
	}
	if p := trailer(t, f.scope(t, fresh.Version)); p.Status != bus.StatusOK || p.Tables[0].Rows != 4 {
		t.Fatalf("trailer %+v", p)
	}
}

func types(msgs []*bus.Message) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = m.Header[bus.HeaderType]
	}
	return out
}
