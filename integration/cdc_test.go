package integration

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// dmsChange is one row of an AWS DMS CDC file: Op, changed_at, id, name.
type dmsChange struct {
	op   string // I, U or D
	at   time.Time
	id   int
	name string
}

// dmsFiles makes a DMS-style folder of CDC files for one table: a full
// load (LOAD00000001.csv, every row an insert at the load's time) and
// files named by their time, whose changes of a key interleave across
// files. Every change has its own time, as DMS's commit timestamps do. It
// returns the files by path and each key's final name (absent: deleted or
// never inserted), as applying the changes by time gives it.
func dmsFiles(seed uint64, files, changes, keys int) (map[string][]dmsChange, map[int]string) {
	rng := rand.New(rand.NewPCG(seed, 1))
	base := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	out := map[string][]dmsChange{}
	var load []dmsChange
	for id := 1; id <= keys/2; id++ {
		load = append(load, dmsChange{"I", base, id, fmt.Sprintf("load-%d", id)})
	}
	out["LOAD00000001.csv"] = load
	// Distinct times for the changes, shuffled across the files, so that
	// a file holds changes older than another's.
	times := rng.Perm(files * changes)
	for f := range files {
		path := fmt.Sprintf("%s.csv", base.Add(time.Duration(f)*time.Minute).Format("20060102-150405000"))
		var rows []dmsChange
		for c := range changes {
			at := base.Add(time.Duration(times[f*changes+c]+1) * time.Second)
			id := 1 + rng.IntN(keys)
			op := []string{"I", "U", "U", "D"}[rng.IntN(4)]
			rows = append(rows, dmsChange{op, at, id, fmt.Sprintf("%s-%d-%d", strings.ToLower(op), f, c)})
		}
		out[path] = rows
	}
	// The model: per key, the change with the latest time wins.
	final := map[int]string{}
	latest := map[int]time.Time{}
	for _, rows := range out {
		for _, r := range rows {
			if at, seen := latest[r.id]; seen && !r.at.After(at) {
				continue
			}
			latest[r.id] = r.at
			if r.op == "D" {
				delete(final, r.id)
			} else {
				final[r.id] = r.name
			}
		}
	}
	return out, final
}

func writeDMS(t *testing.T, dir string, files map[string][]dmsChange) {
	t.Helper()
	for path, rows := range files {
		var b strings.Builder
		b.WriteString("Op,changed_at,id,name\n")
		for _, r := range rows {
			name := r.name
			if r.op == "D" {
				name = "" // DMS writes the before image's key; the rest may be empty
			}
			fmt.Fprintf(&b, "%s,%s,%d,%s\n", r.op, r.at.Format(time.RFC3339), r.id, name)
		}
		writeFile(t, filepath.Join(dir, "public", "customers", path), []byte(b.String()))
	}
}

