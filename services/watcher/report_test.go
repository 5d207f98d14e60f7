package watcher_test

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/filedge/filedge/pkg/source"
	"github.com/filedge/filedge/pkg/source/local"
)

// hookedSource is the local source with hooks: it counts listings and read
// checks, and may refuse to read or stat chosen files, as a file without
// read permission would be refused (tests run as root, whom permissions do
// not stop).
type hookedSource struct {
	*local.Source
	mu       sync.Mutex
	walks    int
	checks   int
	locked   map[string]bool
	statErrs map[string]error
}

func hooked(t *testing.T, e *env) *hookedSource {
	t.Helper()
	return &hookedSource{Source: e.src.(*local.Source), locked: map[string]bool{}, statErrs: map[string]error{}}
}

func (s *hookedSource) WalkWithSkips(ctx context.Context, fn func(source.FileInfo) error, skipped func(source.Skipped) error) error {
	s.mu.Lock()
	s.walks++
	s.mu.Unlock()
	return s.Source.WalkWithSkips(ctx, fn, skipped)
}

func (s *hookedSource) CheckRead(ctx context.Context, path string) error {
	s.mu.Lock()
	s.checks++
	locked := s.locked[path]
	s.mu.Unlock()
	if locked {
		return &fs.PathError{Op: "open", Path: path, Err: fs.ErrPermission}
	}
	return s.Source.CheckRead(ctx, path)
}

func (s *hookedSource) Stat(ctx context.Context, path string) (source.FileInfo, error) {
	s.mu.Lock()
	err := s.statErrs[path]
	s.mu.Unlock()
	if err != nil {
		return source.FileInfo{}, err
	}
	return s.Source.Stat(ctx, path)
}

func (s *hookedSource) lock(path string, locked bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.locked[path] = locked
}

func (s *hookedSource) counts() (walks, checks int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.walks, s.checks
}

// waitWalks waits until the source has been listed n more times.
func (s *hookedSource) waitWalks(t *testing.T, n int) {
	t.Helper()
	start, _ := s.counts()
	waitUntil(t, 10*time.Second, fmt.Sprintf("%d more listings", n), func() bool {
		walks, _ := s.counts()
		return walks >= start+n
	})
}

