package destinationtest

import (
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/filedge/filedge/pkg/destination"
	"github.com/filedge/filedge/pkg/record"
)

func init() {
	register("LaterFileAddsColumns", testAddColumns)
	register("LaterFileWidensColumnsAndConvertsStoredValues", testWidenAcrossFiles)
	register("NarrowerBatchValuesAreConvertedIntoWiderColumns", testNarrowIntoWide)
	register("TypesWidenWithinOneFile", testWidenWithinFile)
	register("BatchWithFewerColumnsInAnotherOrderMatchesByName", testFewerColumns)
	register("ZeroRowBatchCreatesTableAndAppliesWriteMode", testZeroRows)
}

func testAddColumns(t *testing.T, h suite) {
	d, r := h.Open(t)
	res := Commit(t, d, File(t, "a1", "a.csv", t0, Table("t", Cols("id", record.Integer), []any{1})), destination.Committed)
	if len(res.Added) != 0 {
		t.Errorf("creating a table reported added columns %q", res.Added)
	}
	res = Commit(t, d, File(t, "b1", "b.csv", t0, Table("t", Cols("id", record.Integer, "name", record.String, "when", record.Date, "amount", record.DecimalOf(12, 2)),
		[]any{2, "bob", "2024-01-02", "12.50"})), destination.Committed)
	if want := []string{"t.name: string", "t.when: date", "t.amount: decimal(12,2)"}; !slices.Equal(res.Added, want) {
		t.Errorf("Result.Added = %q, want %q", res.Added, want)
	}
	if len(res.Widened) != 0 {
		t.Errorf("Result.Widened = %q, want nothing widened", res.Widened)
	}
	AssertRows(t, Select(t, r, "t", []Column{{"id", record.Integer}, {"name", record.String}, {"when", record.Date}, {"amount", record.DecimalOf(12, 2)}}, "id"),
		[][]any{{int64(1), nil, nil, nil}, {int64(2), "bob", "2024-01-02", "12.50"}})
}

// widening is a column type change by a later file.
type widening struct {
	from, to record.Type
	old      []any // values of the first file, of type from
	new      []any // values of the second file, of type to
	want     []any // every value read back as type to, old first
}

func testWidenAcrossFiles(t *testing.T, h suite) {
	day := time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC)
	instant := time.Date(2024, 1, 3, 4, 5, 6, 789000000, time.UTC)
	for _, w := range []widening{
		{record.Integer, record.Float, []any{1, -2}, []any{2.5}, []any{1.0, -2.0, 2.5}},
		{record.Integer, record.String, []any{1, -20}, []any{"x"}, []any{"1", "-20", "x"}},
		{record.Date, record.Timestamp, []any{day}, []any{instant}, []any{day, instant}},
		{record.Boolean, record.String, []any{true, false}, []any{"maybe"}, []any{"true", "false", "maybe"}},
		{record.Float, record.String, []any{1.5, 0.25}, []any{"x"}, []any{"1.5", "0.25", "x"}},
		{record.Date, record.String, []any{day}, []any{"x"}, []any{"2024-01-02", "x"}},
		{record.Timestamp, record.String, []any{instant}, []any{"x"}, nil}, // checked by parsing, below
		{record.JSON, record.String, []any{`{"a":1}`}, []any{"x"}, nil},
		{record.DecimalOf(10, 2), record.DecimalOf(12, 4), []any{"1.50", "-12345678.01"}, []any{"-0.0001"}, []any{"1.5000", "-12345678.0100", "-0.0001"}},
		{record.Integer, record.DecimalOf(21, 2), []any{math.MaxInt64, -20}, []any{"0.05"}, []any{"9223372036854775807.00", "-20.00", "0.05"}},
		{record.DecimalOf(10, 2), record.String, []any{"1.50", "-0.01"}, []any{"x"}, []any{"1.50", "-0.01", "x"}},
	} {
		t.Run(fmt.Sprintf("%vTo%v", w.from, w.to), func(t *testing.T) {
			d, r := h.Open(t)
			var oldRows, newRows [][]any
			for _, v := range w.old {
				oldRows = append(oldRows, []any{v})
			}
			for _, v := range w.new {
				newRows = append(newRows, []any{v})
			}
			Commit(t, d, File(t, "a1", "a.csv", t0, Table("w", Cols("v", w.from), oldRows...)), destination.Committed)
			res := Commit(t, d, File(t, "b1", "b.csv", t0, Table("w", Cols("v", w.to), newRows...)), destination.Committed)
			report := fmt.Sprintf("w.v: %v → %v", w.from, w.to)
			if !slices.Contains(res.Widened, report) {
				t.Errorf("Result.Widened = %q, want it to hold %q", res.Widened, report)
			}
			got := Select(t, r, "w", []Column{{"v", w.to}}, "_file", "_line")
			switch {
			case w.want != nil:
				var want [][]any
				for _, v := range w.want {
					want = append(want, []any{v})
				}
				AssertRows(t, got, want)
			case w.from == record.Timestamp:
				if len(got) != 2 {
					t.Fatalf("got %d rows, want 2", len(got))
				}
				ts, err := time.Parse(time.RFC3339Nano, got[0][0].(string))
				if err != nil || !ts.Equal(instant) {
					t.Errorf("timestamp widened to text = %q, want RFC 3339 text of %v", got[0][0], instant)
				}
			case w.from == record.JSON:
				if len(got) != 2 {
					t.Fatalf("got %d rows, want 2", len(got))
				}
				if n, err := Normalize(got[0][0], record.JSON); err != nil || n != `{"a":1}` {
					t.Errorf("JSON widened to text = %q, want the same document", got[0][0])
				}
			}
		})
	}
}

