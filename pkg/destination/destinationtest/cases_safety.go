package destinationtest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/filedge/filedge/pkg/destination"
	"github.com/filedge/filedge/pkg/record"
)

func init() {
	register("FailingBatchesMidFileLeaveNothingAndTheVersionCommitsLater", testAtomicFailure)
	register("CancelledCommitLeavesNothing", testCancelled)
	register("MagicFolderRejectsTableOwnedByAnotherFile", testOwnership)
	register("HostileNamesAreQuotedNotInjected", testHostileNames)
	register("ConcurrentCommitsOfOneVersionCommitOnce", testConcurrentSameVersion)
	register("ConcurrentVersionsOfOnePathNewestWins", testConcurrentNewestWins)
}

// errBoom is the error a failing Batches returns.
var errBoom = errors.New("destinationtest: parser failed mid-file")

func threeBatches(rows ...int) TableBatches {
	tb := TableBatches{Table: "t"}
	for _, n := range rows {
		b := Batch{Columns: Cols("x", record.Integer)}
		for i := range n {
			b.Rows = append(b.Rows, []any{i})
		}
		tb.Batches = append(tb.Batches, b)
	}
	return tb
}

func testAtomicFailure(t *testing.T, h suite) {
	t.Run("NewTable", func(t *testing.T) {
		d, r := h.Open(t)
		for _, failAt := range []int{0, 1, 2} {
			f := File(t, "v1", "a.csv", t0, threeBatches(10, 10, 10))
			f.Batches.(*MemBatches).FailAfter(failAt, errBoom)
			_, err := d.Commit(t.Context(), f)
			if !errors.Is(err, errBoom) {
				t.Fatalf("failing after %d batches: Commit error = %v, want it to wrap the Batches error", failAt, err)
			}
			if n := countIfAny(t, r, "t"); n != 0 {
				t.Errorf("failing after %d batches left %d rows", failAt, n)
			}
			if n := ledgerCount(t, r, "v1"); n != 0 {
				t.Errorf("failing after %d batches left a ledger row", failAt)
			}
		}
		Commit(t, d, File(t, "v1", "a.csv", t0, threeBatches(10, 10, 10)), destination.Committed)
		if n := Count(t, r, "t"); n != 30 {
			t.Errorf("table holds %d rows after the retry, want 30", n)
		}
	})
	t.Run("EarlierRowsKept", func(t *testing.T) {
		d, r := h.Open(t)
		Commit(t, d, File(t, "v1", "a.csv", t0, threeBatches(2)), destination.Committed)
		f := File(t, "v2", "a.csv", t0.Add(time.Hour), threeBatches(5, 5))
		f.Batches.(*MemBatches).FailAfter(1, errBoom)
		if _, err := d.Commit(t.Context(), f); !errors.Is(err, errBoom) {
			t.Fatalf("Commit error = %v, want it to wrap the Batches error", err)
		}
		AssertRows(t, Select(t, r, "t", []Column{{record.FileColumn, record.String}, {"x", record.Integer}, {record.HashColumn, record.String}}, "_line"),
			[][]any{{"a.csv", int64(0), SHA256("v1")}, {"a.csv", int64(1), SHA256("v1")}})
	})
	t.Run("SecondTable", func(t *testing.T) {
		d, r := h.Open(t)
		book := func() *destination.File {
			return File(t, "v1", "book.xlsx", t0, Table("first", Cols("x", record.Integer), []any{1}), Table("second", Cols("x", record.Integer), []any{2}))
		}
		f := book()
		f.Batches.(*MemBatches).FailAfter(1, errBoom)
		if _, err := d.Commit(t.Context(), f); !errors.Is(err, errBoom) {
			t.Fatalf("Commit error = %v, want it to wrap the Batches error", err)
		}
		// All tables at once: nothing of the failed version is seen. Per
		// table, the first table may hold its rows until a retry replaces
		// them.
		if n := countIfAny(t, r, "first"); n != 0 && h.info.Atomicity == destination.AllTables {
			t.Errorf("the first table holds %d rows of a failed file", n)
		}
		if n := ledgerCount(t, r, "v1"); n != 0 {
			t.Errorf("the failed version has a ledger row")
		}
		Commit(t, d, book(), destination.Committed)
		if a, b := Count(t, r, "first"), Count(t, r, "second"); a != 1 || b != 1 {
			t.Errorf("after the retry the tables hold %d and %d rows, want 1 and 1", a, b)
		}
	})
}

