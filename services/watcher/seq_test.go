package watcher_test

import (
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/filedge/filedge/pkg/bus"
	"github.com/filedge/filedge/services/watcher"
)

// watcherWithClock returns a new Watcher on e (a process restarting) whose
// clock is now.
func (e *env) watcherWithClock(t *testing.T, b bus.Bus, now func() time.Time) *watcher.Watcher {
	t.Helper()
	w, err := watcher.New(watcher.Config{Pipeline: e.pipeline, Source: e.src, Bus: b, State: stateOf(t, b, e.pipeline.Name), Logger: slog.New(e.logs), Now: now})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// replaceWithOlderModTime gives path new content (of another size) and a
// modification time a day before its current one, as cp -p, rsync -t,
// unzip and tar x do.
func (e *env) replaceWithOlderModTime(t *testing.T, path, content string) {
	t.Helper()
	full := filepath.Join(e.dir, filepath.FromSlash(path))
	fi, err := os.Stat(full)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	old := fi.ModTime().Add(-24 * time.Hour)
	if err := os.Chtimes(full, old, old); err != nil {
		t.Fatal(err)
	}
}

// scanOne scans with w and returns what it says of path.
func scanOne(t *testing.T, w *watcher.Watcher, path string) bus.FileDiscovered {
	t.Helper()
	rep, err := w.Scan(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	got := rep.Files
	for _, f := range got {
		if f.Path == path {
			return f
		}
	}
	t.Fatalf("Scan returned %q, want %s among them", paths(got), path)
	return bus.FileDiscovered{}
}

func TestSequenceGrowsWithEachNewVersionOfAPathWhateverItsModificationTime(t *testing.T) {
	e := newEnv(t, "", 50*time.Millisecond, time.Hour)
	e.write(t, "a.csv", "b.csv")
	w := e.watcher(t)
	first := scanOne(t, w, "a.csv")
	if first.Seq <= 0 {
		t.Fatalf("published %+v without a discovery sequence", first)
	}
	e.replaceWithOlderModTime(t, "a.csv", "new content, older modification time\n")
	second := scanOne(t, w, "a.csv")
	if second.Version == first.Version || !second.Modified.Before(first.Modified) {
		t.Fatalf("the replaced file was seen as %+v after %+v, want a new version with an older modification time", second, first)
	}
	if second.Seq <= first.Seq {
		t.Fatalf("the version discovered last has sequence %d, the one before %d: want it higher", second.Seq, first.Seq)
	}
	pub := e.bus.publishesOf("a.csv")
	if len(pub) != 2 || pub[0].Seq != first.Seq || pub[1].Seq != second.Seq {
		t.Fatalf("published %+v, want the two versions with the sequences Scan returned", pub)
	}
	// A known version is reported with the sequence it was published with.
	if again := scanOne(t, w, "a.csv"); again.Version != second.Version || again.Seq != second.Seq {
		t.Fatalf("a rescan reported %+v, want the published version %+v", again, second)
	}
	if n := len(e.bus.publishesOf("b.csv")); n != 1 {
		t.Fatalf("the unchanged b.csv was published %d times, want once", n)
	}
}

func TestSequenceSurvivesARestartAndAClockSetBack(t *testing.T) {
	e := newEnv(t, "", 50*time.Millisecond, time.Hour)
	e.write(t, "a.csv")
	first := scanOne(t, e.watcher(t), "a.csv")

	// The restarted watcher reads the state back: the known version keeps
	// its sequence.
	behind := func() time.Time { return time.Now().Add(-time.Hour) } // a clock set back an hour
	w := e.watcherWithClock(t, e.bus, behind)
	if known := scanOne(t, w, "a.csv"); known.Version != first.Version || known.Seq != first.Seq {
		t.Fatalf("after a restart Scan reported %+v, want the version published before %+v", known, first)
	}
	if n := len(e.bus.publishesOf("a.csv")); n != 1 {
		t.Fatalf("a.csv published %d times, want once", n)
	}

	// Its clock is an hour behind the first sequence: the next version
	// still comes after it.
	e.replaceWithOlderModTime(t, "a.csv", "new content\n")
	second := scanOne(t, w, "a.csv")
	if second.Version == first.Version || second.Seq != first.Seq+1 {
		t.Fatalf("the new version has sequence %d after %d with a clock set back; want %d", second.Seq, first.Seq, first.Seq+1)
	}
}

func TestSequenceStaysAboveTheOldOneWhenTheStateIsLost(t *testing.T) {
	e := newEnv(t, "", 50*time.Millisecond, time.Hour)
	e.write(t, "a.csv")
	first := scanOne(t, e.watcher(t), "a.csv")

	// A wiped data dir or bucket: a new bus without the watcher's state,
	// while the destinations keep their ledgers and the first sequence.
	lost := newFakeBus()
	e.replaceWithOlderModTime(t, "a.csv", "new content\n")
	second := scanOne(t, e.watcherWithClock(t, lost, time.Now), "a.csv")
	if second.Version == first.Version {
		t.Fatalf("the replaced file kept its version %s", first.Version)
	}
	if second.Seq <= first.Seq {
		t.Fatalf("after the state was lost the new version got sequence %d, not above the old one's %d: it would never be loaded", second.Seq, first.Seq)
	}
	if pub := lost.publishesOf("a.csv"); len(pub) != 1 || pub[0].Seq != second.Seq {
		t.Fatalf("published %+v on the new bus, want the new version once with sequence %d", pub, second.Seq)
	}
}
