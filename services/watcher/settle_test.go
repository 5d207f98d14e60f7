package watcher_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// waitNotifying waits until notifications reach the running watcher: a
// probe file written and closed is published (at once: it is complete).
func waitNotifying(t *testing.T, e *env) {
	t.Helper()
	waitUntil(t, 10*time.Second, "notifications", func() bool {
		e.write(t, "probe.csv")
		time.Sleep(50 * time.Millisecond)
		return len(e.bus.publishesOf("probe.csv")) > 0
	})
}

// A file its writer has closed, or one renamed into the folder, is
// published at once, not a settle interval later; a file still open for
// writing waits.
func TestAFileClosedOrMovedInIsPublishedWithoutWaitingToSettle(t *testing.T) {
	const settle = 10 * time.Second
	e := newEnv(t, "", settle, time.Hour)
	run(t, e.watcher(t))
	waitNotifying(t, e)

	f, err := os.Create(filepath.Join(e.dir, "open.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("a\n1\n"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond) // room for a wrong publish while it is open
	if n := len(e.bus.publishesOf("open.csv")); n != 0 {
		t.Fatalf("a file still open for writing was published %d times before it settled", n)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	closed := time.Now()
	got := e.bus.waitFor(t, "open.csv", 1, settle/2)
	t.Logf("published %v after its writer closed it (settle %v)", got[0].Discovered.Sub(closed), settle)
	if fi := e.stat(t, "open.csv"); got[0].Size != fi.Size {
		t.Fatalf("published %+v, want its final size %d", got[0], fi.Size)
	}

	staging := t.TempDir()
	if err := os.WriteFile(filepath.Join(staging, "moved.csv"), []byte("a\n2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(filepath.Join(staging, "moved.csv"), filepath.Join(e.dir, "moved.csv")); err != nil {
		t.Fatal(err)
	}
	moved := time.Now()
	got = e.bus.waitFor(t, "moved.csv", 1, settle/2)
	t.Logf("published %v after it was moved in", got[0].Discovered.Sub(moved))
}

// A file whose modification time is older than the settle interval has not
// been written for that long: Scan (run --once) and a restarted Run publish
// it at once.
func TestAFileWithAnOldModificationTimeIsPublishedWithoutWaitingToSettle(t *testing.T) {
	const settle = 10 * time.Second
	e := newEnv(t, "", settle, time.Hour)
	e.write(t, "a.csv", "sub/b.csv")
	old := time.Now().Add(-time.Hour)
	for _, p := range []string{"a.csv", "sub/b.csv"} {
		if err := os.Chtimes(filepath.Join(e.dir, p), old, old); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now()
	if got := scanFiles(t, e.watcher(t)); len(got) != 2 {
		t.Fatalf("Scan returned %q, want both files", paths(got))
	}
	if took := time.Since(start); took >= settle/2 {
		t.Fatalf("Scan took %v over files an hour old, want them published without waiting to settle (%v)", took, settle)
	}

	e.write(t, "c.csv")
	if err := os.Chtimes(filepath.Join(e.dir, "c.csv"), old, old); err != nil {
		t.Fatal(err)
	}
	run(t, e.watcherOn(t, withoutNotify{e.src})) // a restart finds it by its scan
	e.bus.waitFor(t, "c.csv", 1, settle/2)
}
