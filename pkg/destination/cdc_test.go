package destination_test

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/filedge/filedge/pkg/destination"
	"github.com/filedge/filedge/pkg/record"
)

func TestTombstoneTablesStayWithinTheLongestNameAndApart(t *testing.T) {
	long := strings.Repeat("a", record.MaxNameBytes)
	for _, tc := range []struct{ table, want string }{
		{"customers", "_filedge_deleted_customers"},
		{long, ""},
		{long[:62] + "b", ""},
		{strings.Repeat("é", 31), ""}, // not cut inside a letter
	} {
		got := destination.TombstoneTable(tc.table)
		if tc.want != "" && got != tc.want {
			t.Errorf("TombstoneTable(%q) = %q, want %q", tc.table, got, tc.want)
		}
		if len(got) > record.MaxNameBytes || !strings.HasPrefix(got, destination.TombstonePrefix) || !destination.IsBookkeeping(got) {
			t.Errorf("TombstoneTable(%q) = %q: want at most %d bytes, starting with %s", tc.table, got, record.MaxNameBytes, destination.TombstonePrefix)
		}
		if !utf8.ValidString(got) {
			t.Errorf("TombstoneTable(%q) = %q: not valid UTF-8", tc.table, got)
		}
	}
	if destination.TombstoneTable(long) == destination.TombstoneTable(long[:62]+"b") {
		t.Error("two long names that differ only past the cut share a tombstone table")
	}
	if destination.IsBookkeeping("customers") {
		t.Error("a table of data counts as bookkeeping")
	}
}

func TestCDCSpecCheckNamesWhatIsWrong(t *testing.T) {
	good := func() *destination.CDCSpec {
		return &destination.CDCSpec{Keys: []string{"id"}, OperationColumn: "op", SequenceBy: "seq",
			Insert: destination.DefaultInsert, Update: destination.DefaultUpdate, Delete: destination.DefaultDelete}
	}
	if err := good().Check(); err != nil {
		t.Fatalf("Check of a good spec: %v", err)
	}
	for name, tc := range map[string]struct {
		change func(*destination.CDCSpec)
		want   string
	}{
		"NoSpec":           {nil, "needs its settings"},
		"NoKey":            {func(s *destination.CDCSpec) { s.Keys = nil }, "no key column"},
		"NoSequence":       {func(s *destination.CDCSpec) { s.SequenceBy = "" }, "no sequence column"},
		"SequenceIsAKey":   {func(s *destination.CDCSpec) { s.SequenceBy = "id" }, `column "id" is both the key id and the sequence column`},
		"ValueOfTwoKinds":  {func(s *destination.CDCSpec) { s.Delete = []string{"I"} }, `operation value "I" is both insert and delete`},
		"NoOperationValue": {func(s *destination.CDCSpec) { s.Insert, s.Update, s.Delete = nil, nil, nil }, "no operation value"},
	} {
		t.Run(name, func(t *testing.T) {
			var s *destination.CDCSpec
			if tc.change != nil {
				s = good()
				tc.change(s)
			}
			err := s.Check()
			if err == nil || !errors.Is(err, destination.ErrCDCSpec) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Check = %v, want ErrCDCSpec saying %q", err, tc.want)
			}
		})
	}
}

func TestCDCSpecCheckColumnsNamesTheMissingOnes(t *testing.T) {
	s := &destination.CDCSpec{Keys: []string{"id", "region"}, OperationColumn: "op", SequenceBy: "seq"}
	if err := s.CheckColumns("t", []string{"op", "id", "region", "seq", "x"}); err != nil {
		t.Errorf("CheckColumns with every column: %v", err)
	}
	err := s.CheckColumns("t", []string{"id", "x"})
	if !destination.IsPermanent(err) || !strings.Contains(err.Error(), "no column op, seq, region (its columns: id, x)") {
		t.Errorf("CheckColumns = %v, want a permanent error naming op, seq and region", err)
	}
}
