package main

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"unicode/utf16"
)

// previewJSON runs preview --json on file, which must exit 0, and returns
// what it prints.
func previewJSON(t *testing.T, file string) previewResult {
	t.Helper()
	out, code := run(t, "preview", file, "--json")
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	var res previewResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	return res
}

// An archive member's batches carry _file right after _line; preview reads
// cells by name, as destinations do, so no row is shifted under the
// columns of another.
func TestPreviewOfAnArchiveShowsEachCellUnderItsColumn(t *testing.T) {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, m := range [][2]string{{"a.csv", "id,name\n1,x\n"}, {"b.jsonl", `{"name": "y", "extra": true}` + "\n"}} {
		w, err := zw.Create(m[0])
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(m[1]))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	res := previewJSON(t, write(t, filepath.Join(t.TempDir(), "in.zip"), b.String()))
	if len(res.Tables) != 1 {
		t.Fatalf("tables %+v", res.Tables)
	}
	tb := res.Tables[0]
	var names []string
	for _, c := range tb.Columns {
		names = append(names, c.Name)
	}
	want := [][]any{{float64(1), "x", nil}, {nil, "y", true}}
	if !slices.Equal(names, []string{"id", "name", "extra"}) || len(tb.First) != 2 {
		t.Fatalf("columns %v, rows %v", names, tb.First)
	}
	for i, row := range tb.First {
		if !slices.Equal(row, want[i]) {
			t.Errorf("row %d is %v, want %v (columns %v)", i+1, row, want[i], names)
		}
	}
}

// A pretty-printed JSON object, here in UTF-16 with its byte-order mark as
// Windows tools save it, is one row.
func TestPreviewOfAPrettyPrintedUTF16JSONObjectIsOneRow(t *testing.T) {
	text := "{\r\n  \"name\": \"Zoë\",\r\n  \"tags\": [\r\n    \"a\"\r\n  ]\r\n}\r\n"
	var b []byte
	b = append(b, 0xff, 0xfe)
	for _, u := range utf16.Encode([]rune(text)) {
		b = append(b, byte(u), byte(u>>8))
	}
	file := filepath.Join(t.TempDir(), "descriptor.json")
	if err := os.WriteFile(file, b, 0o644); err != nil {
		t.Fatal(err)
	}
	res := previewJSON(t, file)
	if len(res.Tables) != 1 || res.Tables[0].Rows != 1 || len(res.Problems) != 0 {
		t.Fatalf("%+v", res)
	}
	if row := res.Tables[0].First[0]; len(row) != 2 || row[0] != "Zoë" || row[1] != `["a"]` {
		t.Fatalf("row %v", row)
	}
}
