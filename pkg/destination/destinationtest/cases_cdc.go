package destinationtest

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/filedge/filedge/pkg/destination"
	"github.com/filedge/filedge/pkg/record"
)

// CDC (write mode CDC, ADR 0005): changes applied by key, the newest
// (sequence, _file, _line) winning whatever the order of commits. These
// cases run for the types whose Info declares CDC.

func init() {
	registerCDC("CDCAppliesInsertsUpdatesAndDeletesByKey", testCDCBasics)
	registerCDC("CDCHighestSequenceWinsWithinAFileWhateverTheLineOrder", testCDCWithinFile)
	registerCDC("CDCFilesConvergeToOneTableInEveryCommitOrder", testCDCPermutations)
	registerCDC("CDCConcurrentCommitsConverge", testCDCConcurrent)
	registerCDC("CDCDeletedKeyStaysDeletedWhenAnOlderChangeArrivesLater", testCDCTombstone)
	registerCDC("CDCRecommittedVersionIsDuplicate", testCDCDuplicate)
	registerCDC("CDCEveryVersionOfAFileAppliesAndItsOldChangesLose", testCDCNewVersion)
	registerCDC("CDCRowErrorsFailTheFileNamingTheLine", testCDCRowErrors)
	registerCDC("CDCRowErrorsAreSkippedAndCountedUnderSkip", testCDCSkip)
	registerCDC("CDCDMSDefaultsApplyTheOpColumn", testCDCDMS)
	registerCDC("CDCAddedColumnsAreReportedAndUpsertsReplaceWholeRows", testCDCAddedColumns)
	registerCDC("CDCSequencesCompareInTheirType", testCDCTypedSequences)
	registerCDC("CDCSequenceWidenedByALaterFileKeepsItsTombstones", testCDCWidenedSequence)
	registerCDC("CDCExistingTableGetsAKeyIndexOrFailsClearly", testCDCExistingTable)
	registerCDC("CDCArchiveMembersApplyTheirChanges", testCDCArchive)
}

// cdcCases are the cases that need Info.CDC; Run runs them only for a type
// that declares it.
var cdcCases []testCase

func registerCDC(name string, run func(t *testing.T, h suite)) {
	cdcCases = append(cdcCases, testCase{name, run})
}

// CDCSpec is the spec of the suite's CDC files: key id, operation op with
// Debezium's values (c, u, d, r) besides words, sequence seq.
func CDCSpec() *destination.CDCSpec {
	return &destination.CDCSpec{
		Keys: []string{"id"}, OperationColumn: "op", SequenceBy: "seq",
		Insert: []string{"c", "r", "insert"}, Update: []string{"u", "update"}, Delete: []string{"d", "delete"},
	}
}

// cdcCols are the columns of the suite's CDC table: the operation first,
// as AWS DMS writes it.
var cdcCols = Cols("op", record.String, "id", record.Integer, "seq", record.Integer, "name", record.String)

// CDCFile returns a CDC file version of the table "customers", whose rows
// are op, id, seq, name, with the suite's spec. Its discovery sequence is
// 0 (see destination.File.Seq): set one where it matters.
func CDCFile(t testing.TB, version, path string, rows ...[]any) *destination.File {
	f := File(t, version, path, t0, Table("customers", cdcCols, rows...))
	f.WriteMode, f.CDC = destination.CDC, CDCSpec()
	return f
}

// customers reads id, seq, name and the winning change's _file of every
// row of customers, by id.
func customers(t *testing.T, r Reader) [][]any {
	t.Helper()
	return Select(t, r, "customers", []Column{{"id", record.Integer}, {"seq", record.Integer}, {"name", record.String}, {record.FileColumn, record.String}}, "id")
}

