package sink

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/filedge/filedge/pkg/bus"
	"github.com/filedge/filedge/pkg/bus/bustest"
	"github.com/filedge/filedge/pkg/bus/membus"
	"github.com/filedge/filedge/pkg/config"
	"github.com/filedge/filedge/pkg/destination"
	"github.com/filedge/filedge/pkg/record"
)

// fakeDB is a destination that reads every batch and keeps what it read.
type fakeDB struct {
	mu      sync.Mutex
	outcome destination.Outcome
	err     error // returned after reading every batch
	files   []*destination.File
	rows    map[string]int64
	sha     string
	// widened and added are what Commit reports it changed; skipped and
	// problems the row errors it left out.
	widened, added []string
	skipped        int64
	problems       []destination.Problem
}

func (d *fakeDB) Commit(ctx context.Context, f *destination.File) (*destination.Result, error) {
	rows := map[string]int64{}
	var tables []string
	for {
		table, rec, err := f.Batches.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("commit %s: %w", f.Path, err)
		}
		if _, ok := rows[table]; !ok {
			tables = append(tables, table)
		}
		rows[table] += rec.NumRows()
		rec.Release()
	}
	if d.err != nil {
		return nil, d.err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.files, d.rows, d.sha = append(d.files, f), rows, f.SHA256
	out := d.outcome
	if out == "" {
		out = destination.Committed
	}
	var n int64
	for _, r := range rows {
		n += r
	}
	return &destination.Result{Outcome: out, Tables: tables, Rows: n, Committed: time.Now(), Widened: d.widened, Added: d.added, Skipped: d.skipped, Problems: d.problems}, nil
}

func (d *fakeDB) Close() error { return nil }

type fixture struct {
	p   *config.Pipeline
	b   *membus.Bus
	db  *fakeDB
	svc *Service
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	p := config.Defaults()
	p.Name = "orders"
	p.Sink.BatchIdle = 300 * time.Millisecond
	b := membus.New(membus.Options{})
	t.Cleanup(func() { b.Close() })
	db := &fakeDB{}
	svc, err := New(Config{Pipeline: p, Destination: &config.Destination{Name: "lite", WriteMode: "append"}, DB: db, Bus: b})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{p: p, b: b, db: db, svc: svc}
}

var fd = &bus.FileDiscovered{Pipeline: "orders", Version: "v1", Path: "a.csv", Size: 10, Modified: time.Unix(1700000000, 0), Seq: 1700000100123456789}

