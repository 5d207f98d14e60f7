package integration

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// canary is a password made of random pieces that no output may show,
// alone or together.
type canary struct {
	a, b string // random letters and digits
	port string // five digits that read as a port (10000-65535)
	long string // nine digits, too large for a port
}

func newCanary(t *testing.T) canary {
	t.Helper()
	return canary{a: randomText(t, 12), b: randomText(t, 12), port: randomDigits(t, 10000, 65535), long: randomDigits(t, 100_000_000, 999_999_999)}
}

func randomText(t *testing.T, n int) string {
	t.Helper()
	const letters = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := make([]byte, n)
	for i := range b {
		k, err := rand.Int(rand.Reader, big.NewInt(int64(len(letters))))
		if err != nil {
			t.Fatal(err)
		}
		b[i] = letters[k.Int64()]
	}
	// A letter first, so that no piece is all digits by chance.
	return "Q" + string(b)
}

func randomDigits(t *testing.T, lo, hi int64) string {
	t.Helper()
	k, err := rand.Int(rand.Reader, big.NewInt(hi-lo+1))
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprint(lo + k.Int64())
}

// leaks returns the pieces of c that out shows. The digit pieces count
// only as whole numbers, so that a timestamp or a process id that happens
// to contain them is not taken for a leak.
func (c canary) leaks(out string) []string {
	var found []string
	for _, s := range []string{c.a, c.b} {
		if strings.Contains(out, s) {
			found = append(found, s)
		}
	}
	for _, d := range []string{c.port, c.long} {
		if regexp.MustCompile(`(^|[^0-9])` + d + `($|[^0-9])`).MatchString(out) {
			found = append(found, d)
		}
	}
	return found
}

// secretShape is a connection string that carries c in one shape.
type secretShape struct {
	name string
	// url is the connection string; password, when not "", is the part
	// a ${VAR} may stand for in user:${VAR}@host.
	url, password string
}

// postgresShapes are destination URLs to an unreachable server (port 1)
// carrying c in every shape we could think of: user info with '/', '@',
// ':', '?', '#', %-escapes and digits that Go's parser reads as a port,
// query-string passwords and a keyword/value string.
func postgresShapes(c canary) []secretShape {
	const host = "@127.0.0.1:1/db"
	user := func(name, pw, query string) secretShape {
		return secretShape{name: name, url: "postgresql://loader:" + pw + host + query, password: pw}
	}
	return []secretShape{
		user("digits before a slash", c.port+"/"+c.a, ""),
		user("long digits before a slash", c.long+"/"+c.a, ""),
		user("at sign", c.a+"@"+c.b, ""),
		user("colon", c.a+":"+c.b, "?sslmode=disable"),
		user("percent escapes", c.a+"%2F"+c.port+"%40"+c.b, "?sslmode=disable"),
		user("question mark", c.a+"?x="+c.b, ""),
		user("hash", c.a+"#"+c.b, ""),
		user("bad escape", c.a+"%zz"+c.b, ""),
		user("space", c.a+" "+c.b, ""),
		{name: "password parameter", url: "postgresql://loader@127.0.0.1:1/db?sslmode=disable&password=" + c.a + "%2F" + c.port},
		{name: "sslpassword parameter", url: "postgres://loader@127.0.0.1:1/db?sslmode=disable&sslpassword=" + c.a},
		{name: "keyword/value", url: "host=127.0.0.1 port=1 user=loader password=" + c.a + " dbname=db"},
	}
}

// natsShapes are bus URLs to unreachable servers (ports 1 and 2) carrying
// c: user and password, a token, a token without a scheme, lists, and
// passwords that Go's parser misreads.
func natsShapes(c canary) []secretShape {
	return []secretShape{
		{name: "user and password", url: "nats://filedge:" + c.a + "@127.0.0.1:1", password: c.a},
		{name: "token", url: "nats://" + c.a + "@127.0.0.1:1"},
		{name: "token without a scheme", url: c.a + "@127.0.0.1:1"},
		{name: "list", url: "nats://127.0.0.1:1, nats://filedge:" + c.a + "%2F" + c.port + "@127.0.0.1:2", password: c.a + "%2F" + c.port},
		{name: "list of tokens", url: "nats://" + c.a + "@127.0.0.1:1,tls://" + c.b + "@127.0.0.1:2"},
		{name: "digits before a slash", url: "nats://filedge:" + c.port + "/" + c.a + "@127.0.0.1:1", password: c.port + "/" + c.a},
		{name: "question mark in a list", url: "nats://127.0.0.1:2,nats://filedge:" + c.a + "?" + c.b + "@127.0.0.1:1", password: c.a + "?" + c.b},
		{name: "bad escape", url: "nats://filedge:" + c.a + "%zz@127.0.0.1:1", password: c.a + "%zz"},
	}
}

