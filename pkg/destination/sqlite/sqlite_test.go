package sqlite_test

import (
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/filedge/filedge/pkg/destination"
	"github.com/filedge/filedge/pkg/destination/destinationtest"
	"github.com/filedge/filedge/pkg/destination/destinationtest/sqlreader"
	"github.com/filedge/filedge/pkg/destination/sqlite"
	"github.com/filedge/filedge/pkg/record"
	"github.com/filedge/filedge/pkg/settings"
)

// openFile opens a destination onto the SQLite file at path.
func openFile(t *testing.T, path string) *sqlite.DB {
	t.Helper()
	d, err := sqliteOpen(t, path)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	t.Cleanup(func() {
		if err := d.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return d
}

// readDB opens a plain database/sql handle onto the file at path.
func readDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	u := url.URL{Scheme: "file", Path: path, RawQuery: "_pragma=busy_timeout(30000)"}
	db, err := sql.Open("sqlite", u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestConformance(t *testing.T) {
	var last string
	destinationtest.Run(t, destinationtest.Harness{
		Type: "sqlite",
		Open: func(t *testing.T) (destination.Destination, destinationtest.Reader) {
			last = filepath.Join(t.TempDir(), "dest.db")
			return openFile(t, last), reader(readDB(t, last))
		},
		Reopen: func(t *testing.T) destination.Destination {
			return openFile(t, last)
		},
	})
}

// reader reads a destination's file back for the conformance suite.
func reader(db *sql.DB) destinationtest.Reader {
	return sqlreader.New(db, sqlreader.Dialect{
		Tables:  `SELECT "name" FROM "sqlite_schema" WHERE "type" = 'table' AND "name" NOT LIKE 'sqlite\_%' ESCAPE '\'`,
		Columns: `SELECT "name", "type" FROM pragma_table_info(?) ORDER BY "cid"`,
		Type:    declaredType,
	})
}

// declaredType maps the column types filedge declares in SQLite to theirs:
// the names of its own (DECIMALTEXT(p,s) for decimals, JSONTEXT for JSON)
// and standard ones.
func declaredType(declared string) (record.Type, error) {
	if args, ok := strings.CutPrefix(declared, "DECIMALTEXT"); ok {
		return record.ParseType("decimal" + args)
	}
	if declared == "JSONTEXT" {
		return record.JSON, nil
	}
	return sqlreader.StandardType(declared)
}

// query runs a query on db and returns its rows as the driver's values.
var query = sqlreader.MustQuery

func sqliteOpen(tb testing.TB, path string) (*sqlite.DB, error) {
	return sqlite.Open(tb.Context(), sqlite.Config{URL: "sqlite://" + path}, destination.Env{Name: "test"})
}

func TestPathResolvesURLForms(t *testing.T) {
	for _, tc := range []struct {
		name, url, base, want string
	}{
		{"SchemeAndAbsolutePath", "sqlite:///data/x.db", "/base", "/data/x.db"},
		{"SQLAlchemyAbsolute", "sqlite:////data/x.db", "/base", "/data/x.db"},
		{"PlainAbsolutePath", "/data/x.db", "/base", "/data/x.db"},
		{"PlainRelativePath", "sub/x.db", "/base", "/base/sub/x.db"},
		{"SchemeAndRelativePath", "sqlite://x.db", "/base", "/base/x.db"},
		{"SchemeWithoutSlashes", "sqlite:x.db", "/base", "/base/x.db"},
		{"SpecialCharactersKept", "sqlite:///data/we?ird #name.db", "", "/data/we?ird #name.db"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := sqlite.Path(tc.url, tc.base)
			if err != nil || got != tc.want {
				t.Errorf("Path(%q, %q) = %q, %v; want %q", tc.url, tc.base, got, err, tc.want)
			}
		})
	}
}

func TestOpenRefusesSchemaAndMemoryDatabases(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		cfg  sqlite.Config
		want error
	}{
		{"Schema", sqlite.Config{URL: "sqlite://" + filepath.Join(dir, "x.db"), Schema: "raw"}, sqlite.ErrSchemaUnsupported},
		{"Memory", sqlite.Config{URL: "sqlite://:memory:"}, sqlite.ErrNoPath},
		{"Empty", sqlite.Config{URL: ""}, sqlite.ErrNoPath},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := sqlite.Open(t.Context(), tc.cfg, destination.Env{Name: "test"})
			if !errors.Is(err, tc.want) {
				if d != nil {
					d.Close()
				}
				t.Fatalf("Open = %v, want %v", err, tc.want)
			}
			if !destination.IsInvalidConfig(err) {
				t.Errorf("IsInvalidConfig(%v) = false: a retry cannot fix it", err)
			}
		})
	}
}

