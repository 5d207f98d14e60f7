package watcher_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/filedge/filedge/pkg/bus"
	"github.com/filedge/filedge/pkg/bus/bustest"
	"github.com/filedge/filedge/pkg/bus/membus"
	"github.com/filedge/filedge/pkg/config"
	"github.com/filedge/filedge/pkg/source"
	"github.com/filedge/filedge/pkg/source/local"
	"github.com/filedge/filedge/services/watcher"
)

const pipelineName = "orders"

// env is a folder watched by watchers that share one bus.
type env struct {
	dir      string
	src      source.Source
	bus      *fakeBus
	pipeline *config.Pipeline
	logs     *logCapture
}

func newEnv(t *testing.T, pattern string, settle, rescan time.Duration) *env {
	t.Helper()
	dir := t.TempDir()
	src, err := local.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	p := &config.Pipeline{Name: pipelineName}
	p.Source = config.Source{Type: "local"}
	if pattern != "" {
		p.Source.Pattern = &config.Regexp{Regexp: regexp.MustCompile(pattern)}
	}
	p.Watcher = config.Watcher{Settle: settle, Rescan: rescan}
	return &env{dir: dir, src: src, bus: newFakeBus(), pipeline: p, logs: &logCapture{}}
}

// watcher returns a new Watcher on e: a process (re)starting.
func (e *env) watcher(t *testing.T) *watcher.Watcher {
	t.Helper()
	return e.watcherOn(t, e.src)
}

