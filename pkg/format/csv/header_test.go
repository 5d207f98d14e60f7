package csv_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/filedge/filedge/pkg/format"
	"github.com/filedge/filedge/pkg/format/formattest"
)

// readTable reads input as the file name with opts and returns its one
// table's column names, its rows as text ("(null)" for a null, "" for the
// empty string), and the issues reported.
func readTable(t *testing.T, name, input string, opts format.Options) (cols []string, rows [][]string, issues []string) {
	t.Helper()
	rec, err := formattest.Read(t.Context(), "csv", name, opts, []byte(input), false)
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.Result.RowErrors) > 0 || rec.Result.Error != "" {
		t.Fatalf("row errors %+v, error %q", rec.Result.RowErrors, rec.Result.Error)
	}
	tbl := rec.Result.Tables[0]
	for _, c := range tbl.Columns {
		cols = append(cols, c.Name)
	}
	for _, r := range tbl.Rows {
		var row []string
		for _, c := range r.Cells {
			if c.Kind == 0 { // record.Null
				row = append(row, "(null)")
			} else {
				row = append(row, c.Text)
			}
		}
		rows = append(rows, row)
	}
	return cols, rows, rec.Result.Issues
}

// A header of delimiters only (",,", a spreadsheet's header row left
// empty) is a header whose columns have no names, not a blank line: every
// row after it loads, none is taken for the header, and an issue says the
// columns are named column_0 ... column_n (the names empty names always
// get, and those a headerless read gives).
func TestAHeaderOfDelimitersOnlyLosesNoRowAndIsReported(t *testing.T) {
	tests := []struct {
		name, file, input string
		width             int
		rows              [][]string
		issue             string
	}{
		{"commas", "f.csv", ",,\n1,2,3\n4,5,6\n", 3,
			[][]string{{"1", "2", "3"}, {"4", "5", "6"}},
			"the header row (line 1) is empty: columns named column_0..column_2"},
		{"after blank lines", "f.csv", "\n \n,\na,b\n", 2,
			[][]string{{"a", "b"}},
			"the header row (line 3) is empty: columns named column_0..column_1"},
		{"tabs in a TSV", "f.tsv", "\t\t\t\nx\ty\tz\tw\n", 4,
			[][]string{{"x", "y", "z", "w"}},
			"the header row (line 1) is empty: columns named column_0..column_3"},
		{"quoted empty names", "f.csv", "\"\",\"\"\r\n1,2\r\n", 2,
			[][]string{{"1", "2"}},
			"the header row (line 1) is empty: columns named column_0..column_1"},
		{"white space names", "f.csv", " , \n1,2\n", 2,
			[][]string{{"1", "2"}},
			"the header row (line 1) is empty: columns named column_0..column_1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cols, rows, issues := readTable(t, tt.file, tt.input, format.Options{})
			if len(cols) != tt.width {
				t.Errorf("%d columns %q, want %d", len(cols), cols, tt.width)
			}
			if fmt.Sprint(rows) != fmt.Sprint(tt.rows) {
				t.Errorf("rows %q, want %q", rows, tt.rows)
			}
			if !slices.Equal(issues, []string{tt.issue}) {
				t.Errorf("issues %q, want %q", issues, tt.issue)
			}
		})
	}
}

// Blank lines before the header (empty, or white space without a
// delimiter or quote) are skipped without a word, and a file of white
// space only, even with tabs, has no columns.
func TestBlankLinesBeforeTheHeaderAreSkipped(t *testing.T) {
	cols, rows, issues := readTable(t, "f.csv", "\n   \n\t\r\nid,name\n1,a\n", format.Options{})
	if !slices.Equal(cols, []string{"id", "name"}) || fmt.Sprint(rows) != "[[1 a]]" || len(issues) > 0 {
		t.Errorf("columns %q, rows %q, issues %q", cols, rows, issues)
	}
	cols, rows, issues = readTable(t, "f.csv", " \n\t\n\t \n", format.Options{})
	if len(cols) != 0 || len(rows) != 0 || len(issues) > 0 {
		t.Errorf("white space only: columns %q, rows %q, issues %q", cols, rows, issues)
	}
}

// Headerless, a first row of delimiters only is that row: its fields
// (nulls) give the width.
func TestHeaderlessAFirstRowOfDelimitersIsARowOfNulls(t *testing.T) {
	cols, rows, issues := readTable(t, "f.csv", ",,\n1,2,3\n", format.Options{Headerless: true, Delimiter: ","})
	if !slices.Equal(cols, []string{"column_0", "column_1", "column_2"}) || fmt.Sprint(rows) != "[[(null) (null) (null)] [1 2 3]]" || len(issues) > 0 {
		t.Errorf("columns %q, rows %q, issues %q", cols, rows, issues)
	}
}

// A file of one quoted empty field ("") is a header of one column without
// a name: one column, named column_0, no rows, reported; never a table of
// no columns.
func TestAFileOfOneQuotedEmptyFieldHasOneColumn(t *testing.T) {
	for _, input := range []string{`""`, "\"\"\n", "\"\"\r\n", "\n\"\"\n\n"} {
		cols, rows, issues := readTable(t, "f.csv", input, format.Options{})
		line := 1
		if input[0] == '\n' {
			line = 2
		}
		want := fmt.Sprintf("the header row (line %d) is empty: its column is named column_0", line)
		wantRows := 0
		if input == "\n\"\"\n\n" {
			wantRows = 1 // the blank line after the header: a row of nulls
		}
		if len(cols) != 1 || len(rows) != wantRows || !slices.Equal(issues, []string{want}) {
			t.Errorf("%q: columns %q, rows %q, issues %q", input, cols, rows, issues)
		}
	}
}