// delivery is one way a secret reaches filedge: written in the YAML, as a
// whole ${VAR}, as the password ${VAR}, or through the variable filedge
// reads itself.
type delivery struct {
	name string
	// inFile is set when the secret is written in the file, which must
	// be refused.
	inFile bool
	// yaml returns the pipeline's destination or bus block for s, and the
	// environment it needs ("" when the way does not apply to s).
	yaml func(s secretShape) (block string, env []string)
}

// quoteYAML writes s as a single-quoted YAML scalar.
func quoteYAML(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

var postgresDeliveries = []delivery{
	{"written in the file", true, func(s secretShape) (string, []string) {
		return "connector: {type: postgres, url: " + quoteYAML(s.url) + "}\n", nil
	}},
	{"whole ${VAR}", false, func(s secretShape) (string, []string) {
		return "connector: {type: postgres, url: '${PGURL}'}\n", []string{"PGURL=" + s.url}
	}},
	{"password ${VAR}", false, func(s secretShape) (string, []string) {
		if s.password == "" {
			return "", nil
		}
		return "connector: {type: postgres, url: 'postgresql://loader:${PGPASSWORD}@127.0.0.1:1/db?sslmode=disable'}\n", []string{"PGPASSWORD=" + s.password}
	}},
	{"DATABASE_URL", false, func(s secretShape) (string, []string) {
		return "connector: {type: postgres}\n", []string{"DATABASE_URL=" + s.url}
	}},
}

var natsDeliveries = []delivery{
	{"written in the file", true, func(s secretShape) (string, []string) {
		return "bus: {url: " + quoteYAML(s.url) + "}\n", nil
	}},
	{"whole ${VAR}", false, func(s secretShape) (string, []string) {
		return "bus: {url: '${NATS_URL}'}\n", []string{"NATS_URL=" + s.url}
	}},
	{"password ${VAR}", false, func(s secretShape) (string, []string) {
		if s.password == "" {
			return "", nil
		}
		return "bus: {url: 'nats://filedge:${NATS_PASSWORD}@127.0.0.1:1'}\n", []string{"NATS_PASSWORD=" + s.password}
	}},
	{"FILEDGE_NATS_URL", false, func(s secretShape) (string, []string) {
		return "", []string{"FILEDGE_NATS_URL=" + s.url}
	}},
}

// TestSecretsNeverPrintedInAnyURLShapeByAnyCommand runs the binary, as
// validate, run --once and each split stage, on pipelines whose destination
// or bus URL carries a canary password in every shape, given in the file
// (refused), through ${VAR} or through DATABASE_URL and FILEDGE_NATS_URL
// (refused when ambiguous, or failing to connect to an unreachable port),
// and finds no piece of the canary in stdout or stderr. A stage that keeps
// retrying is watched until it has reported its failure, then stopped.
func TestSecretsNeverPrintedInAnyURLShapeByAnyCommand(t *testing.T) {
	c := newCanary(t)
	t.Run("destination", func(t *testing.T) {
		pipeline := randomName("secrets")
		cleanBus(t, pipeline)
		base := "name: " + pipeline + "\nsource: {path: ./in}\n"
		for _, s := range postgresShapes(c) {
			for _, d := range postgresDeliveries {
				block, env := d.yaml(s)
				if block == "" {
					continue
				}
				t.Run(s.name+"/"+d.name, func(t *testing.T) {
					t.Parallel()
					// The sink reaches the machine's NATS server, so that it
					// gets as far as opening the destination.
					env = append(env, "FILEDGE_NATS_URL="+natsURL(t))
					checkCommands(t, c, base+block, env, d.inFile, "connector.url", "127.0.0.1:1",
						[]string{"run", "--once", "--timeout", "5s"}, []string{"sink", "--destination", "postgres"})
				})
			}
		}
	})
	t.Run("bus", func(t *testing.T) {
		base := "name: " + randomName("secrets") + "\nsource: {path: ./in}\nconnector: {type: sqlite, url: sqlite:///out.db}\n"
		for _, s := range natsShapes(c) {
			for _, d := range natsDeliveries {
				block, env := d.yaml(s)
				if block == "" && env == nil {
					continue
				}
				t.Run(s.name+"/"+d.name, func(t *testing.T) {
					t.Parallel()
					checkCommands(t, c, base+block, env, d.inFile, "bus.url", "127.0.0.1:",
						[]string{"watcher"}, []string{"parser"}, []string{"sink", "--destination", "sqlite"})
				})
			}
		}
	})
}

// checkCommands writes the pipeline doc into a folder of its own and runs
// validate on it with env; it must refuse a secret written in the file
// (inFile). When validate refuses the pipeline, every command must refuse
// it too, naming key; otherwise each of connecting must fail naming the
// server (where). No output may show a piece of c.
func checkCommands(t *testing.T, c canary, doc string, env []string, inFile bool, key, where string, connecting ...[]string) {
	t.Helper()
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "in"), 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "pipeline.yaml")
	// Each pipeline keeps its embedded bus in its own folder.
	doc = strings.Replace(doc, "bus: {", "bus: {data_dir: ./state, ", 1)
	if !strings.Contains(doc, "bus:") {
		doc += "bus: {data_dir: ./state}\n"
	}
	if err := os.WriteFile(cfg, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	env = append(cleanEnv(), env...)
	out, code := observe(t, env, "", "validate", "-c", cfg)
	check := func(args []string, out string) {
		if l := c.leaks(out); len(l) > 0 {
			t.Errorf("filedge %s shows %q of the password:\n%s", strings.Join(args, " "), l, out)
		}
	}
	check([]string{"validate"}, out)
	if inFile && (code == 0 || !strings.Contains(out, key+": a password is written in the file")) {
		t.Errorf("validate exit %d: want the password written in the file refused at %s:\n%s", code, key, out)
	}
	commands := connecting
	want := where
	if code != 0 {
		if !strings.Contains(out, key+":") {
			t.Errorf("validate exit %d without a problem at %s:\n%s", code, key, out)
		}
		commands = [][]string{{"run", "--once", "--timeout", "5s"}, {"watcher"}, {"parser"}, {"sink", "--destination", "postgres"}}
		want = key + ":"
	}
	for _, args := range commands {
		out, _ := observe(t, env, want, append(args, "-c", cfg)...)
		check(args, out)
	}
}