func (e *env) watcherOn(t *testing.T, src source.Source) *watcher.Watcher {
	t.Helper()
	w, err := watcher.New(watcher.Config{
		Pipeline: e.pipeline,
		Source:   src,
		Bus:      e.bus,
		State:    stateOf(t, e.bus, e.pipeline.Name),
		Logger:   slog.New(e.logs),
	})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func (e *env) write(t *testing.T, files ...string) {
	t.Helper()
	for _, p := range files {
		full := filepath.Join(e.dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte("content of "+p+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func (e *env) stat(t *testing.T, p string) source.FileInfo {
	t.Helper()
	fi, err := e.src.Stat(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	return fi
}

// run starts w.Run until the test ends and returns the channel its result
// arrives on.
func run(t *testing.T, w *watcher.Watcher) (cancel func(), done <-chan error) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	ch := make(chan error, 1)
	go func() {
		ch <- w.Run(ctx)
		close(ch)
	}()
	t.Cleanup(func() {
		cancel()
		<-ch
	})
	return cancel, ch
}

// scanFiles runs w.Scan and returns the files on the bus, failing t on an
// error, a file skipped or a file that failed.
func scanFiles(t *testing.T, w *watcher.Watcher) []bus.FileDiscovered {
	t.Helper()
	rep, err := w.Scan(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Skipped) > 0 || len(rep.Failed) > 0 {
		t.Fatalf("Scan skipped %+v and failed %+v, want neither", rep.Skipped, rep.Failed)
	}
	return rep.Files
}

func paths(fs []bus.FileDiscovered) []string {
	var ps []string
	for _, f := range fs {
		ps = append(ps, f.Path)
	}
	return ps
}

func TestScanPublishesEachMatchingFileOnce(t *testing.T) {
	files := []string{"a.csv", "B.CSV", "sub/c.Csv", "sub/deeper/d.csv", "notes.txt", "sub/e.json", "csv/readme.md"}
	tests := []struct {
		name    string
		pattern string
		want    []string
	}{
		{"no pattern takes every file", "", []string{"B.CSV", "a.csv", "csv/readme.md", "notes.txt", "sub/c.Csv", "sub/deeper/d.csv", "sub/e.json"}},
		{"case-insensitive extension in nested folders", `(?i)\.csv$`, []string{"B.CSV", "a.csv", "sub/c.Csv", "sub/deeper/d.csv"}},
		{"case-sensitive extension", `\.csv$`, []string{"a.csv", "sub/deeper/d.csv"}},
		{"one folder", `^sub/`, []string{"sub/c.Csv", "sub/deeper/d.csv", "sub/e.json"}},
		{"nothing matches", `\.parquet$`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, tt.pattern, 50*time.Millisecond, time.Hour)
			e.write(t, files...)
			got := scanFiles(t, e.watcher(t))
			if !slices.Equal(paths(got), tt.want) {
				t.Fatalf("Scan returned %q, want %q", paths(got), tt.want)
			}
			pub := e.bus.publishes()
			ps := paths(pub)
			if slices.Sort(ps); !slices.Equal(ps, tt.want) {
				t.Fatalf("published %q, want each of %q once", ps, tt.want)
			}
			for _, f := range pub {
				fi := e.stat(t, f.Path)
				want := bus.FileDiscovered{
					Schema:   bus.SchemaFileDiscovered,
					Pipeline: pipelineName,
					Version:  bus.VersionID(e.src.ID(), f.Path, fi.Size, fi.Modified, ""),
					Source:   "local:" + e.dir,
					Path:     f.Path,
					Size:     fi.Size,
					Modified: fi.Modified,
				}
				if !f.Modified.Equal(want.Modified) || f.Discovered.IsZero() || f.Seq != f.Discovered.UnixNano() {
					t.Errorf("published %+v, want modified %v, a discovery time and its nanoseconds as the sequence", f, want.Modified)
				}
				f.Modified, f.Discovered, f.Seq = want.Modified, time.Time{}, 0
				if f != want {
					t.Errorf("published %+v, want %+v", f, want)
				}
			}
			if n := e.logs.count(slog.LevelInfo, "file version published"); n != len(tt.want) {
				t.Errorf("logged %d published versions at Info, want %d", n, len(tt.want))
			}
		})
	}
}

func TestRestartRepublishesNothing(t *testing.T) {
	e := newEnv(t, "", 50*time.Millisecond, time.Hour)
	e.write(t, "a.csv", "sub/b.csv")
	first := scanFiles(t, e.watcher(t))

	t.Run("Scan", func(t *testing.T) {
		again := scanFiles(t, e.watcher(t))
		if n := len(e.bus.publishes()); n != 2 {
			t.Fatalf("a restarted Scan published again: %d publishes, want 2", n)
		}
		if !slices.EqualFunc(again, first, func(a, b bus.FileDiscovered) bool {
			return a.Version == b.Version && a.Discovered.Equal(b.Discovered)
		}) {
			t.Fatalf("a restarted Scan returned %+v, want the versions first published %+v", again, first)
		}
	})
	t.Run("Run", func(t *testing.T) {
		w := e.watcher(t)
		cancel, done := run(t, w)
		time.Sleep(300 * time.Millisecond) // six settle intervals
		cancel()
		<-done
		if n := len(e.bus.publishes()); n != 2 {
			t.Fatalf("a restarted Run published again: %d publishes, want 2", n)
		}
	})
}

func TestModifiedFilePublishesANewVersion(t *testing.T) {
	e := newEnv(t, "", 50*time.Millisecond, time.Hour)
	e.write(t, "a.csv", "b.csv")
	w := e.watcher(t)
	scanFiles(t, w)
	f, err := os.OpenFile(filepath.Join(e.dir, "a.csv"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("more\n"); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	scanFiles(t, w)
	a := e.bus.publishesOf("a.csv")
	if len(a) != 2 {
		t.Fatalf("a.csv published %d times, want twice (before and after the change)", len(a))
	}
	if a[0].Version == a[1].Version || a[1].Size != e.stat(t, "a.csv").Size {
		t.Fatalf("the modified file was published as %+v after %+v, want a new version with the new size", a[1], a[0])
	}
	if n := len(e.bus.publishesOf("b.csv")); n != 1 {
		t.Fatalf("the unchanged b.csv was published %d times, want once", n)
	}
}

// write is one append of writeSlowly: the file's size after it, and when
// it started and ended.
type write struct {
	size       int64
	start, end time.Time
}

// writeSlowly appends to path every 100ms for about a second.
func writeSlowly(t *testing.T, path string) []write {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Error(err)
		return nil
	}
	defer f.Close()
	var writes []write
	var size int64
	for i := range 10 {
		start := time.Now()
		n, err := fmt.Fprintf(f, "line %d\n", i)
		if err != nil {
			t.Error(err)
			return nil
		}
		size += int64(n)
		writes = append(writes, write{size: size, start: start, end: time.Now()})
		time.Sleep(100 * time.Millisecond)
	}
	return writes
}

func TestFileBeingWrittenIsPublishedOnceSettledWithItsFinalSize(t *testing.T) {
	const settle = 200 * time.Millisecond
	tests := []struct {
		name string
		// watch watches e while the file is written, until its final
		// size is published (or Scan returns).
		watch func(t *testing.T, e *env, final int64) []bus.FileDiscovered
	}{
		{"Scan", func(t *testing.T, e *env, final int64) []bus.FileDiscovered {
			got := scanFiles(t, e.watcher(t))
			return got
		}},
		{"Run with notifications", func(t *testing.T, e *env, final int64) []bus.FileDiscovered {
			run(t, e.watcher(t))
			e.bus.waitForSize(t, "slow.csv", final, 30*time.Second)
			time.Sleep(2 * settle) // room for a wrong second publish
			return nil
		}},
		{"Run with rescans only", func(t *testing.T, e *env, final int64) []bus.FileDiscovered {
			e.pipeline.Watcher.Rescan = 50 * time.Millisecond
			run(t, e.watcherOn(t, withoutNotify{e.src}))
			e.bus.waitForSize(t, "slow.csv", final, 30*time.Second)
			time.Sleep(2 * settle)
			return nil
		}},
	}
	t.Parallel()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, "", settle, time.Hour)
			path := filepath.Join(e.dir, "slow.csv")
			if err := os.WriteFile(path, nil, 0o644); err != nil {
				t.Fatal(err)
			}
			done := make(chan []write, 1)
			go func() { done <- writeSlowly(t, path) }()
			time.Sleep(50 * time.Millisecond) // the watcher starts mid-write
			const final = 10 * int64(len("line 0\n"))
			returned := tt.watch(t, e, final)
			writes := <-done

			// A size may be published only once the writer stopped for
			// settle: at the end, or when the machine stalled it (which
			// the watcher cannot tell from a finished file).
			allowed := map[int64]bool{final: true}
			for i := 1; i < len(writes); i++ {
				if gap := writes[i].end.Sub(writes[i-1].start); gap >= settle {
					t.Logf("the writer stalled for %v after size %d", gap, writes[i-1].size)
					allowed[writes[i-1].size] = true
				}
			}
			pub := e.bus.publishesOf("slow.csv")
			seen := map[int64]bool{}
			for _, f := range pub {
				if !allowed[f.Size] || seen[f.Size] {
					t.Fatalf("published %+v, want only the final size %d, once", pub, final)
				}
				seen[f.Size] = true
			}
			last := pub[len(pub)-1]
			if returned != nil {
				if len(returned) != 1 || returned[0].Version != last.Version {
					t.Fatalf("Scan returned %+v, want the published version %+v", returned, last)
				}
				return
			}
			if fi := e.stat(t, "slow.csv"); last.Size != final || !last.Modified.Equal(fi.Modified) {
				t.Fatalf("last published %+v, want the final version %+v", last, fi)
			}
		})
	}
}

