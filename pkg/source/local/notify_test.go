package local_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/filedge/filedge/pkg/source"
	"github.com/filedge/filedge/pkg/source/local"
)

// notifyWait is how long a test waits for an expected path.
const notifyWait = 5 * time.Second

// startNotify runs Notify on dir until the test ends and returns the channel
// it sends to and the channel its result arrives on. It returns once the
// watches are in place.
func startNotify(t *testing.T, dir string, buffer int) (<-chan source.Change, <-chan error) {
	t.Helper()
	s, err := local.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	ch := make(chan source.Change, buffer)
	done := make(chan error, 1)
	go func() {
		done <- s.Notify(ctx, ch)
		close(done) // a test that took the result does not block the cleanup
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	// Notify has no ready signal: probe until a file written now is seen.
	probe := filepath.Join(dir, "probe.tmp")
	deadline := time.Now().Add(notifyWait)
	for {
		if err := os.WriteFile(probe, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		select {
		case c := <-ch:
			if c.Path == "probe.tmp" {
				if err := os.Remove(probe); err != nil {
					t.Fatal(err)
				}
				drain(ch)
				return ch, done
			}
		case err := <-done:
			t.Fatalf("Notify returned early: %v", err)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("Notify never reported the probe file")
		}
	}
}

// expect waits until every path in want has been received.
func expect(t *testing.T, ch <-chan source.Change, want ...string) {
	t.Helper()
	expectChanges(t, ch, false, want)
}

// expectComplete waits until every path in want has been reported
// complete.
func expectComplete(t *testing.T, ch <-chan source.Change, want ...string) {
	t.Helper()
	expectChanges(t, ch, true, want)
}

func expectChanges(t *testing.T, ch <-chan source.Change, complete bool, want []string) {
	t.Helper()
	missing := map[string]bool{}
	for _, p := range want {
		missing[p] = true
	}
	timeout := time.After(notifyWait)
	for len(missing) > 0 {
		select {
		case c := <-ch:
			if c.Complete || !complete {
				delete(missing, c.Path)
			}
		case <-timeout:
			t.Fatalf("Notify did not report %v (complete: %v)", missing, complete)
		}
	}
}

func drain(ch <-chan source.Change) {
	for {
		select {
		case <-ch:
		default:
			return
		}
	}
}

func TestNotifyReportsCreatedWrittenTouchedAndMovedInFiles(t *testing.T) {
	dir := t.TempDir()
	staging := t.TempDir()
	writeFiles(t, dir, map[string][]byte{"old.csv": []byte("1\n"), "sub/old.csv": []byte("1\n")})
	writeFiles(t, staging, map[string][]byte{"moved.csv": []byte("m\n")})
	ch, _ := startNotify(t, dir, 100)

	tests := []struct {
		name string
		do   func(t *testing.T)
		want string
	}{
		{"created at the root", func(t *testing.T) { writeFiles(t, dir, map[string][]byte{"new.csv": []byte("n\n")}) }, "new.csv"},
		{"created in an existing subfolder", func(t *testing.T) { writeFiles(t, dir, map[string][]byte{"sub/new.csv": []byte("n\n")}) }, "sub/new.csv"},
		{"appended to", func(t *testing.T) { appendTo(t, filepath.Join(dir, "old.csv"), "2\n") }, "old.csv"},
		{"touched", func(t *testing.T) {
			if err := os.Chtimes(filepath.Join(dir, "sub", "old.csv"), time.Now(), time.Now()); err != nil {
				t.Fatal(err)
			}
		}, "sub/old.csv"},
		{"moved in", func(t *testing.T) {
			if err := os.Rename(filepath.Join(staging, "moved.csv"), filepath.Join(dir, "moved in.csv")); err != nil {
				t.Fatal(err)
			}
		}, "moved in.csv"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.do(t)
			expect(t, ch, tt.want)
		})
	}
}

// Files written into a folder before its watch is in place are found by
// scanning the folder when it appears.
func TestNotifyReportsFilesOfNewAndMovedInFolders(t *testing.T) {
	dir := t.TempDir()
	staging := t.TempDir()
	writeFiles(t, staging, map[string][]byte{
		"tree/a.csv":       []byte("a\n"),
		"tree/deep/b.csv":  []byte("b\n"),
		"tree/deep/er/c.x": []byte("c\n"),
	})
	ch, _ := startNotify(t, dir, 100)

	// A folder tree created in one go, faster than watches can be added.
	writeFiles(t, dir, map[string][]byte{"new/x/y/z.csv": []byte("z\n"), "new/x/w.csv": []byte("w\n")})
	expect(t, ch, "new/x/y/z.csv", "new/x/w.csv")

	// A whole tree moved in.
	if err := os.Rename(filepath.Join(staging, "tree"), filepath.Join(dir, "tree")); err != nil {
		t.Fatal(err)
	}
	expect(t, ch, "tree/a.csv", "tree/deep/b.csv", "tree/deep/er/c.x")

	// Folders created later in the new trees are watched too.
	writeFiles(t, dir, map[string][]byte{"tree/deep/later.csv": []byte("l\n"), "new/x/y/later.csv": []byte("l\n")})
	expect(t, ch, "tree/deep/later.csv", "new/x/y/later.csv")
}

func TestNotifyIgnoresDataDir(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string][]byte{".filedge/existing.blk": nil})
	ch, _ := startNotify(t, dir, 100)

	writeFiles(t, dir, map[string][]byte{
		".filedge/existing.blk":     []byte("state"),
		".filedge/new/stream.blk":   []byte("state"),
		"sub/.filedge/state.json":   []byte("{}"),
		"after the state files.csv": []byte("x\n"),
	})
	// Events arrive in order: once the last file is reported, any event for
	// the state files has been too.
	timeout := time.After(notifyWait)
	for {
		select {
		case c := <-ch:
			switch p := c.Path; p {
			case "after the state files.csv":
				return
			case ".filedge", "sub", "sub/.filedge", "probe.tmp":
				// Attribute changes of the folders themselves, not files;
				// a late event of startNotify's probe.
			default:
				t.Fatalf("Notify reported %q inside a .filedge folder", p)
			}
		case <-timeout:
			t.Fatal("Notify did not report the file written after the state files")
		}
	}
}