func testCDCBasics(t *testing.T, h suite) {
	d, r := h.Open(t)
	res := Commit(t, d, CDCFile(t, "v1", "cdc/001.csv",
		[]any{"c", 1, 1, "ann"},
		[]any{"c", 2, 1, "bob"},
		[]any{"c", 3, 1, "cid"},
		[]any{"u", 2, 2, "bobby"},
		[]any{"d", 3, 2, nil},
		[]any{"u", 4, 1, "dan"}, // an update of a key never inserted inserts it
	), destination.Committed)
	if res.Rows != 6 || !slices.Equal(res.Tables, []string{"customers"}) || res.Skipped != 0 {
		t.Errorf("Result: rows %d, tables %v, skipped %d; want 6, [customers], 0", res.Rows, res.Tables, res.Skipped)
	}
	AssertRows(t, customers(t, r), [][]any{
		{int64(1), int64(1), "ann", "cdc/001.csv"},
		{int64(2), int64(2), "bobby", "cdc/001.csv"},
		{int64(4), int64(1), "dan", "cdc/001.csv"},
	})
	// The operation column is not stored; the sequence column is, with
	// the system columns.
	cols, err := r.Columns(t.Context(), "customers")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range cols {
		names = append(names, c.Name)
	}
	want := []string{"id", "seq", "name"}
	for _, c := range record.SystemColumns {
		want = append(want, c.Name)
	}
	slices.Sort(names)
	slices.Sort(want)
	if !slices.Equal(names, want) {
		t.Errorf("customers has columns %v, want %v (no operation column)", names, want)
	}
	if tables := Tables(t, r); !slices.Equal(tables, []string{"customers"}) {
		t.Errorf("tables %v, want [customers] (tombstones are bookkeeping)", tables)
	}
	rows := Select(t, r, "customers", []Column{{"id", record.Integer}, {record.LineColumn, record.Integer}, {record.HashColumn, record.String}}, "id")
	AssertRows(t, rows, [][]any{{int64(1), int64(1), SHA256("v1")}, {int64(2), int64(4), SHA256("v1")}, {int64(4), int64(6), SHA256("v1")}})
	if l := ledgerRow(t, r, "v1"); l == nil || l.Rows != 6 {
		t.Errorf("ledger row of v1: %+v, want one with 6 rows", l)
	}
}

func testCDCWithinFile(t *testing.T, h suite) {
	d, r := h.Open(t)
	Commit(t, d, CDCFile(t, "v1", "a.csv",
		[]any{"u", 1, 3, "three"},
		[]any{"c", 1, 1, "one"},
		[]any{"u", 1, 5, "five"},
		[]any{"u", 1, 2, "two"},
		[]any{"d", 1, 4, nil},
		[]any{"d", 2, 2, nil}, // deleted after its insert, listed first
		[]any{"c", 2, 1, "two-one"},
		[]any{"c", 3, 10, "ten"}, // 10 > 9: sequences compare as integers
		[]any{"u", 3, 9, "nine"},
		[]any{"u", 4, 7, "seven"}, // a tie below the highest sequence decides nothing
		[]any{"u", 4, 7, "seven bis"},
		[]any{"u", 4, 8, "eight"},
	), destination.Committed)
	AssertRows(t, customers(t, r), [][]any{
		{int64(1), int64(5), "five", "a.csv"},
		{int64(3), int64(10), "ten", "a.csv"},
		{int64(4), int64(8), "eight", "a.csv"},
	})
}

// cdcFiles are three CDC files whose changes interleave by key; applied
// in any order they give cdcFinal.
func cdcFiles(t testing.TB) []*destination.File {
	return []*destination.File{
		CDCFile(t, "v1", "cdc/001.csv",
			[]any{"c", 1, 1, "a1"},
			[]any{"c", 2, 1, "b1"},
			[]any{"c", 3, 1, "c1"},
			[]any{"c", 4, 1, "d1"},
			[]any{"d", 5, 9, nil}, // deletes 5 after file 2 inserts it
			[]any{"d", 8, 0, nil}, // a delete before file 3 inserts 8
		),
		CDCFile(t, "v2", "cdc/002.csv",
			[]any{"u", 1, 2, "a2"},
			[]any{"d", 2, 2, nil},
			[]any{"u", 3, 5, "c5"},
			[]any{"c", 5, 3, "e3"},
			[]any{"c", 6, 4, "f-002"},
			[]any{"u", 7, 2, "g2"},
		),
		CDCFile(t, "v3", "cdc/003.csv",
			[]any{"u", 1, 3, "a3"},
			[]any{"c", 2, 3, "b3"}, // re-inserted after file 2 deleted it
			[]any{"u", 3, 4, "c4"}, // older than file 2's update: loses
			[]any{"d", 4, 2, nil},
			[]any{"c", 6, 4, "f-003"}, // the same sequence as file 2's: the later path wins
			[]any{"c", 8, 1, "h1"},
		),
	}
}

