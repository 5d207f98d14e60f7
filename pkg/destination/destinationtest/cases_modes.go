package destinationtest

import (
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/filedge/filedge/pkg/destination"
	"github.com/filedge/filedge/pkg/record"
)

func init() {
	register("EveryTypeRoundTripsExactly", testEveryType)
	register("UnicodeTextRoundTrips", testUnicode)
	register("SystemColumnsHoldFileLineModifiedSyncedAndHash", testSystemColumns)
	register("LedgerRowRecordsTheVersion", testLedgerRow)
	register("RecommittedVersionIsDuplicateAndReadsNoBatches", testDuplicate)
	register("OlderVersionAfterNewerIsSuperseded", testSuperseded)
	register("NewerVersionOfSameModifiedTimeReplacesRows", testSameModified)
	register("AppendFileKeepsEveryVersionAndCommitsLateOlderOne", testAppendFileKeeps)
	register("UpsertFileReplacesPathRowsAndKeepsOtherPaths", testUpsertFile)
	register("AppendFileReingestOfSameBytesDuplicatesNothing", testAppendFileSameBytes)
	register("TruncateReplacesAllRows", testTruncate)
	register("SeveralTablesInOneFileCommitTogether", testSeveralTables)
	register("FileWithoutTablesCommitsItsLedgerRow", testNoTables)
	register("SHA256SetBeforeCommitOrFilledByBatchesIsStored", testHashFilled)
	register("ManyBatchesCommitEveryRow", testManyBatches)
}

var allTypes = Cols(
	"b", record.Boolean,
	"i", record.Integer,
	"f", record.Float,
	"d", record.Date,
	"ts", record.Timestamp,
	"s", record.String,
	"j", record.JSON,
	"u", record.Unknown,
)

func selectCols(cols []record.Column) []Column {
	out := make([]Column, len(cols))
	for i, c := range cols {
		out[i] = Column{Name: c.Name, Type: c.Type.Stored()}
	}
	return out
}

