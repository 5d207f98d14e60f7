package log_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/filedge/filedge/pkg/format"
	"github.com/filedge/filedge/pkg/format/formattest"
)

// TestCorpusTextFilesReadLineForLine reads the corpus's text files as logs
// and checks that each line is a row holding the line as written, less its
// line end.
func TestCorpusTextFilesReadLineForLine(t *testing.T) {
	dir := os.Getenv("FILEDGE_CORPUS")
	if dir == "" {
		t.Skip("FILEDGE_CORPUS is not set")
	}
	var paths []string
	for _, pattern := range []string{"csv-spectrum/csvs/*.csv", "csv-spectrum/json/*.json", "avro/*.json", "parquet/*.md", "parquet/*.csv"} {
		p, err := filepath.Glob(filepath.Join(dir, pattern))
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p...)
	}
	if len(paths) == 0 {
		t.Fatalf("no text files under %s", dir)
	}
	for _, p := range paths {
		t.Run(filepath.Base(p), func(t *testing.T) {
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			rec, err := formattest.Read(t.Context(), "log", filepath.Base(p), format.Options{}, data, true)
			if err != nil {
				t.Fatal(err)
			}
			lines := splitLines(data)
			rows := rec.Result.Tables[0].Rows
			if len(rows) != len(lines) {
				t.Fatalf("%d rows, %d lines", len(rows), len(lines))
			}
			for i, row := range rows {
				want := string(bytes.TrimSuffix(lines[i], []byte("\r")))
				if row.Line != int64(i+1) || row.Cells[0].Text != want {
					t.Fatalf("row %d: line %d %q, want line %d %q", i, row.Line, row.Cells[0].Text, i+1, want)
				}
			}
		})
	}
}