var cdcFinal = [][]any{
	{int64(1), int64(3), "a3", "cdc/003.csv"},
	{int64(2), int64(3), "b3", "cdc/003.csv"},
	{int64(3), int64(5), "c5", "cdc/002.csv"},
	{int64(6), int64(4), "f-003", "cdc/003.csv"},
	{int64(7), int64(2), "g2", "cdc/002.csv"},
	{int64(8), int64(1), "h1", "cdc/003.csv"},
}

func permutations(n int) [][]int {
	if n == 0 {
		return [][]int{{}}
	}
	var out [][]int
	for _, p := range permutations(n - 1) {
		for i := 0; i <= len(p); i++ {
			q := slices.Insert(slices.Clone(p), i, n-1)
			out = append(out, q)
		}
	}
	return out
}

func testCDCPermutations(t *testing.T, h suite) {
	for _, order := range permutations(3) {
		t.Run(fmt.Sprint(order), func(t *testing.T) {
			d, r := h.Open(t)
			files := cdcFiles(t)
			for _, i := range order {
				Commit(t, d, files[i], destination.Committed)
			}
			AssertRows(t, customers(t, r), cdcFinal)
			// The state of every key, not only the rows: committing the
			// files again, as new versions, changes nothing.
			for _, i := range order {
				f := cdcFiles(t)[i]
				f.Version += "-again"
				Commit(t, d, f, destination.Committed)
			}
			AssertRows(t, customers(t, r), cdcFinal)
		})
	}
}

func testCDCConcurrent(t *testing.T, h suite) {
	h.raceSinks(t, func(t *testing.T, d1, d2 destination.Destination, r Reader) {
		for round := range 3 {
			files := cdcFiles(t)
			for _, f := range files {
				f.Version = fmt.Sprintf("%s-round%d", f.Version, round)
			}
			if errs := CommitConcurrently(t, files, d1, d2); len(errs) > 0 {
				t.Fatalf("round %d: %v", round, errs)
			}
			AssertRows(t, customers(t, r), cdcFinal)
		}
	})
}

func testCDCTombstone(t *testing.T, h suite) {
	d, r := h.Open(t)
	Commit(t, d, CDCFile(t, "v1", "a.csv", []any{"c", 1, 1, "one"}, []any{"d", 1, 5, nil}, []any{"c", 2, 1, "two"}), destination.Committed)
	// A slower sink's update of key 1, older than its delete.
	Commit(t, d, CDCFile(t, "v2", "b.csv", []any{"u", 1, 3, "late"}, []any{"d", 2, 0, nil}), destination.Committed)
	AssertRows(t, customers(t, r), [][]any{{int64(2), int64(1), "two", "a.csv"}})
	// A newer insert revives the key, and an older delete then loses to it.
	Commit(t, d, CDCFile(t, "v3", "c.csv", []any{"c", 1, 6, "again"}), destination.Committed)
	Commit(t, d, CDCFile(t, "v4", "d.csv", []any{"d", 1, 4, nil}, []any{"u", 1, 5, "older"}), destination.Committed)
	AssertRows(t, customers(t, r), [][]any{{int64(1), int64(6), "again", "c.csv"}, {int64(2), int64(1), "two", "a.csv"}})
	// And a newer delete removes it for good.
	Commit(t, d, CDCFile(t, "v5", "e.csv", []any{"d", 1, 7, nil}), destination.Committed)
	// The same sequence as the delete's, in a path that sorts before its.
	Commit(t, d, CDCFile(t, "v6", "d2.csv", []any{"u", 1, 7, "tie in an earlier path"}), destination.Committed)
	AssertRows(t, customers(t, r), [][]any{{int64(2), int64(1), "two", "a.csv"}})
}

