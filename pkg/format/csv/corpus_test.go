package csv_test

import (
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