// withoutNotify hides the source's Notify: the watcher must rescan.
type withoutNotify struct{ source.Source }

// failingNotify is a source whose notifications never work.
type failingNotify struct {
	source.Source
	calls chan struct{}
}

func (f failingNotify) Notify(context.Context, chan<- source.Change) error {
	select {
	case f.calls <- struct{}{}:
	default:
	}
	return errors.New("inotify: too many open files")
}

func TestNotificationsPublishANewFileWithoutWaitingForTheRescan(t *testing.T) {
	const settle = 200 * time.Millisecond
	e := newEnv(t, `\.csv$`, settle, time.Hour)
	run(t, e.watcher(t))

	// The initial scan found an empty folder, so a published probe proves
	// that notifications are live.
	for i := 0; ; i++ {
		probe := fmt.Sprintf("probe%d.csv", i)
		e.write(t, probe)
		time.Sleep(settle + 300*time.Millisecond)
		if len(e.bus.publishesOf(probe)) > 0 {
			break
		}
		if i == 10 {
			t.Fatal("no file was published through notifications")
		}
	}

	// A file written into a new folder: its close may come before the
	// folder's watch (then it waits to settle) or after (then it is
	// complete and published at once).
	start := time.Now()
	e.write(t, "new/folder/fresh.csv")
	f := e.bus.waitFor(t, "new/folder/fresh.csv", 1, 30*time.Second)[0]
	took := f.Discovered.Sub(start)
	t.Logf("published %v after the write (settle %v)", took, settle)
	// The rescan is an hour away: anything near settle proves the
	// notification; the margin is for a loaded machine (CI).
	if took > settle+10*time.Second {
		t.Fatalf("published %v after the write, want within settle (%v) + 10s", took, settle)
	}
}

