package integration

import (
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// crashFile is the content of file k, version v: rows with ids unique
// across files and versions, so that a row counted twice or missing shows.
func crashFile(k, v int) (data []byte, rows int, idSum int64) {
	var b strings.Builder
	b.WriteString("id,file_no,version,name,amount,day\n")
	rows = 20 + (k*37+v*11)%400
	for i := 0; i < rows; i++ {
		id := int64(k*1_000_000 + v*10_000 + i)
		idSum += id
		fmt.Fprintf(&b, "%d,%d,%d,\"name %d, \"\"quoted\"\"\",%d.%02d,2026-11-%02d\n", id, k, v, i, i, i%100, 1+i%28)
	}
	return []byte(b.String()), rows, idSum
}

// crashWant is what the destination must hold of one file: the rows of its
// newest version.
type crashWant struct {
	rows  int
	idSum int64
}

// crashFiles and crashRewrites are how many files a crash run drops and
// how many of them it rewrites.
const crashFiles, crashRewrites = 120, 15

// crashRun runs the watcher, two parsers and two sinks of destination
// warehouse (connector, a YAML mapping) as separate processes against the
// machine's NATS, drops crashFiles files (and rewrites crashRewrites of
// them) while SIGKILLing a random process and restarting it, then waits
// until totals says the destination holds the rows of the newest version
// of every file, and a little more for redeliveries in flight. It returns
// the pipeline's name and what each file must hold. When the test fails,
// the processes' last lines are logged.
func crashRun(t *testing.T, dir, connector string, totals func() (rows, idSum int64)) (pipeline string, expect map[string]crashWant) {
	t.Helper()
	in := filepath.Join(dir, "in")
	pipeline = randomName("crash")
	cleanBus(t, pipeline)
	config := filepath.Join(dir, "pipeline.yaml")
	writeFile(t, config, []byte(fmt.Sprintf(`name: %s
source: {type: local, path: ./in, pattern: '\.csv$'}
table: events
on_error: fail
connector: %s
bus: {url: %s}
watcher: {settle: 300ms, rescan: 2s}
parser: {workers: 2, ack_wait: 4s}
sink: {workers: 2, ack_wait: 4s, batch_idle: 8s}
`, pipeline, connector, natsURL(t))))
	if err := os.MkdirAll(in, 0o755); err != nil {
		t.Fatal(err)
	}

	procs := []*proc{
		startProc(t, dir, "watcher", "watcher", "-c", config),
		startProc(t, dir, "parser1", "parser", "-c", config),
		startProc(t, dir, "parser2", "parser", "-c", config),
		startProc(t, dir, "sink1", "sink", "--destination", "warehouse", "-c", config),
		startProc(t, dir, "sink2", "sink", "--destination", "warehouse", "-c", config),
	}
	t.Cleanup(func() {
		if t.Failed() {
			for _, p := range procs {
				t.Logf("---- %s (killed %d times):\n%s", p.name, p.kills, p.tail(25))
			}
		}
		for _, p := range procs {
			if !p.alive() {
				t.Errorf("%s is not running at the end", p.name)
			}
		}
	})

	expect = map[string]crashWant{}
	rng := rand.New(rand.NewPCG(1, uint64(time.Now().UnixNano())))
	stopKiller := make(chan struct{})
	killerDone := make(chan int)
	go func() {
		kills := 0
		defer func() { killerDone <- kills }()
		for {
			select {
			case <-stopKiller:
				return
			case <-time.After(time.Duration(700+rng.IntN(900)) * time.Millisecond):
			}
			p := procs[rng.IntN(len(procs))]
			p.kill()
			kills++
			time.Sleep(time.Duration(100+rng.IntN(500)) * time.Millisecond)
			p.start()
		}
	}()

	for k := 0; k < crashFiles; k++ {
		data, rows, sum := crashFile(k, 0)
		name := fmt.Sprintf("batch-%02d/file-%03d.csv", k%7, k)
		writeFile(t, filepath.Join(in, name), data)
		expect[name] = crashWant{rows, sum}
		time.Sleep(60 * time.Millisecond)
	}
	for k := 0; k < crashRewrites; k++ {
		data, rows, sum := crashFile(k*7, 1)
		name := fmt.Sprintf("batch-%02d/file-%03d.csv", (k*7)%7, k*7)
		writeFile(t, filepath.Join(in, name), data)
		expect[name] = crashWant{rows, sum}
		time.Sleep(150 * time.Millisecond)
	}
	time.Sleep(3 * time.Second) // keep killing while the backlog drains
	close(stopKiller)
	kills := <-killerDone
	if kills < 5 {
		t.Fatalf("only %d kills happened; the test must kill processes several times", kills)
	}
	t.Logf("%d processes were SIGKILLed and restarted", kills)

	var wantRows, wantSum int64
	for _, w := range expect {
		wantRows += int64(w.rows)
		wantSum += w.idSum
	}
	deadline := time.Now().Add(4 * time.Minute)
	for {
		got, sum := totals()
		if got == wantRows && sum == wantSum {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 4 minutes the table holds %d rows (id sum %d), want %d (id sum %d)", got, sum, wantRows, wantSum)
		}
		time.Sleep(500 * time.Millisecond)
	}
	// Let in-flight redeliveries finish, then check nothing changed.
	time.Sleep(3 * time.Second)
	return pipeline, expect
}

// TestCrashTestEveryFileExactlyOnceWhileProcessesAreKilled runs the watcher,
// two parsers and two sinks as separate processes against the machine's NATS
// and PostgreSQL, drops 120 files (and rewrites 15 of them) while SIGKILLing
// a random process and restarting it, then checks that PostgreSQL holds
// exactly the rows of the newest version of every file, none missing, none
// twice, and that the ledger agrees.
func TestCrashTestEveryFileExactlyOnceWhileProcessesAreKilled(t *testing.T) {
	dbURL, db := newDatabase(t)
	pipeline, expect := crashRun(t, t.TempDir(), fmt.Sprintf(`{name: warehouse, type: postgres, url: "%s", write_mode: append}`, dbURL),
		func() (int64, int64) { return tableTotals(db) })
	const files = crashFiles

	rows, err := db.Query(`SELECT _file, count(*), sum(id), count(DISTINCT version) FROM events GROUP BY _file`)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for rows.Next() {
		var file string
		var n, sum, versions int64
		if err := rows.Scan(&file, &n, &sum, &versions); err != nil {
			t.Fatal(err)
		}
		seen[file] = true
		w, ok := expect[file]
		switch {
		case !ok:
			t.Errorf("rows of unexpected file %q", file)
		case n != int64(w.rows) || sum != w.idSum || versions != 1:
			t.Errorf("%s: %d rows (id sum %d, %d versions), want %d rows (id sum %d) of one version", file, n, sum, versions, w.rows, w.idSum)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for f := range expect {
		if !seen[f] {
			t.Errorf("no rows of %s", f)
		}
	}
	if dup := queryInt(t, db, `SELECT count(*) FROM (SELECT id FROM events GROUP BY id HAVING count(*) > 1) d`); dup != 0 {
		t.Errorf("%d ids are stored more than once", dup)
	}
	// The ledger: one row per committed version; for every path, its newest
	// version's row count matches the table.
	if n := queryInt(t, db, `SELECT count(DISTINCT path) FROM _filedge_ledger WHERE pipeline = $1`, pipeline); n != files {
		t.Errorf("ledger covers %d paths, want %d", n, files)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM (SELECT version FROM _filedge_ledger GROUP BY version HAVING count(*) > 1) d`); n != 0 {
		t.Errorf("%d versions are in the ledger twice", n)
	}
	bad := queryInt(t, db, `
		SELECT count(*) FROM (
			SELECT DISTINCT ON (path) path, rows FROM _filedge_ledger WHERE pipeline = $1 ORDER BY path, seq DESC NULLS LAST, modified DESC
		) l
		WHERE l.rows <> (SELECT count(*) FROM events e WHERE e._file = l.path)`, pipeline)
	if bad != 0 {
		t.Errorf("%d paths whose newest ledger row disagrees with the table's row count", bad)
	}
}

func tableTotals(db *sql.DB) (rows, idSum int64) {
	var sum sql.NullInt64
	if err := db.QueryRow(`SELECT count(*), sum(id) FROM events`).Scan(&rows, &sum); err != nil {
		return -1, -1
	}
	return rows, sum.Int64
}
