package sink

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/filedge/filedge/pkg/bus"
)

// publishNotice publishes a FileParseRetry of attempt on version's batches.
func publishNotice(t *testing.T, b bus.Bus, version string, attempt int, retryAt time.Time) {
	t.Helper()
	m, err := bus.FileParseRetryMessage(&bus.FileParseRetry{Pipeline: "orders", Version: version, Path: version + ".csv",
		Attempt: attempt, Reason: "permission denied", RetryAt: retryAt})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Publish(t.Context(), m); err != nil {
		t.Fatal(err)
	}
}

func TestAParseRetryNoticeGivesTheFileBackAtOnceUntilTheNextAttempt(t *testing.T) {
	f := newFixture(t)
	f.p.Sink.BatchIdle = time.Minute
	f.publishBatch(t, "orders", 0, 5) // the failed attempt got this far
	publishNotice(t, f.b, fd.Version, 1, time.Now().Add(30*time.Second))
	start := time.Now()
	d, _ := f.deliver(t)
	if took := time.Since(start); took > 10*time.Second {
		t.Fatalf("the sink gave the file back after %v: it waited for batches instead of reading the notice", took)
	}
	if d.Verdict != bus.VerdictRetry || d.After <= 20*time.Second || d.After > 30*time.Second {
		t.Fatalf("outcome %v; want a retry at the parser's next attempt, about 30s", d)
	}
	if len(f.db.files) != 0 {
		t.Fatal("the destination committed a file whose parse failed")
	}
}

func TestAStaleNoticeIsReadPastAndTheNextAttemptCommitsEachBatchOnce(t *testing.T) {
	f := newFixture(t)
	// Attempt 1 published two batches, then failed; attempt 2, due since,
	// publishes every batch again from seq 0.
	f.publishBatch(t, "orders", 0, 5)
	f.publishBatch(t, "orders", 1, 5)
	publishNotice(t, f.b, fd.Version, 1, time.Now().Add(-time.Second))
	for seq := range 3 {
		f.publishBatch(t, "orders", seq, 5)
	}
	f.publishTrailer(t, okTrailer(3, 15))
	settled, out := f.handle(t)
	if settled != "done" || out.Status != bus.StatusCommitted || f.db.rows["orders"] != 15 {
		t.Fatalf("settled %q, outcome %+v, rows read %v; want 15 rows committed once", settled, out, f.db.rows)
	}
}

// TestFilesWhoseParseFailsDoNotHoldUpTheSinkWorkers runs a sink of two
// workers over two files whose parse keeps failing, discovered first, and
// ten good ones: the good files commit at once, not after sink.batch_idle.
func TestFilesWhoseParseFailsDoNotHoldUpTheSinkWorkers(t *testing.T) {
	f := newFixture(t)
	p, b, db := f.p, f.b, f.db
	p.Sink.Workers = 2
	p.Sink.BatchIdle = time.Minute
	var bad, good []*bus.FileDiscovered
	for i := range 12 {
		fd := &bus.FileDiscovered{Pipeline: "orders", Version: fmt.Sprintf("v%02d", i), Path: fmt.Sprintf("f%02d.csv", i), Size: 10, Modified: time.Unix(1700000000, 0)}
		m, err := bus.FileDiscoveredMessage(fd)
		if err != nil {
			t.Fatal(err)
		}
		if err := b.Publish(t.Context(), m); err != nil {
			t.Fatal(err)
		}
		if i < 2 {
			bad = append(bad, fd)
		} else {
			good = append(good, fd)
		}
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- f.svc.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	start := time.Now()
	// The parser fails the first two files and will try them again in a
	// minute; it parses the others.
	for _, fd := range bad {
		publishNotice(t, b, fd.Version, 1, time.Now().Add(time.Minute))
	}
	for _, fd := range good {
		m := bus.BatchMessage("orders", fd.Version, "orders", 0, batch(t, 2))
		m.Header[HeaderSHA256] = "abc123"
		if err := b.Publish(t.Context(), m); err != nil {
			t.Fatal(err)
		}
		tr, err := bus.FileParsedTrailer(&bus.FileParsed{Pipeline: "orders", Version: fd.Version, Path: fd.Path, Status: bus.StatusOK,
			SHA256: "abc123", Tables: []bus.TableParsed{{Name: "orders", Batches: 1, Rows: 2}}})
		if err != nil {
			t.Fatal(err)
		}
		if err := b.Publish(t.Context(), tr); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(15 * time.Second)
	for committed(db) < len(good) {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d good files committed after %v (batch_idle %v): the failing files hold the workers",
				committed(db), len(good), time.Since(start), p.Sink.BatchIdle)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("the %d good files committed within %v", len(good), time.Since(start))
}

func committed(db *fakeDB) int {
	db.mu.Lock()
	defer db.mu.Unlock()
	return len(db.files)
}
