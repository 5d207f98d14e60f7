package integration

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// tableRows returns the rows of table in db, columns as named, each value
// as text (NULL as "<null>"), sorted by the first column.
func tableRows(t *testing.T, db *sql.DB, table string, columns ...string) [][]string {
	t.Helper()
	q := fmt.Sprintf(`SELECT %s FROM %s`, strings.Join(columns, ", "), table)
	rows, err := db.Query(q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	var out [][]string
	for rows.Next() {
		vals := make([]sql.NullString, len(columns))
		ptrs := make([]any, len(columns))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		row := make([]string, len(columns))
		for i, v := range vals {
			row[i] = "<null>"
			if v.Valid {
				row[i] = v.String
			}
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i][0] < out[j][0] })
	return out
}

// sameJSON reports whether two JSON texts hold the same value (jsonb and
// SQLite's text write the same document with other spacing).
func sameJSON(a, b string) bool {
	var va, vb any
	return json.Unmarshal([]byte(a), &va) == nil && json.Unmarshal([]byte(b), &vb) == nil && reflect.DeepEqual(va, vb)
}

// The same files give the same tables in SQLite and PostgreSQL, through
// the binary: a Windows-1252 file read with encoding: auto, NUL bytes in
// CSV cells and \u0000 in JSON strings and keys (U+FFFD in both
// destinations, a key staying one key), and every change is reported.
func TestRunOnceLoadsTheSameTextIntoSQLiteAndPostgreSQL(t *testing.T) {
	o := newOncePipeline(t, "upsert_file", "encoding: auto\non_error: fail\n")
	o.magicFolder(t)
	o.write(t, "latin.csv", "id,name\n1,plain\n2,Fran\xe7ois M\xfcller\n3,caf\xe9 cr\xe8me\n")
	o.write(t, "nul.csv", "id,note\n1,a\x00b\n2,ok\n3,\x00\x00\n")
	o.write(t, "doc.jsonl", `{"id": 1, "s": "x\u0000y", "doc": {"a\u0000b": 1, "ab": 2}}`+"\n"+`{"id": 2, "s": "fine", "doc": {"k": "\ud800"}}`+"\n")
	out := o.mustRun(t)
	if !strings.Contains(out, "3 files, 2 destinations: 6 committed") {
		t.Fatalf("summary:\n%s", out)
	}
	lite := o.openLite(t)
	for _, tc := range []struct {
		table   string
		columns []string
		want    [][]string
	}{
		{"latin", []string{"id", "name"}, [][]string{{"1", "plain"}, {"2", "François Müller"}, {"3", "café crème"}}},
		{"nul", []string{"id", "note"}, [][]string{{"1", "a\uFFFDb"}, {"2", "ok"}, {"3", "\uFFFD\uFFFD"}}},
		{"doc", []string{"id", "s"}, [][]string{{"1", "x\uFFFDy"}, {"2", "fine"}}},
	} {
		pg, sl := tableRows(t, o.pg, tc.table, tc.columns...), tableRows(t, lite, tc.table, tc.columns...)
		if !reflect.DeepEqual(pg, tc.want) || !reflect.DeepEqual(sl, tc.want) {
			t.Errorf("%s:\nPostgreSQL %q\nSQLite     %q\nwant       %q", tc.table, pg, sl, tc.want)
		}
	}
	pgDocs, liteDocs := tableRows(t, o.pg, "doc", "id", "doc::text"), tableRows(t, lite, "doc", "id", "doc")
	wantDocs := []string{`{"a\ufffdb": 1, "ab": 2}`, `{"k": "\ufffd"}`}
	for i, want := range wantDocs {
		if len(pgDocs) != 2 || len(liteDocs) != 2 || !sameJSON(pgDocs[i][1], want) || !sameJSON(liteDocs[i][1], want) {
			t.Errorf("doc %d: PostgreSQL %q, SQLite %q, want %s", i+1, pgDocs, liteDocs, want)
			break
		}
	}
	for _, want := range []string{
		"encoding: auto read the file as windows-1252",
		`column=note line=2 issue="2 values held NUL characters`,
		`column=doc line=1 issue="1 value held NUL characters`,
		`column=doc line=2 issue="1 value held text that is not valid Unicode`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the output does not report %q:\n%s", want, out)
		}
	}
}

// Without encoding, a file that is not UTF-8 fails with the line and
// offset of its first bad byte and the encoding to set, in every
// destination, and commits nothing; the other files load.
func TestRunOnceFailsATextFileThatIsNotUTF8AtItsFirstBadByte(t *testing.T) {
	o := newOncePipeline(t, "upsert_file", "")
	o.write(t, "good.csv", threeRows)
	o.write(t, "latin.csv", "id,name,amount\n1,ok,1\n2,Fran\xe7ois M\xfcller \xe0 Besan\xe7on,2\n")
	out, code := runOnce(t, o.config)
	if code != 1 {
		t.Fatalf("run --once exited %d, want 1:\n%s", code, out)
	}
	failed := 0
	for l := range strings.Lines(out) {
		if strings.HasPrefix(l, "latin.csv ") {
			failed++
			if !strings.Contains(l, "failed") || !strings.Contains(l, "line 3: offset 28: byte 0xE7 is not valid utf-8") || !strings.Contains(l, "looks like windows-1252") {
				t.Errorf("summary line %q", l)
			}
		}
	}
	if failed != 2 {
		t.Errorf("%d summary lines for latin.csv, want one per destination:\n%s", failed, out)
	}
	if pg, lite := o.counts(t, "latin.csv"); pg != 0 || lite != 0 {
		t.Errorf("latin.csv: %d rows in PostgreSQL, %d in SQLite, want none", pg, lite)
	}
	if pg, lite := o.counts(t, "good.csv"); pg != 3 || lite != 3 {
		t.Errorf("good.csv: %d rows in PostgreSQL, %d in SQLite, want 3", pg, lite)
	}
}

// A clean run --once logs no warning and no error once its summary is
// printed, and no cancellation as a failure at all: stopping the stages
// once every outcome is in is no failure (the parser's last publish, a
// sink's outcome, may still be under way then).
func TestRunOnceLogsNoWarningOrErrorAfterItsSummary(t *testing.T) {
	o := newOncePipeline(t, "upsert_file", "")
	warn := regexp.MustCompile(`level=(WARN|ERROR)`)
	summary := regexp.MustCompile(`(?m)^\d+ files, \d+ destinations: .*$`)
	for round := range 3 {
		for i := range 12 {
			o.write(t, fmt.Sprintf("r%d-%02d.csv", round, i), threeRows)
		}
		out := o.mustRun(t)
		end := summary.FindStringIndex(out)
		if end == nil {
			t.Fatalf("round %d: no summary:\n%s", round, out)
		}
		if after := out[end[1]:]; warn.MatchString(after) {
			t.Fatalf("round %d: a warning or error after the summary:\n%s", round, out)
		}
		for l := range strings.Lines(out) {
			if warn.MatchString(l) && strings.Contains(l, "context canceled") {
				t.Fatalf("round %d: a shutdown logged as a failure: %s", round, l)
			}
		}
	}
}
