package integration

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// TestRunOnceWaitsForADestinationThatComesUpLateWhileTheOtherCommits: one
// of two destinations is a PostgreSQL URL on a port where nothing listens
// at start. The SQLite destination commits every file while it is down;
// once a proxy starts forwarding that port to the real PostgreSQL, its sink
// commits everything too, and `run --once` exits 0. Its log says once that
// the destination is down and once that it is back.
func TestRunOnceWaitsForADestinationThatComesUpLateWhileTheOtherCommits(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	dbURL, pg := newDatabase(t)
	proxy := newLateProxy(t, dbURL)
	config := filepath.Join(dir, "pipeline.yaml")
	writeFile(t, config, []byte(fmt.Sprintf(`name: late
source: {path: ./in}
table: sales
watcher: {settle: 50ms}
destinations:
  - {name: lite, type: sqlite, url: "sqlite:///out/lite.db"}
  - {name: pg, type: postgres, url: "%s"}
`, proxy.url)))
	const files = 5
	for i := range files {
		writeFile(t, filepath.Join(in, fmt.Sprintf("f%d.csv", i)), []byte(fmt.Sprintf("id,name\n%d,a\n%d,b\n", 2*i, 2*i+1)))
	}

	once := startOnce(t, config)
	litePath := filepath.Join(dir, "out", "lite.db")
	lite := openSQLite(t, litePath)
	waitUntil(t, 90*time.Second, "the SQLite destination commits every file while PostgreSQL is down", holdsRows(lite, litePath, "_filedge_ledger", files), once.output)
	if once.exited() {
		t.Fatalf("run --once ended while a destination was down:\n%s", once.output())
	}

	opened := time.Now()
	proxy.open()
	code := once.wait(t, 3*time.Minute)
	out := once.output()
	if code != 0 {
		t.Fatalf("run --once exited %d after the destination came up, want 0:\n%s", code, out)
	}
	if n := queryInt(t, pg, `SELECT count(*) FROM sales`); n != 2*files {
		t.Fatalf("PostgreSQL holds %d rows, want %d:\n%s", n, 2*files, out)
	}
	var first time.Time
	if err := pg.QueryRow(`SELECT min(committed) FROM _filedge_ledger`).Scan(&first); err != nil || first.Before(opened) {
		t.Errorf("PostgreSQL's first commit at %v (%v), want after the proxy opened at %v", first, err, opened)
	}
	if n := len(regexp.MustCompile(`(?m)^f\d\.csv\s+pg\s+committed`).FindAllString(out, -1)); n != files {
		t.Errorf("the summary shows %d files committed in pg, want %d:\n%s", n, files, out)
	}
	if n := strings.Count(out, "destination pg is unavailable"); n != 1 {
		t.Errorf("%d lines say the destination is down, want 1:\n%s", n, out)
	}
	if !regexp.MustCompile(`destination pg is available again.* after=\S+ attempts=\d+`).MatchString(out) {
		t.Errorf("no line says the destination is back, after how long and how many attempts:\n%s", out)
	}
}

// TestRunOnceTimeoutWithADestinationDownShowsItsFilesPendingAndExitsOne:
// the destination never comes up: the other one commits, and when --timeout
// ends the summary shows the waiting destination's files as pending and the
// run exits 1 (not 2: the pipeline is not broken, it waited).
func TestRunOnceTimeoutWithADestinationDownShowsItsFilesPendingAndExitsOne(t *testing.T) {
	dir := t.TempDir()
	config := filepath.Join(dir, "pipeline.yaml")
	writeFile(t, config, []byte(fmt.Sprintf(`name: down
source: {path: ./in}
table: sales
watcher: {settle: 50ms}
destinations:
  - {name: lite, type: sqlite, url: "sqlite:///out/lite.db"}
  - {name: pg, type: postgres, url: "postgres://postgres@127.0.0.1:%d/test?sslmode=disable"}
`, freePort(t))))
	writeFile(t, filepath.Join(dir, "in", "a.csv"), []byte("id\n1\n2\n"))
	writeFile(t, filepath.Join(dir, "in", "b.csv"), []byte("id\n3\n"))
	start := time.Now()
	out, code := runOnce(t, config, "--timeout", "20s")
	if code != 1 {
		t.Fatalf("run --once --timeout 20s exited %d, want 1:\n%s", code, out)
	}
	if took := time.Since(start); took > 90*time.Second {
		t.Errorf("run --once --timeout 20s took %v", took)
	}
	for _, want := range []string{`(?m)^a\.csv\s+lite\s+committed`, `(?m)^b\.csv\s+lite\s+committed`, `(?m)^a\.csv\s+pg\s+pending`, `(?m)^b\.csv\s+pg\s+pending`, `--timeout ended`} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("output lacks %s:\n%s", want, out)
		}
	}
}