func TestRunFallsBackToRescansWhenNotificationsFail(t *testing.T) {
	e := newEnv(t, "", 50*time.Millisecond, 100*time.Millisecond)
	src := failingNotify{Source: e.src, calls: make(chan struct{}, 1)}
	run(t, e.watcherOn(t, src))
	<-src.calls
	e.write(t, "a.csv")
	e.bus.waitFor(t, "a.csv", 1, 30*time.Second)
	if e.logs.count(slog.LevelWarn, "file notifications stopped; rescans alone find new files until they resume") == 0 {
		t.Fatal("the notification failure was not logged")
	}
}

func TestScanReturnsNewAndKnownVersions(t *testing.T) {
	e := newEnv(t, "", 50*time.Millisecond, time.Hour)
	e.write(t, "a.csv", "b.csv")
	first := scanFiles(t, e.watcher(t))
	e.write(t, "c.csv")
	got := scanFiles(t, e.watcher(t))
	if want := []string{"a.csv", "b.csv", "c.csv"}; !slices.Equal(paths(got), want) {
		t.Fatalf("Scan returned %q, want %q", paths(got), want)
	}
	for i, f := range got[:2] {
		if f.Version != first[i].Version || !f.Discovered.Equal(first[i].Discovered) {
			t.Errorf("Scan returned %+v for a known version, want %+v", f, first[i])
		}
	}
	pub := e.bus.publishesOf("c.csv")
	if len(pub) != 1 || pub[0].Version != got[2].Version || len(e.bus.publishes()) != 3 {
		t.Fatalf("published %+v, want a, b and then c once each", e.bus.publishes())
	}
}

func TestScanLeavesOutFilesRemovedBeforeTheySettled(t *testing.T) {
	e := newEnv(t, "", 100*time.Millisecond, time.Hour)
	e.write(t, "stays.csv", "goes.csv")
	src := afterWalk{Source: e.src, once: new(sync.Once), fn: func() {
		if err := os.Remove(filepath.Join(e.dir, "goes.csv")); err != nil {
			t.Error(err)
		}
	}}
	got := scanFiles(t, e.watcherOn(t, src))
	if want := []string{"stays.csv"}; !slices.Equal(paths(got), want) || !slices.Equal(paths(e.bus.publishes()), want) {
		t.Fatalf("Scan returned %q and published %q, want only %q", paths(got), paths(e.bus.publishes()), want)
	}
}

// afterWalk runs fn once, after the first listing.
type afterWalk struct {
	source.Source
	once *sync.Once
	fn   func()
}

func (a afterWalk) Walk(ctx context.Context, fn func(source.FileInfo) error) error {
	err := a.Source.Walk(ctx, fn)
	a.once.Do(a.fn)
	return err
}

func TestCancelReturnsContextErrorPromptly(t *testing.T) {
	tests := []struct {
		name string
		call func(ctx context.Context, w *watcher.Watcher) error
	}{
		{"Run", func(ctx context.Context, w *watcher.Watcher) error { return w.Run(ctx) }},
		{"Scan waiting for files to settle", func(ctx context.Context, w *watcher.Watcher) error {
			_, err := w.Scan(ctx)
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, "", time.Hour, time.Hour) // nothing ever settles
			e.write(t, "a.csv", "b.csv")
			ctx, cancel := context.WithCancel(t.Context())
			done := make(chan error, 1)
			go func() { done <- tt.call(ctx, e.watcher(t)) }()
			time.Sleep(100 * time.Millisecond)
			cancel()
			select {
			case err := <-done:
				if !errors.Is(err, context.Canceled) {
					t.Fatalf("returned %v, want context.Canceled", err)
				}
			case <-time.After(time.Second):
				t.Fatal("did not return within 1s of the cancel")
			}
			if n := len(e.bus.publishes()); n != 0 {
				t.Fatalf("published %d unsettled files", n)
			}
		})
	}
}

