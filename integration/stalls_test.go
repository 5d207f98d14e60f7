package integration

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/filedge/filedge/pkg/bus"
	"github.com/filedge/filedge/pkg/bus/natsbus"
)

// TestRunOnceFailsFilesTooLargeForTheBusAndLoadsTheRest drops a file with a
// 10 MB line (under max_line_bytes, over the bus's 1 MiB message limit
// once encoded), a file with a 100,000-column header and good files into a
// folder: `run --once` must fail the two with the reason, commit the good
// ones and end, where it used to retry the two forever.
func TestRunOnceFailsFilesTooLargeForTheBusAndLoadsTheRest(t *testing.T) {
	o := newOncePipeline(t, "upsert_file", "")
	// 170 fields of 60,000 random hex digits: each under max_field_bytes,
	// the line under max_line_bytes, and nothing the compression shrinks.
	var huge strings.Builder
	for i := range 170 {
		if i > 0 {
			huge.WriteByte(',')
		}
		fmt.Fprintf(&huge, "c%d", i)
	}
	huge.WriteByte('\n')
	field := make([]byte, 30_000)
	for i := range 170 {
		if i > 0 {
			huge.WriteByte(',')
		}
		rand.Read(field)
		huge.WriteString(hex.EncodeToString(field))
	}
	huge.WriteByte('\n')
	o.write(t, "huge_row.csv", huge.String())

	var wide strings.Builder
	for i := range 100_000 {
		fmt.Fprintf(&wide, "column_%d,", i)
	}
	wide.WriteString("last\n")
	for i := range 100_000 {
		fmt.Fprintf(&wide, "%d,", i)
	}
	wide.WriteString("0\n")
	o.write(t, "wide.csv", wide.String())

	for _, name := range []string{"a.csv", "b.csv", "c.csv"} {
		o.write(t, name, threeRows)
	}

	start := time.Now()
	out, code := runOnce(t, o.config, "--timeout", "2m")
	t.Logf("run --once took %v", time.Since(start))
	if code != 1 || !strings.Contains(out, "5 files, 2 destinations: 6 committed, 4 failed") {
		t.Fatalf("run --once exited %d, want 1 with the good files committed and the two failed:\n%s", code, out)
	}
	for _, want := range []string{
		`huge_row\.csv\s+(pg|lite)\s+failed\s+0\s+line 2: a single row of 170 columns encodes to \d+ bytes, over the bus message limit of 1048576 bytes: raise the bus's message limit \(max_payload of a NATS server`,
		`wide\.csv\s+(pg|lite)\s+failed\s+0\s+line 2: a single row of 100001 columns encodes to \d+ bytes, over the bus message limit of 1048576 bytes`,
	} {
		if n := len(regexp.MustCompile(want).FindAllString(out, -1)); n != 2 {
			t.Errorf("%d summary lines match %q, want one per destination:\n%s", n, want, out)
		}
	}
	for _, name := range []string{"a.csv", "b.csv", "c.csv"} {
		if pg, lite := o.counts(t, name); pg != 3 || lite != 3 {
			t.Errorf("%s: %d rows in PostgreSQL, %d in SQLite, want 3", name, pg, lite)
		}
	}
}

