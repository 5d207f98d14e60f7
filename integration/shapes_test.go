package integration

import (
	"archive/zip"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/filedge/filedge/pkg/record"
)

// shown is what `filedge preview --json` prints.
type shown struct {
	Status string `json:"status"`
	Error  *struct {
		Message string `json:"message"`
	} `json:"error"`
	Tables []struct {
		Name    string          `json:"name"`
		Columns []record.Column `json:"columns"`
		Rows    int64           `json:"rows"`
		First   [][]any         `json:"first_rows"`
	} `json:"tables"`
	Problems []struct {
		Message string `json:"message"`
	} `json:"problems"`
}

// previewRun runs `filedge preview ARGS --json` and returns what it prints
// (it exits 1 for a file that fails: the JSON says so).
func previewRun(t *testing.T, args ...string) shown {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, append(append([]string{"preview"}, args...), "--json")...)
	var out bytes.Buffer
	cmd.Stdout = &out
	_ = cmd.Run()
	var s shown
	if err := json.Unmarshal(out.Bytes(), &s); err != nil {
		t.Fatalf("preview %q: %v\n%s", args, err, out.String())
	}
	return s
}

// previewWith previews path with the pipeline config's settings.
func previewWith(t *testing.T, config, path string) shown {
	t.Helper()
	return previewRun(t, "-c", config, path, "--rows", "1000")
}

// twoSheetWorkbook is an .xlsx of two worksheets with different columns.
func twoSheetWorkbook(t *testing.T) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", "North"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.NewSheet("South"); err != nil {
		t.Fatal(err)
	}
	rows := map[string][][]any{
		"North": {{"id", "city", "amount"}, {1, "Oslo", 1.5}, {2, "Bergen", nil}, {3, nil, 7}},
		"South": {{"code", "id", "town"}, {"S1", 10, "Rome"}, {"S2", 11, "Bari"}},
	}
	for sheet, rs := range rows {
		for i, r := range rs {
			cell, _ := excelize.CoordinatesToCellName(1, i+1)
			if err := f.SetSheetRow(sheet, cell, &r); err != nil {
				t.Fatal(err)
			}
		}
	}
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// zipOf is a zip archive of the members, given as name, content pairs.
func zipOf(t *testing.T, members ...string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for i := 0; i < len(members); i += 2 {
		w, err := zw.Create(members[i])
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(members[i+1])); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// cellText renders a value as preview prints it (JSON) or as a database
// returns it, so that the two compare: numbers in their shortest form,
// NULL for null.
func cellText(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case []byte:
		return string(x)
	}
	return fmt.Sprint(v)
}

// loadedRows returns the rows of table whose _file is file or one of its
// archive members, each as the text of the columns, sorted.
func loadedRows(t *testing.T, db *sql.DB, placeholder, table, file string, cols []record.Column) []string {
	t.Helper()
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = strconv.Quote(c.Name)
	}
	q := fmt.Sprintf(`SELECT %s FROM %q WHERE _file = %s1 OR _file LIKE %s2`, strings.Join(names, ", "), table, placeholder, placeholder)
	if placeholder == "?" {
		q = strings.NewReplacer("?1", "?", "?2", "?").Replace(q)
	}
	rs, err := db.Query(q, file, file+"!/%")
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rs.Close()
	var out []string
	for rs.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rs.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		cells := make([]string, len(vals))
		for i, v := range vals {
			cells[i] = cellText(v)
		}
		out = append(out, strings.Join(cells, " | "))
	}
	if err := rs.Err(); err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