func testCDCDuplicate(t *testing.T, h suite) {
	d, r := h.Open(t)
	Commit(t, d, CDCFile(t, "v1", "a.csv", []any{"c", 1, 1, "one"}, []any{"u", 1, 2, "two"}), destination.Committed)
	again := CDCFile(t, "v1", "a.csv", []any{"c", 1, 1, "one"}, []any{"u", 1, 2, "two"})
	Commit(t, d, again, destination.Duplicate)
	if n := again.Batches.(*MemBatches).Calls(); n != 0 {
		t.Errorf("a duplicate read %d batches, want none", n)
	}
	AssertRows(t, customers(t, r), [][]any{{int64(1), int64(2), "two", "a.csv"}})
	if n := ledgerCount(t, r, "v1"); n != 1 {
		t.Errorf("the ledger holds %d rows of v1, want 1", n)
	}
}

func testCDCNewVersion(t *testing.T, h suite) {
	d, r := h.Open(t)
	v1 := CDCFile(t, "v1", "log.csv", []any{"c", 1, 1, "a"}, []any{"c", 2, 1, "b"})
	v1.Seq = 1
	Commit(t, d, v1, destination.Committed)
	// The producer appended to its file: the old lines again, and new ones.
	v3 := CDCFile(t, "v3", "log.csv", []any{"c", 1, 1, "a"}, []any{"c", 2, 1, "b"}, []any{"u", 1, 2, "a2"}, []any{"d", 2, 2, nil})
	v3.Seq = 3
	Commit(t, d, v3, destination.Committed)
	AssertRows(t, customers(t, r), [][]any{{int64(1), int64(2), "a2", "log.csv"}})
	// A version discovered between them arrives last: it is applied, not
	// superseded; each of its changes that a newer one beats loses, and
	// the others apply.
	v2 := CDCFile(t, "v2", "log.csv", []any{"c", 1, 1, "a"}, []any{"c", 2, 1, "b"}, []any{"c", 3, 1, "c"})
	v2.Seq = 2
	Commit(t, d, v2, destination.Committed)
	AssertRows(t, customers(t, r), [][]any{{int64(1), int64(2), "a2", "log.csv"}, {int64(3), int64(1), "c", "log.csv"}})
	for _, v := range []string{"v1", "v2", "v3"} {
		if n := ledgerCount(t, r, v); n != 1 {
			t.Errorf("the ledger holds %d rows of %s, want 1", n, v)
		}
	}
}

// rowErrorCases are files with one row error each, the line it is on and
// words its message must have.
var rowErrorCases = []struct {
	name string
	rows [][]any
	line int64
	want []string
}{
	{"UnknownOperation", [][]any{{"c", 1, 1, "a"}, {"c", 2, 1, "b"}, {"X", 3, 1, "c"}}, 3, []string{"op", `"X"`, "unknown operation"}},
	{"NullOperation", [][]any{{"c", 1, 1, "a"}, {nil, 2, 1, "b"}}, 2, []string{"op", "NULL"}},
	{"NullKey", [][]any{{"c", nil, 1, "a"}, {"c", 2, 1, "b"}}, 1, []string{"id", "NULL"}},
	{"NullSequence", [][]any{{"c", 1, 1, "a"}, {"u", 1, nil, "b"}}, 2, []string{"seq", "NULL"}},
	{"TieAtTheHighestSequence", [][]any{{"c", 1, 1, "a"}, {"u", 1, 2, "b"}, {"u", 1, 2, "c"}, {"c", 2, 1, "x"}}, 3, []string{"seq", "line 2"}},
}