func testNarrowIntoWide(t *testing.T, h suite) {
	d, r := h.Open(t)
	day := time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC)
	wide := Cols("f", record.Float, "s", record.String, "ts", record.Timestamp, "b", record.String, "d", record.String)
	Commit(t, d, File(t, "a1", "a.csv", t0, Table("t", wide, []any{0.5, "text", t0, "yes", "day"})), destination.Committed)
	narrow := Cols("f", record.Integer, "s", record.Integer, "ts", record.Date, "b", record.Boolean, "d", record.Date)
	res := Commit(t, d, File(t, "b1", "b.csv", t0, Table("t", narrow, []any{7, -42, day, true, day})), destination.Committed)
	if len(res.Widened) != 0 {
		t.Errorf("Result.Widened = %q, want nothing widened", res.Widened)
	}
	AssertRows(t, Select(t, r, "t", []Column{{"f", record.Float}, {"s", record.String}, {"ts", record.Timestamp}, {"b", record.String}, {"d", record.String}}, "_file"),
		[][]any{{0.5, "text", t0, "yes", "day"}, {7.0, "-42", day, "true", "2024-01-02"}})
}

func testWidenWithinFile(t *testing.T, h suite) {
	d, r := h.Open(t)
	f := File(t, "v1", "a.csv", t0, TableBatches{Table: "t", Batches: []Batch{
		{Columns: Cols("n", record.Integer, "c", record.Integer), Rows: [][]any{{1, 10}, {2, 20}}},
		{Columns: Cols("n", record.Float, "c", record.String, "extra", record.Boolean), Rows: [][]any{{2.5, "x", true}}},
	}})
	Commit(t, d, f, destination.Committed)
	AssertRows(t, Select(t, r, "t", []Column{{"n", record.Float}, {"c", record.String}, {"extra", record.Boolean}}, "_line"),
		[][]any{{1.0, "10", nil}, {2.0, "20", nil}, {2.5, "x", true}})
}

func testFewerColumns(t *testing.T, h suite) {
	d, r := h.Open(t)
	f := File(t, "v1", "a.csv", t0, TableBatches{Table: "t", Batches: []Batch{
		{Columns: Cols("a", record.Integer, "b", record.String, "c", record.Boolean), Rows: [][]any{{1, "one", true}}},
		{Columns: Cols("c", record.Boolean, "a", record.Integer), Rows: [][]any{{false, 2}}},
	}})
	Commit(t, d, f, destination.Committed)
	other := File(t, "v2", "b.csv", t0, Table("t", Cols("b", record.String), []any{"only b"}))
	Commit(t, d, other, destination.Committed)
	AssertRows(t, Select(t, r, "t", []Column{{"a", record.Integer}, {"b", record.String}, {"c", record.Boolean}}, "_file", "_line"),
		[][]any{{int64(1), "one", true}, {int64(2), nil, false}, {nil, "only b", nil}})
}

func testZeroRows(t *testing.T, h suite) {
	d, r := h.Open(t)
	Commit(t, d, File(t, "e1", "empty.csv", t0, Table("fresh", Cols("a", record.Integer, "b", record.String))), destination.Committed)
	if n := Count(t, r, "fresh"); n != 0 {
		t.Errorf("new table holds %d rows, want 0", n)
	}
	AssertRows(t, Select(t, r, "fresh", []Column{{"a", record.Integer}, {"b", record.String}, {record.FileColumn, record.String}}), nil)

	Commit(t, d, File(t, "a1", "a.csv", t0, Table("t", Cols("a", record.Integer), []any{1}, []any{2})), destination.Committed)
	Commit(t, d, File(t, "b1", "b.csv", t0, Table("t", Cols("a", record.Integer), []any{3})), destination.Committed)
	Commit(t, d, File(t, "a2", "a.csv", t0.Add(time.Hour), Table("t", Cols("a", record.Integer))), destination.Committed)
	AssertRows(t, Select(t, r, "t", []Column{{"a", record.Integer}}), [][]any{{int64(3)}})

	trunc := File(t, "c1", "c.csv", t0, Table("t", Cols("a", record.Integer)))
	trunc.WriteMode = destination.Truncate
	Commit(t, d, trunc, destination.Committed)
	if n := Count(t, r, "t"); n != 0 {
		t.Errorf("table holds %d rows after an empty truncate, want 0", n)
	}
}
