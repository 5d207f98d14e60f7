package json_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
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

// FuzzJSONLinesMatchEncodingJSON proves, for JSON lines (a file whose
// first value ends on the line where it starts), that the reader accepts
// exactly the lines encoding/json finds valid objects, and that each cell
// holds what encoding/json decodes: a string as a quoted cell, a number as
// written, a boolean, null, and a nested value as JSON that decodes to the
// same value. Where encoding/json puts U+FFFD (for a byte that is not
// UTF-8, or an unpaired surrogate), the reader leaves a byte that is not
// UTF-8 for the parser to replace and count: keys and strings are compared
// once cleaned as the parser cleans them.
func FuzzJSONLinesMatchEncodingJSON(f *testing.F) {
	for _, s := range seeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		input := data // the reader drops one byte-order mark, and so does the test
		data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
		if !firstValueEndsOnItsLine(data) {
			return // an array, or documents
		}
		rec, err := formattest.Read(t.Context(), "json", "f.jsonl", format.Options{}, input, false)
		var fe *format.FileError
		if errors.As(err, &fe) && strings.Contains(err.Error(), "not JSON records") {
			var v any
			dec := json.NewDecoder(bytes.NewReader(data))
			dec.UseNumber()
			if dec.Decode(&v) != nil || dec.More() {
				t.Fatalf("the reader says %v, yet encoding/json finds no single value", err)
			}
			if _, isObj := v.(map[string]any); isObj {
				t.Fatalf("the reader says %v of an object", err)
			}
			return
		}
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
			checkRow(t, tbl.Columns, row, obj)
		}
	})
}

// FuzzJSONDocumentsMatchEncodingJSON proves, for a file whose first value
// spans lines, that when encoding/json reads the file as a sequence of
// objects (one pretty-printed document, or documents one after another),
// the reader writes one row per object, at the line where it starts, each
// cell holding what encoding/json decodes.
func FuzzJSONDocumentsMatchEncodingJSON(f *testing.F) {
	for _, s := range seeds(f) {
		f.Add(s)
	}
	f.Add([]byte("{\n  \"a\": 1,\n  \"b\": [1, {\"c\": null}]\n}\n"))
	f.Add([]byte("{\n\"a\": \"x\"\n}{\"a\": 2}\n\n{\n\"b\": true}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		input := data // the reader drops one byte-order mark, and so does the test
		data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
		if t := bytes.TrimLeft(data, " \t\r\n"); len(t) == 0 || t[0] == '[' || firstValueEndsOnItsLine(data) {
			return // an array, or JSON lines
		}
		var objs []map[string]any
		var lines []int64
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		for {
			start := int(dec.InputOffset())
			start += len(data[start:]) - len(bytes.TrimLeft(data[start:], " \t\r\n"))
			var v any
			err := dec.Decode(&v)
			if errors.Is(err, io.EOF) {
				break
			}
			obj, ok := v.(map[string]any)
			if err != nil || !ok || !json.Valid(data[start:dec.InputOffset()]) {
				return // not a sequence of objects
			}
			objs = append(objs, obj)
			lines = append(lines, int64(1+bytes.Count(data[:start], []byte("\n"))))
		}
		rec, err := formattest.Read(t.Context(), "json", "f.json", format.Options{}, input, true)
		if err != nil {
			if strings.Contains(err.Error(), "nested deeper") {
				return
			}
			t.Fatalf("%d documents encoding/json reads, the reader fails: %v", len(objs), err)
		}
		tbl := rec.Result.Tables[0]
		if len(tbl.Rows) != len(objs) {
			t.Fatalf("%d rows, encoding/json reads %d documents", len(tbl.Rows), len(objs))
		}
		for r, obj := range objs {
			row := tbl.Rows[r]
			if row.Line != lines[r] {
				t.Fatalf("document %d at line %d, the reader says line %d", r+1, lines[r], row.Line)
			}
			checkRow(t, tbl.Columns, row, obj)
		}
	})
}

// checkRow fails t unless each cell of row holds the member of obj that
// its column names, as encoding/json decodes it, or null when obj has no
// such member.
//
// Keys that clean to the same text are one key to encoding/json: such
// columns are not compared.
func checkRow(t *testing.T, cols []formattest.Column, row formattest.Row, obj map[string]any) {
	t.Helper()
	cleanKeys := map[string]int{}
	for _, col := range cols {
		cleanKeys[record.CleanText(col.Name)]++
	}
	for c, col := range cols {
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
				t.Fatalf("line %d: column %q has %+v, want null (no such key)", row.Line, col.Name, cell)
			}
			continue
		}
		checkCell(t, row.Line, col.Name, cell, want)
	}
}

// firstValueEndsOnItsLine reports whether the first value of data, found
// by matching brackets and quotes, ends on the line where it starts (a
// scalar always does), which makes the file JSON lines; false too for an
// array or an empty file.
func firstValueEndsOnItsLine(data []byte) bool {
	data = bytes.TrimLeft(data, " \t\r\n")
	if len(data) == 0 || data[0] == '[' {
		return false
	}
	if data[0] != '{' && data[0] != '"' {
		return true
	}
	depth, inStr, esc := 0, data[0] == '"', false
	if !inStr {
		depth = 1
	}
	for _, c := range data[1:] {
		switch {
		case c == '\n':
			return false
		case inStr && esc:
			esc = false
		case inStr && c == '\\':
			esc = true
		case inStr && c == '"':
			inStr = false
			if depth == 0 {
				return true
			}
		case inStr:
		case c == '"':
			inStr = true
		case c == '{' || c == '[':
			depth++
		case c == '}' || c == ']':
			if depth--; depth == 0 {
				return true
			}
		}
	}
	return true // the file ends on the first line
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
