package json_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/filedge/filedge/pkg/format"
	_ "github.com/filedge/filedge/pkg/format/csv"
	"github.com/filedge/filedge/pkg/format/formattest"
	"github.com/filedge/filedge/pkg/record"
)

// TestCSVSpectrumJSON reads the expected JSON of the csv-spectrum corpus
// (arrays of objects of strings) and compares it with what the csv reader
// reads from the matching CSV file: same columns, and each field a quoted
// cell with the same text (a null CSV field is ""; CRLF folded to LF, as
// the corpus copy of the CSV files lost its CRs).
func TestCSVSpectrumJSON(t *testing.T) {
	dir := os.Getenv("FILEDGE_CORPUS")
	if dir == "" {
		t.Skip("FILEDGE_CORPUS is not set")
	}
	paths, err := filepath.Glob(filepath.Join(dir, "csv-spectrum", "json", "*.json"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no csv-spectrum JSON under %s: %v", dir, err)
	}
	fold := strings.NewReplacer("\r\n", "\n")
	for _, p := range paths {
		name := strings.TrimSuffix(filepath.Base(p), ".json")
		t.Run(name, func(t *testing.T) {
			js, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			cs, err := os.ReadFile(filepath.Join(dir, "csv-spectrum", "csvs", name+".csv"))
			if err != nil {
				t.Fatal(err)
			}
			got, err := formattest.Read(t.Context(), "json", name+".json", format.Options{}, js, true)
			if err != nil {
				t.Fatal(err)
			}
			want, err := formattest.Read(t.Context(), "csv", name+".csv", format.Options{}, cs, true)
			if err != nil {
				t.Fatal(err)
			}
			g, w := got.Result.Tables[0], want.Result.Tables[0]
			if len(g.Columns) != len(w.Columns) {
				t.Fatalf("columns %v, the CSV has %v", g.Columns, w.Columns)
			}
			for i := range g.Columns {
				if g.Columns[i].Name != w.Columns[i].Name {
					t.Errorf("column %d is %q, the CSV has %q", i, g.Columns[i].Name, w.Columns[i].Name)
				}
			}
			if len(g.Rows) != len(w.Rows) {
				t.Fatalf("%d rows, the CSV has %d", len(g.Rows), len(w.Rows))
			}
			for r := range g.Rows {
				for c := range w.Rows[r].Cells {
					gc, wc := g.Rows[r].Cells[c], w.Rows[r].Cells[c]
					if gc.Kind != record.Quoted || fold.Replace(gc.Text) != fold.Replace(wc.Text) {
						t.Errorf("row %d, column %q: %+v, the CSV has %q", r+1, g.Columns[c].Name, gc, wc.Text)
					}
				}
			}
		})
	}
}

// TestAvroWeatherJSONLines reads the JSON lines that the avro corpus keeps
// beside its weather files: one row per line, every field a typed cell.
func TestAvroWeatherJSONLines(t *testing.T) {
	dir := os.Getenv("FILEDGE_CORPUS")
	if dir == "" {
		t.Skip("FILEDGE_CORPUS is not set")
	}
	input, err := os.ReadFile(filepath.Join(dir, "avro", "weather.json"))
	if err != nil {
		t.Fatal(err)
	}
	rec, err := formattest.Read(t.Context(), "json", "weather.json", format.Options{}, input, true)
	if err != nil {
		t.Fatal(err)
	}
	tbl := rec.Result.Tables[0]
	if n := bytes.Count(bytes.TrimSpace(input), []byte("\n")) + 1; len(tbl.Rows) != n {
		t.Fatalf("%d rows, the file has %d lines", len(tbl.Rows), n)
	}
	wantKinds := map[string]record.Kind{"station": record.Quoted, "time": record.Number, "temp": record.Number}
	for i, c := range tbl.Columns {
		for _, row := range tbl.Rows {
			if row.Cells[i].Kind != wantKinds[c.Name] {
				t.Fatalf("line %d, column %q: kind %d, want %d", row.Line, c.Name, row.Cells[i].Kind, wantKinds[c.Name])
			}
		}
	}
}