// TestPreviewShowsTheRowsTheLoadWrites previews a plain CSV, a workbook of
// two sheets and a zip archive of two members with the pipeline's
// settings, loads them with run --once into PostgreSQL and SQLite, and
// finds in each destination, for every table preview shows, exactly the
// rows preview shows, cell by cell under the column preview names: in
// merge mode (every file into one table, an archive's members matched by
// column name) and in magic folder mode (a table per file, sheet and
// member). Preview once printed an archive member's _file before its
// cells, every row one column to the right.
func TestPreviewShowsTheRowsTheLoadWrites(t *testing.T) {
	for _, mode := range []string{"merge", "magic_folder"} {
		t.Run(mode, func(t *testing.T) {
			o := newOncePipeline(t, "upsert_file", "")
			if mode == "magic_folder" {
				o.magicFolder(t)
			}
			o.write(t, "plain.csv", "id,name,score\n1,Ada,1.5\n2,Grace,\n3,,-2\n")
			writeFile(t, filepath.Join(o.in, "book.xlsx"), twoSheetWorkbook(t))
			writeFile(t, filepath.Join(o.in, "arch.zip"), zipOf(t,
				"a.csv", "id,name\n10,x\n11,y\n",
				"b.jsonl", `{"name": "z", "extra": 1}`+"\n"+`{"extra": 2, "id": 12}`+"\n"))
			out := o.mustRun(t)
			if !strings.Contains(out, "3 files, 2 destinations: 6 committed") {
				t.Fatalf("summary:\n%s", out)
			}
			tables := 0
			for _, file := range []string{"plain.csv", "book.xlsx", "arch.zip"} {
				p := previewWith(t, o.config, filepath.Join(o.in, file))
				if p.Status != "ok" || len(p.Tables) == 0 {
					t.Fatalf("preview %s: %+v", file, p)
				}
				for _, tb := range p.Tables {
					tables++
					var shownRows []string
					for _, r := range tb.First {
						cells := make([]string, len(r))
						for i, v := range r {
							cells[i] = cellText(v)
						}
						shownRows = append(shownRows, strings.Join(cells, " | "))
					}
					slices.Sort(shownRows)
					if int64(len(shownRows)) != tb.Rows {
						t.Fatalf("%s: table %s: preview shows %d of its %d rows", file, tb.Name, len(shownRows), tb.Rows)
					}
					for dest, got := range map[string][]string{
						"PostgreSQL": loadedRows(t, o.pg, "$", tb.Name, file, tb.Columns),
						"SQLite":     loadedRows(t, o.openLite(t), "?", tb.Name, file, tb.Columns),
					} {
						if !slices.Equal(got, shownRows) {
							t.Errorf("%s: table %s, columns %v:\npreview shows\n  %s\n%s holds\n  %s", file, tb.Name, tb.Columns,
								strings.Join(shownRows, "\n  "), dest, strings.Join(got, "\n  "))
						}
					}
				}
			}
			if want := map[string]int{"merge": 3, "magic_folder": 5}[mode]; tables != want {
				t.Errorf("preview showed %d tables, want %d", tables, want)
			}
		})
	}
}

