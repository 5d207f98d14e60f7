package sink

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/filedge/filedge/pkg/bus"
	"github.com/filedge/filedge/pkg/bus/bustest"
	"github.com/filedge/filedge/pkg/config"
	"github.com/filedge/filedge/pkg/destination"
)

// stoppingDB commits, then begins the process's shutdown.
type stoppingDB struct {
	*fakeDB
	stop context.CancelFunc
}

func (d *stoppingDB) Commit(ctx context.Context, f *destination.File) (*destination.Result, error) {
	res, err := d.fakeDB.Commit(ctx, f)
	d.stop()
	return res, err
}

// A shutdown that begins once the destination committed a file (as `run
// --once` stops its stages the moment the last outcome it waits for is
// reported) is not a failure: the outcome is still published, the delivery
// acknowledged, and nothing is logged above Info.
func TestAShutdownAfterTheCommitStillPublishesTheOutcomeAndLogsNoWarning(t *testing.T) {
	f := newFixture(t)
	f.publishBatch(t, "orders", 0, 3)
	f.publishTrailer(t, okTrailer(1, 3))
	ctx, stop := context.WithCancel(t.Context())
	defer stop()
	var logs bytes.Buffer // Handle logs from its own goroutine only
	svc, err := New(Config{
		Pipeline: f.p, Destination: &config.Destination{Name: "lite", WriteMode: "append"},
		DB: &stoppingDB{fakeDB: f.db, stop: stop}, Bus: f.b,
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err != nil {
		t.Fatal(err)
	}
	m, err := bus.FileDiscoveredMessage(fd)
	if err != nil {
		t.Fatal(err)
	}
	outcome := svc.Handle(ctx, &bus.Delivery{Message: m, Attempt: 1})
	if ctx.Err() == nil || committed(f.db) != 1 {
		t.Fatalf("the file was not committed before the shutdown (%d commits)", committed(f.db))
	}
	for line := range strings.Lines(logs.String()) {
		if strings.Contains(line, "level=WARN") || strings.Contains(line, "level=ERROR") {
			t.Errorf("logged at shutdown: %s", line)
		}
	}
	if outcome.Verdict != bus.VerdictDone {
		t.Errorf("outcome %v, want done", outcome)
	}
	out := bustest.Follow(t, f.b, bus.Committed, "orders", "lite", 1)[0]
	var c bus.FileCommitted
	if err := bus.Decode(out, bus.TypeFileCommitted, &c); err != nil || c.Status != bus.StatusCommitted || c.Rows != 3 {
		t.Fatalf("FileCommitted %+v (%v)", c, err)
	}
}
