package destination_test

import (
	"testing"
	"time"

	"github.com/filedge/filedge/pkg/destination"
)

func TestNewestSupersedesByDiscoverySequenceThenModifiedTime(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	for _, tc := range []struct {
		name       string
		ledger     destination.Newest
		seq        int64
		modified   time.Time
		superseded bool
	}{
		{"EmptyLedger", destination.Newest{}, 5, t0, false},
		{"EmptyLedgerNoSequence", destination.Newest{}, 0, t0, false},
		{"HigherSequenceWithOlderModifiedTimeWins", destination.Newest{Seq: 100}, 200, t0.Add(-day), false},
		{"LowerSequenceWithLaterModifiedTimeLoses", destination.Newest{Seq: 200}, 100, t0.Add(day), true},
		{"EqualSequenceIsNotNewer", destination.Newest{Seq: 100}, 100, t0, false},
		{"SequenceBeatsLegacyRowsOfLaterModifiedTime", destination.Newest{Modified: t0.Add(day)}, 1, t0, false},
		{"SequenceIgnoresLegacyRowsBesideSequencedOnes", destination.Newest{Seq: 100, Modified: t0.Add(day)}, 200, t0, false},
		{"NoSequenceLosesToAnySequencedRow", destination.Newest{Seq: 1}, 0, t0.Add(day), true},
		{"NoSequenceLosesToLaterModifiedTime", destination.Newest{Modified: t0.Add(time.Microsecond)}, 0, t0, true},
		{"NoSequenceWinsOverEarlierModifiedTime", destination.Newest{Modified: t0}, 0, t0.Add(time.Microsecond), false},
		{"NoSequenceSameModifiedTimeIsNotNewer", destination.Newest{Modified: t0}, 0, t0, false},
		{"NegativeSequenceCountsAsNone", destination.Newest{Modified: t0.Add(day)}, -7, t0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := &destination.File{Path: "a.csv", Seq: tc.seq, Modified: tc.modified}
			if got := tc.ledger.Supersedes(f); got != tc.superseded {
				t.Errorf("%+v.Supersedes(seq %d, modified %v) = %v, want %v", tc.ledger, tc.seq, tc.modified, got, tc.superseded)
			}
		})
	}
}