func testEveryType(t *testing.T, h suite) {
	d, r := h.Open(t)
	date := func(s string) time.Time {
		v, err := time.Parse(time.DateOnly, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	ts := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	rows := [][]any{
		{true, int64(0), 0.0, date("2024-02-29"), ts("2024-05-06T07:08:09.123456Z"), "plain", `{"a":1,"b":[true,null,"x"]}`, nil},
		{false, int64(math.MaxInt64), math.MaxFloat64, date("1900-01-01"), ts("1969-12-31T23:59:59.999999Z"), "", `[]`, nil},
		{true, int64(math.MinInt64), -1.5e-300, date("9999-12-31"), ts("2000-01-01T00:00:00Z"), `quote " and ' and \ and ;`, `123`, nil},
		{false, int64(-1), 0.1, date("1970-01-01"), ts("2038-01-19T03:14:08.000001Z"), "line\nbreak\ttab", `"text"`, nil},
		{nil, nil, nil, nil, nil, nil, nil, nil},
	}
	f := File(t, "v1", "types.csv", t0, Table("types", allTypes, rows...))
	res := Commit(t, d, f, destination.Committed)
	if res.Rows != int64(len(rows)) {
		t.Errorf("Result.Rows = %d, want %d", res.Rows, len(rows))
	}
	if !slices.Equal(res.Tables, []string{"types"}) {
		t.Errorf("Result.Tables = %v, want [types]", res.Tables)
	}
	want := [][]any{
		{true, int64(0), 0.0, "2024-02-29", ts("2024-05-06T07:08:09.123456Z"), "plain", `{"a":1,"b":[true,null,"x"]}`, nil},
		{false, int64(math.MaxInt64), math.MaxFloat64, "1900-01-01", ts("1969-12-31T23:59:59.999999Z"), "", `[]`, nil},
		{true, int64(math.MinInt64), -1.5e-300, "9999-12-31", ts("2000-01-01T00:00:00Z"), `quote " and ' and \ and ;`, `123`, nil},
		{false, int64(-1), 0.1, "1970-01-01", ts("2038-01-19T03:14:08.000001Z"), "line\nbreak\ttab", `"text"`, nil},
		{nil, nil, nil, nil, nil, nil, nil, nil},
	}
	AssertRows(t, Select(t, r, "types", selectCols(allTypes), "_line"), want)
}

func testUnicode(t *testing.T, h suite) {
	d, r := h.Open(t)
	texts := []string{
		"héllo wörld",
		"日本語のテキスト",
		"🚀 emoji 👩‍👩‍👧 family",
		"עברית mixed العربية",
		"e\u0301 combining",
		"zero\u200bwidth",
		strings.Repeat("long ✓ ", 20000),
	}
	var rows [][]any
	for _, s := range texts {
		key := []rune(s)
		doc := `{"k":"` + string(key[:min(len(key), 10)]) + `"}`
		rows = append(rows, []any{s, doc})
	}
	Commit(t, d, File(t, "v1", "unicode.txt", t0, Table("texts", Cols("s", record.String, "j", record.JSON), rows...)), destination.Committed)
	AssertRows(t, Select(t, r, "texts", []Column{{"s", record.String}, {"j", record.JSON}}, "_line"), rows)
}

func testSystemColumns(t *testing.T, h suite) {
	d, r := h.Open(t)
	f := File(t, "v1", "dir/sub/file.csv", t0.Add(123*time.Nanosecond), TableBatches{Table: "sys", Batches: []Batch{
		{Columns: Cols("x", record.Integer), Rows: [][]any{{1}, {2}}, FirstLine: 2},
		{Columns: Cols("x", record.Integer), Rows: [][]any{{3}}},
	}})
	before := time.Now().Add(-time.Second)
	res := Commit(t, d, f, destination.Committed)
	after := time.Now().Add(time.Second)
	if res.Committed.Before(before) || res.Committed.After(after) {
		t.Errorf("Result.Committed = %v, want between %v and %v", res.Committed, before, after)
	}
	got := Select(t, r, "sys", []Column{
		{"x", record.Integer},
		{record.FileColumn, record.String},
		{record.LineColumn, record.Integer},
		{record.ModifiedColumn, record.Timestamp},
		{record.SyncedColumn, record.Timestamp},
		{record.HashColumn, record.String},
	}, record.LineColumn)
	if len(got) != 3 {
		t.Fatalf("got %d rows, want 3", len(got))
	}
	for i, row := range got {
		wantLine := int64(i + 2)
		if row[0] != int64(i+1) || row[1] != "dir/sub/file.csv" || row[2] != wantLine || row[5] != SHA256("v1") {
			t.Errorf("row %d: x, _file, _line, hash = %v %v %v %v; want %d dir/sub/file.csv %d %s", i, row[0], row[1], row[2], row[5], i+1, wantLine, SHA256("v1"))
		}
		if m := row[3].(time.Time); !m.Equal(t0) {
			t.Errorf("row %d: _modified = %v, want %v (the file's, to the microsecond)", i, m, t0)
		}
		synced := row[4].(time.Time)
		if synced.Before(before) || synced.After(after) {
			t.Errorf("row %d: _filedge_synced = %v, want the commit time", i, synced)
		}
		if d := synced.Sub(res.Committed); d < -time.Microsecond || d > time.Microsecond {
			t.Errorf("row %d: _filedge_synced = %v, Result.Committed = %v: want the same", i, synced, res.Committed)
		}
	}
}

func testLedgerRow(t *testing.T, h suite) {
	d, r := h.Open(t)
	f := File(t, "v1", "dir/a.csv", t0, Table("t", Cols("x", record.Integer), []any{1}, []any{2}), Table("u", Cols("y", record.String), []any{"z"}))
	f.Size = 4096
	f.Seq = 7
	res := Commit(t, d, f, destination.Committed)
	want := LedgerRow{
		Pipeline: Pipeline, Version: "v1", Path: "dir/a.csv", Size: 4096, Modified: t0, Seq: 7,
		SHA256: SHA256("v1"), Tables: []string{"t", "u"}, Rows: 3, Committed: res.Committed,
	}
	assertLedger(t, r, want)
	// Another pipeline's ledger holds nothing of it.
	if rows, err := r.Ledger(t.Context(), "another"); err != nil || len(rows) != 0 {
		t.Errorf("the ledger of pipeline another = %v, %v; want no rows", rows, err)
	}
}

// assertLedger fails t unless the ledger of Pipeline holds exactly want,
// in order of version.
func assertLedger(t *testing.T, r Reader, want ...LedgerRow) {
	t.Helper()
	got := Ledger(t, r)
	if len(got) != len(want) {
		t.Fatalf("the ledger holds %d rows, want %d:\ngot  %+v\nwant %+v", len(got), len(want), got, want)
	}
	for i, w := range want {
		g := got[i]
		if g.Pipeline != w.Pipeline || g.Version != w.Version || g.Path != w.Path || g.Size != w.Size ||
			!g.Modified.Equal(w.Modified) || g.Seq != w.Seq || g.SHA256 != w.SHA256 ||
			!slices.Equal(g.Tables, w.Tables) || g.Rows != w.Rows || !g.Committed.Equal(w.Committed) {
			t.Errorf("ledger row %d:\ngot  %+v\nwant %+v", i, g, w)
		}
	}
}

// ledgerCount returns how many rows of the ledger of Pipeline hold version.
func ledgerCount(t *testing.T, r Reader, version string) int {
	t.Helper()
	n := 0
	for _, row := range Ledger(t, r) {
		if row.Version == version {
			n++
		}
	}
	return n
}

func testDuplicate(t *testing.T, h suite) {
	d, r := h.Open(t)
	first := Commit(t, d, File(t, "v1", "a.csv", t0, Table("t", Cols("x", record.Integer), []any{1}, []any{2})), destination.Committed)
	again := File(t, "v1", "a.csv", t0, Table("t", Cols("x", record.Integer), []any{1}, []any{2}))
	Commit(t, d, again, destination.Duplicate)
	if n := again.Batches.(*MemBatches).Calls(); n != 0 {
		t.Errorf("a duplicate read Batches %d times, want 0", n)
	}
	if n := Count(t, r, "t"); n != 2 {
		t.Errorf("table holds %d rows, want 2", n)
	}
	if n := ledgerCount(t, r, "v1"); n != 1 {
		t.Errorf("the ledger holds %d rows of the version, want 1", n)
	}
	// A destination that looks versions up (destination.Ledger, for run
	// --once) finds the commit as the ledger recorded it.
	if l, ok := d.(destination.Ledger); ok {
		got, found, err := l.Lookup(t.Context(), Pipeline, "v1")
		if err != nil || !found {
			t.Fatalf("Lookup of the committed version = %v, %v; want found", found, err)
		}
		if got.Outcome != destination.Committed || got.Rows != 2 || !slices.Equal(got.Tables, []string{"t"}) || !got.Committed.Equal(first.Committed) {
			t.Errorf("Lookup = %+v, want the commit's %+v", got, first)
		}
		if _, found, err := l.Lookup(t.Context(), Pipeline, "v2"); err != nil || found {
			t.Errorf("Lookup of a version never committed = %v, %v; want not found", found, err)
		}
	}
}

func testSuperseded(t *testing.T, h suite) {
	d, r := h.Open(t)
	Commit(t, d, File(t, "v2", "a.csv", t0.Add(time.Hour), Table("t", Cols("x", record.String), []any{"new"})), destination.Committed)
	Commit(t, d, File(t, "v1", "a.csv", t0, Table("t", Cols("x", record.String), []any{"old"}, []any{"old"})), destination.Superseded)
	AssertRows(t, Select(t, r, "t", []Column{{"x", record.String}}), [][]any{{"new"}})
	if n := ledgerCount(t, r, "v1"); n != 0 {
		t.Errorf("the ledger holds the superseded version")
	}
}

func testSameModified(t *testing.T, h suite) {
	d, r := h.Open(t)
	Commit(t, d, File(t, "v1", "a.csv", t0, Table("t", Cols("x", record.String), []any{"first"})), destination.Committed)
	Commit(t, d, File(t, "v2", "a.csv", t0, Table("t", Cols("x", record.String), []any{"second"})), destination.Committed)
	AssertRows(t, Select(t, r, "t", []Column{{"x", record.String}}), [][]any{{"second"}})
}

func testAppendFileKeeps(t *testing.T, h suite) {
	d, r := h.Open(t)
	newer := File(t, "v2", "a.csv", t0.Add(time.Hour), Table("t", Cols("x", record.String), []any{"new"}))
	newer.Merge = destination.AppendFile
	older := File(t, "v1", "a.csv", t0, Table("t", Cols("x", record.String), []any{"old"}))
	older.Merge = destination.AppendFile
	Commit(t, d, newer, destination.Committed)
	Commit(t, d, older, destination.Committed)
	AssertRows(t, Select(t, r, "t", []Column{{"x", record.String}, {record.ModifiedColumn, record.Timestamp}}, "_modified"),
		[][]any{{"old", t0}, {"new", t0.Add(time.Hour)}})
}

func testUpsertFile(t *testing.T, h suite) {
	d, r := h.Open(t)
	cols := Cols("x", record.String)
	Commit(t, d, File(t, "a1", "a.csv", t0, Table("t", cols, []any{"a1"}, []any{"a1"}, []any{"a1"})), destination.Committed)
	Commit(t, d, File(t, "b1", "b.csv", t0, Table("t", cols, []any{"b1"}, []any{"b1"})), destination.Committed)
	Commit(t, d, File(t, "a2", "a.csv", t0.Add(time.Minute), Table("t", cols, []any{"a2"})), destination.Committed)
	AssertRows(t, Select(t, r, "t", []Column{{record.FileColumn, record.String}, {"x", record.String}}, "_file", "_line"),
		[][]any{{"a.csv", "a2"}, {"b.csv", "b1"}, {"b.csv", "b1"}})
}

func testAppendFileSameBytes(t *testing.T, h suite) {
	d, r := h.Open(t)
	cols := Cols("x", record.Integer)
	first := File(t, "v1", "a.csv", t0, Table("t", cols, []any{1}, []any{2}, []any{3}))
	first.Merge = destination.AppendFile
	first.SHA256 = SHA256("same bytes")
	Commit(t, d, first, destination.Committed)
	again := File(t, "v2", "a.csv", t0.Add(time.Hour), Table("t", cols, []any{1}, []any{2}, []any{3}))
	again.Merge = destination.AppendFile
	again.SHA256 = SHA256("same bytes")
	Commit(t, d, again, destination.Committed)
	if n := Count(t, r, "t"); n != 3 {
		t.Errorf("table holds %d rows after re-ingesting the same bytes, want 3", n)
	}
	changed := File(t, "v3", "a.csv", t0.Add(2*time.Hour), Table("t", cols, []any{4}))
	changed.Merge = destination.AppendFile
	Commit(t, d, changed, destination.Committed)
	if n := Count(t, r, "t"); n != 4 {
		t.Errorf("table holds %d rows after a changed version, want 4 (both contents kept)", n)
	}
}

func testTruncate(t *testing.T, h suite) {
	d, r := h.Open(t)
	cols := Cols("x", record.String)
	Commit(t, d, File(t, "a1", "a.csv", t0, Table("t", cols, []any{"a"}, []any{"a"})), destination.Committed)
	b := File(t, "b1", "b.csv", t0, Table("t", cols, []any{"b"}))
	b.WriteMode = destination.Truncate
	Commit(t, d, b, destination.Committed)
	AssertRows(t, Select(t, r, "t", []Column{{record.FileColumn, record.String}, {"x", record.String}}), [][]any{{"b.csv", "b"}})
}

func testSeveralTables(t *testing.T, h suite) {
	d, r := h.Open(t)
	f := File(t, "v1", "book.xlsx", t0,
		Table("book_sheet1", Cols("a", record.Integer), []any{1}, []any{2}),
		Table("book_sheet2", Cols("b", record.String), []any{"x"}),
	)
	res := Commit(t, d, f, destination.Committed)
	if !slices.Equal(res.Tables, []string{"book_sheet1", "book_sheet2"}) || res.Rows != 3 {
		t.Errorf("Result.Tables, Rows = %v, %d; want [book_sheet1 book_sheet2], 3", res.Tables, res.Rows)
	}
	if Count(t, r, "book_sheet1") != 2 || Count(t, r, "book_sheet2") != 1 {
		t.Errorf("tables hold the wrong row counts")
	}
	if got := Tables(t, r); !slices.Equal(got, []string{"book_sheet1", "book_sheet2"}) {
		t.Errorf("the destination's tables are %q, want [book_sheet1 book_sheet2]", got)
	}
}

func testNoTables(t *testing.T, h suite) {
	d, r := h.Open(t)
	res := Commit(t, d, File(t, "v1", "empty.csv", t0), destination.Committed)
	if len(res.Tables) != 0 || res.Rows != 0 {
		t.Errorf("Result = %+v, want no tables and no rows", res)
	}
	assertLedger(t, r, LedgerRow{
		Pipeline: Pipeline, Version: "v1", Path: "empty.csv", Size: 1024, Modified: t0,
		SHA256: SHA256("v1"), Tables: []string{}, Committed: res.Committed,
	})
	if got := Tables(t, r); len(got) != 0 {
		t.Errorf("a file without tables made tables %q", got)
	}
	Commit(t, d, File(t, "v1", "empty.csv", t0), destination.Duplicate)
}

func testHashFilled(t *testing.T, h suite) {
	d, r := h.Open(t)
	cols := Cols("x", record.Integer)
	known := File(t, "v1", "known.csv", t0, Table("t", cols, []any{1}))
	Commit(t, d, known, destination.Committed)

	late := File(t, "v2", "late.csv", t0, Table("t", cols, []any{2}))
	late.SHA256 = ""
	late.Batches.(*MemBatches).FillSHA256(late, SHA256("late bytes"))
	Commit(t, d, late, destination.Committed)
	AssertRows(t, Select(t, r, "t", []Column{{record.FileColumn, record.String}, {record.HashColumn, record.String}}, "_file"),
		[][]any{{"known.csv", SHA256("v1")}, {"late.csv", SHA256("late bytes")}})

	// A filled-in hash drives append_file's replace just as a known one.
	for i, v := range []string{"v3", "v4"} {
		f := File(t, v, "late.csv", t0.Add(time.Duration(i+1)*time.Hour), Table("t", cols, []any{2}))
		f.Merge = destination.AppendFile
		f.SHA256 = ""
		f.Batches.(*MemBatches).FillSHA256(f, SHA256("late bytes"))
		Commit(t, d, f, destination.Committed)
	}
	if n := countWhere(t, r, "t", record.FileColumn, "late.csv"); n != 1 {
		t.Errorf("late.csv has %d rows after re-ingesting the same bytes twice, want 1", n)
	}
}

func testManyBatches(t *testing.T, h suite) {
	d, r := h.Open(t)
	const batches, perBatch = 50, 1000
	tb := TableBatches{Table: "many"}
	for b := range batches {
		rows := make([][]any, perBatch)
		for r := range rows {
			rows[r] = []any{int64(b*perBatch + r), "row", float64(r) / 8}
		}
		tb.Batches = append(tb.Batches, Batch{Columns: Cols("id", record.Integer, "s", record.String, "f", record.Float), Rows: rows})
	}
	res := Commit(t, d, File(t, "v1", "many.csv", t0, tb), destination.Committed)
	if res.Rows != batches*perBatch {
		t.Errorf("Result.Rows = %d, want %d", res.Rows, batches*perBatch)
	}
	if n := Count(t, r, "many"); n != batches*perBatch {
		t.Errorf("table holds %d rows, want %d", n, batches*perBatch)
	}
	ids := map[any]bool{}
	var lines []int64
	for _, row := range Select(t, r, "many", []Column{{"id", record.Integer}, {record.LineColumn, record.Integer}}, record.LineColumn) {
		ids[row[0]] = true
		lines = append(lines, row[1].(int64))
	}
	if len(ids) != batches*perBatch {
		t.Errorf("the table holds %d distinct ids, want %d", len(ids), batches*perBatch)
	}
	for i, line := range lines {
		if line != int64(i+1) {
			t.Fatalf("row %d has _line %d, want %d: lines number the rows from 1 across batches", i, line, i+1)
		}
	}
}