// tableNames reads id and name of every row of customers, by id.
func tableNames(t *testing.T, db *sql.DB) map[int]string {
	t.Helper()
	rows, err := db.Query(`SELECT id, name FROM customers`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[int]string{}
	for rows.Next() {
		var id int
		var name sql.NullString
		if err := rows.Scan(&id, &name); err != nil {
			t.Fatal(err)
		}
		if _, dup := out[id]; dup {
			t.Fatalf("customers holds id %d twice", id)
		}
		out[id] = name.String
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func diffNames(got, want map[int]string) string {
	var out []string
	for id, w := range want {
		if g, ok := got[id]; !ok || g != w {
			out = append(out, fmt.Sprintf("id %d: got %q (present %v), want %q", id, g, ok, w))
		}
	}
	for id, g := range got {
		if _, ok := want[id]; !ok {
			out = append(out, fmt.Sprintf("id %d: got %q, want it absent", id, g))
		}
	}
	slices.Sort(out)
	if len(out) > 10 {
		out = append(out[:10], fmt.Sprintf("... %d differences", len(out)))
	}
	return strings.Join(out, "\n")
}

// TestRunOnceAppliesAFolderOfDMSChangeFilesInEveryDestination loads a
// DMS-style folder of CDC files, in the Python Filedge's shape (write_mode
// and cdc: at the top level, the defaults for DMS's Op column), into
// PostgreSQL and SQLite with four sinks each, which commit the files in
// whatever order they are parsed: both tables end as applying every change
// in time order gives them.
func TestRunOnceAppliesAFolderOfDMSChangeFilesInEveryDestination(t *testing.T) {
	dir := t.TempDir()
	dbURL, pg := newDatabase(t)
	files, final := dmsFiles(7, 12, 150, 400)
	writeDMS(t, filepath.Join(dir, "in"), files)
	config := filepath.Join(dir, "pipeline.yaml")
	writeFile(t, config, []byte(fmt.Sprintf(`name: dms
source: {path: ./in}
dest_table: customers
write_mode: cdc
cdc:
  keys: [id]
  sequence_by: changed_at
sink: {workers: 4}
parser: {workers: 4}
watcher: {settle: 50ms}
destinations:
  - {name: pg, type: postgres, url: "%s"}
  - {name: lite, type: sqlite, url: "sqlite:///out/lite.db"}
`, dbURL)))
	out, code := runOnce(t, config)
	if code != 0 || !strings.Contains(out, "13 files, 2 destinations: 26 committed") {
		t.Fatalf("run --once exited %d:\n%s", code, out)
	}
	lite, err := sql.Open("sqlite", filepath.Join(dir, "out", "lite.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer lite.Close()
	for name, db := range map[string]*sql.DB{"PostgreSQL": pg, "SQLite": lite} {
		if d := diffNames(tableNames(t, db), final); d != "" {
			t.Errorf("%s: customers is not the changes applied in time order:\n%s", name, d)
		}
	}
	// No Op column in the table, and no key twice.
	if n := queryInt(t, pg, `SELECT count(*) FROM information_schema.columns WHERE table_name = 'customers' AND column_name = 'op'`); n != 0 {
		t.Errorf("customers has an op column")
	}

	// A later file with a bad change fails alone, naming its line; the
	// others apply.
	writeFile(t, filepath.Join(dir, "in", "public", "customers", "20270101-000000000.csv"),
		[]byte("Op,changed_at,id,name\nU,2027-01-01T00:00:00Z,1,late\nX,2027-01-01T00:00:01Z,2,bad\n"))
	writeFile(t, filepath.Join(dir, "in", "public", "customers", "20270101-000100000.csv"),
		[]byte("Op,changed_at,id,name\nI,2027-01-01T00:01:00Z,100000,new\n"))
	out, code = runOnce(t, config)
	if code != 1 || !strings.Contains(out, `line 3: column "op": unknown operation "X"`) {
		t.Fatalf("run --once with a bad change exited %d, want 1 and the bad line named:\n%s", code, out)
	}
	final[100000] = "new"
	for name, db := range map[string]*sql.DB{"PostgreSQL": pg, "SQLite": lite} {
		if d := diffNames(tableNames(t, db), final); d != "" {
			t.Errorf("%s after the bad file:\n%s", name, d)
		}
	}
}

// TestCDCFileMemoryDoesNotGrowWithTheFile loads one CDC file of 1,000,000
// changes (FILEDGE_CDC_ROWS sets another number: 10,000,000 takes minutes)
// through `filedge run --once` into SQLite, whose merge runs inside the
// filedge process, once as an append and once as CDC, and compares the
// peak resident memory of the two processes: the stage and the merge of
// CDC may not cost half the file's size more than appending it (holding
// the changes in memory would cost several times its size), and the
// append path's own memory is bounded as every stage's is. Measured on the
// test machine (2 cores, shared): 180 MB to append 1M changes (77 MB of
// CSV), 201 MB to apply them; 206 MB and 203 MB for 10M changes (799 MB,
// 2m32s and 7m12s): what grows from 100,000 changes (about 100 MB) is
// caches filling up, not the file.
func TestCDCFileMemoryDoesNotGrowWithTheFile(t *testing.T) {
	rows := 1_000_000
	if v := os.Getenv("FILEDGE_CDC_ROWS"); v != "" {
		if _, err := fmt.Sscan(v, &rows); err != nil {
			t.Fatalf("FILEDGE_CDC_ROWS: %v", err)
		}
	}
	data := filepath.Join(t.TempDir(), "changes.csv")
	size := writeBigCDC(t, data, rows)
	peak := map[string]int64{}
	for _, mode := range []string{"append", "cdc"} {
		dir := t.TempDir()
		if err := os.Mkdir(filepath.Join(dir, "in"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Link(data, filepath.Join(dir, "in", "changes.csv")); err != nil {
			t.Fatal(err)
		}
		config := filepath.Join(dir, "pipeline.yaml")
		writeFile(t, config, []byte(`name: big
source: {path: ./in}
table: customers
write_mode: `+mode+`
cdc: {keys: [id], sequence_by: seq}
watcher: {settle: 50ms}
connector: {type: sqlite, url: "sqlite:///out/lite.db"}
`))
		start := time.Now()
		out, rss := runOnceRSS(t, config)
		if !strings.Contains(out, "1 files, 1 destinations: 1 committed") {
			t.Fatalf("%s of %d changes: run --once:\n%s", mode, rows, out)
		}
		peak[mode] = rss
		t.Logf("%s of %d changes (%d MB): %v, peak RSS %d MB", mode, rows, size>>20, time.Since(start).Round(time.Second), rss>>20)
		if mode == "append" {
			continue
		}
		lite, err := sql.Open("sqlite", filepath.Join(dir, "out", "lite.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer lite.Close()
		// Every fourth key is deleted by its last change.
		keys := rows / 2
		if n := queryInt(t, lite, `SELECT count(*) FROM customers`); n != int64(keys-keys/4) {
			t.Errorf("customers holds %d rows, want %d", n, keys-keys/4)
		}
		if n := queryInt(t, lite, `SELECT count(*) FROM customers WHERE name NOT LIKE 'second-%'`); n != 0 {
			t.Errorf("%d rows do not hold their key's last change", n)
		}
	}
	if extra := peak["cdc"] - peak["append"]; extra > size/2 {
		t.Errorf("applying %d changes as CDC took %d MB more memory than appending them, more than half the file's %d MB: the changes are held in memory",
			rows, extra>>20, size>>20)
	}
}

// writeBigCDC writes a CDC file of rows changes: each of rows/2 keys is
// inserted, then changed again later in the file (the changes of a key
// far apart, the second one out of sequence order for half of them); the
// second change of every fourth key deletes it. It returns the file's
// size.
func writeBigCDC(t *testing.T, path string, rows int) int64 {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	keys := rows / 2
	fmt.Fprintln(w, "op,id,seq,name,amount,note")
	for pass := range 2 {
		for id := range keys {
			op, seq, name := "I", 2*id, "first"
			if pass == 1 {
				op, seq, name = "U", 2*id+1, "second"
				if id%4 == 0 {
					op = "D"
				}
			}
			if id%2 == 1 { // the later change comes first in the file
				if pass == 0 {
					op, seq, name = "U", 2*id+1, "second"
				} else {
					op, seq, name = "I", 2*id, "first"
				}
			}
			fmt.Fprintf(w, "%s,%d,%d,%s-%d,%d.%02d,some words to give the row a realistic width\n", op, id, seq, name, id, id%1000, id%100)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	fi, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	return fi.Size()
}

// runOnceRSS runs `filedge run --once` and returns its output and peak
// resident memory, failing t unless it exits 0.
func runOnceRSS(t *testing.T, config string) (string, int64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, "run", "--once", "-c", config)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("run --once: %v\n%s", err, out.String())
	}
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		t.Fatal("no resource usage for the process")
	}
	return out.String(), cmp.Or(ru.Maxrss, 1) << 10 // kilobytes on Linux
}