// TestRunOnceLoadsJSONDocumentsAndSaysWhatAWorkbookLacks loads, with run
// --once in magic folder mode into PostgreSQL and SQLite, the shapes of
// .json files found on disk (a pretty-printed object, one in UTF-16, an
// object wrapping its rows, objects concatenated as jq writes them, JSON
// lines, an empty file) and workbooks that cannot load: one whose only
// sheet is empty, a password-protected one and an .xlsb. Each JSON file
// commits its rows; each of the others, and a file that is a single
// number, fails with a summary line that says why.
func TestRunOnceLoadsJSONDocumentsAndSaysWhatAWorkbookLacks(t *testing.T) {
	o := newOncePipeline(t, "upsert_file", "")
	o.magicFolder(t)
	o.write(t, "descriptor.json", "{\n  \"name\": \"orders\",\n  \"version\": 2,\n  \"resources\": [\n    {\"path\": \"orders.csv\"}\n  ]\n}\n")
	o.write(t, "wrapper.json", "{\n  \"data\": [\n    {\"id\": 1},\n    {\"id\": 2}\n  ],\n  \"count\": 2\n}\n")
	o.write(t, "jq.json", "{\n  \"id\": 1,\n  \"name\": \"Ada\"\n}\n{\n  \"id\": 2,\n  \"name\": \"Grace\"\n}\n{\"id\": 3}\n")
	o.write(t, "lines.jsonl", "{\"id\": 1}\n{\"id\": 2}\n")
	o.write(t, "empty.json", "")
	o.write(t, "scalar.json", "42\n")
	utf16 := []byte{0xff, 0xfe}
	for _, c := range "{\r\n  \"city\": \"Zürich\"\r\n}\r\n" {
		utf16 = append(utf16, byte(c), byte(c>>8))
	}
	writeFile(t, filepath.Join(o.in, "utf16.json"), utf16)

	empty := excelize.NewFile()
	var b bytes.Buffer
	if err := empty.Write(&b); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(o.in, "blank.xlsx"), b.Bytes())
	secret := excelize.NewFile()
	secret.SetSheetRow("Sheet1", "A1", &[]any{"id", "name"})
	secret.SetSheetRow("Sheet1", "A2", &[]any{1, "x"})
	b.Reset()
	if err := secret.Write(&b, excelize.Options{Password: "hunter2"}); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(o.in, "secret.xlsx"), b.Bytes())
	writeFile(t, filepath.Join(o.in, "binary.xlsb"), zipOf(t,
		"[Content_Types].xml", `<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="bin" ContentType="application/vnd.ms-excel.sheet.binary.macroEnabled.main"/></Types>`,
		"_rels/.rels", `<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.bin"/></Relationships>`,
		"xl/workbook.bin", "\x83\x01\x00\x84\x01\x00"))

	out, code := runOnce(t, o.config)
	if code != 1 {
		t.Fatalf("run --once exited %d, want 1 (files failed):\n%s", code, out)
	}
	lines := map[string][]string{} // file → its summary lines
	for _, l := range strings.Split(out, "\n") {
		if f := strings.Fields(l); len(f) > 0 {
			lines[f[0]] = append(lines[f[0]], l)
		}
	}
	for file, want := range map[string]string{
		"descriptor.json": "committed", "wrapper.json": "committed", "jq.json": "committed",
		"lines.jsonl": "committed", "utf16.json": "committed", "empty.json": "committed",
		"scalar.json": "the file is a number, not JSON records",
		"blank.xlsx":  `nothing to load: every sheet was skipped (sheet "Sheet1": it is empty)`,
		"secret.xlsx": "workbook is encrypted (password-protected): filedge cannot read encrypted workbooks; save it without a password",
		"binary.xlsb": "an Excel binary workbook (.xlsb), which filedge does not read: save it as .xlsx",
	} {
		if len(lines[file]) != 2 {
			t.Errorf("%s: %d summary lines, want one per destination:\n%s", file, len(lines[file]), out)
			continue
		}
		for _, l := range lines[file] {
			if !strings.Contains(l, want) || want != "committed" && !strings.Contains(l, " failed ") {
				t.Errorf("%s: summary line %q lacks %q", file, l, want)
			}
		}
	}
	if strings.Contains(out, "hunter2") {
		t.Fatal("the workbook's password reached the output")
	}
	for _, db := range []*sql.DB{o.pg, o.openLite(t)} {
		for table, want := range map[string]int64{"descriptor": 1, "wrapper": 1, "jq": 3, "lines": 2, "utf16": 1} {
			if n := queryInt(t, db, fmt.Sprintf(`SELECT count(*) FROM %q`, table)); n != want {
				t.Errorf("table %s holds %d rows, want %d", table, n, want)
			}
		}
		var name, city, data string
		if err := db.QueryRow(`SELECT name FROM descriptor`).Scan(&name); err != nil || name != "orders" {
			t.Errorf("descriptor: name %q, %v", name, err)
		}
		if err := db.QueryRow(`SELECT city FROM utf16`).Scan(&city); err != nil || city != "Zürich" {
			t.Errorf("utf16: city %q, %v", city, err)
		}
		if err := db.QueryRow(`SELECT CAST(data AS TEXT) FROM wrapper`).Scan(&data); err != nil || strings.ReplaceAll(data, " ", "") != `[{"id":1},{"id":2}]` {
			t.Errorf("wrapper: data %q, %v: want the rows it wraps as one JSON value", data, err)
		}
		for _, table := range []string{"blank", "scalar", "secret", "binary"} {
			var n int64
			if err := db.QueryRow(fmt.Sprintf(`SELECT count(*) FROM %q`, table)).Scan(&n); err == nil {
				t.Errorf("table %s was created for a file that failed", table)
			}
		}
	}
}
