package avro_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/filedge/filedge/pkg/format"
	"github.com/filedge/filedge/pkg/format/formattest"
	"github.com/filedge/filedge/pkg/record"
	"github.com/linkedin/goavro/v2"
)

// corpusDir returns the avro folder of the public corpus, skipping t when
// FILEDGE_CORPUS is not set.
func corpusDir(t *testing.T) string {
	dir := os.Getenv("FILEDGE_CORPUS")
	if dir == "" {
		t.Skip("FILEDGE_CORPUS is not set")
	}
	return filepath.Join(dir, "avro")
}

// readCorpus reads a corpus file, failing t on any error, row error or
// issue.
func readCorpus(t *testing.T, path string) formattest.Table {
	t.Helper()
	input, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := formattest.Read(t.Context(), "avro", filepath.Base(path), format.Options{}, input, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.Violations) > 0 || len(rec.Result.Issues) > 0 {
		t.Fatalf("violations %q, issues %q", rec.Violations, rec.Result.Issues)
	}
	return rec.Result.Tables[0]
}

// TestCorpusWeatherMatchesItsJSON reads the weather files of the corpus,
// one per codec (null, deflate, snappy, zstandard, and a deflate file
// sorted by another key), and compares their rows with weather.json, the
// same records as JSON lines.
func TestCorpusWeatherMatchesItsJSON(t *testing.T) {
	dir := corpusDir(t)
	b, err := os.ReadFile(filepath.Join(dir, "weather.json"))
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); line != "" {
			want = append(want, canonical(t, []byte(line)))
		}
	}
	for _, name := range []string{"weather.avro", "weather-deflate.avro", "weather-snappy.avro", "weather-zstd.avro", "weather-sorted.avro"} {
		t.Run(name, func(t *testing.T) {
			tbl := readCorpus(t, filepath.Join(dir, name))
			wantCols := []formattest.Column{{Name: "station", Type: record.String}, {Name: "time", Type: record.Integer}, {Name: "temp", Type: record.Integer}}
			if !slices.Equal(tbl.Columns, wantCols) {
				t.Errorf("columns %v, want %v", tbl.Columns, wantCols)
			}
			var got []string
			for i, row := range tbl.Rows {
				if row.Line != int64(i+1) {
					t.Errorf("row %d has line %d", i+1, row.Line)
				}
				got = append(got, rowJSON(t, tbl.Columns, row))
			}
			w := slices.Clone(want)
			if name == "weather-sorted.avro" {
				slices.Sort(got)
				slices.Sort(w)
			}
			if !slices.Equal(got, w) {
				t.Errorf("rows\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(w, "\n"))
			}
		})
	}
}

// TestCorpusSchemasMatchTheirSchemaFiles reads the corpus files that come
// with their schema as JSON, and checks that the columns are the
// schema's top-level fields.
func TestCorpusSchemasMatchTheirSchemaFiles(t *testing.T) {
	dir := corpusDir(t)
	tests := []struct {
		name  string
		types []record.Type
	}{
		{"simple", []record.Type{record.String}},
		{"withUnion", []record.Type{record.JSON, record.JSON}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join(dir, "schemas_"+tt.name+"_schema.json"))
			if err != nil {
				t.Fatal(err)
			}
			var schema struct{ Fields []struct{ Name string } }
			if err := json.Unmarshal(b, &schema); err != nil {
				t.Fatal(err)
			}
			tbl := readCorpus(t, filepath.Join(dir, "schemas_"+tt.name+"_data.avro"))
			if len(tbl.Columns) != len(schema.Fields) {
				t.Fatalf("columns %v, the schema has %d fields", tbl.Columns, len(schema.Fields))
			}
			for i, f := range schema.Fields {
				if c := tbl.Columns[i]; c.Name != f.Name || c.Type != tt.types[i] {
					t.Errorf("column %d is %+v, want %q of type %v", i, c, f.Name, tt.types[i])
				}
			}
			if len(tbl.Rows) != 3 {
				t.Errorf("%d rows, want 3", len(tbl.Rows))
			}
		})
	}
}

// TestCorpusMatchesGoavro reads every Avro file of the corpus with this
// reader and with goavro's, and compares each value: a union as its
// branch's value, a record as a JSON object. goavro cannot read zstandard
// blocks: weather-zstd.avro is compared with weather.json only.
func TestCorpusMatchesGoavro(t *testing.T) {
	dir := corpusDir(t)
	paths, err := filepath.Glob(filepath.Join(dir, "*.avro"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no Avro files in %s: %v", dir, err)
	}
	for _, p := range paths {
		if filepath.Base(p) == "weather-zstd.avro" {
			continue
		}
		t.Run(filepath.Base(p), func(t *testing.T) {
			tbl := readCorpus(t, p)
			input, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			r, err := goavro.NewOCFReader(bytes.NewReader(input))
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for ; r.Scan(); n++ {
				datum, err := r.Read()
				if err != nil {
					t.Fatal(err)
				}
				if n >= len(tbl.Rows) {
					continue
				}
				want, err := json.Marshal(unwrapUnions(datum))
				if err != nil {
					t.Fatal(err)
				}
				if got := rowJSON(t, tbl.Columns, tbl.Rows[n]); got != canonical(t, want) {
					t.Errorf("record %d: %s, goavro reads %s", n+1, got, want)
				}
			}
			if err := r.Err(); err != nil {
				t.Fatal(err)
			}
			if n != len(tbl.Rows) {
				t.Errorf("%d rows, goavro reads %d records", len(tbl.Rows), n)
			}
		})
	}
}

// rowJSON renders a row as a canonical JSON object of its columns: a
// number cell as a number, a quoted cell as a string, a document as its
// JSON.
func rowJSON(t *testing.T, cols []formattest.Column, row formattest.Row) string {
	t.Helper()
	m := map[string]any{}
	for i, c := range row.Cells {
		switch c.Kind {
		case record.Null:
			m[cols[i].Name] = nil
		case record.Number:
			m[cols[i].Name] = json.Number(c.Text)
		case record.Bool:
			m[cols[i].Name] = c.Text == "true"
		case record.Document:
			m[cols[i].Name] = json.RawMessage(c.Text)
		default:
			m[cols[i].Name] = c.Text
		}
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatalf("line %d: %v", row.Line, err)
	}
	return canonical(t, b)
}

// canonical re-encodes JSON with sorted keys and numbers as written.
func canonical(t *testing.T, b []byte) string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	out, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// unwrapUnions replaces goavro's union values, maps of one key naming the
// branch's type, by the branch's value. (The corpus has no Avro maps,
// which goavro decodes as maps too.)
func unwrapUnions(v any) any {
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 1 {
			for k, inner := range x {
				if isTypeName(k) {
					return unwrapUnions(inner)
				}
			}
		}
		out := make(map[string]any, len(x))
		for k, inner := range x {
			out[k] = unwrapUnions(inner)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, inner := range x {
			out[i] = unwrapUnions(inner)
		}
		return out
	}
	return v
}

// isTypeName reports whether a key of a goavro map names a union branch
// of the corpus's schemas.
func isTypeName(k string) bool {
	switch k {
	case "string", "int", "long", "boolean", "null", "inner":
		return true
	}
	return false
}