func TestNotifyNeverBlocksOnAFullChannel(t *testing.T) {
	dir := t.TempDir()
	ch, _ := startNotify(t, dir, 1)
	for i := range 200 { // 400+ events into a channel that holds one
		writeFiles(t, dir, map[string][]byte{fmt.Sprintf("f%03d.csv", i): []byte("x\n")})
	}
	// Had a send blocked, Notify would be stuck on it: make room, and a
	// file written now must still come through (retry: a stale event may
	// take the room first and push the new one out).
	deadline := time.Now().Add(notifyWait)
	for i := 0; ; i++ {
		drain(ch)
		name := fmt.Sprintf("after%d.csv", i)
		writeFiles(t, dir, map[string][]byte{name: []byte("x\n")})
		select {
		case c := <-ch:
			if c.Path == name {
				return
			}
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("Notify reports nothing after its channel was full: it is blocked")
		}
	}
}

func TestNotifyWatchesARootThatIsASymbolicLink(t *testing.T) {
	real := filepath.Join(t.TempDir(), "real")
	writeFiles(t, real, map[string][]byte{"sub/old.csv": nil})
	link := filepath.Join(t.TempDir(), "link")
	mustSymlink(t, real, link)
	ch, _ := startNotify(t, link, 100)
	writeFiles(t, real, map[string][]byte{"sub/new.csv": []byte("n\n")})
	expect(t, ch, "sub/new.csv")
}

func TestNotifyFailsWhenTheFolderIsRemoved(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "root")
	writeFiles(t, dir, map[string][]byte{"a.csv": nil})
	_, done := startNotify(t, dir, 10)
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err == nil || errors.Is(err, context.Canceled) {
			t.Fatalf("Notify returned %v, want an error saying the folder is gone", err)
		}
	case <-time.After(notifyWait):
		t.Fatal("Notify kept running on a removed folder")
	}
}

// A file is complete once its writer closes it, or as soon as it is moved
// in (alone or with its folder): then the watcher need not wait for it to
// settle. A file still open for writing, or touched, is not.
func TestNotifyMarksFilesClosedAfterWritingAndMovedInComplete(t *testing.T) {
	dir := t.TempDir()
	staging := t.TempDir()
	writeFiles(t, dir, map[string][]byte{"old.csv": []byte("1\n")})
	writeFiles(t, staging, map[string][]byte{"moved.csv": []byte("m\n"), "tree/a.csv": []byte("a\n"), "tree/deep/b.csv": []byte("b\n")})
	ch, _ := startNotify(t, dir, 100)

	f, err := os.Create(filepath.Join(dir, "open.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("a,b\n1,2\n"); err != nil {
		t.Fatal(err)
	}
	// Written, still open: changes, none complete.
	quiet := time.After(300 * time.Millisecond)
	seen := false
	for waiting := true; waiting; {
		select {
		case c := <-ch:
			if c.Path == "open.csv" && c.Complete {
				t.Fatal("a file still open for writing was reported complete")
			}
			seen = seen || c.Path == "open.csv"
		case <-quiet:
			waiting = false
		}
	}
	if !seen {
		t.Fatal("the file being written was not reported")
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	expectComplete(t, ch, "open.csv")

	if err := os.Rename(filepath.Join(staging, "moved.csv"), filepath.Join(dir, "moved.csv")); err != nil {
		t.Fatal(err)
	}
	expectComplete(t, ch, "moved.csv")
	if err := os.Rename(filepath.Join(staging, "tree"), filepath.Join(dir, "tree")); err != nil {
		t.Fatal(err)
	}
	expectComplete(t, ch, "tree/a.csv", "tree/deep/b.csv")

	if err := os.Chtimes(filepath.Join(dir, "old.csv"), time.Now(), time.Now()); err != nil {
		t.Fatal(err)
	}
	timeout := time.After(notifyWait)
	for {
		select {
		case c := <-ch:
			if c.Path == "old.csv" {
				if c.Complete {
					t.Fatal("a touched file was reported complete")
				}
				return
			}
		case <-timeout:
			t.Fatal("the touched file was not reported")
		}
	}
}

func appendTo(t *testing.T, path, s string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(s); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}
