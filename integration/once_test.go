package integration

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite"
)

// oncePipeline writes a pipeline that loads ./in into a fresh PostgreSQL
// database and a SQLite file, run with the embedded bus.
type oncePipeline struct {
	dir, in, config string
	pg, lite        *sql.DB
}

func newOncePipeline(t *testing.T, merge, extra string) *oncePipeline {
	t.Helper()
	dir := t.TempDir()
	dbURL, pg := newDatabase(t)
	o := &oncePipeline{dir: dir, in: filepath.Join(dir, "in"), config: filepath.Join(dir, "pipeline.yaml"), pg: pg}
	if err := os.MkdirAll(o.in, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, o.config, []byte(fmt.Sprintf(`name: once
source: {path: ./in}
table: sales
modified_file_merge: %s
watcher: {settle: 50ms}
destinations:
  - {name: pg, type: postgres, url: "%s"}
  - {name: lite, type: sqlite, url: "sqlite:///out/lite.db"}
%s`, merge, dbURL, extra)))
	return o
}

// magicFolder turns the pipeline into a magic folder one: a table per file.
func (o *oncePipeline) magicFolder(t *testing.T) {
	t.Helper()
	cfg, err := os.ReadFile(o.config)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, o.config, []byte(strings.Replace(string(cfg), "table: sales\n", "mode: magic_folder\n", 1)))
}

