package integration

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// natsServerBinary is the machine's NATS server, which a test starts on a
// port of its own when it must stop and start the bus (never the shared
// server).
const natsServerBinary = "/usr/sbin/nats-server"

// ownNATS is a JetStream server of one test, on a random loopback port and
// its own store, which the test may stop and start again.
type ownNATS struct {
	t     *testing.T
	port  int
	store string
	log   string
	cmd   *exec.Cmd
	done  chan struct{}
}

func startOwnNATS(t *testing.T) *ownNATS {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	dir := t.TempDir()
	s := &ownNATS{t: t, port: port, store: filepath.Join(dir, "store"), log: filepath.Join(dir, "nats.log")}
	s.start()
	t.Cleanup(s.stop)
	return s
}

func (s *ownNATS) url() string { return "nats://127.0.0.1:" + strconv.Itoa(s.port) }

// start starts the server and waits until it accepts connections.
func (s *ownNATS) start() {
	s.t.Helper()
	s.cmd = exec.Command(natsServerBinary, "-a", "127.0.0.1", "-p", strconv.Itoa(s.port), "-js", "-sd", s.store, "-l", s.log)
	if err := s.cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	done := make(chan struct{})
	go func(cmd *exec.Cmd) { cmd.Wait(); close(done) }(s.cmd)
	s.done = done
	deadline := time.Now().Add(30 * time.Second)
	for {
		nc, err := nats.Connect(s.url(), nats.Timeout(time.Second))
		if err == nil {
			js, _ := jetstream.New(nc)
			ctx, cancel := context.WithTimeout(s.t.Context(), 5*time.Second)
			_, err = js.AccountInfo(ctx)
			cancel()
			nc.Close()
			if err == nil {
				return
			}
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("the test's NATS server did not come up on port %d: %v", s.port, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// stop shuts the server down cleanly (SIGTERM) and waits for it.
func (s *ownNATS) stop() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(15 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
	s.cmd = nil
}

// filesOnBus returns how many FileDiscovered the server's files stream
// holds (the test's pipeline is the only one on this server).
func (s *ownNATS) filesOnBus() uint64 {
	s.t.Helper()
	nc, err := nats.Connect(s.url())
	if err != nil {
		return 0
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx, cancel := context.WithTimeout(s.t.Context(), 5*time.Second)
	defer cancel()
	st, err := js.Stream(ctx, "FILEDGE_FILES")
	if err != nil {
		return 0
	}
	return st.CachedInfo().State.Msgs
}

// During a bus outage of about 20 s, while hundreds of files land, the
// watcher writes a handful of lines about it (when it starts, when it
// ends), not one per file and scan; once the bus is back, every file is
// published.
func TestWatcherLogsABusOutageOnceAndPublishesEveryFileAfterIt(t *testing.T) {
	if _, err := os.Stat(natsServerBinary); err != nil {
		t.Fatalf("this test starts a NATS server of its own: %v", err)
	}
	srv := startOwnNATS(t)
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	name := strings.ReplaceAll(randomName("outage"), "_", "-")
	writeFile(t, filepath.Join(dir, "pipeline.yaml"), []byte(fmt.Sprintf(`name: %s
source: {path: ./in}
watcher: {settle: 200ms, rescan: 2s}
connector: {type: sqlite, url: sqlite:///out.db}
`, name)))
	if err := os.MkdirAll(in, 0o755); err != nil {
		t.Fatal(err)
	}

	logPath := filepath.Join(dir, "watcher.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	cmd := exec.Command(binary, "watcher", "-c", filepath.Join(dir, "pipeline.yaml"))
	cmd.Stdout, cmd.Stderr = logFile, logFile
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "FILEDGE_NATS_URL=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "FILEDGE_NATS_URL="+srv.url())
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	})
	waitPublished := func(n uint64, within time.Duration) {
		t.Helper()
		deadline := time.Now().Add(within)
		for srv.filesOnBus() < n {
			select {
			case <-exited:
				t.Fatalf("the watcher exited:\n%s", readFile(t, logPath))
			default:
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d files on the bus after %v, want %d; watcher log:\n%s", srv.filesOnBus(), within, n, readFile(t, logPath))
			}
			time.Sleep(200 * time.Millisecond)
		}
	}

	for i := range 20 {
		writeFile(t, filepath.Join(in, fmt.Sprintf("before/%03d.csv", i)), []byte("a\n1\n"))
	}
	waitPublished(20, time.Minute)
	before := lineCount(t, logPath)

	srv.stop()
	outage := time.Now()
	for i := range 300 {
		writeFile(t, filepath.Join(in, fmt.Sprintf("during/%03d.csv", i)), []byte("a\n2\n"))
	}
	time.Sleep(20*time.Second - time.Since(outage)) // the outage itself: the bus is down
	srv.start()
	waitPublished(320, 2*time.Minute)

	var about []string
	noise := regexp.MustCompile(`level=(WARN|ERROR)|(?i)nats|bus|state bucket`)
	for i, l := range strings.Split(readFile(t, logPath), "\n") {
		if i >= before && noise.MatchString(l) && !strings.Contains(l, "msg=\"file version published\"") {
			about = append(about, l)
		}
	}
	t.Logf("during and after the outage the watcher logged:\n%s", strings.Join(about, "\n"))
	if len(about) > 8 {
		t.Fatalf("the watcher logged %d lines about a 20 s outage, want a handful (at most 8)", len(about))
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func lineCount(t *testing.T, path string) int {
	t.Helper()
	return strings.Count(readFile(t, path), "\n")
}
