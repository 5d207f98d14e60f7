package integration

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// binary is the filedge binary TestMain builds once for every test, in
// buildDir.
var binary, buildDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "filedge-it-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	buildDir = dir
	binary = filepath.Join(dir, "filedge")
	build := exec.Command("go", "build", "-o", binary, "../cmd/filedge")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building filedge:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// kfakeBinary builds the kfake helper (integration/kfake) once, for the
// tests that need a Kafka cluster, and returns its path.
var kfakeBinary = sync.OnceValues(func() (string, error) {
	bin := filepath.Join(buildDir, "kfake")
	build := exec.Command("go", "build", "-o", bin, "./kfake")
	if out, err := build.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building the kfake helper: %w\n%s", err, out)
	}
	return bin, nil
})

// startKafka starts a kfake cluster of one broker in a process of its own,
// stopped when the test ends, and returns its broker's address.
func startKafka(t *testing.T) string {
	t.Helper()
	bin, err := kfakeBinary()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-brokers", "1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() { terminate(cmd, done) })
	line := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		if sc.Scan() {
			line <- sc.Text()
		}
		close(line)
		_, _ = io.Copy(io.Discard, out)
	}()
	select {
	case l, ok := <-line:
		addr, found := strings.CutPrefix(l, "listening on ")
		if !ok || !found {
			t.Fatalf("the kfake helper said %q, want listening on ADDR", l)
		}
		return addr
	case <-time.After(time.Minute):
		t.Fatal("the kfake helper did not start within a minute")
	}
	return ""
}

func natsURL(t *testing.T) string {
	t.Helper()
	u := os.Getenv("FILEDGE_NATS_URL")
	if u == "" {
		t.Fatal("FILEDGE_NATS_URL is not set: integration tests need the machine's NATS server (make test sets it)")
	}
	return u
}

func postgresURL(t *testing.T) string {
	t.Helper()
	u := os.Getenv("FILEDGE_POSTGRES_URL")
	if u == "" {
		t.Fatal("FILEDGE_POSTGRES_URL is not set: integration tests need the machine's PostgreSQL (make test sets it)")
	}
	return u
}

func randomName(prefix string) string {
	b := make([]byte, 4)
	rand.Read(b)
	return prefix + "_" + hex.EncodeToString(b)
}

// newDatabase creates an empty PostgreSQL database, dropped when the test
// ends, and returns its URL and a handle onto it.
func newDatabase(t *testing.T) (string, *sql.DB) {
	t.Helper()
	admin, err := sql.Open("pgx", postgresURL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	name := randomName("filedge_it")
	if _, err := admin.Exec(`CREATE DATABASE "` + name + `"`); err != nil {
		t.Fatalf("create database: %v", err)
	}
	u, err := url.Parse(postgresURL(t))
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	db, err := sql.Open("pgx", u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		db.Close()
		if _, err := admin.Exec(`DROP DATABASE IF EXISTS "` + name + `" WITH (FORCE)`); err != nil {
			t.Logf("drop database %s: %v", name, err)
		}
	})
	return u.String(), db
}

// cleanBus removes a pipeline's consumers, messages and watcher state from
// the shared NATS server when the test ends.
func cleanBus(t *testing.T, pipeline string) {
	t.Cleanup(func() {
		nc, err := nats.Connect(natsURL(t))
		if err != nil {
			t.Logf("clean bus: %v", err)
			return
		}
		defer nc.Close()
		js, _ := jetstream.New(nc)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		for _, topic := range []string{"FILES", "BATCHES", "PARSED", "COMMITTED"} {
			s, err := js.Stream(ctx, "FILEDGE_"+topic)
			if err != nil {
				continue
			}
			for name := range s.ListConsumers(ctx).Info() {
				if strings.Contains(name.Name, pipeline) {
					_ = s.DeleteConsumer(ctx, name.Name)
				}
			}
			_ = s.Purge(ctx, jetstream.WithPurgeSubject("filedge."+strings.ToLower(topic)+"."+pipeline+".>"))
			_ = s.Purge(ctx, jetstream.WithPurgeSubject("filedge."+strings.ToLower(topic)+"."+pipeline))
		}
		_ = js.DeleteKeyValue(ctx, "filedge_watcher_"+pipeline)
	})
}

// proc is one filedge process that a test may kill and restart.
type proc struct {
	t    *testing.T
	name string
	args []string
	env  []string // added to the environment, after FILEDGE_NATS_URL
	log  string

	cred *syscall.Credential // the user it runs as; nil: the test's

	mu    sync.Mutex
	cmd   *exec.Cmd
	done  chan struct{}
	kills int
}

func startProc(t *testing.T, dir, name string, args ...string) *proc {
	return startProcAs(t, dir, name, nil, args...)
}

// startProcAs starts a process as the user cred, or as the test's when cred
// is nil.
func startProcAs(t *testing.T, dir, name string, cred *syscall.Credential, args ...string) *proc {
	p := &proc{t: t, name: name, args: args, log: filepath.Join(dir, name+".log"), cred: cred}
	p.start()
	t.Cleanup(p.stop)
	return p
}

func (p *proc) start() {
	p.mu.Lock()
	defer p.mu.Unlock()
	f, err := os.OpenFile(p.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		p.t.Fatal(err)
	}
	fmt.Fprintf(f, "---- start %s %v\n", p.name, time.Now().Format(time.RFC3339Nano))
	cmd := exec.Command(binary, p.args...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.Env = append(append(os.Environ(), "FILEDGE_NATS_URL="+natsURL(p.t)), p.env...)
	if p.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: p.cred}
	}
	if err := cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); f.Close(); close(done) }()
	p.cmd, p.done = cmd, done
}

// kill SIGKILLs the process and waits for it to die.
func (p *proc) kill() {
	p.mu.Lock()
	cmd, done := p.cmd, p.done
	p.kills++
	p.mu.Unlock()
	_ = cmd.Process.Signal(syscall.SIGKILL)
	<-done
}

// stop ends the process gracefully (SIGTERM), then by force.
func (p *proc) stop() {
	p.mu.Lock()
	cmd, done := p.cmd, p.done
	p.mu.Unlock()
	terminate(cmd, done)
}

// terminate ends cmd gracefully (SIGTERM), then by force after 15 s, and
// waits until done is closed (cmd was waited for).
func terminate(cmd *exec.Cmd, done <-chan struct{}) {
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		_ = cmd.Process.Kill()
		<-done
	}
}

func (p *proc) alive() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

func (p *proc) tail(n int) string {
	b, _ := os.ReadFile(p.log)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// writeFile writes a file atomically enough for the test: into place, with
// its final content, then lets the watcher's settle interval do the rest.
func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// runOnce runs `filedge run --once` and returns its output and exit code.
func runOnce(t *testing.T, config string, extra ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, append([]string{"run", "--once", "-c", config}, extra...)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run --once: %v\n%s", err, out.String())
	}
	return out.String(), code
}

func queryInt(t *testing.T, db *sql.DB, q string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := db.QueryRow(q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}
