package json_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/filedge/filedge/pkg/format"
	"github.com/filedge/filedge/pkg/format/formattest"
	"github.com/filedge/filedge/pkg/record"
)

// seeds returns the testdata inputs and, when FILEDGE_CORPUS is set, the
// corpus's JSON files.
func seeds(f *testing.F) [][]byte {
	s := formattest.Seeds(f, filepath.Join("testdata", "*"))
	if dir := os.Getenv("FILEDGE_CORPUS"); dir != "" {
		s = append(s, formattest.Seeds(f,
			filepath.Join(dir, "csv-spectrum", "json", "*.json"),
			filepath.Join(dir, "avro", "*.json"))...)
	}
	return s
}

// FuzzJSON proves that reading any bytes, unpacked or packed, with a small
// or default record cap, neither panics nor hangs, keeps the Writer
// contract and fails only with row or file errors naming the file.
func FuzzJSON(f *testing.F) {
	for i, s := range seeds(f) {
		f.Add(s, uint8(i))
	}
	caps := []int{0, 8, 64}
	f.Fuzz(func(t *testing.T, data []byte, setting uint8) {
		opts := format.Options{MaxLineBytes: caps[int(setting)%len(caps)]}
		if setting&0x10 != 0 {
			opts.JSONDelivery = "packed"
		}
		formattest.Fuzz(t, "json", "fuzz.json", opts, data, setting&0x20 != 0)
	})
}

// FuzzJSONLinesMatchEncodingJSON proves, for JSON lines, that the reader
// accepts exactly the lines encoding/json finds valid objects, and that
// each cell holds what encoding/json decodes: a string as a quoted cell,
// a number as written, a boolean, null, and a nested value as JSON that
// decodes to the same value. Where encoding/json puts U+FFFD (for a byte
// that is not UTF-8, or an unpaired surrogate), the reader leaves a byte
// that is not UTF-8 for the parser to replace and count: keys and strings
// are compared once cleaned as the parser cleans them.
func FuzzJSONLinesMatchEncodingJSON(f *testing.F) {
	for _, s := range seeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
		if t := bytes.TrimLeft(data, " \t\r\n"); len(t) > 0 && t[0] == '[' {
			return // an array, not JSON lines
		}
		rec, err := formattest.Read(t.Context(), "json", "f.jsonl", format.Options{}, data, false)
		if err != nil {
			t.Fatalf("JSON lines read failed: %v", err)
		}
		tbl := rec.Result.Tables[0]
		rows := map[int64]formattest.Row{}
		for _, r := range tbl.Rows {
			rows[r.Line] = r
		}
		rowErrors := map[int64]string{}
		for _, e := range rec.Result.RowErrors {
			rowErrors[e.Line] = e.Error
		}
		// Keys that clean to the same text are one key to encoding/json:
		// such columns are not compared.
		cleanKeys := map[string]int{}
		for _, col := range tbl.Columns {
			cleanKeys[record.CleanText(col.Name)]++
		}
		for i, line := range bytes.Split(data, []byte("\n")) {
			n := int64(i + 1)
			row, gotRow := rows[n]
			msg, gotErr := rowErrors[n]
			if len(bytes.TrimLeft(line, " \t\r")) == 0 {
				if gotRow || gotErr {
					t.Fatalf("line %d is blank, yet the reader wrote a row or an error", n)
				}
				continue
			}
			var v any
			dec := json.NewDecoder(bytes.NewReader(line))
			dec.UseNumber()
			if !json.Valid(line) || dec.Decode(&v) != nil {
				if !gotErr {
					t.Fatalf("line %d %q is not valid JSON, yet the reader took it", n, line)
				}
				continue
			}
			obj, isObj := v.(map[string]any)
			if !isObj || strings.Contains(msg, "nested deeper") {
				if !gotErr {
					t.Fatalf("line %d %q is not an object, yet the reader took it", n, line)
				}
				continue
			}
			if !gotRow {
				t.Fatalf("line %d %q is a valid object, yet the reader reports %q", n, line, msg)
			}
			for c, col := range tbl.Columns {
				key := record.CleanText(col.Name)
				if cleanKeys[key] > 1 {
					continue
				}
				want, has := obj[key]
				cell := formattest.Cell{Kind: record.Null}
				if c < len(row.Cells) {
					cell = row.Cells[c]
				}
				if !has {
					if cell.Kind != record.Null {
						t.Fatalf("line %d: column %q has %+v, want null (no such key)", n, col.Name, cell)
					}
					continue
				}
				checkCell(t, n, col.Name, cell, want)
			}
		}
	})
}

// checkCell fails t unless cell holds the value encoding/json decoded.
func checkCell(t *testing.T, line int64, col string, cell formattest.Cell, want any) {
	t.Helper()
	ok := false
	switch w := want.(type) {
	case string:
		ok = cell.Kind == record.Quoted && record.CleanText(cell.Text) == w
	case json.Number:
		ok = cell.Kind == record.Number && cell.Text == w.String()
	case bool:
		ok = cell.Kind == record.Bool && cell.Text == map[bool]string{true: "true", false: "false"}[w]
	case nil:
		ok = cell.Kind == record.Null
	default:
		var got any
		dec := json.NewDecoder(strings.NewReader(cell.Text))
		dec.UseNumber()
		ok = cell.Kind == record.Document && dec.Decode(&got) == nil && reflect.DeepEqual(got, want)
		var buf bytes.Buffer
		if ok && (json.Compact(&buf, []byte(cell.Text)) != nil || buf.String() != cell.Text) {
			t.Fatalf("line %d: column %q: document %q is not compact", line, col, cell.Text)
		}
	}
	if !ok {
		t.Fatalf("line %d: column %q has %+v, encoding/json decodes %#v", line, col, cell, want)
	}
}