func testCDCRowErrors(t *testing.T, h suite) {
	for _, tc := range rowErrorCases {
		t.Run(tc.name, func(t *testing.T) {
			d, r := h.Open(t)
			Commit(t, d, CDCFile(t, "v0", "before.csv", []any{"c", 1, 0, "before"}), destination.Committed)
			_, err := d.Commit(t.Context(), CDCFile(t, "v1", "in/bad.csv", tc.rows...))
			if err == nil || !destination.IsPermanent(err) {
				t.Fatalf("commit of a file with a row error: %v, want a permanent error", err)
			}
			msg := err.Error()
			for _, w := range append([]string{"in/bad.csv", fmt.Sprintf("line %d", tc.line)}, tc.want...) {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not say %q", msg, w)
				}
			}
			// Nothing of the file is applied, and no ledger row.
			AssertRows(t, customers(t, r), [][]any{{int64(1), int64(0), "before", "before.csv"}})
			if n := ledgerCount(t, r, "v1"); n != 0 {
				t.Errorf("the ledger holds %d rows of the failed version", n)
			}
		})
	}
}

func testCDCSkip(t *testing.T, h suite) {
	d, r := h.Open(t)
	f := CDCFile(t, "v1", "a.csv",
		[]any{"c", 1, 1, "a"},
		[]any{"X", 2, 1, "unknown"},
		[]any{"c", nil, 1, "no key"},
		[]any{"c", 3, nil, "no sequence"},
		[]any{"c", 4, 1, "d"},
		[]any{"u", 5, 1, "older"},
		[]any{"u", 5, 2, "tie"},
		[]any{"u", 5, 2, "tie too"},
		[]any{"c", 6, 1, "f"},
	)
	f.CDC.SkipInvalid = true
	res := Commit(t, d, f, destination.Committed)
	// Three rows of their own, and every change of key 5, whose last one
	// is not known.
	if res.Skipped != 6 {
		t.Errorf("Result.Skipped = %d, want 6", res.Skipped)
	}
	if res.Rows != 3 {
		t.Errorf("Result.Rows = %d, want the 3 changes applied", res.Rows)
	}
	var lines []int64
	for _, p := range res.Problems {
		if p.Table != "customers" || p.File != "a.csv" || p.Message == "" {
			t.Errorf("problem %+v: want table customers, file a.csv and a message", p)
		}
		lines = append(lines, p.Line)
	}
	slices.Sort(lines)
	if !slices.Equal(lines, []int64{2, 3, 4, 8}) {
		t.Errorf("problems on lines %v, want [2 3 4 8]", lines)
	}
	AssertRows(t, customers(t, r), [][]any{
		{int64(1), int64(1), "a", "a.csv"},
		{int64(4), int64(1), "d", "a.csv"},
		{int64(6), int64(1), "f", "a.csv"},
	})
}

func testCDCDMS(t *testing.T, h suite) {
	d, r := h.Open(t)
	// AWS DMS: the Op column first (named op in the table), I/U/D, and a
	// timestamp column the task adds.
	spec := &destination.CDCSpec{Keys: []string{"id"}, OperationColumn: "op", SequenceBy: "ts",
		Insert: destination.DefaultInsert, Update: destination.DefaultUpdate, Delete: destination.DefaultDelete}
	cols := Cols("op", record.String, "ts", record.Timestamp, "id", record.Integer, "city", record.String)
	ts := func(minute int) time.Time { return time.Date(2026, 3, 1, 12, minute, 0, 0, time.UTC) }
	file := func(version, path string, rows ...[]any) *destination.File {
		f := File(t, version, path, t0, Table("cities", cols, rows...))
		f.WriteMode, f.CDC = destination.CDC, spec
		return f
	}
	// The CDC file first, the full load after it: DMS names the full load
	// LOAD00000001.csv, which sorts after 20260301-...csv, and only the
	// timestamps put the changes after it.
	Commit(t, d, file("v2", "dms/public/cities/20260301-121000000.csv",
		[]any{"U", ts(10), 1, "Lyon"},
		[]any{"D", ts(11), 2, nil},
		[]any{"I", ts(12), 3, "Nice"},
	), destination.Committed)
	Commit(t, d, file("v1", "dms/public/cities/LOAD00000001.csv",
		[]any{"I", ts(0), 1, "Paris"},
		[]any{"I", ts(0), 2, "Oslo"},
	), destination.Committed)
	AssertRows(t, Select(t, r, "cities", []Column{{"id", record.Integer}, {"city", record.String}, {"ts", record.Timestamp}}, "id"), [][]any{
		{int64(1), "Lyon", ts(10)},
		{int64(3), "Nice", ts(12)},
	})
}

