package destinationtest

import (
	"testing"
	"time"

	"github.com/filedge/filedge/pkg/destination"
	"github.com/filedge/filedge/pkg/record"
)

// Newest wins by discovery sequence (destination.Newest): the version of a
// path discovered last is kept, whatever the modification times say.

func init() {
	register("LaterDiscoveredVersionWithOlderModifiedTimeReplacesRows", testSeqBeatsModified)
	register("EarlierDiscoveredVersionArrivingLateIsSuperseded", testSeqLateLoses)
	register("VersionsWithoutSequenceCompareModifiedTimes", testNoSeqComparesModified)
	register("VersionWithSequenceBeatsLedgerRowWithout", testSeqBeatsNoSeq)
	register("VersionWithoutSequenceLosesToLedgerRowWithOne", testNoSeqLosesToSeq)
	register("AppendFileKeepsEveryVersionWhateverTheSequence", testAppendFileKeepsSeq)
	register("LedgerRowRecordsTheSequence", testLedgerSeq)
}

// seqFile is File with a discovery sequence and one row of x.
func seqFile(t *testing.T, version string, seq int64, modified time.Time, x string) *destination.File {
	f := File(t, version, "a.csv", modified, Table("t", Cols("x", record.String), []any{x}))
	f.Seq = seq
	return f
}

// assertXs checks the rows of table t and whether the ledger holds each
// version.
func assertXs(t *testing.T, r Reader, want []any, ledger map[string]bool) {
	t.Helper()
	rows := make([][]any, len(want))
	for i, x := range want {
		rows[i] = []any{x}
	}
	AssertRows(t, Select(t, r, "t", []Column{{"x", record.String}}, "x"), rows)
	for version, held := range ledger {
		if n := ledgerCount(t, r, version); (n == 1) != held {
			t.Errorf("the ledger holds %d rows of version %s, want held = %v", n, version, held)
		}
	}
}

func testSeqBeatsModified(t *testing.T, h suite) {
	d, r := h.Open(t)
	Commit(t, d, seqFile(t, "v1", 100, t0.Add(24*time.Hour), "first"), destination.Committed)
	// Replaced by content whose modification time is a day older (cp -p).
	Commit(t, d, seqFile(t, "v2", 200, t0, "second"), destination.Committed)
	assertXs(t, r, []any{"second"}, map[string]bool{"v1": true, "v2": true})
}

func testSeqLateLoses(t *testing.T, h suite) {
	d, r := h.Open(t)
	Commit(t, d, seqFile(t, "v2", 200, t0, "second"), destination.Committed)
	// The version discovered first arrives last (redelivered, slow parser),
	// with the later modification time.
	late := seqFile(t, "v1", 100, t0.Add(24*time.Hour), "first")
	Commit(t, d, late, destination.Superseded)
	assertXs(t, r, []any{"second"}, map[string]bool{"v1": false, "v2": true})
	// A third version, discovered after both, wins again.
	Commit(t, d, seqFile(t, "v3", 300, t0.Add(-time.Hour), "third"), destination.Committed)
	assertXs(t, r, []any{"third"}, map[string]bool{"v3": true})
}

func testNoSeqComparesModified(t *testing.T, h suite) {
	d, r := h.Open(t)
	// Versions announced before sequences existed (Seq 0) keep the old
	// rule among themselves: the later modification time wins.
	Commit(t, d, seqFile(t, "v2", 0, t0.Add(time.Hour), "new"), destination.Committed)
	Commit(t, d, seqFile(t, "v1", 0, t0, "old"), destination.Superseded)
	assertXs(t, r, []any{"new"}, map[string]bool{"v1": false})
	Commit(t, d, seqFile(t, "v3", 0, t0.Add(2*time.Hour), "newer"), destination.Committed)
	assertXs(t, r, []any{"newer"}, map[string]bool{"v3": true})
}

