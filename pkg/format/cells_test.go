package format

import (
	"math"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/filedge/filedge/pkg/record"
)

func TestTypedCellsReadBackAsTheirType(t *testing.T) {
	ts := time.Date(2026, 11, 21, 10, 0, 0, 123456000, time.FixedZone("x", 3600))
	doc, err := JSONCell(map[string]any{"a": []int{1, 2}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		cell record.Cell
		want record.Type
	}{
		{IntCell(-42), record.Integer},
		{FloatCell(2.5), record.Float},
		{FloatCell(1e300), record.Float},
		{FloatCell(math.NaN()), record.Unknown},
		{BoolCell(true), record.Boolean},
		{StringCell("007"), record.String},
		{StringCell("123"), record.String},
		{DateCell(ts), record.Date},
		{TimestampCell(ts), record.Timestamp},
		{doc, record.JSON},
		{NullCell, record.Unknown},
	} {
		if got := record.Infer(tc.cell); got != tc.want {
			t.Errorf("%+v infers as %v, want %v", tc.cell, got, tc.want)
		}
	}
	got, err := record.ConvertTimestamp(TimestampCell(ts))
	if err != nil || got.ToTime(arrow.Microsecond).UnixMicro() != ts.UnixMicro() {
		t.Errorf("timestamp round trip: %v, %v", got, err)
	}
}