func testCDCAddedColumns(t *testing.T, h suite) {
	d, r := h.Open(t)
	Commit(t, d, CDCFile(t, "v1", "a.csv", []any{"c", 1, 1, "ann"}, []any{"c", 2, 1, "bob"}, []any{"c", 3, 1, "cid"}), destination.Committed)
	f := File(t, "v2", "b.csv", t0, Table("customers", Cols("op", record.String, "id", record.Integer, "seq", record.Integer, "name", record.String, "email", record.String),
		[]any{"u", 2, 2, "bob", "bob@example.com"}))
	f.WriteMode, f.CDC = destination.CDC, CDCSpec()
	res := Commit(t, d, f, destination.Committed)
	if !slices.Equal(res.Added, []string{"customers.email: string"}) {
		t.Errorf("Result.Added = %v, want [customers.email: string]", res.Added)
	}
	// A file without the name column replaces the row whole: its name is
	// NULL, as a delete then insert of the row would leave it.
	g := File(t, "v3", "c.csv", t0, Table("customers", Cols("op", record.String, "id", record.Integer, "seq", record.Integer, "email", record.String),
		[]any{"u", 3, 2, "cid@example.com"}))
	g.WriteMode, g.CDC = destination.CDC, CDCSpec()
	Commit(t, d, g, destination.Committed)
	AssertRows(t, Select(t, r, "customers", []Column{{"id", record.Integer}, {"name", record.String}, {"email", record.String}}, "id"), [][]any{
		{int64(1), "ann", nil},
		{int64(2), "bob", "bob@example.com"},
		{int64(3), nil, "cid@example.com"},
	})
}

func testCDCTypedSequences(t *testing.T, h suite) {
	ts := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tc := range []struct {
		name         string
		typ          record.Type
		older, newer any // newer wins, though it sorts first as text
	}{
		{"Integer", record.Integer, int64(9), int64(10)},
		{"Decimal", record.DecimalOf(12, 2), "9.50", "10.25"},
		{"NegativeDecimal", record.DecimalOf(12, 2), "-10.25", "-9.50"},
		{"Float", record.Float, 9.5, 10.25},
		{"Timestamp", record.Timestamp, ts("2026-03-01T09:00:00.000001Z"), ts("2026-03-01T10:00:00Z")},
		{"Date", record.Date, "2026-02-28", "2026-03-01"},
		{"StringByItsBytes", record.String, "B", "a"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, r := h.Open(t)
			cols := Cols("op", record.String, "id", record.Integer, "seq", tc.typ, "name", record.String)
			file := func(version, path string, rows ...[]any) *destination.File {
				f := File(t, version, path, t0, Table("customers", cols, rows...))
				f.WriteMode, f.CDC = destination.CDC, CDCSpec()
				return f
			}
			// Within a file, then across files in both orders.
			Commit(t, d, file("v1", "a.csv", []any{"u", 1, tc.newer, "new"}, []any{"u", 1, tc.older, "old"}), destination.Committed)
			Commit(t, d, file("v2", "b.csv", []any{"u", 2, tc.older, "old"}), destination.Committed)
			Commit(t, d, file("v3", "c.csv", []any{"u", 2, tc.newer, "new"}, []any{"u", 1, tc.older, "old"}), destination.Committed)
			AssertRows(t, Select(t, r, "customers", []Column{{"id", record.Integer}, {"name", record.String}}, "id"), [][]any{
				{int64(1), "new"}, {int64(2), "new"},
			})
		})
	}
}