// TestRunOnceRefusesADestinationWhoseSettingsCannotWorkAtOnce: a URL no
// retry can fix still fails with exit 2 before anything loads.
func TestRunOnceRefusesADestinationWhoseSettingsCannotWorkAtOnce(t *testing.T) {
	dir := t.TempDir()
	config := filepath.Join(dir, "pipeline.yaml")
	writeFile(t, config, []byte(`name: bad
source: {path: ./in}
destinations:
  - {name: lite, type: sqlite, url: "sqlite:///out/lite.db"}
  - {name: pg, type: postgres, url: "postgres://postgres@127.0.0.1/test?sslmode=sometimes"}
`))
	writeFile(t, filepath.Join(dir, "in", "a.csv"), []byte("id\n1\n"))
	start := time.Now()
	out, code := runOnce(t, config)
	// The pipeline's loader asks pgx to read the URL, so the refusal names
	// the key and its line, before any stage starts.
	if code != 2 || !strings.Contains(out, "pipeline.yaml:5: destinations[1].url") || !strings.Contains(out, "sslmode") {
		t.Fatalf("run --once exited %d, want 2 naming the destination's url, its line and what is wrong:\n%s", code, out)
	}
	if _, err := os.Stat(filepath.Join(dir, "out", "lite.db")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the other destination was opened before the settings were refused (stat: %v)", err)
	}
	if took := time.Since(start); took > 30*time.Second {
		t.Errorf("refusing the settings took %v", took)
	}
}

// TestSplitStagesStartedWhileTheBusIsDownLoadOnceItAppears starts a watcher,
// a parser and a sink against a NATS URL where no server listens yet: they
// wait (one log line each, readiness 503) instead of exiting; once a NATS
// server of the test's own starts on that port, the files load.
func TestSplitStagesStartedWhileTheBusIsDownLoadOnceItAppears(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	if err := os.MkdirAll(in, 0o755); err != nil {
		t.Fatal(err)
	}
	dbURL, pg := newDatabase(t)
	port := freePort(t)
	busURL := fmt.Sprintf("nats://127.0.0.1:%d", port)
	config := filepath.Join(dir, "pipeline.yaml")
	writeFile(t, config, []byte(fmt.Sprintf(`name: busdown
source: {path: ./in}
table: events
connector: {name: warehouse, type: postgres, url: "%s"}
watcher: {settle: 200ms, rescan: 1s}
parser: {ack_wait: 5s}
sink: {ack_wait: 5s}
`, dbURL)))
	env := []string{"FILEDGE_NATS_URL=" + busURL}
	sinkAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	procs := []*proc{
		startProcEnv(t, dir, "watcher", env, "watcher", "-c", config),
		startProcEnv(t, dir, "parser", env, "parser", "-c", config),
		startProcEnv(t, dir, "sink", env, "sink", "--destination", "warehouse", "-c", config, "--http-addr", sinkAddr),
	}
	for _, p := range procs {
		waitUntil(t, 60*time.Second, p.name+" says the bus is unavailable", func() bool {
			return strings.Contains(p.tail(100), "bus is unavailable")
		}, func() string { return p.tail(30) })
	}
	code, rep := readyz(t, sinkAddr)
	if code != http.StatusServiceUnavailable || rep.state("bus") != "down" || rep.state("destination warehouse") != "up" {
		t.Fatalf("sink readiness while the bus is down: %d %+v, want 503 with the bus down and the destination up", code, rep)
	}
	for _, p := range procs {
		if !p.alive() {
			t.Fatalf("%s exited while the bus was down:\n%s", p.name, p.tail(30))
		}
	}

	startNATS(t, port)
	for i := range 5 {
		writeFile(t, filepath.Join(in, fmt.Sprintf("e%d.csv", i)), []byte(fmt.Sprintf("id\n%d\n", i)))
	}
	waitUntil(t, 120*time.Second, "every file loads once the bus is up", func() bool {
		var n int64
		return pg.QueryRow(`SELECT count(*) FROM events`).Scan(&n) == nil && n == 5
	}, func() string { return procs[0].tail(20) + "\n" + procs[1].tail(20) + "\n" + procs[2].tail(20) })
	for _, p := range procs {
		log := p.tail(200)
		if n := strings.Count(log, "bus is unavailable"); n != 1 {
			t.Errorf("%s: %d lines say the bus is down, want 1:\n%s", p.name, n, log)
		}
		if !strings.Contains(log, "bus is available again") {
			t.Errorf("%s: no line says the bus is back:\n%s", p.name, log)
		}
	}
	if code, rep := readyz(t, sinkAddr); code != http.StatusOK {
		t.Errorf("sink readiness with the bus up: %d %+v, want 200", code, rep)
	}
}

