package excel_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/filedge/filedge/pkg/format"
	"github.com/filedge/filedge/pkg/format/formattest"
)

// corpusDir returns the corpus's excel folder, skipping t when
// FILEDGE_CORPUS is not set.
func corpusDir(t testing.TB) string {
	dir := os.Getenv("FILEDGE_CORPUS")
	if dir == "" {
		t.Skip("FILEDGE_CORPUS is not set")
	}
	return filepath.Join(dir, "excel")
}

// TestCorpusMatchesGolden reads every workbook of the corpus (xlrd's
// test samples: BIFF4 to BIFF8, formulas, names, ragged rows, a file
// xlrd calls corrupt, one .xlsx) and compares what the reader writes
// with testdata/corpus/<file>.golden.json (go test -update rewrites
// them). Each file must give rows or a *format.FileError, never a panic.
func TestCorpusMatchesGolden(t *testing.T) {
	dir := corpusDir(t)
	paths, err := filepath.Glob(filepath.Join(dir, "*.xls*"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no workbooks under %s: %v", dir, err)
	}
	for _, p := range paths {
		name := filepath.Base(p)
		t.Run(name, func(t *testing.T) {
			rec := readCorpus(t, name)
			for _, v := range rec.Violations {
				t.Errorf("writer contract broken: %s", v)
			}
			var fe *format.FileError
			if err := rec.Result.Error; err != "" {
				if _, err := formattest.Read(t.Context(), "excel", name, format.Options{}, mustRead(t, p), false); !errors.As(err, &fe) {
					t.Errorf("read failed with %v, want rows or a *format.FileError", err)
				}
			}
			golden := filepath.Join("testdata", "corpus", name+".golden.json")
			got := rec.Result.Encode()
			if update := updateTestdata != nil && updateTestdata.Value.String() == "true"; update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			b, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (go test -update writes it)", err)
			}
			want, err := formattest.DecodeResult(b)
			if err != nil {
				t.Fatalf("%s: %v", golden, err)
			}
			if !bytes.Equal(want.Encode(), got) {
				t.Errorf("%s: the reader wrote something else (go test -update rewrites it):\n%s", golden, got)
			}
		})
	}
}