func batch(t *testing.T, rows int) []byte {
	t.Helper()
	mem := memory.NewGoAllocator()
	schema := arrow.NewSchema([]arrow.Field{record.Field(record.LineColumn, record.Integer), record.Field("id", record.Integer)}, nil)
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	for i := 0; i < rows; i++ {
		b.Field(0).(*array.Int64Builder).Append(int64(i + 2))
		b.Field(1).(*array.Int64Builder).Append(int64(i))
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	data, err := record.EncodeIPC(rec)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func (f *fixture) publishBatch(t *testing.T, table string, seq, rows int) {
	t.Helper()
	m := bus.BatchMessage("orders", fd.Version, table, seq, batch(t, rows))
	m.ID += fmt.Sprintf("/attempt-%d", time.Now().UnixNano()) // defeat dedup: a republish after the window
	m.Header[HeaderSHA256] = "abc123"
	if err := f.b.Publish(t.Context(), m); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) publishTrailer(t *testing.T, p *bus.FileParsed) {
	t.Helper()
	p.Pipeline, p.Version, p.Path = "orders", fd.Version, fd.Path
	m, err := bus.FileParsedTrailer(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.b.Publish(t.Context(), m); err != nil {
		t.Fatal(err)
	}
}

// handle runs Handle on a delivery of fd and returns its verdict ("done",
// "retry", "give up") and the outcome it published when it is done.
func (f *fixture) handle(t *testing.T) (verdict string, out *bus.FileCommitted) {
	t.Helper()
	o, out := f.deliver(t)
	return o.Verdict.String(), out
}

// deliver runs Handle on a delivery of fd and returns its outcome, with the
// FileCommitted it published when it is done.
func (f *fixture) deliver(t *testing.T) (bus.Outcome, *bus.FileCommitted) {
	t.Helper()
	m, err := bus.FileDiscoveredMessage(fd)
	if err != nil {
		t.Fatal(err)
	}
	o := f.svc.Handle(t.Context(), &bus.Delivery{Message: m, Attempt: 1})
	if o.Verdict != bus.VerdictDone {
		return o, nil
	}
	msg := bustest.Follow(t, f.b, bus.Committed, "orders", "lite", 1)[0]
	out := &bus.FileCommitted{}
	if err := bus.Decode(msg, bus.TypeFileCommitted, out); err != nil {
		t.Fatal(err)
	}
	return o, out
}

func okTrailer(batches int, rows int64) *bus.FileParsed {
	return &bus.FileParsed{Status: bus.StatusOK, SHA256: "abc123", Tables: []bus.TableParsed{{Name: "orders", Batches: batches, Rows: rows}}}
}

func TestCommitsAFileAndPublishesTheOutcome(t *testing.T) {
	f := newFixture(t)
	f.publishBatch(t, "orders", 0, 5)
	f.publishBatch(t, "orders", 1, 3)
	f.publishTrailer(t, okTrailer(2, 8))
	settled, out := f.handle(t)
	if settled != "done" || out.Status != bus.StatusCommitted || out.Rows != 8 || out.Destination != "lite" {
		t.Fatalf("settled %q, outcome %+v", settled, out)
	}
	if f.db.sha != "abc123" {
		t.Fatalf("the destination saw SHA256 %q, want it from the batch header", f.db.sha)
	}
}

func TestTheOutcomeReportsTheColumnsTheCommitWidenedAndAdded(t *testing.T) {
	f := newFixture(t)
	f.db.widened = []string{"orders.qty: integer → decimal(21,2)"}
	f.db.added = []string{"orders.amount: decimal(12,2)"}
	f.publishBatch(t, "orders", 0, 2)
	f.publishTrailer(t, okTrailer(1, 2))
	settled, out := f.handle(t)
	if settled != "done" || !slices.Equal(out.Widened, f.db.widened) || !slices.Equal(out.Added, f.db.added) {
		t.Fatalf("settled %q, widened %q, added %q; want %q and %q", settled, out.Widened, out.Added, f.db.widened, f.db.added)
	}
}

func TestBatchesPublishedAgainByASecondParserAreReadOnce(t *testing.T) {
	f := newFixture(t)
	// The first parser died after two batches; its successor publishes all four.
	f.publishBatch(t, "orders", 0, 5)
	f.publishBatch(t, "orders", 1, 5)
	for seq := 0; seq < 4; seq++ {
		f.publishBatch(t, "orders", seq, 5)
	}
	f.publishTrailer(t, okTrailer(4, 20))
	_, out := f.handle(t)
	if out.Status != bus.StatusCommitted || f.db.rows["orders"] != 20 {
		t.Fatalf("outcome %+v, rows read %v; want 20 rows read once", out, f.db.rows)
	}
}

func TestATrailerThatCountsMoreBatchesThanArrivedIsRetried(t *testing.T) {
	f := newFixture(t)
	f.publishBatch(t, "orders", 0, 5)
	f.publishTrailer(t, okTrailer(2, 10))
	if settled, _ := f.handle(t); settled != "retry" {
		t.Fatalf("settled %q, want nak: a file with a missing batch must not commit", settled)
	}
	if len(f.db.files) != 0 {
		t.Fatal("the destination committed an incomplete file")
	}
}

func TestAFailedParseIsReportedAndAcknowledged(t *testing.T) {
	f := newFixture(t)
	f.publishTrailer(t, &bus.FileParsed{Status: bus.StatusFailed, Error: &bus.Problem{Message: "row has 3 fields, header has 2", Line: 3}})
	settled, out := f.handle(t)
	if settled != "done" || out.Status != bus.StatusFailed || out.Error == nil || out.Error.Line != 3 {
		t.Fatalf("settled %q, outcome %+v", settled, out)
	}
}

func TestNoBatchWithinTheIdleLimitGivesTheFileBack(t *testing.T) {
	f := newFixture(t)
	start := time.Now()
	if settled, _ := f.handle(t); settled != "retry" {
		t.Fatalf("settled %q, want nak", settled)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("gave up after %v; the idle limit is 300ms", d)
	}
}

func TestAPermanentDestinationErrorIsReportedAsFailed(t *testing.T) {
	f := newFixture(t)
	f.db.err = &destination.PermanentError{Err: errors.New("value too long")}
	f.publishBatch(t, "orders", 0, 1)
	f.publishTrailer(t, okTrailer(1, 1))
	settled, out := f.handle(t)
	if settled != "done" || out.Status != bus.StatusFailed {
		t.Fatalf("settled %q, outcome %+v", settled, out)
	}
}

func TestATransientDestinationErrorIsRetried(t *testing.T) {
	f := newFixture(t)
	f.db.err = errors.New("connection reset")
	f.publishBatch(t, "orders", 0, 1)
	f.publishTrailer(t, okTrailer(1, 1))
	if settled, _ := f.handle(t); settled != "retry" {
		t.Fatalf("settled %q, want nak", settled)
	}
}

func TestDuplicateAndSupersededOutcomesAreReported(t *testing.T) {
	for _, tc := range []struct {
		outcome destination.Outcome
		status  string
	}{{destination.Duplicate, bus.StatusDuplicate}, {destination.Superseded, bus.StatusSuperseded}} {
		t.Run(string(tc.outcome), func(t *testing.T) {
			f := newFixture(t)
			f.db.outcome = tc.outcome
			f.publishBatch(t, "orders", 0, 1)
			f.publishTrailer(t, okTrailer(1, 1))
			if settled, out := f.handle(t); settled != "done" || out.Status != tc.status {
				t.Fatalf("settled %q, outcome %+v", settled, out)
			}
		})
	}
}

func TestMagicFolderModeClaimsTablesForTheFile(t *testing.T) {
	f := newFixture(t)
	f.p.Mode = config.MagicFolder
	f.publishBatch(t, "a", 0, 1)
	f.publishTrailer(t, &bus.FileParsed{Status: bus.StatusOK, Tables: []bus.TableParsed{{Name: "a", Batches: 1, Rows: 1}}})
	f.handle(t)
	if len(f.db.files) != 1 || f.db.files[0].Owner != fd.Path {
		t.Fatalf("owner %q, want %q", f.db.files[0].Owner, fd.Path)
	}
}

func TestTheVersionsDiscoverySequenceReachesTheDestination(t *testing.T) {
	f := newFixture(t)
	f.publishBatch(t, "orders", 0, 1)
	f.publishTrailer(t, okTrailer(1, 1))
	if settled, out := f.handle(t); settled != "done" || out.Status != bus.StatusCommitted {
		t.Fatalf("settled %q, outcome %+v", settled, out)
	}
	if len(f.db.files) != 1 {
		t.Fatalf("the destination committed %d files, want 1", len(f.db.files))
	}
	// Newest-wins compares sequences: without it a file replaced by content
	// with an older modification time would lose to its old version.
	if got := f.db.files[0]; got.Seq != fd.Seq || !got.Modified.Equal(fd.Modified) {
		t.Fatalf("the destination saw Seq %d, Modified %v; want %d, %v", got.Seq, got.Modified, fd.Seq, fd.Modified)
	}
}