// lateProxy listens on a port only once opened, and then forwards every
// connection to a PostgreSQL server: a destination that is down at start.
type lateProxy struct {
	t      *testing.T
	port   int
	target string // host:port
	url    string // the database URL through the proxy
	ln     net.Listener
	wg     sync.WaitGroup
	closed atomic.Bool
}

func newLateProxy(t *testing.T, dbURL string) *lateProxy {
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	p := &lateProxy{t: t, port: freePort(t), target: u.Host}
	u.Host = fmt.Sprintf("127.0.0.1:%d", p.port)
	p.url = u.String()
	t.Cleanup(p.close)
	return p
}

// open starts listening and forwarding.
func (p *lateProxy) open() {
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p.port))
	if err != nil {
		p.t.Fatalf("proxy: %v", err)
	}
	p.ln = ln
	p.wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.wg.Go(func() { p.forward(c) })
		}
	})
}

func (p *lateProxy) forward(c net.Conn) {
	defer c.Close()
	s, err := net.Dial("tcp", p.target)
	if err != nil {
		return
	}
	defer s.Close()
	done := make(chan struct{}, 2)
	go func() { io.Copy(s, c); done <- struct{}{} }()
	go func() { io.Copy(c, s); done <- struct{}{} }()
	<-done
}

func (p *lateProxy) close() {
	if p.ln != nil && p.closed.CompareAndSwap(false, true) {
		p.ln.Close()
	}
}

// onceRun is a `run --once` running in the background.
type onceRun struct {
	cmd  *exec.Cmd
	mu   sync.Mutex
	out  bytes.Buffer
	done chan struct{}
}

func (o *onceRun) Write(b []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.out.Write(b)
}

func (o *onceRun) output() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.out.String()
}

func (o *onceRun) exited() bool {
	select {
	case <-o.done:
		return true
	default:
		return false
	}
}

// wait waits for the run to end and returns its exit code.
func (o *onceRun) wait(t *testing.T, d time.Duration) int {
	t.Helper()
	select {
	case <-o.done:
	case <-time.After(d):
		t.Fatalf("run --once did not end within %v:\n%s", d, o.output())
	}
	return o.cmd.ProcessState.ExitCode()
}

// startOnce starts `filedge run --once -c config` in the background; it is
// killed if still running when the test ends.
func startOnce(t *testing.T, config string, extra ...string) *onceRun {
	t.Helper()
	o := &onceRun{done: make(chan struct{})}
	o.cmd = exec.Command(binary, append([]string{"run", "--once", "-c", config}, extra...)...)
	o.cmd.Stdout, o.cmd.Stderr = o, o
	if err := o.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { o.cmd.Wait(); close(o.done) }()
	t.Cleanup(func() {
		if !o.exited() {
			o.cmd.Process.Signal(syscall.SIGKILL)
			<-o.done
		}
	})
	return o
}

// startProcEnv is startProc with variables added to the process's
// environment.
func startProcEnv(t *testing.T, dir, name string, env []string, args ...string) *proc {
	p := &proc{t: t, name: name, args: args, env: env, log: filepath.Join(dir, name+".log")}
	p.start()
	t.Cleanup(p.stop)
	return p
}

// startNATS starts a NATS server with JetStream of the test's own on port
// (never the machine's shared one), stopped when the test ends.
func startNATS(t *testing.T, port int) {
	t.Helper()
	cmd := exec.Command("/usr/sbin/nats-server", "-a", "127.0.0.1", "-p", fmt.Sprint(port), "-js", "-sd", t.TempDir())
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start nats-server: %v", err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	waitUntil(t, 30*time.Second, "nats-server accepts connections", func() bool {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			c.Close()
		}
		return err == nil
	}, out.String)
}

// freePort returns a TCP port on 127.0.0.1 that nothing listens on now.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// waitUntil polls cond until it holds, failing the test with what and
// detail() after timeout.
func waitUntil(t *testing.T, timeout time.Duration, what string, cond func() bool, detail func() string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v\n%s", what, timeout, detail())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// readiness is the body of /readyz.
type readiness struct {
	Ready      bool `json:"ready"`
	Components []struct {
		Name      string `json:"name"`
		State     string `json:"state"`
		LastError string `json:"last_error"`
	} `json:"components"`
}

// state returns the state of the component named name, or "".
func (r readiness) state(name string) string {
	for _, c := range r.Components {
		if c.Name == name {
			return c.State
		}
	}
	return ""
}

// readyz fetches http://addr/readyz; code 0 when nothing answers.
func readyz(t *testing.T, addr string) (int, readiness) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/readyz", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, readiness{}
	}
	defer resp.Body.Close()
	var r readiness
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		t.Fatalf("/readyz: %v", err)
	}
	return resp.StatusCode, r
}

// openSQLite opens a SQLite file for reading, closed when the test ends.
func openSQLite(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
