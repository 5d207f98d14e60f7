package destination_test

import (
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/filedge/filedge/pkg/destination"
	"github.com/filedge/filedge/pkg/record"
)

func TestBatchFileTakesOneMemberNameAndRefusesTheRest(t *testing.T) {
	const path = "in/b.zip"
	m := func(name string) string { return path + "!/" + name }
	many := func(n int, v string) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = v
		}
		return out
	}
	for _, tc := range []struct {
		name       string
		values     []string
		large      bool
		slice      [2]int64 // rows [from, to) of the column, when to > 0
		want       string   // the _file, or "" for an error
		wantErrRow string   // in the error, for two values
	}{
		{name: "NoColumn", want: path},
		{name: "OneRow", values: []string{m("a.csv")}, want: m("a.csv")},
		{name: "ManyRowsOfOneMember", values: many(10_001, m("a.csv")), want: m("a.csv")},
		{name: "LargeString", values: many(5, m("a.csv")), large: true, want: m("a.csv")},
		{name: "ThePathItself", values: many(3, path), want: path},
		{name: "NoRows", values: []string{}, want: path},
		{name: "LastRowDiffersInOneByte", values: append(many(1000, m("a.csv")), m("b.csv")), wantErrRow: "row 1001"},
		{name: "MiddleRowDiffersInLength", values: append(append(many(7, m("a.csv")), m("ab.csv")), many(7, m("a.csv"))...), wantErrRow: "row 8"},
		{name: "SameBytesSplitDifferently", values: []string{m("aa"), m("a"), m("aa")}, wantErrRow: "row 2"},
		{name: "SliceOfOneMemberFromAMixedArray", values: append(many(3, m("a.csv")), m("b.csv"), m("b.csv")), slice: [2]int64{3, 5}, want: m("b.csv")},
		{name: "AnotherFile", values: many(2, "in/c.zip!/a.csv")},
		{name: "PrefixWithoutSeparator", values: many(2, path+"x/a.csv")},
		{name: "EmptyName", values: many(2, "")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			fields := []arrow.Field{record.Field(record.LineColumn, record.Integer)}
			var cols []arrow.Array
			lines := array.NewInt64Builder(mem)
			defer lines.Release()
			for i := range tc.values {
				lines.Append(int64(i + 1))
			}
			cols = append(cols, lines.NewArray())
			if tc.values != nil {
				f := record.Field(record.FileColumn, record.String)
				var b interface {
					array.Builder
					Append(string)
				}
				if tc.large {
					f.Type = arrow.BinaryTypes.LargeString
					b = array.NewLargeStringBuilder(mem)
				} else {
					b = array.NewStringBuilder(mem)
				}
				defer b.Release()
				for _, v := range tc.values {
					b.Append(v)
				}
				fields = append(fields, f)
				cols = append(cols, b.NewArray())
			}
			rec := array.NewRecordBatch(arrow.NewSchema(fields, nil), cols, int64(len(tc.values)))
			for _, c := range cols {
				c.Release()
			}
			defer rec.Release()
			if tc.slice[1] > 0 {
				sliced := rec.NewSlice(tc.slice[0], tc.slice[1])
				defer sliced.Release()
				rec = sliced
			}
			got, err := destination.BatchFile(rec, path)
			switch {
			case tc.want != "" && (err != nil || got != tc.want):
				t.Errorf("batchFile = %q, %v; want %q", got, err, tc.want)
			case tc.want == "" && err == nil:
				t.Errorf("batchFile = %q, want an error", got)
			case tc.wantErrRow != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErrRow)):
				t.Errorf("batchFile error %v, want it to name %s", err, tc.wantErrRow)
			}
		})
	}
}