func testCDCWidenedSequence(t *testing.T, h suite) {
	d, r := h.Open(t)
	Commit(t, d, CDCFile(t, "v1", "a.csv", []any{"c", 1, 1, "one"}, []any{"d", 1, 5, nil}), destination.Committed)
	floats := Cols("op", record.String, "id", record.Integer, "seq", record.Float, "name", record.String)
	file := func(version, path string, rows ...[]any) *destination.File {
		f := File(t, version, path, t0, Table("customers", floats, rows...))
		f.WriteMode, f.CDC = destination.CDC, CDCSpec()
		return f
	}
	res := Commit(t, d, file("v2", "b.csv", []any{"u", 1, 4.5, "older than the delete"}, []any{"c", 2, 1.5, "two"}), destination.Committed)
	if !slices.Equal(res.Widened, []string{"customers.seq: integer → float"}) {
		t.Errorf("Result.Widened = %v, want [customers.seq: integer → float]", res.Widened)
	}
	Commit(t, d, file("v3", "c.csv", []any{"u", 2, 1.25, "older"}), destination.Committed)
	rows := func() [][]any {
		return Select(t, r, "customers", []Column{{"id", record.Integer}, {"seq", record.Float}, {"name", record.String}}, "id")
	}
	AssertRows(t, rows(), [][]any{{int64(2), 1.5, "two"}})
	Commit(t, d, file("v4", "d.csv", []any{"c", 1, 5.5, "newer than the delete"}), destination.Committed)
	AssertRows(t, rows(), [][]any{{int64(1), 5.5, "newer than the delete"}, {int64(2), 1.5, "two"}})
}

func testCDCExistingTable(t *testing.T, h suite) {
	t.Run("UniqueKeys", func(t *testing.T) {
		d, r := h.Open(t)
		// Loaded before with write mode append: one row per id.
		Commit(t, d, File(t, "v0", "full.csv", t0, Table("customers", Cols("id", record.Integer, "seq", record.Integer, "name", record.String),
			[]any{1, 1, "ann"}, []any{2, nil, "bob"})), destination.Committed)
		Commit(t, d, CDCFile(t, "v1", "a.csv", []any{"u", 1, 2, "ann2"}, []any{"u", 1, 0, "older"}, []any{"u", 2, 0, "bob2"}, []any{"c", 3, 1, "cid"}), destination.Committed)
		// A row whose sequence is NULL is older than any change.
		AssertRows(t, Select(t, r, "customers", []Column{{"id", record.Integer}, {"name", record.String}}, "id"), [][]any{
			{int64(1), "ann2"}, {int64(2), "bob2"}, {int64(3), "cid"},
		})
	})
	t.Run("RepeatedKeys", func(t *testing.T) {
		d, r := h.Open(t)
		Commit(t, d, File(t, "v0", "full.csv", t0, Table("customers", Cols("id", record.Integer, "seq", record.Integer, "name", record.String),
			[]any{1, 1, "ann"}, []any{1, 2, "ann again"})), destination.Committed)
		_, err := d.Commit(t.Context(), CDCFile(t, "v1", "a.csv", []any{"u", 1, 3, "ann3"}))
		if err == nil || !destination.IsPermanent(err) || !strings.Contains(err.Error(), "customers") || !strings.Contains(err.Error(), "more than one row") {
			t.Fatalf("CDC into a table whose rows repeat a key: %v, want a permanent error naming the table and saying why", err)
		}
		if n := Count(t, r, "customers"); n != 2 {
			t.Errorf("customers holds %d rows, want its 2", n)
		}
	})
}

func testCDCArchive(t *testing.T, h suite) {
	d, r := h.Open(t)
	zip := "in/changes.zip"
	f := File(t, "v1", zip, t0, TableBatches{Table: "customers", Batches: []Batch{
		{Columns: cdcCols, Rows: [][]any{{"c", 1, 1, "a"}, {"c", 2, 5, "b-from-1"}}, File: Member(zip, "1.csv")},
		// Equal sequences: the member whose name sorts last wins.
		{Columns: cdcCols, Rows: [][]any{{"u", 1, 2, "a2"}, {"u", 2, 5, "b-from-2"}}, File: Member(zip, "2.csv"), FirstLine: 1},
	}})
	f.WriteMode, f.CDC = destination.CDC, CDCSpec()
	Commit(t, d, f, destination.Committed)
	AssertRows(t, customers(t, r), [][]any{
		{int64(1), int64(2), "a2", Member(zip, "2.csv")},
		{int64(2), int64(5), "b-from-2", Member(zip, "2.csv")},
	})
}
