package csv_test

import (
	"bytes"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/filedge/filedge/pkg/format"
	"github.com/filedge/filedge/pkg/format/formattest"
)

// TestCSVSpectrum reads every file of the csv-spectrum corpus and compares
// its rows with the corpus's expected JSON (an array of objects from header
// name to field text). JSON cannot tell a null from "", so a null cell
// compares as "". The corpus copy has LF line ends, its "_crlf" files
// included, while their expected JSON keeps the CRLF inside quoted fields:
// values are compared with CRLF folded to LF.
func TestCSVSpectrum(t *testing.T) {
	dir := os.Getenv("FILEDGE_CORPUS")
	if dir == "" {
		t.Skip("FILEDGE_CORPUS is not set")
	}
	paths, err := filepath.Glob(filepath.Join(dir, "csv-spectrum", "csvs", "*.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Fatalf("no csv-spectrum files under %s", dir)
	}
	for _, p := range paths {
		name := strings.TrimSuffix(filepath.Base(p), ".csv")
		t.Run(name, func(t *testing.T) {
			input, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(filepath.Join(dir, "csv-spectrum", "json", name+".json"))
			if err != nil {
				t.Fatal(err)
			}
			var want []map[string]string
			if err := json.Unmarshal(b, &want); err != nil {
				t.Fatal(err)
			}
			rec, err := formattest.Read(t.Context(), "csv", filepath.Base(p), format.Options{}, input, true)
			if err != nil {
				t.Fatal(err)
			}
			tbl := rec.Result.Tables[0]
			var got []map[string]string
			for _, row := range tbl.Rows {
				m := map[string]string{}
				for i, c := range row.Cells {
					m[tbl.Columns[i].Name] = c.Text
				}
				got = append(got, m)
			}
			if len(got) != len(want) {
				t.Fatalf("%d rows, want %d", len(got), len(want))
			}
			fold := strings.NewReplacer("\r\n", "\n")
			for i := range want {
				if !slices.Equal(slices.Sorted(maps.Keys(got[i])), slices.Sorted(maps.Keys(want[i]))) {
					t.Errorf("row %d: columns %v, want %v", i+1, slices.Sorted(maps.Keys(got[i])), slices.Sorted(maps.Keys(want[i])))
				}
				for k, v := range want[i] {
					if fold.Replace(got[i][k]) != fold.Replace(v) {
						t.Errorf("row %d, %s = %q, want %q", i+1, k, got[i][k], v)
					}
				}
			}
		})
	}
}

// TestCSVSpectrumWithOptions reads every file of the csv-spectrum corpus
// with settings that must give back the same records: headerless (the
// header becomes the first row), a footer of one record (the last row is
// dropped), a header line skipped before a headerless read, and the same
// file rewritten with a two-character delimiter or a custom line
// separator.
func TestCSVSpectrumWithOptions(t *testing.T) {
	dir := os.Getenv("FILEDGE_CORPUS")
	if dir == "" {
		t.Skip("FILEDGE_CORPUS is not set")
	}
	paths, err := filepath.Glob(filepath.Join(dir, "csv-spectrum", "csvs", "*.csv"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no csv-spectrum files under %s (%v)", dir, err)
	}
	// records reads input and returns its header (or nil) and rows as
	// text, nulls as "".
	records := func(t *testing.T, input []byte, opts format.Options) (header []string, rows [][]string) {
		t.Helper()
		rec, err := formattest.Read(t.Context(), "csv", "f.csv", opts, input, true)
		if err != nil {
			t.Fatal(err)
		}
		tbl := rec.Result.Tables[0]
		for _, c := range tbl.Columns {
			header = append(header, c.Name)
		}
		for _, row := range tbl.Rows {
			var r []string
			for _, c := range row.Cells {
				r = append(r, c.Text)
			}
			rows = append(rows, r)
		}
		return header, rows
	}
	for _, p := range paths {
		name := strings.TrimSuffix(filepath.Base(p), ".csv")
		t.Run(name, func(t *testing.T) {
			input, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			header, rows := records(t, input, format.Options{Delimiter: ","})

			_, got := records(t, input, format.Options{Delimiter: ",", Headerless: true})
			if want := append([][]string{header}, rows...); !slices.EqualFunc(got, want, slices.Equal) {
				t.Errorf("headerless: %q, want %q", got, want)
			}
			_, got = records(t, input, format.Options{Delimiter: ",", SkipFooterLines: 1})
			if want := rows[:max(len(rows)-1, 0)]; !slices.EqualFunc(got, want, slices.Equal) {
				t.Errorf("skip_footer_lines 1: %q, want %q", got, want)
			}
			if !bytes.Contains(input, []byte("\"")) {
				_, got = records(t, input, format.Options{Delimiter: ",", SkipHeaderLines: 1, Headerless: true})
				if !slices.EqualFunc(got, rows, slices.Equal) {
					t.Errorf("skip_header_lines 1, headerless: %q, want %q", got, rows)
				}
			}
			if !bytes.Contains(input, []byte("|")) {
				h, got := records(t, bytes.ReplaceAll(input, []byte(","), []byte("||")), format.Options{Delimiter: "||"})
				fold := strings.NewReplacer("||", ",")
				for _, r := range got {
					for i := range r {
						r[i] = fold.Replace(r[i])
					}
				}
				for i := range h {
					h[i] = fold.Replace(h[i])
				}
				if !slices.Equal(h, header) || !slices.EqualFunc(got, rows, slices.Equal) {
					t.Errorf("delimiter ||: %q %q, want %q %q", h, got, header, rows)
				}
			}
			if !bytes.ContainsAny(input, "~\r") {
				h, got := records(t, bytes.ReplaceAll(input, []byte("\n"), []byte("~")), format.Options{Delimiter: ",", LineSeparator: "~"})
				fold := strings.NewReplacer("~", "\n")
				for _, r := range got {
					for i := range r {
						r[i] = fold.Replace(r[i])
					}
				}
				if !slices.Equal(h, header) || !slices.EqualFunc(got, rows, slices.Equal) {
					t.Errorf("line_separator ~: %q %q, want %q %q", h, got, header, rows)
				}
			}
		})
	}
}
