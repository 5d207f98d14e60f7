package destinationtest

import (
	"slices"
	"strings"
	"testing"

	"github.com/filedge/filedge/pkg/destination"
	"github.com/filedge/filedge/pkg/record"
)

func init() {
	register("DecimalsLoadExactlyWithTheirScale", testDecimalsExact)
	register("NarrowerDecimalsAndIntegersFitWiderDecimalColumns", testDecimalsIntoWider)
	register("DecimalsWidenWithinOneFile", testDecimalsWidenWithinFile)
	register("DecimalMeetingFloatWidensToString", testDecimalMeetsFloat)
	register("DecimalsBeyond76DigitsWidenToString", testDecimalsBeyondMax)
}

func testDecimalsExact(t *testing.T, h suite) {
	d, r := h.Open(t)
	digits38 := strings.Repeat("9", 38)
	cols := Cols("money", record.DecimalOf(16, 2), "big", record.DecimalOf(38, 0), "wide", record.DecimalOf(76, 38),
		"tiny", record.DecimalOf(5, 5), "whole", record.DecimalOf(1, 0))
	data := [][]any{
		{"12345678901234.56", digits38, digits38 + "." + digits38, "0.00001", "9"},
		{"-0.01", "-" + digits38, "-0." + strings.Repeat("0", 37) + "1", "-0.99999", "-9"},
		{"0.00", "0", "0." + strings.Repeat("0", 38), "0.00000", "0"},
		{nil, nil, nil, nil, nil},
		{"-12345678901234.5", "-1", "12345678901234567890123456789012345678.5", "0.1", "1"},
	}
	Commit(t, d, File(t, "v1", "money.csv", t0, Table("m", cols, data...)), destination.Committed)
	want := [][]any{
		{"12345678901234.56", digits38, digits38 + "." + digits38, "0.00001", "9"},
		{"-0.01", "-" + digits38, "-0." + strings.Repeat("0", 37) + "1", "-0.99999", "-9"},
		{"0.00", "0", "0." + strings.Repeat("0", 38), "0.00000", "0"},
		{nil, nil, nil, nil, nil},
		{"-12345678901234.50", "-1", "12345678901234567890123456789012345678.5" + strings.Repeat("0", 37), "0.10000", "1"},
	}
	var sel []Column
	for _, c := range cols {
		sel = append(sel, Column{c.Name, c.Type})
	}
	// Select checks that each value is the decimal's exact text with its
	// column's scale, as the destination holds it.
	AssertRows(t, Select(t, r, "m", sel, "_line"), want)
}

func testDecimalsIntoWider(t *testing.T, h suite) {
	d, r := h.Open(t)
	wide := Cols("a", record.DecimalOf(12, 4), "b", record.DecimalOf(21, 2))
	Commit(t, d, File(t, "a1", "a.csv", t0, Table("t", wide, []any{"1.2345", "-1.00"})), destination.Committed)
	narrow := Cols("a", record.DecimalOf(10, 2), "b", record.Integer)
	res := Commit(t, d, File(t, "b1", "b.csv", t0, Table("t", narrow, []any{"-1.50", 7}, []any{"12345678.99", int64(-9223372036854775808)})), destination.Committed)
	if len(res.Widened) != 0 || len(res.Added) != 0 {
		t.Errorf("Result.Widened = %q, Added = %q; want nothing changed", res.Widened, res.Added)
	}
	want := [][]any{{"1.2345", "-1.00"}, {"-1.5000", "7.00"}, {"12345678.9900", "-9223372036854775808.00"}}
	AssertRows(t, Select(t, r, "t", []Column{{"a", record.DecimalOf(12, 4)}, {"b", record.DecimalOf(21, 2)}}, "_file", "_line"), want)
}

func testDecimalsWidenWithinFile(t *testing.T, h suite) {
	d, r := h.Open(t)
	f := File(t, "v1", "a.csv", t0, TableBatches{Table: "t", Batches: []Batch{
		{Columns: Cols("m", record.DecimalOf(10, 2)), Rows: [][]any{{"12345678.90"}, {"-0.01"}}},
		{Columns: Cols("m", record.DecimalOf(20, 6)), Rows: [][]any{{"12345678901234.123456"}}},
	}})
	Commit(t, d, f, destination.Committed)
	AssertRows(t, Select(t, r, "t", []Column{{"m", record.DecimalOf(20, 6)}}, "_line"),
		[][]any{{"12345678.900000"}, {"-0.010000"}, {"12345678901234.123456"}})
}

func testDecimalMeetsFloat(t *testing.T, h suite) {
	// A decimal never passes through a float: together they are text.
	for _, order := range []struct {
		name        string
		first, then []record.Column
		a, b        []any
		from        record.Type
		want        []any
	}{
		{"DecimalThenFloat", Cols("v", record.DecimalOf(20, 2)), Cols("v", record.Float), []any{"12345678901234.56"}, []any{0.25}, record.DecimalOf(20, 2), []any{"12345678901234.56", "0.25"}},
		{"FloatThenDecimal", Cols("v", record.Float), Cols("v", record.DecimalOf(20, 2)), []any{0.25}, []any{"12345678901234.56"}, record.Float, []any{"0.25", "12345678901234.56"}},
	} {
		t.Run(order.name, func(t *testing.T) {
			d, r := h.Open(t)
			Commit(t, d, File(t, "a1", "a.csv", t0, Table("w", order.first, order.a)), destination.Committed)
			res := Commit(t, d, File(t, "b1", "b.csv", t0, Table("w", order.then, order.b)), destination.Committed)
			if report := "w.v: " + order.from.String() + " → string"; !slices.Contains(res.Widened, report) {
				t.Errorf("Result.Widened = %q, want it to hold %q", res.Widened, report)
			}
			AssertRows(t, Select(t, r, "w", []Column{{"v", record.String}}, "_file"), [][]any{{order.want[0]}, {order.want[1]}})
		})
	}
}

func testDecimalsBeyondMax(t *testing.T, h suite) {
	d, r := h.Open(t)
	big := "1" + strings.Repeat("0", 75)
	Commit(t, d, File(t, "a1", "a.csv", t0, Table("w", Cols("v", record.DecimalOf(76, 0)), []any{big})), destination.Committed)
	res := Commit(t, d, File(t, "b1", "b.csv", t0, Table("w", Cols("v", record.DecimalOf(2, 2)), []any{"0.05"})), destination.Committed)
	if report := "w.v: decimal(76,0) → string"; !slices.Contains(res.Widened, report) {
		t.Errorf("Result.Widened = %q, want it to hold %q", res.Widened, report)
	}
	AssertRows(t, Select(t, r, "w", []Column{{"v", record.String}}, "_file"), [][]any{{big}, {"0.05"}})
}