// waitUntil polls cond until it holds, failing t after timeout.
func waitUntil(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("no %s within %v", what, timeout)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// special makes a named pipe, a socket and a symbolic link leaving the
// folder at the given paths under dir.
func special(t *testing.T, dir, pipe, sock, link string) {
	t.Helper()
	if err := syscall.Mkfifo(filepath.Join(dir, pipe), 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("unix", filepath.Join(dir, sock))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	if err := os.Symlink("/etc/passwd", filepath.Join(dir, link)); err != nil {
		t.Fatal(err)
	}
}

func TestScanReportsWhatItSkipsWithTheReason(t *testing.T) {
	e := newEnv(t, `\.csv$`, 20*time.Millisecond, time.Hour)
	e.write(t, "a.csv", "locked.csv", "notes.txt")
	special(t, e.dir, "pipe.csv", "s.csv", "passwd.csv")
	if err := syscall.Mkfifo(filepath.Join(e.dir, "pipe.txt"), 0o644); err != nil { // not matched: not reported
		t.Fatal(err)
	}
	src := hooked(t, e)
	src.lock("locked.csv", true)

	rep, err := e.watcherOn(t, src).Scan(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	want := []source.Skipped{
		{Path: "locked.csv", Reason: "permission denied"},
		{Path: "passwd.csv", Reason: "symbolic link to /etc/passwd, outside the folder"},
		{Path: "pipe.csv", Reason: "named pipe"},
		{Path: "s.csv", Reason: "socket"},
	}
	if !slices.Equal(rep.Skipped, want) {
		t.Errorf("Scan skipped %+v, want %+v", rep.Skipped, want)
	}
	if !slices.Equal(paths(rep.Files), []string{"a.csv"}) || len(rep.Failed) != 0 {
		t.Errorf("Scan returned %q and failed %+v, want only a.csv", paths(rep.Files), rep.Failed)
	}
	if pub := paths(e.bus.publishes()); !slices.Equal(pub, []string{"a.csv"}) {
		t.Errorf("published %q, want only a.csv", pub)
	}
}

func TestRunLogsEachSkippedEntryOnceAndAgainWhenItsReasonChanges(t *testing.T) {
	e := newEnv(t, "", 20*time.Millisecond, 20*time.Millisecond)
	special(t, e.dir, "pipe.csv", "s.csv", "passwd.csv")
	src := hooked(t, e)
	run(t, e.watcherOn(t, src))
	src.waitWalks(t, 5)
	if n := e.logs.count(slog.LevelWarn, "file skipped"); n != 3 {
		t.Fatalf("after 5 rescans, %d lines say a file is skipped, want 3 (one per entry)", n)
	}

	// The pipe becomes a link: a new reason, a new line.
	if err := os.Remove(filepath.Join(e.dir, "pipe.csv")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc/shadow", filepath.Join(e.dir, "pipe.csv")); err != nil {
		t.Fatal(err)
	}
	src.waitWalks(t, 5)
	if n := e.logs.count(slog.LevelWarn, "file skipped"); n != 4 {
		t.Fatalf("after the pipe became a link, %d lines say a file is skipped, want 4", n)
	}
	if n := len(e.bus.publishes()); n != 0 {
		t.Fatalf("published %d files, want none", n)
	}
}

// A file the watcher may not read is held back, reported once, checked
// again at each look, and published once it can be read, without any change
// to the file. Files already published are not checked again.
func TestUnreadableFileIsHeldBackUntilItCanBeRead(t *testing.T) {
	e := newEnv(t, "", 20*time.Millisecond, 20*time.Millisecond)
	e.write(t, "ok.csv", "locked.csv")
	src := hooked(t, e)
	src.lock("locked.csv", true)
	run(t, e.watcherOn(t, src))
	e.bus.waitFor(t, "ok.csv", 1, 10*time.Second)
	src.waitWalks(t, 5)
	if n := len(e.bus.publishesOf("locked.csv")); n != 0 {
		t.Fatalf("the unreadable file was published %d times", n)
	}
	if n := e.logs.count(slog.LevelWarn, "file skipped until it can be read; each rescan checks it again"); n != 1 {
		t.Fatalf("%d lines say the unreadable file is held back, want 1 over 5 rescans", n)
	}

	src.lock("locked.csv", false) // chmod: the file itself is unchanged
	e.bus.waitFor(t, "locked.csv", 1, 10*time.Second)
	_, checks := src.counts()
	src.waitWalks(t, 5)
	if _, after := src.counts(); after != checks {
		t.Errorf("%d read checks during 5 rescans of published files, want none", after-checks)
	}
	if n, m := len(e.bus.publishesOf("locked.csv")), len(e.bus.publishesOf("ok.csv")); n != 1 || m != 1 {
		t.Fatalf("published locked.csv %d times and ok.csv %d times, want once each", n, m)
	}
}

// A problem of one file (here a stat that fails) is logged when it starts,
// not at every rescan that meets it again.
func TestAFileProblemIsLoggedOnceNotAtEveryRescan(t *testing.T) {
	e := newEnv(t, "", 20*time.Millisecond, 20*time.Millisecond)
	e.write(t, "ok.csv", "bad.csv")
	src := hooked(t, e)
	src.statErrs["bad.csv"] = &fs.PathError{Op: "stat", Path: "bad.csv", Err: syscall.EIO}
	run(t, e.watcherOn(t, src))
	e.bus.waitFor(t, "ok.csv", 1, 10*time.Second)
	src.waitWalks(t, 10)
	if n := e.logs.count(slog.LevelWarn, "file left for the next scan"); n != 1 {
		t.Fatalf("%d lines about the file that cannot be stated over 10 rescans, want 1", n)
	}
}

// During an outage of the bus (publishes and the state bucket fail) the
// watcher logs the outage once per state change, tries one file per look
// instead of every file, and publishes every file once the bus is back.
func TestBusOutageIsLoggedOncePerChangeAndEveryFileIsPublishedAfter(t *testing.T) {
	e := newEnv(t, "", 20*time.Millisecond, 50*time.Millisecond)
	var before []string
	for i := range 100 {
		before = append(before, fmt.Sprintf("old/%03d.csv", i))
	}
	e.write(t, before...)
	src := hooked(t, e)
	run(t, e.watcherOn(t, src))
	waitUntil(t, 20*time.Second, "first 100 publishes", func() bool { return len(e.bus.publishes()) == 100 })

	e.bus.setDown(true)
	var during []string
	for i := range 200 {
		during = append(during, fmt.Sprintf("new/%03d.csv", i))
	}
	e.write(t, during...) // new files: their state cannot be read
	for _, p := range before {
		f, err := os.OpenFile(filepath.Join(e.dir, p), os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintln(f, "more") // known files: their new version cannot be published
		f.Close()
	}
	src.waitWalks(t, 10)
	tried := e.bus.attemptsWhileDown()
	e.bus.setDown(false)

	waitUntil(t, 30*time.Second, "every file published after the outage", func() bool {
		return len(e.bus.publishes()) == 100+200+100
	})
	for _, p := range before {
		if n := len(e.bus.publishesOf(p)); n != 2 {
			t.Errorf("%s published %d times, want its two versions once each", p, n)
		}
	}
	if tried > 100+10+concurrencyBound {
		t.Errorf("%d publishes tried during the outage (10 rescans of 100 files), want about one per look", tried)
	}
	e.logs.mu.Lock()
	var lines []string
	for _, r := range e.logs.msgs {
		if r.Level >= slog.LevelWarn || r.Message != "file version published" && r.Level >= slog.LevelInfo {
			lines = append(lines, r.Level.String()+" "+r.Message)
		}
	}
	e.logs.mu.Unlock()
	want := []string{
		"WARN bus unavailable: publishing file events fails; files wait until it works again",
		"WARN state bucket unavailable: reading and recording published versions in filedge_watcher_orders fails; files wait until it works again",
		"INFO bus available again",
		"INFO state bucket available again",
	}
	for _, l := range lines {
		if !slices.Contains(want, l) {
			t.Errorf("logged %q", l)
		}
	}
	if len(lines) != len(want) {
		t.Errorf("logged %d lines besides the publishes, want %d, one per change of state:\n%q", len(lines), len(want), lines)
	}
}

// concurrencyBound is the number of publishes the watcher may have in
// flight when an outage starts.
const concurrencyBound = 16

// A file whose publish keeps failing for a reason of its own looks like an
// outage, but cannot keep the other files waiting: while an outage lasts,
// the file tried first is chosen at random.
func TestAFileThatAlwaysFailsToPublishDoesNotHoldUpTheOthers(t *testing.T) {
	e := newEnv(t, "", 20*time.Millisecond, 20*time.Millisecond)
	e.bus.failPub["0-first.csv"] = 1 << 30
	e.write(t, "0-first.csv", "a.csv")
	run(t, e.watcherOn(t, withoutNotify{e.src})) // rescans: each look holds every file
	e.bus.waitFor(t, "a.csv", 1, 10*time.Second)
	var later []string
	for i := range 10 {
		later = append(later, fmt.Sprintf("later/%d.csv", i))
	}
	e.write(t, later...)
	for _, p := range later {
		e.bus.waitFor(t, p, 1, 20*time.Second)
	}
}