func TestOpenCreatesFoldersAndUsesWAL(t *testing.T) {
	path := filepath.Join(t.TempDir(), "we?ird #dir", "sub", "dest.db")
	d := openFile(t, path)
	destinationtest.Commit(t, d, destinationtest.File(t, "v1", "a.csv", time.Now(), destinationtest.Table("t", destinationtest.Cols("x", record.Integer), []any{1})), destination.Committed)
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("the database file is not where the URL says: %v", err)
	}
	var mode string
	if err := readDB(t, path).QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q, %v; want wal", mode, err)
	}
}

func TestRegistryOpensSQLite(t *testing.T) {
	dir := t.TempDir()
	info, ok := destination.Lookup("SQLite3")
	if !ok || info.Type != "sqlite" || info.Atomicity != destination.AllTables {
		t.Fatalf("Lookup(SQLite3) = %+v, %v; want the sqlite type, AllTables", info, ok)
	}
	f := &settings.File{Name: "pipeline.yaml", Dir: dir}
	cfg := info.Decode(f.ParseBlock([]byte("url: sqlite:///reg.db\n"), "connector"))
	if errs := f.Errors(); len(errs) > 0 {
		t.Fatal(errs)
	}
	d, err := cfg.Open(t.Context(), destination.Env{Name: "local", Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, ok := d.(*sqlite.DB); !ok {
		t.Errorf("registry opened a %T, want *sqlite.DB", d)
	}
	if _, err := os.Stat(filepath.Join(dir, "reg.db")); err != nil {
		t.Errorf("the database is not in the pipeline's folder: %v", err)
	}
}

func TestConcurrentOpensOfANewFileSucceed(t *testing.T) {
	path := filepath.Join(t.TempDir(), "race.db")
	var wg sync.WaitGroup
	errs := make([]error, 6)
	for i := range errs {
		wg.Go(func() {
			d, err := sqliteOpen(t, path)
			if err == nil {
				err = d.Close()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("open %d: %v", i, err)
		}
	}
}

func TestColumnsDeclaredWithTypesThatMapBack(t *testing.T) {
	path := filepath.Join(t.TempDir(), "types.db")
	d := openFile(t, path)
	cols := destinationtest.Cols("b", record.Boolean, "i", record.Integer, "f", record.Float, "d", record.Date,
		"ts", record.Timestamp, "s", record.String, "j", record.JSON, "u", record.Unknown, "m", record.DecimalOf(16, 2))
	destinationtest.Commit(t, d, destinationtest.File(t, "v1", "a.csv", time.Now(), destinationtest.Table("t", cols,
		[]any{true, 1, 1.5, "2024-01-02", time.Date(2024, 1, 2, 3, 4, 5, 6000, time.UTC), "s", `12.50`, nil, "12345678901234.50"})), destination.Committed)
	db := readDB(t, path)
	got := map[string]string{}
	for _, row := range query(t, db, `SELECT "name", "type" FROM pragma_table_info('t')`) {
		got[row[0].(string)] = row[1].(string)
	}
	want := map[string]string{
		"b": "BOOLEAN", "i": "BIGINT", "f": "DOUBLE", "d": "DATE", "ts": "TIMESTAMP", "s": "TEXT", "j": "JSONTEXT", "u": "TEXT", "m": "DECIMALTEXT(16,2)",
		"_file": "TEXT", "_line": "BIGINT", "_modified": "TIMESTAMP", "_filedge_synced": "TIMESTAMP", "_source_file_hash": "TEXT",
	}
	if !maps.Equal(got, want) {
		t.Errorf("declared types = %v, want %v", got, want)
	}
	// Stored values: booleans 0/1, dates and timestamps as sortable text,
	// a JSON number as its text (JSONTEXT has text affinity), a decimal as
	// its exact text with its scale (DECIMALTEXT has text affinity: a
	// NUMERIC column would have stored the REAL 12345678901234.5).
	rows := query(t, db, `SELECT typeof("b"), "b", typeof("d"), CAST("d" AS TEXT), typeof("ts"), CAST("ts" AS TEXT), typeof("j"), "j", typeof("m"), "m" FROM "t"`)
	wantRow := []any{"integer", int64(1), "text", "2024-01-02", "text", "2024-01-02T03:04:05.000006Z", "text", "12.50", "text", "12345678901234.50"}
	for i, v := range wantRow {
		if rows[0][i] != v {
			t.Errorf("stored value %d = %#v, want %#v", i, rows[0][i], v)
		}
	}
}

func TestWideningRebuildKeepsRowsIndexesTriggersAndViews(t *testing.T) {
	path := filepath.Join(t.TempDir(), "widen.db")
	d := openFile(t, path)
	db := readDB(t, path)
	cols := destinationtest.Cols("n", record.Integer, "k", record.String)
	destinationtest.Commit(t, d, destinationtest.File(t, "a1", "a.csv", time.Now(), destinationtest.Table("t", cols, []any{1, "a"}, []any{2, "b"})), destination.Committed)
	for _, stmt := range []string{
		`CREATE INDEX "t_k" ON "t" ("k")`,
		`CREATE TABLE "audit" ("n" TEXT)`,
		`CREATE TRIGGER "t_audit" AFTER INSERT ON "t" BEGIN INSERT INTO "audit" VALUES (NEW."n"); END`,
		`CREATE VIEW "t_view" AS SELECT "n", "k" FROM "t"`,
	} {
		if _, err := db.Exec(stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	res := destinationtest.Commit(t, d, destinationtest.File(t, "b1", "b.csv", time.Now(),
		destinationtest.Table("t", destinationtest.Cols("n", record.String, "k", record.String), []any{"three", "c"})), destination.Committed)
	if !slices.Equal(res.Widened, []string{"t.n: integer → string"}) {
		t.Errorf("Widened = %q", res.Widened)
	}
	destinationtest.AssertRows(t, query(t, db, `SELECT "n", "k" FROM "t_view" ORDER BY "k"`),
		[][]any{{"1", "a"}, {"2", "b"}, {"three", "c"}})
	var objects []string
	for _, row := range query(t, db, `SELECT "type" || ' ' || "name" FROM "sqlite_schema" WHERE "tbl_name" = 't' ORDER BY 1`) {
		objects = append(objects, row[0].(string))
	}
	if want := []string{"index t_k", "table t", "trigger t_audit"}; !slices.Equal(objects, want) {
		t.Errorf("schema objects of t = %q, want %q", objects, want)
	}
	if n := query(t, db, `SELECT COUNT(*) FROM "audit"`)[0][0]; n != int64(1) {
		t.Errorf("the trigger fired %d times after the rebuild, want once (for the new row)", n)
	}
	if n := query(t, db, `SELECT COUNT(*) FROM "sqlite_schema" WHERE "name" LIKE '_filedge_rebuild_%'`)[0][0]; n != int64(0) {
		t.Errorf("the rebuild left its temporary table behind")
	}
}

func TestLookupReportsCommittedVersion(t *testing.T) {
	d := openFile(t, filepath.Join(t.TempDir(), "lookup.db"))
	f := destinationtest.File(t, "v1", "a.csv", time.Now(),
		destinationtest.Table("one", destinationtest.Cols("x", record.Integer), []any{1}, []any{2}),
		destinationtest.Table("two, with comma", destinationtest.Cols("x", record.Integer), []any{3}))
	res := destinationtest.Commit(t, d, f, destination.Committed)
	got, found, err := d.Lookup(t.Context(), destinationtest.Pipeline, "v1")
	if err != nil || !found {
		t.Fatalf("Lookup = %v, %v; want found", found, err)
	}
	if got.Outcome != destination.Committed || got.Rows != 3 || !slices.Equal(got.Tables, res.Tables) || !got.Committed.Equal(res.Committed) {
		t.Errorf("Lookup = %+v, want the commit's %+v", got, res)
	}
	if _, found, err := d.Lookup(t.Context(), destinationtest.Pipeline, "v2"); err != nil || found {
		t.Errorf("Lookup of an unknown version = %v, %v; want not found", found, err)
	}
}

func TestTwoDestinationsOnOneFileCommitConcurrently(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shared.db")
	dests := []*sqlite.DB{openFile(t, path), openFile(t, path)}
	const files = 8
	var all []*destination.File
	for i := range dests {
		for j := range files {
			all = append(all, destinationtest.File(t, fmt.Sprintf("v%d-%d", i, j), fmt.Sprintf("f%d-%d.csv", i, j), time.Now(),
				destinationtest.Table("t", destinationtest.Cols("x", record.Integer), []any{1}, []any{2}, []any{3})))
		}
	}
	for _, err := range destinationtest.CommitConcurrently(t, all, dests[0], dests[1]) {
		t.Error(err)
	}
	if n := destinationtest.Count(t, reader(readDB(t, path)), "t"); n != 2*files*3 {
		t.Errorf("table holds %d rows, want %d", n, 2*files*3)
	}
}

func TestBatchCarryingASystemColumnIsPermanent(t *testing.T) {
	d := openFile(t, filepath.Join(t.TempDir(), "sys.db"))
	f := destinationtest.File(t, "v1", "a.csv", time.Now(), destinationtest.Table("t", destinationtest.Cols("_file", record.String), []any{"x"}))
	_, err := d.Commit(t.Context(), f)
	if err == nil || !destination.IsPermanent(err) {
		t.Fatalf("Commit = %v, want a permanent error", err)
	}
	if !strings.Contains(err.Error(), "a.csv") || !strings.Contains(err.Error(), "v1") {
		t.Errorf("error %q does not name the file and version", err)
	}
}

func TestOpenMigratesALedgerWrittenBeforeSequences(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.db")
	old := readDB(t, path)
	for _, stmt := range []string{
		// The ledger as filedge created it before discovery sequences.
		`CREATE TABLE "_filedge_ledger" (
			"pipeline" TEXT NOT NULL,
			"version" TEXT NOT NULL,
			"path" TEXT NOT NULL,
			"size" BIGINT,
			"modified" TIMESTAMP,
			"sha256" TEXT,
			"tables" JSONTEXT,
			"rows" BIGINT,
			"committed" TIMESTAMP,
			PRIMARY KEY ("pipeline", "version"))`,
		`CREATE INDEX "_filedge_ledger_path" ON "_filedge_ledger" ("pipeline", "path")`,
	} {
		if _, err := old.Exec(stmt); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := old.Exec(`INSERT INTO "_filedge_ledger" VALUES (?, 'legacy', 'a.csv', 10, ?, NULL, '[]', 0, ?)`,
		destinationtest.Pipeline, destinationtest.LegacyModified.Format("2006-01-02T15:04:05.000000Z"), time.Now().UTC().Format("2006-01-02T15:04:05.000000Z")); err != nil {
		t.Fatal(err)
	}

	// Several destinations (sinks upgraded at once) open the file together.
	var wg sync.WaitGroup
	dests := make([]*sqlite.DB, 4)
	errs := make([]error, len(dests))
	for i := range dests {
		wg.Go(func() { dests[i], errs[i] = sqliteOpen(t, path) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("open %d: %v", i, err)
		}
		t.Cleanup(func() { dests[i].Close() })
	}

	indexes := query(t, old, `SELECT "name" FROM sqlite_schema WHERE "type" = 'index' AND "tbl_name" = '_filedge_ledger' AND "sql" IS NOT NULL ORDER BY "name"`)
	if len(indexes) != 1 || indexes[0][0] != "_filedge_ledger_path_seq" {
		t.Errorf("the ledger's indexes are %v, want only _filedge_ledger_path_seq (which serves every lookup the old one did)", indexes)
	}
	destinationtest.AssertMigratedLedger(t, dests[1], reader(old))
}