func (o *oncePipeline) openLite(t *testing.T) *sql.DB {
	t.Helper()
	if o.lite == nil {
		db, err := sql.Open("sqlite", filepath.Join(o.dir, "out", "lite.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		o.lite = db
	}
	return o.lite
}

// counts returns the rows of path in both destinations.
func (o *oncePipeline) counts(t *testing.T, path string) (pg, lite int64) {
	t.Helper()
	return queryInt(t, o.pg, `SELECT count(*) FROM sales WHERE _file = $1`, path),
		queryInt(t, o.openLite(t), `SELECT count(*) FROM sales WHERE _file = ?`, path)
}

func (o *oncePipeline) mustRun(t *testing.T) string {
	t.Helper()
	out, code := runOnce(t, o.config)
	if code != 0 {
		t.Fatalf("run --once exited %d:\n%s", code, out)
	}
	return out
}

func (o *oncePipeline) write(t *testing.T, name, content string) {
	t.Helper()
	writeFile(t, filepath.Join(o.in, name), []byte(content))
	// A rewrite within the filesystem's timestamp resolution would look
	// unchanged; make each write's mtime distinct.
	mt := time.Now().Add(-time.Second).Truncate(time.Millisecond)
	if fi, err := os.Stat(filepath.Join(o.in, name)); err == nil && !fi.ModTime().Before(mt) {
		mt = fi.ModTime()
	}
	os.Chtimes(filepath.Join(o.in, name), mt, mt)
}

func (o *oncePipeline) touch(t *testing.T, name string) {
	t.Helper()
	p := filepath.Join(o.in, name)
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	mt := fi.ModTime().Add(2 * time.Second)
	if err := os.Chtimes(p, mt, mt); err != nil {
		t.Fatal(err)
	}
}

const threeRows = "id,name,amount\n1,a,1.5\n2,b,2.5\n3,c,3.5\n"
const twoRows = "id,name,amount\n4,d,4.5\n5,e,5.5\n"

func TestRunOnceUpsertFileReplacesARewrittenFileInEveryDestination(t *testing.T) {
	o := newOncePipeline(t, "upsert_file", "")
	o.write(t, "a.csv", threeRows)
	o.write(t, "b.csv", twoRows)
	out := o.mustRun(t)
	if !strings.Contains(out, "2 files, 2 destinations: 4 committed") {
		t.Fatalf("summary:\n%s", out)
	}
	if pg, lite := o.counts(t, "a.csv"); pg != 3 || lite != 3 {
		t.Fatalf("a.csv: %d rows in PostgreSQL, %d in SQLite, want 3", pg, lite)
	}
	o.write(t, "a.csv", twoRows)
	o.touch(t, "a.csv")
	o.mustRun(t)
	if pg, lite := o.counts(t, "a.csv"); pg != 2 || lite != 2 {
		t.Fatalf("a.csv after rewrite: %d rows in PostgreSQL, %d in SQLite, want 2", pg, lite)
	}
	if pg, lite := o.counts(t, "b.csv"); pg != 2 || lite != 2 {
		t.Fatalf("b.csv must keep its rows: %d/%d", pg, lite)
	}
}

func TestRunOnceAppendFileKeepsEveryVersion(t *testing.T) {
	o := newOncePipeline(t, "append_file", "")
	o.write(t, "a.csv", threeRows)
	o.mustRun(t)
	o.write(t, "a.csv", twoRows)
	o.touch(t, "a.csv")
	o.mustRun(t)
	if pg, lite := o.counts(t, "a.csv"); pg != 5 || lite != 5 {
		t.Fatalf("a.csv: %d rows in PostgreSQL, %d in SQLite, want 3+2 = 5", pg, lite)
	}
	if n := queryInt(t, o.pg, `SELECT count(DISTINCT _modified) FROM sales`); n != 2 {
		t.Fatalf("%d distinct _modified values, want 2 versions", n)
	}
}

func TestRunOnceReingestOfTheSameBytesDuplicatesNothing(t *testing.T) {
	for _, merge := range []string{"upsert_file", "append_file"} {
		t.Run(merge, func(t *testing.T) {
			o := newOncePipeline(t, merge, "")
			o.write(t, "a.csv", threeRows)
			o.mustRun(t)
			o.touch(t, "a.csv") // a new version with the same bytes
			out := o.mustRun(t)
			if !strings.Contains(out, "committed") {
				t.Fatalf("the touched file must be a new version:\n%s", out)
			}
			if pg, lite := o.counts(t, "a.csv"); pg != 3 || lite != 3 {
				t.Fatalf("a.csv: %d rows in PostgreSQL, %d in SQLite, want 3", pg, lite)
			}
		})
	}
}

func TestRunOnceTwiceOverUnchangedFilesCommitsNothingNew(t *testing.T) {
	o := newOncePipeline(t, "upsert_file", "")
	o.write(t, "a.csv", threeRows)
	o.mustRun(t)
	out := o.mustRun(t)
	if !strings.Contains(out, "2 unchanged") || !strings.Contains(out, "; 0 rows committed") {
		t.Fatalf("second run must find everything unchanged:\n%s", out)
	}
	if pg, lite := o.counts(t, "a.csv"); pg != 3 || lite != 3 {
		t.Fatalf("a.csv: %d/%d rows, want 3", pg, lite)
	}
	if n := queryInt(t, o.pg, `SELECT count(*) FROM _filedge_ledger`); n != 1 {
		t.Fatalf("ledger holds %d rows, want 1", n)
	}
}

func TestRunOnceReportsABadFileWithItsLineAndLoadsTheOthers(t *testing.T) {
	o := newOncePipeline(t, "upsert_file", "on_error: fail\n")
	o.write(t, "good.csv", threeRows)
	o.write(t, "bad.csv", "id,name\n1,a\n2,b,extra,fields\n3,c\n")
	out, code := runOnce(t, o.config)
	if code != 1 {
		t.Fatalf("run --once exited %d, want 1:\n%s", code, out)
	}
	if !regexp.MustCompile(`bad\.csv\s+pg\s+failed.*line 3`).MatchString(out) {
		t.Fatalf("summary must name bad.csv as failed at line 3:\n%s", out)
	}
	if pg, lite := o.counts(t, "good.csv"); pg != 3 || lite != 3 {
		t.Fatalf("good.csv: %d/%d rows, want 3", pg, lite)
	}
	if n := queryInt(t, o.pg, `SELECT count(*) FROM sales WHERE _file = 'bad.csv'`); n != 0 {
		t.Fatalf("bad.csv left %d rows; a failed file must commit nothing", n)
	}
}

func TestRunOnceSkipModeLoadsGoodRowsAndCountsTheBadOnes(t *testing.T) {
	o := newOncePipeline(t, "upsert_file", "on_error: skip\n")
	o.write(t, "mixed.csv", "id,name\n1,a\n2,b,extra\n3,c\n")
	o.mustRun(t)
	if pg, lite := o.counts(t, "mixed.csv"); pg != 2 || lite != 2 {
		t.Fatalf("mixed.csv: %d/%d rows, want the 2 good ones", pg, lite)
	}
}

func TestRunOnceMagicFolderMakesOneTablePerFileAndTheFirstExtensionOwnsAName(t *testing.T) {
	o := newOncePipeline(t, "upsert_file", "")
	o.magicFolder(t)
	o.write(t, "Clients 2026.csv", "id,name\n1,a\n2,b\n")
	o.write(t, "products.jsonl", `{"sku": "A-1", "price": 9.5}`+"\n")
	o.mustRun(t)
	if n := queryInt(t, o.pg, `SELECT count(*) FROM clients_2026`); n != 2 {
		t.Fatalf("clients_2026 holds %d rows, want 2", n)
	}
	if n := queryInt(t, o.openLite(t), `SELECT count(*) FROM products`); n != 1 {
		t.Fatalf("products holds %d rows, want 1", n)
	}
	// products.csv names the same table as products.jsonl, which owns it.
	o.write(t, "products.csv", "sku,price\nB-2,3\n")
	out, code := runOnce(t, o.config)
	if code != 1 || !regexp.MustCompile(`products\.csv\s+pg\s+failed.*products\.jsonl`).MatchString(out) {
		t.Fatalf("products.csv must fail, naming the owner products.jsonl; exit %d:\n%s", code, out)
	}
	if n := queryInt(t, o.pg, `SELECT count(*) FROM products`); n != 1 {
		t.Fatalf("products holds %d rows after the rejected file, want 1", n)
	}
}