func testSeqBeatsNoSeq(t *testing.T, h suite) {
	d, r := h.Open(t)
	// A ledger row written before sequences, with a later modification
	// time, loses to any version that has one.
	Commit(t, d, seqFile(t, "v1", 0, t0.Add(24*time.Hour), "legacy"), destination.Committed)
	Commit(t, d, seqFile(t, "v2", 1, t0, "sequenced"), destination.Committed)
	assertXs(t, r, []any{"sequenced"}, map[string]bool{"v2": true})
}

func testNoSeqLosesToSeq(t *testing.T, h suite) {
	d, r := h.Open(t)
	Commit(t, d, seqFile(t, "v2", 200, t0, "sequenced"), destination.Committed)
	// An event published before sequences, redelivered after a version
	// with one was committed, loses even with a later modification time.
	Commit(t, d, seqFile(t, "v1", 0, t0.Add(24*time.Hour), "legacy"), destination.Superseded)
	assertXs(t, r, []any{"sequenced"}, map[string]bool{"v1": false})
}

func testAppendFileKeepsSeq(t *testing.T, h suite) {
	d, r := h.Open(t)
	for _, f := range []*destination.File{
		seqFile(t, "v2", 200, t0, "second"),
		seqFile(t, "v1", 100, t0.Add(time.Hour), "first"), // discovered first, arriving last
		seqFile(t, "v0", 0, t0.Add(2*time.Hour), "legacy"),
	} {
		f.Merge = destination.AppendFile
		Commit(t, d, f, destination.Committed)
	}
	assertXs(t, r, []any{"first", "legacy", "second"}, map[string]bool{"v0": true, "v1": true, "v2": true})
}

func testLedgerSeq(t *testing.T, h suite) {
	d, r := h.Open(t)
	const seq = int64(1796611672969101813) // nanoseconds in 2026: above 2^53
	Commit(t, d, seqFile(t, "v1", seq, t0, "sequenced"), destination.Committed)
	f := seqFile(t, "v2", 0, t0, "legacy")
	f.Path = "b.csv"
	Commit(t, d, f, destination.Committed)
	rows := Ledger(t, r)
	if len(rows) != 2 {
		t.Fatalf("the ledger holds %d rows, want 2", len(rows))
	}
	if rows[0].Version != "v1" || rows[0].Seq != seq {
		t.Errorf("ledger row %s has seq %d, want v1 with %d", rows[0].Version, rows[0].Seq, seq)
	}
	if rows[1].Version != "v2" || rows[1].Seq != 0 {
		t.Errorf("ledger row %s has seq %d, want v2 with none", rows[1].Version, rows[1].Seq)
	}
}

// LegacyModified is the modification time of the ledger row that
// AssertMigratedLedger expects: version "legacy" of path "a.csv" in
// pipeline Pipeline, written before discovery sequences existed.
var LegacyModified = t0.Add(24 * time.Hour)

// AssertMigratedLedger checks a destination d opened onto a ledger written
// by a filedge before discovery sequences (no seq column), which held one
// row: version "legacy" of "a.csv", modified at LegacyModified. The open
// must have added the column, NULL in that row; the row keeps its place in
// newest-wins (an older version without a sequence loses to it), and a
// version with a sequence beats it.
func AssertMigratedLedger(t *testing.T, d destination.Destination, r Reader) {
	t.Helper()
	if row := ledgerRow(t, r, "legacy"); row == nil || row.Seq != 0 || !row.Modified.Equal(LegacyModified) {
		t.Fatalf("the migrated ledger holds %+v for the legacy version, want it with no seq, modified %v", row, LegacyModified)
	}
	Commit(t, d, seqFile(t, "older", 0, LegacyModified.Add(-time.Hour), "older"), destination.Superseded)
	Commit(t, d, seqFile(t, "sequenced", 5, LegacyModified.Add(-time.Hour), "sequenced"), destination.Committed)
	assertXs(t, r, []any{"sequenced"}, map[string]bool{"legacy": true, "older": false, "sequenced": true})
	if row := ledgerRow(t, r, "sequenced"); row == nil || row.Seq != 5 {
		t.Errorf("the ledger holds %+v for the sequenced version, want seq 5", row)
	}
}
