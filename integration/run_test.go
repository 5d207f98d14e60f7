package integration

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestRunKeepsWatchingStopsCleanlyAndARestartLosesAndRepeatsNothing runs
// `filedge run` (embedded bus) against PostgreSQL: files dropped while it runs
// are loaded; SIGTERM stops it with exit 0; files dropped or rewritten while
// it is down are loaded after a restart; a SIGKILL in the middle of a burst of
// files costs nothing either. Every file's rows are in the table exactly once.
func TestRunKeepsWatchingStopsCleanlyAndARestartLosesAndRepeatsNothing(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	if err := os.MkdirAll(in, 0o755); err != nil {
		t.Fatal(err)
	}
	dbURL, db := newDatabase(t)
	config := filepath.Join(dir, "pipeline.yaml")
	writeFile(t, config, []byte(fmt.Sprintf(`name: watch
source: {path: ./in}
table: events
watcher: {settle: 200ms, rescan: 1s}
parser: {ack_wait: 3s}
sink: {ack_wait: 3s}
connector: {type: postgres, url: "%s"}
`, dbURL)))

	want := map[string]int{} // file → rows
	drop := func(from, to, version int) {
		for k := from; k < to; k++ {
			data, rows, _ := crashFile(k, version, 1)
			name := fmt.Sprintf("f-%03d.csv", k)
			writeFile(t, filepath.Join(in, name), data)
			want[name] = rows
		}
	}
	waitFor := func(p *proc, what string) {
		t.Helper()
		deadline := time.Now().Add(90 * time.Second)
		for {
			ok := true
			for name, rows := range want {
				var n int64
				if err := db.QueryRow(`SELECT count(*) FROM events WHERE _file = $1`, name).Scan(&n); err != nil || n != int64(rows) {
					ok = false
					break
				}
			}
			if ok {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: not every file loaded after 90s\n%s", what, p.tail(30))
			}
			time.Sleep(200 * time.Millisecond)
		}
	}

	p := startProc(t, dir, "run", "run", "-c", config)
	drop(0, 10, 0)
	waitFor(p, "first files")

	// SIGTERM: a clean stop, exit 0.
	p.mu.Lock()
	cmd, done := p.cmd, p.done
	p.mu.Unlock()
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatalf("filedge run did not stop within 20s of SIGTERM\n%s", p.tail(20))
	}
	if code := cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("filedge run exited %d after SIGTERM, want 0\n%s", code, p.tail(20))
	}

	// While it is down: new files and a rewrite.
	drop(10, 15, 0)
	drop(3, 4, 1)
	p.start()
	waitFor(p, "after a restart")

	// A SIGKILL in the middle of a burst.
	drop(15, 40, 0)
	time.Sleep(400 * time.Millisecond)
	p.kill()
	p.start()
	waitFor(p, "after a SIGKILL")

	var total, wantTotal int64
	for _, rows := range want {
		wantTotal += int64(rows)
	}
	total = queryInt(t, db, `SELECT count(*) FROM events`)
	if total != wantTotal {
		t.Fatalf("table holds %d rows, want %d", total, wantTotal)
	}
	if dup := queryInt(t, db, `SELECT count(*) FROM (SELECT id FROM events GROUP BY id HAVING count(*) > 1) d`); dup != 0 {
		t.Fatalf("%d ids stored twice", dup)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM events WHERE _file = 'f-003.csv' AND version = 1`); n != int64(want["f-003.csv"]) {
		t.Fatalf("the rewrite of f-003.csv while filedge was down is not loaded: %d rows of version 1", n)
	}
}
