package integration

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/filedge/filedge/internal/tmpfs"
)

// lockHolder reads the pid that a data dir's lock file names, or 0.
func lockHolder(dataDir string) int {
	var h struct {
		PID int `json:"pid"`
	}
	data, err := os.ReadFile(filepath.Join(dataDir, "filedge.lock"))
	if err != nil || json.Unmarshal(data, &h) != nil {
		return 0
	}
	return h.PID
}

// holdsRows returns a condition: the SQLite file at path, which filedge
// creates, holds want rows in table.
func holdsRows(db *sql.DB, path, table string, want int64) func() bool {
	return func() bool {
		if _, err := os.Stat(path); err != nil {
			return false
		}
		var n int64
		return db.QueryRow(`SELECT count(*) FROM `+table).Scan(&n) == nil && n == want
	}
}

func (p *proc) pid() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cmd.Process.Pid
}

// TestRunRefusesADataDirAnotherRunHoldsAndTheDirIsFreeOnceItStopsOrDies:
// a second `run` on the data dir of a running one exits 2 naming the first
// one's pid, without disturbing it: the first keeps loading files. After
// the first stops, or is SIGKILLed, a new process takes the dir.
func TestRunRefusesADataDirAnotherRunHoldsAndTheDirIsFreeOnceItStopsOrDies(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	dataDir := filepath.Join(dir, ".filedge")
	config := filepath.Join(dir, "pipeline.yaml")
	writeFile(t, config, []byte(`name: locked
source: {path: ./in}
table: events
watcher: {settle: 100ms, rescan: 1s}
connector: {type: sqlite, url: "sqlite:///out.db"}
`))
	if err := os.MkdirAll(in, 0o755); err != nil {
		t.Fatal(err)
	}
	dbPath := filepath.Join(dir, "out.db")
	db := openSQLite(t, dbPath)
	loaded := func(want int64) func() bool { return holdsRows(db, dbPath, "events", want) }

	first := startProc(t, dir, "first", "run", "-c", config)
	waitUntil(t, 60*time.Second, "the first run holds the data dir", func() bool { return lockHolder(dataDir) == first.pid() }, func() string { return first.tail(20) })
	writeFile(t, filepath.Join(in, "a.csv"), []byte("id\n1\n2\n"))
	waitUntil(t, 60*time.Second, "the first run loads a.csv", loaded(2), func() string { return first.tail(20) })

	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, binary, "run", "-c", config).CombinedOutput()
	code := -1
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	}
	if code != 2 {
		t.Fatalf("a second run on the same data dir: %v (exit %d), want exit 2:\n%s", err, code, out)
	}
	for _, want := range []string{fmt.Sprintf("process %d", first.pid()), "bus.data_dir", dataDir} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the second run's message lacks %q:\n%s", want, out)
		}
	}

	writeFile(t, filepath.Join(in, "b.csv"), []byte("id\n3\n"))
	waitUntil(t, 60*time.Second, "the first run still loads files after the second was refused", loaded(3), func() string { return first.tail(20) })
	if !first.alive() {
		t.Fatalf("the first run died:\n%s", first.tail(20))
	}

	// A clean stop frees the dir: a restart loads what came meanwhile.
	first.stop()
	writeFile(t, filepath.Join(in, "c.csv"), []byte("id\n4\n"))
	out2, code := runOnce(t, config)
	if code != 0 || !strings.Contains(out2, "c.csv") {
		t.Fatalf("run --once after the first run stopped: exit %d:\n%s", code, out2)
	}

	// So does a SIGKILL: the kernel releases the lock of a dead process.
	second := startProc(t, dir, "second", "run", "-c", config)
	waitUntil(t, 60*time.Second, "the second run holds the data dir", func() bool { return lockHolder(dataDir) == second.pid() }, func() string { return second.tail(20) })
	second.kill()
	writeFile(t, filepath.Join(in, "d.csv"), []byte("id\n5\n"))
	out3, code := runOnce(t, config)
	if code != 0 || !strings.Contains(out3, "d.csv") {
		t.Fatalf("run --once after SIGKILLing the holder: exit %d:\n%s", code, out3)
	}
	if n := queryInt(t, db, `SELECT count(*) FROM events`); n != 5 {
		t.Errorf("the table holds %d rows, want 5 (each file once)", n)
	}
}

// TestRunRecoversByItselfAfterTheDiskOfItsDataDirWasFull runs `run` with
// its data dir on a small tmpfs, fills the tmpfs, drops files, and frees
// the space: readiness says the embedded bus is down while the disk is
// full, and the files load once there is space again, without restarting
// the process.
func TestRunRecoversByItselfAfterTheDiskOfItsDataDirWasFull(t *testing.T) {
	mnt := tmpfs.Mount(t, 64<<20)
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	if err := os.MkdirAll(in, 0o755); err != nil {
		t.Fatal(err)
	}
	config := filepath.Join(dir, "pipeline.yaml")
	writeFile(t, config, []byte(fmt.Sprintf(`name: full
source: {path: ./in}
table: events
watcher: {settle: 100ms, rescan: 1s}
parser: {ack_wait: 5s}
sink: {ack_wait: 5s}
connector: {type: sqlite, url: "sqlite:///out.db"}
bus: {data_dir: %s, sync_always: false}
`, filepath.Join(mnt, "bus"))))
	dbPath := filepath.Join(dir, "out.db")
	db := openSQLite(t, dbPath)
	loaded := func(want int64) func() bool { return holdsRows(db, dbPath, "events", want) }
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	p := startProc(t, dir, "run", "run", "-c", config, "--http-addr", addr)
	pid := p.pid()
	waitUntil(t, 60*time.Second, "readiness 200", func() bool { code, _ := readyz(t, addr); return code == http.StatusOK }, func() string { return p.tail(20) })
	writeFile(t, filepath.Join(in, "a.csv"), []byte("id\n1\n2\n"))
	waitUntil(t, 60*time.Second, "a.csv loads", loaded(2), func() string { return p.tail(20) })

	filler := tmpfs.Fill(t, mnt)
	for i := range 3 {
		writeFile(t, filepath.Join(in, fmt.Sprintf("full-%d.csv", i)), []byte(fmt.Sprintf("id\n%d\n", 10+i)))
	}
	waitUntil(t, 90*time.Second, "readiness says the embedded bus is down", func() bool {
		code, rep := readyz(t, addr)
		return code == http.StatusServiceUnavailable && rep.state("embedded bus") == "down"
	}, func() string { return p.tail(30) })

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	freed := time.Now()
	waitUntil(t, 180*time.Second, "the files dropped while the disk was full load once it has space", loaded(5), func() string { return p.tail(40) })
	t.Logf("loaded %v after the space was freed", time.Since(freed).Round(time.Millisecond))
	waitUntil(t, 60*time.Second, "readiness 200 again", func() bool { code, _ := readyz(t, addr); return code == http.StatusOK }, func() string { return p.tail(20) })
	if !p.alive() || p.pid() != pid {
		t.Fatal("the process was restarted")
	}
	log := p.tail(1000)
	if n := strings.Count(log, "embedded bus stopped"); n != 1 {
		t.Errorf("%d lines say the embedded bus stopped, want 1:\n%s", n, log)
	}
	if n := strings.Count(log, "embedded bus recovered"); n != 1 {
		t.Errorf("%d lines say the embedded bus recovered, want 1:\n%s", n, log)
	}
	// New files keep loading.
	writeFile(t, filepath.Join(in, "after.csv"), []byte("id\n99\n"))
	waitUntil(t, 60*time.Second, "a file dropped after the recovery loads", loaded(6), func() string { return p.tail(20) })
}