func mustRead(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// readCorpus reads a corpus workbook by name.
func readCorpus(t *testing.T, name string) *formattest.Recorder {
	t.Helper()
	rec, err := formattest.Read(t.Context(), "excel", name, format.Options{}, mustRead(t, filepath.Join(corpusDir(t), name)), false)
	formattest.CheckError(t, name, err)
	return rec
}

// table returns the table named name, failing t when there is none.
func table(t *testing.T, res *formattest.Result, name string) formattest.Table {
	t.Helper()
	for _, tb := range res.Tables {
		if tb.Name == name {
			return tb
		}
	}
	t.Fatalf("no table %q among %d", name, len(res.Tables))
	return formattest.Table{}
}

// cellAt returns the cell of the table's row at spreadsheet row line,
// column col (by name).
func cellAt(t *testing.T, tb formattest.Table, line int64, col string) formattest.Cell {
	t.Helper()
	i := slices.IndexFunc(tb.Columns, func(c formattest.Column) bool { return c.Name == col })
	if i < 0 {
		t.Fatalf("table %q has no column %q: %v", tb.Name, col, tb.Columns)
	}
	for _, r := range tb.Rows {
		if r.Line == line {
			return r.Cells[i]
		}
	}
	t.Fatalf("table %q has no row at line %d", tb.Name, line)
	return formattest.Cell{}
}

// TestCorpusValuesMatchXlrd checks the values that xlrd's own tests
// assert for the same files, as they come out of our reader: text,
// dates, times, percentages and currency in Formate.xls; formula results
// in formula_test_sjmachin.xls and formula_test_names.xls; sheet names
// and a calculated cell in profiles.xls; row lengths in ragged.xls; a
// BIFF4 file without FORMAT and WINDOW2 records.
func TestCorpusValuesMatchXlrd(t *testing.T) {
	corpusDir(t)
	type check struct {
		sheet string
		line  int64
		col   string
		want  string // the cell as its JSON form in golden files
	}
	tests := []struct {
		file   string
		checks []check
	}{
		{"Formate.xls", []check{
			// Row 1 is the header: "Huber" and the date 2741.
			{"Blätt1", 2, "Huber", `{"quoted":"Äcker"}`},
			{"Blätt1", 3, "Huber", `{"quoted":"Öcker"}`},
			{"Blätt1", 2, "1907-07-03", `{"quoted":"2005-02-23"}`}, // serial 38406
			{"Blätt1", 3, "1907-07-03", `{"quoted":"1988-05-03"}`}, // 32266
			{"Blätt1", 4, "1907-07-03", `{"quoted":"06:34:00"}`},   // 0.273611
			{"Blätt1", 5, "1907-07-03", `{"quoted":"12:56:00"}`},   // 0.538889
			{"Blätt1", 6, "1907-07-03", `{"quoted":"17:47:13"}`},   // 0.741123
			{"Blätt1", 7, "1907-07-03", `{"number":"0.974"}`},      // 97.4%
			{"Blätt1", 8, "1907-07-03", `{"number":"0.124"}`},
			{"Blätt1", 9, "1907-07-03", `{"number":"1000.3"}`}, // currency
			{"Blätt1", 10, "1907-07-03", `{"number":"1.2"}`},
			{"Blätt3", 2, "100", `{"number":"200"}`},
		}},
		{"formula_test_sjmachin.xls", []check{
			{"Sheet1", 2, "Data", `{"quoted":"МОСКВА Москва"}`},
			{"Sheet1", 3, "Data", `{"number":"0.14285714285714285"}`},
			{"Sheet1", 4, "Data", `{"quoted":"ABCDEF"}`},
			{"Sheet1", 5, "Data", `null`}, // ""
			{"Sheet1", 6, "Data", `{"bool":"true"}`},
			{"Sheet1", 7, "Data", `null`}, // #DIV/0!
			{"Sheet1", 8, "Data", `{"quoted":"МОСКВА Москва"}`},
		}},
		{"formula_test_names.xls", []check{
			{"Sheet1", 2, "Data", `{"number":"-7"}`},
			{"Sheet1", 3, "Data", `{"number":"4"}`},
			{"Sheet1", 4, "Data", `{"number":"6"}`},
			{"Sheet1", 5, "Data", `{"number":"3"}`},
			{"Sheet1", 6, "Data", `{"quoted":"b"}`},
			{"Sheet1", 7, "Data", `{"quoted":"C"}`},
		}},
		{"profiles.xls", []check{
			{"PROFILEDEF", 2, "PROFIL", `{"quoted":"P8.2"}`},
			{"PROFILEDEF", 2, "a", `{"number":"100"}`},
			{"PROFILELEVELS", 2, "h3", `{"number":"265.13081"}`}, // xlrd: ≈ 265.131
		}},
		{"biff4_no_format_no_window2.xls", []check{
			{"Sheet1", 2, "ID", `{"quoted":"A"}`},
			{"Sheet1", 2, "TOTAL", `{"quoted":"DOG \u0026 CAT PRODUCTS"}`},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			rec := readCorpus(t, tt.file)
			if rec.Result.Error != "" {
				t.Fatal(rec.Result.Error)
			}
			for _, c := range tt.checks {
				got, err := cellAt(t, table(t, &rec.Result, c.sheet), c.line, c.col).MarshalJSON()
				if err != nil {
					t.Fatal(err)
				}
				if string(got) != c.want {
					t.Errorf("%s!%s line %d: %s, want %s", c.sheet, c.col, c.line, got, c.want)
				}
			}
		})
	}
	t.Run("profiles.xls sheets", func(t *testing.T) {
		rec := readCorpus(t, "profiles.xls")
		var names []string
		for _, tb := range rec.Result.Tables {
			names = append(names, tb.Name)
		}
		want := []string{"PROFILEDEF", "AXISDEF", "TRAVERSALCHAINAGE", "AXISDATUMLEVELS", "PROFILELEVELS"}
		if !slices.Equal(names, want) {
			t.Errorf("tables %q, want %q", names, want)
		}
		if tb := table(t, &rec.Result, "PROFILEDEF"); len(tb.Columns) != 13 || len(tb.Rows) != 14 {
			t.Errorf("PROFILEDEF has %d columns and %d rows, xlrd reads 13 columns and 15 rows (one the header)", len(tb.Columns), len(tb.Rows))
		}
	})
	t.Run("ragged.xls row lengths", func(t *testing.T) {
		// xlrd: rows of 3, 2, 1, 4 and 4 cells (blank cells counted;
		// the last row is "k", two blanks and a value). The header has 3,
		// so the fourth column's two values are left out with an issue.
		rec := readCorpus(t, "ragged.xls")
		tb := table(t, &rec.Result, "Sheet1")
		var lens []int
		for _, r := range tb.Rows {
			n := 0
			for _, c := range r.Cells {
				if c.Text != "" {
					n++
				}
			}
			lens = append(lens, n)
		}
		if !slices.Equal(lens, []int{2, 1, 3, 1}) {
			t.Errorf("non-null cells per data row %v, want [2 1 3 1]", lens)
		}
		if !slices.Contains(rec.Result.Issues, `Sheet "Sheet1": column D has no name in the first row; its 2 values were left out`) {
			t.Errorf("issues %q do not report column D", rec.Result.Issues)
		}
	})
}
