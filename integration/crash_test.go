package integration

import (
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// crashFile is the content of file k, version v: rows with ids unique
// across files and versions, so that a row counted twice or missing shows;
// scale multiplies the rows (at most 9999 in all).
func crashFile(k, v, scale int) (data []byte, rows int, idSum int64) {
	var b strings.Builder
	b.WriteString("id,file_no,version,name,amount,day\n")
	rows = (20 + (k*37+v*11)%400) * scale
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

// crashBus is a bus the crash test runs on, and the load it gets.
type crashBus struct {
	name string
	// block returns the bus: block of a pipeline named pipeline, having
	// set up the bus (and its clean-up).
	block func(t *testing.T, pipeline string) string
	// files and rewrites size the load; scale multiplies the rows of each
	// file, so that a kill often lands while a process is in the middle of
	// one.
	files, rewrites, scale int
}

// natsCrashBus is the machine's NATS with a load of files files, rewrites
// of them rewritten, each of scale times the base rows.
func natsCrashBus(files, rewrites, scale int) crashBus {
	return crashBus{name: "NATS", files: files, rewrites: rewrites, scale: scale, block: func(t *testing.T, pipeline string) string {
		cleanBus(t, pipeline)
		return fmt.Sprintf("bus: {url: %s}", natsURL(t))
	}}
}

// crashRun runs the watcher, two parsers and two sinks of destination
// warehouse (connector, a YAML mapping) as separate processes on bus b,
// drops b.files files (and rewrites b.rewrites of them) while SIGKILLing a
// random process and restarting it (at least 8 times), then waits until
// totals says the destination holds the rows of the newest version of
// every file, and a little more for redeliveries in flight. It returns the
// pipeline's name and what each file must hold. When the test fails, the
// processes' last lines are logged.
func crashRun(t *testing.T, dir, connector string, b crashBus, totals func() (rows, idSum int64)) (pipeline string, expect map[string]crashWant) {
	t.Helper()
	in := filepath.Join(dir, "in")
	pipeline = randomName("crash")
	started := time.Now()
	config := filepath.Join(dir, "pipeline.yaml")
	writeFile(t, config, []byte(fmt.Sprintf(`name: %s
source: {type: local, path: ./in, pattern: '\.csv$'}
table: events
on_error: fail
connector: %s
%s
watcher: {settle: 300ms, rescan: 2s}
parser: {workers: 2, ack_wait: 4s}
sink: {workers: 2, ack_wait: 4s, batch_idle: 8s}
`, pipeline, connector, b.block(t, pipeline))))
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
	var killed atomic.Int32
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
			killed.Add(1)
			time.Sleep(time.Duration(100+rng.IntN(500)) * time.Millisecond)
			p.start()
		}
	}()

	for k := 0; k < b.files; k++ {
		data, rows, sum := crashFile(k, 0, b.scale)
		name := fmt.Sprintf("batch-%02d/file-%03d.csv", k%7, k)
		writeFile(t, filepath.Join(in, name), data)
		expect[name] = crashWant{rows, sum}
		time.Sleep(60 * time.Millisecond)
	}
	for k := 0; k < b.rewrites; k++ {
		data, rows, sum := crashFile(k*7, 1, b.scale)
		name := fmt.Sprintf("batch-%02d/file-%03d.csv", (k*7)%7, k*7)
		writeFile(t, filepath.Join(in, name), data)
		expect[name] = crashWant{rows, sum}
		time.Sleep(150 * time.Millisecond)
	}
	// Keep killing while the backlog drains, at least 3 s and 8 kills.
	time.Sleep(3 * time.Second)
	for deadline := time.Now().Add(time.Minute); killed.Load() < 8 && time.Now().Before(deadline); {
		time.Sleep(100 * time.Millisecond)
	}
	close(stopKiller)
	kills := <-killerDone
	if kills < 5 {
		t.Fatalf("only %d kills happened; the test must kill processes several times", kills)
	}
	t.Logf("%d processes were SIGKILLed and restarted", kills)
	defer func() {
		t.Logf("%d files and %d rewrites on %s in %v", b.files, b.rewrites, b.name, time.Since(started).Round(time.Second))
	}()

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
// two parsers and two sinks as separate processes, on the machine's NATS
// and on Kafka (kfake in a process of its own, over TCP), with the
// machine's PostgreSQL, drops files (and rewrites some of them) while
// SIGKILLing a random process and restarting it, then checks that
// PostgreSQL holds exactly the rows of the newest version of every file,
// none missing, none twice, and that the ledger agrees. The files are large
// enough that a kill often lands in the middle of one: a bus that
// acknowledged a file before its work is durable fails this test.
func TestCrashTestEveryFileExactlyOnceWhileProcessesAreKilled(t *testing.T) {
	for _, b := range []crashBus{
		natsCrashBus(120, 15, 10),
		// Fewer files: a rebalance around a killed member takes longer on
		// Kafka (kfake), and the run should add at most a minute to make test.
		{name: "Kafka", files: 60, rewrites: 8, scale: 20, block: func(t *testing.T, _ string) string {
			return fmt.Sprintf("bus: {type: kafka, brokers: [%s], partitions: 6}", startKafka(t))
		}},
	} {
		t.Run(b.name, func(t *testing.T) { crashTest(t, b) })
	}
}

func crashTest(t *testing.T, b crashBus) {
	dbURL, db := newDatabase(t)
	pipeline, expect := crashRun(t, t.TempDir(), fmt.Sprintf(`{name: warehouse, type: postgres, url: "%s", write_mode: append}`, dbURL), b,
		func() (int64, int64) { return tableTotals(db) })
	files := b.files

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
	if n := queryInt(t, db, `SELECT count(DISTINCT path) FROM _filedge_ledger WHERE pipeline = $1`, pipeline); n != int64(files) {
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