// cleanEnv is the test's environment without the variables that carry
// credentials or a bus to filedge.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch name {
		case "FILEDGE_NATS_URL", "DATABASE_URL", "PGPASSWORD", "PGURL", "NATS_URL", "NATS_PASSWORD":
			continue
		}
		env = append(env, kv)
	}
	return env
}

// lockedBuffer is a bytes.Buffer that a process writes while the test
// reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// observe runs the filedge binary with args and env until it exits, or
// until its output holds want and a second more has passed (a stage that
// retries keeps failing the same way), and then stops it. It returns
// stdout and stderr together, and the exit code (-1 when it was stopped).
// A process that neither exits nor says want within a minute fails the
// test.
func observe(t *testing.T, env []string, want string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = env
	var stdout, stderr lockedBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	output := func() string { return stdout.String() + stderr.String() }

	deadline := time.After(time.Minute)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	var enough <-chan time.Time
	exited := false
wait:
	for {
		select {
		case <-done:
			exited = true
			break wait
		case <-enough:
			break wait
		case <-deadline:
			t.Errorf("filedge %s: neither exited nor said %q within a minute:\n%s", strings.Join(args, " "), want, output())
			break wait
		case <-tick.C:
			if enough == nil && want != "" && strings.Contains(output(), want) {
				enough = time.After(time.Second)
			}
		}
	}
	if !exited {
		terminate(cmd, done)
	}
	out := output()
	if want != "" && !strings.Contains(out, want) {
		t.Errorf("filedge %s: output lacks %q:\n%s", strings.Join(args, " "), want, out)
	}
	code := -1
	if exited {
		code = cmd.ProcessState.ExitCode()
	}
	return out, code
}