func testCancelled(t *testing.T, h suite) {
	d, r := h.Open(t)
	tb := threeBatches(1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1)
	f := File(t, "v1", "a.csv", t0, tb)
	f.Batches.(*MemBatches).Delay(20 * time.Millisecond)
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	if _, err := d.Commit(ctx, f); err == nil {
		t.Fatal("a commit cancelled mid-file succeeded")
	}
	if n := countIfAny(t, r, "t"); n != 0 {
		t.Errorf("a cancelled commit left %d rows", n)
	}
	if n := len(Ledger(t, r)); n != 0 {
		t.Errorf("a cancelled commit left a ledger row")
	}
	Commit(t, d, File(t, "v1", "a.csv", t0, tb), destination.Committed)
}

func testOwnership(t *testing.T, h suite) {
	d, r := h.Open(t)
	owned := func(version, path string, mod time.Time, v string) *destination.File {
		f := File(t, version, path, mod, Table("report", Cols("v", record.String), []any{v}))
		f.Owner = path
		return f
	}
	Commit(t, d, owned("a1", "report.csv", t0, "csv"), destination.Committed)
	_, err := d.Commit(t.Context(), owned("b1", "report.json", t0, "json"))
	if !errors.Is(err, destination.ErrTableOwned) || !destination.IsPermanent(err) {
		t.Fatalf("a second owner: Commit error = %v, want a permanent ErrTableOwned", err)
	}
	var perm *destination.PermanentError
	if !errors.As(err, &perm) {
		t.Errorf("a second owner: error %v is not a *destination.PermanentError", err)
	}
	Commit(t, d, owned("a2", "report.csv", t0.Add(time.Hour), "csv v2"), destination.Committed)
	AssertRows(t, Select(t, r, "report", []Column{{"v", record.String}}), [][]any{{"csv v2"}})
	if n := ledgerCount(t, r, "b1"); n != 0 {
		t.Errorf("the rejected file has a ledger row")
	}
}

func testHostileNames(t *testing.T, h suite) {
	d, r := h.Open(t)
	Commit(t, d, File(t, "v0", "victim.csv", t0, Table("victim", Cols("x", record.Integer), []any{1})), destination.Committed)
	table := `x"; DROP TABLE "victim"; --`
	cols := Cols(
		`a"b`, record.String,
		`c'); DROP TABLE "victim"; --`, record.Integer,
		"select", record.Boolean,
		"Mixed Case", record.String,
		"naïve ✓", record.Float,
	)
	path := `it's "quoted"; DROP TABLE "victim"; --.csv`
	f := File(t, "v1", path, t0, Table(table, cols, []any{`'); DROP TABLE "victim"; --`, 7, true, "M", 1.5}))
	f.Owner = path
	Commit(t, d, f, destination.Committed)
	if n := Count(t, r, "victim"); n != 1 {
		t.Errorf("victim holds %d rows, want 1", n)
	}
	AssertRows(t, Select(t, r, table, []Column{
		{`a"b`, record.String},
		{`c'); DROP TABLE "victim"; --`, record.Integer},
		{"select", record.Boolean},
		{"Mixed Case", record.String},
		{"naïve ✓", record.Float},
		{record.FileColumn, record.String},
	}), [][]any{{`'); DROP TABLE "victim"; --`, int64(7), true, "M", 1.5, path}})
	if got := Tables(t, r); !slices.Equal(got, []string{"victim", table}) {
		t.Errorf("the destination's tables are %q, want %q", got, []string{"victim", table})
	}
	// A second version of the hostile path runs the delete of its rows.
	Commit(t, d, File(t, "v2", path, t0.Add(time.Hour), Table(table, cols[:1], []any{"again"})), destination.Committed)
	AssertRows(t, Select(t, r, table, []Column{{`a"b`, record.String}}), [][]any{{"again"}})
	if n := Count(t, r, "victim"); n != 1 {
		t.Errorf("victim holds %d rows, want 1", n)
	}
}