// TestUnreadableFilesFailAfterBoundedRetriesWithoutHoldingUpTheSink runs
// the stages as separate processes. Two files are published, then made
// unreadable to the parser (it runs as another user when the test runs as
// root, which reads every file); ten good files follow. The sink, with two
// workers and a batch_idle of a minute, takes the two failing files first:
// it must learn from the bus that their parse failed and commit the good
// files at once. The two fail for good after parser.max_attempts, with the
// reason; a later change of one of them loads it.
func TestUnreadableFilesFailAfterBoundedRetriesWithoutHoldingUpTheSink(t *testing.T) {
	dir, err := os.MkdirTemp("", "filedge-unreadable-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	var parserUser *syscall.Credential
	if os.Geteuid() == 0 {
		// nobody: it must reach the binary, the pipeline file and the folder.
		parserUser = &syscall.Credential{Uid: 65534, Gid: 65534}
		for _, d := range []string{dir, filepath.Dir(binary)} {
			if err := os.Chmod(d, 0o755); err != nil {
				t.Fatal(err)
			}
		}
	}
	in := filepath.Join(dir, "in")
	pipeline := randomName("unreadable")
	dbURL, db := newDatabase(t)
	cleanBus(t, pipeline)
	config := filepath.Join(dir, "pipeline.yaml")
	writeFile(t, config, []byte(fmt.Sprintf(`name: %s
source: {path: ./in}
table: events
connector: {name: pg, type: postgres, url: "%s"}
bus: {url: %s}
watcher: {settle: 100ms, rescan: 1s}
sink: {workers: 2, batch_idle: 60s}
`, pipeline, dbURL, natsURL(t))))
	b, err := natsbus.Connect(t.Context(), natsbus.Options{URL: natsURL(t), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	files := follow(t, b, bus.Files, pipeline)

	watcher := startProc(t, dir, "watcher", "watcher", "-c", config)
	bad := []string{"bad_1.csv", "bad_2.csv"}
	for _, name := range bad {
		writeFile(t, filepath.Join(in, name), []byte(threeRows))
	}
	awaitMessages(t, files, len(bad), watcher)
	var good []string
	for i := range 10 {
		name := fmt.Sprintf("good_%02d.csv", i)
		good = append(good, name)
		writeFile(t, filepath.Join(in, name), []byte(fmt.Sprintf("id,name\n%d,a\n%d,b\n", 2*i, 2*i+1)))
	}
	awaitMessages(t, files, len(good), watcher)
	for _, name := range bad {
		if err := os.Chmod(filepath.Join(in, name), 0); err != nil {
			t.Fatal(err)
		}
	}

	parser := startProcAs(t, dir, "parser", parserUser, "parser", "-c", config)
	sink := startProc(t, dir, "sink", "sink", "--destination", "pg", "-c", config)
	dump := func() {
		for _, p := range []*proc{watcher, parser, sink} {
			t.Logf("---- %s:\n%s", p.name, p.tail(30))
		}
	}
	start := time.Now()
	for deadline := start.Add(15 * time.Second); ; {
		n, err := goodRows(db)
		if n == int64(2*len(good)) {
			break
		}
		if time.Now().After(deadline) {
			dump()
			t.Fatalf("%d of %d rows of the good files committed after 15s (%v), with sink.batch_idle 60s: the failing files hold the sink's workers",
				n, 2*len(good), err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("the good files committed within %v", time.Since(start))

	outcomes := follow(t, b, bus.Committed, pipeline)
	failed := map[string]*bus.FileCommitted{}
	timeout := time.After(2 * time.Minute)
	for len(failed) < len(bad) {
		var m *bus.Message
		select {
		case m = <-outcomes:
		case <-timeout:
			dump()
			t.Fatalf("the unreadable files have no outcome %v after the start", time.Since(start))
		}
		var c bus.FileCommitted
		if err := bus.Decode(m, bus.TypeFileCommitted, &c); err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(c.Path, "bad_") {
			failed[c.Path] = &c
		}
	}
	t.Logf("the unreadable files failed %v after the start", time.Since(start))
	for _, name := range bad {
		c := failed[name]
		want := "permission denied reading " + name + " (5 attempts)"
		if c.Status != bus.StatusFailed || c.Error == nil || !strings.Contains(c.Error.Message, want) {
			t.Errorf("%s: outcome %s, error %+v; want failed with %q", name, c.Status, c.Error, want)
		}
	}

	// A new version of a failed file is tried afresh.
	fixed := filepath.Join(in, bad[0])
	if err := os.Chmod(fixed, 0o644); err != nil {
		t.Fatal(err)
	}
	writeFile(t, fixed, []byte("id,name\n100,x\n101,y\n102,z\n103,w\n"))
	for deadline := time.Now().Add(time.Minute); queryInt(t, db, `SELECT count(*) FROM events WHERE _file = $1`, bad[0]) != 4; {
		if time.Now().After(deadline) {
			dump()
			t.Fatalf("the rewritten %s was not loaded within a minute", bad[0])
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// awaitMessages reads n messages from c within a minute.
// follow follows topic and pipeline on b from the first message until the
// test ends, and returns the messages as they come.
func follow(t *testing.T, b bus.Bus, topic bus.Topic, pipeline string) <-chan *bus.Message {
	ctx, cancel := context.WithCancel(t.Context())
	msgs := make(chan *bus.Message, 1024)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = b.Consume(ctx, bus.ConsumerConfig{Topic: topic, Pipeline: pipeline}, func(ctx context.Context, d *bus.Delivery) bus.Outcome {
			select {
			case msgs <- d.Message:
			case <-ctx.Done():
			}
			return bus.Done()
		})
	}()
	t.Cleanup(func() { cancel(); <-done })
	return msgs
}

// awaitMessages waits for n more messages from msgs.
func awaitMessages(t *testing.T, msgs <-chan *bus.Message, n int, from *proc) {
	t.Helper()
	deadline := time.After(time.Minute)
	for i := range n {
		select {
		case <-msgs:
		case <-deadline:
			t.Fatalf("%d of %d messages within a minute\n%s", i, n, from.tail(20))
		}
	}
}

// goodRows counts the rows of the good files: 0 before the table exists.
func goodRows(db *sql.DB) (int64, error) {
	var n int64
	err := db.QueryRow(`SELECT count(*) FROM events WHERE _file LIKE 'good%'`).Scan(&n)
	if err != nil && strings.Contains(err.Error(), "does not exist") { // no row committed yet
		return 0, nil
	}
	return n, err
}
