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

// previewWith runs `filedge preview -c config path --json` and returns what
// it prints.
func previewWith(t *testing.T, config, path string, args ...string) shown {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, append([]string{"preview", "-c", config, path, "--json", "--rows", "1000"}, args...)...)
	var out bytes.Buffer
	cmd.Stdout = &out
	_ = cmd.Run() // exit 1 for a failed file; the JSON says so
	var s shown
	if err := json.Unmarshal(out.Bytes(), &s); err != nil {
		t.Fatalf("preview %s: %v\n%s", path, err, out.String())
	}
	return s
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