func TestFailedPublishIsNotRecordedAndIsRetriedByTheNextScan(t *testing.T) {
	e := newEnv(t, "", 50*time.Millisecond, time.Hour)
	e.write(t, "ok.csv", "fails.csv")
	e.bus.failPub["fails.csv"] = 1

	rep, err := e.watcher(t).Scan(t.Context())
	if err != nil {
		t.Fatalf("Scan returned %v, want the publish failure in its report", err)
	}
	if len(rep.Failed) != 1 || rep.Failed[0].Path != "fails.csv" || !errors.Is(rep.Failed[0].Err, errInjected) || !strings.Contains(rep.Failed[0].Err.Error(), "fails.csv") {
		t.Fatalf("Scan reported failures %+v, want the publish error naming fails.csv", rep.Failed)
	}
	if want := []string{"ok.csv"}; !slices.Equal(paths(rep.Files), want) {
		t.Fatalf("Scan returned %q, want %q", paths(rep.Files), want)
	}
	if _, ok := e.bus.state("filedge_watcher_"+pipelineName, key("fails.csv")); ok {
		t.Fatal("the version whose publish failed was recorded as published")
	}

	got := scanFiles(t, e.watcher(t))
	if want := []string{"fails.csv", "ok.csv"}; !slices.Equal(paths(got), want) {
		t.Fatalf("the next Scan returned %q, want %q", paths(got), want)
	}
	if n, m := len(e.bus.publishesOf("fails.csv")), len(e.bus.publishesOf("ok.csv")); n != 1 || m != 1 {
		t.Fatalf("published fails.csv %d times and ok.csv %d times, want once each", n, m)
	}
}

// A version published but not recorded is published again (the bus dedups
// by its id) until it is recorded.
func TestUnrecordedPublishIsRepeatedWithTheSameVersion(t *testing.T) {
	e := newEnv(t, "", 50*time.Millisecond, time.Hour)
	e.write(t, "a.csv")
	e.bus.failPut[key("a.csv")] = 1
	w := e.watcher(t)
	rep, err := w.Scan(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Failed) != 1 || !errors.Is(rep.Failed[0].Err, errInjected) {
		t.Fatalf("Scan reported failures %+v, want the state write error", rep.Failed)
	}
	if !slices.Equal(paths(rep.Files), []string{"a.csv"}) {
		t.Fatalf("Scan returned %q, want the published a.csv", paths(rep.Files))
	}
	scanFiles(t, w)
	scanFiles(t, w)
	pub := e.bus.publishesOf("a.csv")
	if len(pub) != 2 || pub[0].Version != pub[1].Version {
		t.Fatalf("published %+v, want the same version twice: once, then once more to record it", pub)
	}
}

func TestStateRecordsThePublishedVersionPerPath(t *testing.T) {
	e := newEnv(t, "", 10*time.Millisecond, time.Hour)
	e.write(t, "dir/é a.csv")
	got := scanFiles(t, e.watcher(t))
	raw, ok := e.bus.state("filedge_watcher_"+pipelineName, key("dir/é a.csv"))
	if !ok {
		t.Fatal("no state record under the path's key")
	}
	var rec struct {
		Path      string    `json:"path"`
		Version   string    `json:"version"`
		Size      int64     `json:"size"`
		Modified  time.Time `json:"modified"`
		Published time.Time `json:"published"`
	}
	if err := json.Unmarshal(raw, &rec); err != nil {
		t.Fatal(err)
	}
	f := got[0]
	if rec.Path != f.Path || rec.Version != f.Version || rec.Size != f.Size || !rec.Modified.Equal(f.Modified) || !rec.Published.Equal(f.Discovered) {
		t.Fatalf("state record %s, want the published %+v", raw, f)
	}
}