func testConcurrentSameVersion(t *testing.T, h suite) {
	race := func(t *testing.T, d1, d2 destination.Destination, r Reader) {
		for round := range 3 {
			version := fmt.Sprintf("v%d", round)
			var wg sync.WaitGroup
			results := make([]*destination.Result, 2)
			errs := make([]error, 2)
			for i, d := range []destination.Destination{d1, d2} {
				f := File(t, version, "same.csv", t0.Add(time.Duration(round)*time.Hour), threeBatches(50, 50))
				f.Batches.(*MemBatches).Delay(time.Duration(i*round) * time.Millisecond)
				wg.Go(func() { results[i], errs[i] = d.Commit(t.Context(), f) })
			}
			wg.Wait()
			outcomes := map[destination.Outcome]int{}
			for i := range 2 {
				if errs[i] != nil {
					t.Fatalf("round %d: commit %d: %v", round, i, errs[i])
				}
				outcomes[results[i].Outcome]++
			}
			if outcomes[destination.Committed] != 1 || outcomes[destination.Duplicate] != 1 {
				t.Errorf("round %d: outcomes %v, want one committed and one duplicate", round, outcomes)
			}
			if n := Count(t, r, "t"); n != 100 {
				t.Errorf("round %d: table holds %d rows, want 100", round, n)
			}
		}
	}
	h.raceSinks(t, race)
}

func testConcurrentNewestWins(t *testing.T, h suite) {
	race := func(t *testing.T, d1, d2 destination.Destination, r Reader) {
		for round := range 4 {
			path := fmt.Sprintf("file%d.csv", round)
			older := File(t, "old"+path, path, t0, Table("t", Cols("v", record.String), []any{"old"}, []any{"old"}))
			newer := File(t, "new"+path, path, t0.Add(time.Minute), Table("t", Cols("v", record.String), []any{"new"}))
			if round >= 2 {
				// Discovery sequences decide, against the modification times.
				older.Seq, newer.Seq = 100, 200
				newer.Modified = t0.Add(-time.Minute)
			}
			// Alternate which one gets to the database first.
			slow := older
			if round%2 == 1 {
				slow = newer
			}
			slow.Batches.(*MemBatches).Delay(30 * time.Millisecond)
			var wg sync.WaitGroup
			var errOld, errNew error
			var resOld *destination.Result
			wg.Go(func() { resOld, errOld = d1.Commit(t.Context(), older) })
			wg.Go(func() { _, errNew = d2.Commit(t.Context(), newer) })
			wg.Wait()
			if errOld != nil || errNew != nil {
				t.Fatalf("round %d: commit errors: old %v, new %v", round, errOld, errNew)
			}
			if resOld.Outcome != destination.Committed && resOld.Outcome != destination.Superseded {
				t.Errorf("round %d: the older version's outcome is %q", round, resOld.Outcome)
			}
			// The rounds' paths differ: each keeps its own rows in t.
			var rows [][]any
			for _, row := range Select(t, r, "t", []Column{{record.FileColumn, record.String}, {"v", record.String}}) {
				if row[0] == path {
					rows = append(rows, row[1:])
				}
			}
			AssertRows(t, rows, [][]any{{"new"}})
			if n := Count(t, r, "t"); n != round+1 {
				t.Errorf("round %d: table t holds %d rows, want %d (one per round)", round, n, round+1)
			}
			if n := ledgerCount(t, r, "new"+path); n != 1 {
				t.Errorf("round %d: the ledger holds %d rows of the newer version, want 1", round, n)
			}
		}
	}
	h.raceSinks(t, race)
}

// raceSinks runs race with the two destinations its commits race through:
// one Destination twice (two sinks of one process), then, when the harness
// can reopen, two Destinations onto the same data (sinks of two processes).
func (h suite) raceSinks(t *testing.T, race func(t *testing.T, d1, d2 destination.Destination, r Reader)) {
	t.Run("OneDestination", func(t *testing.T) {
		d, r := h.Open(t)
		race(t, d, d, r)
	})
	if h.Reopen != nil {
		t.Run("TwoDestinations", func(t *testing.T) {
			d, r := h.Open(t)
			race(t, d, h.Reopen(t), r)
		})
	}
}