func TestInitialScanOfManyFiles(t *testing.T) {
	t.Parallel()
	n := 10000
	if testing.Short() {
		n = 1000
	}
	e := newEnv(t, `\.csv$`, 20*time.Millisecond, time.Hour)
	for d := range 50 {
		if err := os.Mkdir(filepath.Join(e.dir, fmt.Sprintf("d%02d", d)), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for i := range n {
		if err := os.WriteFile(filepath.Join(e.dir, fmt.Sprintf("d%02d/f%05d.csv", i%50, i)), []byte("x\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now()
	got := scanFiles(t, e.watcher(t))
	t.Logf("scanned and published %d files in %v", n, time.Since(start))
	if len(got) != n || len(e.bus.publishes()) != n {
		t.Fatalf("Scan returned %d files and published %d, want %d", len(got), len(e.bus.publishes()), n)
	}
	start = time.Now()
	scanFiles(t, e.watcher(t))
	t.Logf("rescanned %d known files after a restart in %v", n, time.Since(start))
	if len(e.bus.publishes()) != n {
		t.Fatalf("the restarted Scan published %d more", len(e.bus.publishes())-n)
	}
}

// The watcher's messages, bucket and keys suit a bus that checks them as
// NATS does, and each version reaches it.
func TestMessagesOnAnInMemoryBus(t *testing.T) {
	e := newEnv(t, `\.csv$`, 20*time.Millisecond, time.Hour)
	e.write(t, "a.csv", "sub/b.csv", "sub/ünïcode name.csv", "skip.txt")
	broker := membus.NewBroker(membus.Options{})
	scan := func() []bus.FileDiscovered {
		t.Helper()
		b := broker.Connect()
		defer b.Close()
		w, err := watcher.New(watcher.Config{Pipeline: e.pipeline, Source: e.src, Bus: b, State: stateOf(t, b, e.pipeline.Name), Logger: slog.New(e.logs)})
		if err != nil {
			t.Fatal(err)
		}
		return scanFiles(t, w)
	}
	first := scan()
	if again := scan(); !slices.Equal(paths(again), paths(first)) {
		t.Fatalf("the restarted Scan returned %q, want %q", paths(again), paths(first))
	}

	b := broker.Connect()
	defer b.Close()
	var onBus []bus.FileDiscovered
	for _, m := range bustest.Follow(t, b, bus.Files, pipelineName, "", 0) {
		var f bus.FileDiscovered
		if err := bus.Decode(m, bus.TypeFileDiscovered, &f); err != nil {
			t.Fatal(err)
		}
		onBus = append(onBus, f)
	}
	slices.SortFunc(onBus, func(a, b bus.FileDiscovered) int { return strings.Compare(a.Path, b.Path) })
	if !slices.EqualFunc(onBus, first, func(a, b bus.FileDiscovered) bool { return a.Version == b.Version && a.Path == b.Path }) {
		t.Fatalf("the bus holds %+v, want each of %+v once", onBus, first)
	}
}

func TestRunAndScanAreExclusive(t *testing.T) {
	e := newEnv(t, "", 50*time.Millisecond, time.Hour)
	w := e.watcher(t)
	run(t, w)
	time.Sleep(50 * time.Millisecond)
	if _, err := w.Scan(t.Context()); !errors.Is(err, watcher.ErrRunning) {
		t.Fatalf("Scan during Run returned %v, want ErrRunning", err)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	src, err := local.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	good := func() watcher.Config {
		b := newFakeBus()
		return watcher.Config{Pipeline: &config.Pipeline{Name: "p"}, Source: src, Bus: b, State: stateOf(t, b, "p")}
	}
	tests := []struct {
		name   string
		change func(c *watcher.Config)
		want   string
	}{
		{"no pipeline", func(c *watcher.Config) { c.Pipeline = nil }, "no pipeline"},
		{"empty name", func(c *watcher.Config) { c.Pipeline.Name = "" }, "pipeline name"},
		{"name with a dot", func(c *watcher.Config) { c.Pipeline.Name = "a.b" }, "pipeline name"},
		{"no source", func(c *watcher.Config) { c.Source = nil }, "no source"},
		{"no bus", func(c *watcher.Config) { c.Bus = nil }, "no bus"},
		{"no state", func(c *watcher.Config) { c.State = nil }, "no state store"},
		{"negative settle", func(c *watcher.Config) { c.Pipeline.Watcher.Settle = -time.Second }, "settle"},
		{"negative rescan", func(c *watcher.Config) { c.Pipeline.Watcher.Rescan = -time.Second }, "rescan"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := good()
			tt.change(&c)
			if _, err := watcher.New(c); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New returned %v, want an error about %s", err, tt.want)
			}
		})
	}
	if _, err := watcher.New(good()); err != nil {
		t.Fatalf("New with a good config: %v", err)
	}
}

// key is the documented state key of a path.
func key(path string) string {
	sum := sha256.Sum256([]byte(path))
	return hex.EncodeToString(sum[:])[:32]
}

// logCapture is a slog.Handler that keeps records' levels and messages.
type logCapture struct {
	mu   sync.Mutex
	msgs []slog.Record
}

func (c *logCapture) Enabled(context.Context, slog.Level) bool { return true }
func (c *logCapture) WithAttrs([]slog.Attr) slog.Handler       { return c }
func (c *logCapture) WithGroup(string) slog.Handler            { return c }
func (c *logCapture) Handle(_ context.Context, r slog.Record) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.msgs = append(c.msgs, r)
	return nil
}

func (c *logCapture) count(level slog.Level, msg string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, r := range c.msgs {
		if r.Level == level && r.Message == msg {
			n++
		}
	}
	return n
}
