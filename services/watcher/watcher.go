package watcher

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"regexp"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/filedge/filedge/pkg/bus"
	"github.com/filedge/filedge/pkg/config"
	"github.com/filedge/filedge/pkg/source"
)

// Defaults for the zero values of config.Watcher.
const (
	DefaultSettle = 2 * time.Second
	DefaultRescan = 30 * time.Second
)

const (
	// concurrency bounds the stats, state lookups and publishes in flight.
	concurrency = 16
	// walkChunk is how many listed files are looked at together.
	walkChunk = 1024
	// notifyBuffer is how many notified paths may wait to be looked at.
	notifyBuffer = 4096
	// recheckWalk is the number of settling files above which a recheck
	// lists the source instead of stating each file.
	recheckWalk = 256
)

// Config configures a Watcher.
type Config struct {
	// Pipeline gives the name (bus subjects, state bucket), the source's
	// pattern and the watcher's settle and rescan intervals (zero: the
	// defaults). Required.
	Pipeline *config.Pipeline
	// Source is the store to watch. Required.
	Source source.Source
	// Bus receives the FileDiscovered messages and holds the state bucket.
	// Required.
	Bus bus.Bus
	// Logger receives one Info line per published version and warnings
	// about files that could not be looked at; default slog.Default().
	Logger *slog.Logger
	// Now is the clock, for tests; default time.Now. It must advance.
	Now func() time.Time
}

// Watcher publishes the new and modified files of one pipeline's source.
// Its methods may be called from any goroutine, but it runs one Run or Scan
// at a time.
type Watcher struct {
	pipeline string
	bucket   string
	pattern  *regexp.Regexp // nil: every file
	settle   time.Duration
	rescan   time.Duration
	src      source.Source
	srcID    string
	bus      bus.Bus
	log      *slog.Logger
	now      func() time.Time
	running  atomic.Bool

	// Owned by the goroutine in Run or Scan.
	kv bus.KeyValue
	// known holds the last published version of every path whose state
	// has been read ("" when it has none); read once per path, then kept
	// up to date by this watcher.
	known map[string]record
	// pending holds the versions seen but not yet published, waiting to
	// settle.
	pending map[string]*entry
}

// entry is a file version waiting to settle.
type entry struct {
	info    source.FileInfo
	version string
	since   time.Time // first seen
}

// New returns a Watcher for cfg; it reports every problem of cfg at once.
func New(cfg Config) (*Watcher, error) {
	var problems []error
	p := cfg.Pipeline
	if p == nil {
		problems = append(problems, errors.New("no pipeline"))
		p = &config.Pipeline{}
	} else if !validName(p.Name) {
		problems = append(problems, fmt.Errorf("pipeline name %q: want letters, digits, '-' and '_'", p.Name))
	}
	if cfg.Source == nil {
		problems = append(problems, errors.New("no source"))
	}
	if cfg.Bus == nil {
		problems = append(problems, errors.New("no bus"))
	}
	if p.Watcher.Settle < 0 {
		problems = append(problems, fmt.Errorf("watcher.settle %v is negative", p.Watcher.Settle))
	}
	if p.Watcher.Rescan < 0 {
		problems = append(problems, fmt.Errorf("watcher.rescan %v is negative", p.Watcher.Rescan))
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("watcher: %w", errors.Join(problems...))
	}

	w := &Watcher{
		pipeline: p.Name,
		bucket:   "filedge_watcher_" + p.Name,
		settle:   cmp.Or(p.Watcher.Settle, DefaultSettle),
		rescan:   cmp.Or(p.Watcher.Rescan, DefaultRescan),
		src:      cfg.Source,
		srcID:    cfg.Source.ID(),
		bus:      cfg.Bus,
		log:      cmp.Or(cfg.Logger, slog.Default()).With("pipeline", p.Name),
		now:      cfg.Now,
		known:    map[string]record{},
	}
	if w.now == nil {
		w.now = time.Now
	}
	if r := p.Source.Pattern; r != nil && r.Regexp != nil {
		w.pattern = r.Regexp
	}
	return w, nil
}

// Run watches the source until ctx is done and then returns ctx.Err(): it
// scans at once, then again every rescan interval, and in between looks at
// the paths the source reports when it is a source.Notifier. Problems with
// single files are logged and retried at the next scan; Run returns early
// only when it cannot open its state bucket.
func (w *Watcher) Run(ctx context.Context) error {
	if err := w.start(ctx); err != nil {
		return err
	}
	defer w.running.Store(false)

	var wg sync.WaitGroup
	defer wg.Wait()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	paths := make(chan string, notifyBuffer)
	if n, ok := w.src.(source.Notifier); ok {
		wg.Go(func() { w.notify(ctx, n, paths) })
	}
	w.scan(ctx, nil)

	rescan := time.NewTicker(w.rescan)
	defer rescan.Stop()
	settle := time.NewTimer(w.settle)
	settle.Stop()
	for {
		var settled <-chan time.Time
		if next, ok := w.nextDue(); ok {
			settle.Reset(max(next.Sub(w.now()), 0))
			settled = settle.C
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-rescan.C:
			w.scan(ctx, nil)
		case p := <-paths:
			w.lookAt(ctx, p, paths)
		case <-settled:
			w.recheck(ctx, nil)
		}
	}
}

// Scan lists the source once, waits until every new or changed version has
// settled, publishes those, and returns every file version now in the
// source that matches the pattern, those published before included (their
// Discovered is when they were published), in path order.
//
// Files that could not be listed, stated or published are left out and
// reported in the returned error, next to the files that could; a file
// that keeps changing makes Scan wait until ctx is done.
func (w *Watcher) Scan(ctx context.Context) ([]bus.FileDiscovered, error) {
	if err := w.start(ctx); err != nil {
		return nil, err
	}
	defer w.running.Store(false)

	out := &outcome{files: map[string]bus.FileDiscovered{}}
	w.scan(ctx, out)
	for ctx.Err() == nil && len(w.pending) > 0 {
		next, _ := w.nextDue()
		if wait := next.Sub(w.now()); wait > 0 {
			w.log.Debug("waiting for files to settle", "files", len(w.pending), "wait", wait)
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return nil, ctx.Err()
			case <-t.C:
			}
		}
		w.recheck(ctx, out)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	files := slices.SortedFunc(maps.Values(out.files), func(a, b bus.FileDiscovered) int {
		return cmp.Compare(a.Path, b.Path)
	})
	return files, errors.Join(out.errs...)
}

// start claims the watcher for one Run or Scan and opens the state bucket.
func (w *Watcher) start(ctx context.Context) error {
	if !w.running.CompareAndSwap(false, true) {
		return ErrRunning
	}
	if w.kv == nil {
		kv, err := w.bus.KeyValue(ctx, w.bucket)
		if err != nil {
			w.running.Store(false)
			return fmt.Errorf("watcher: open state bucket %s: %w", w.bucket, err)
		}
		w.kv = kv
	}
	w.pending = map[string]*entry{}
	return nil
}

// notify runs the source's notifier, restarting it a rescan interval after
// it fails (in the meantime, rescans alone find the files).
func (w *Watcher) notify(ctx context.Context, n source.Notifier, paths chan<- string) {
	for {
		err := n.Notify(ctx, paths)
		if ctx.Err() != nil {
			return
		}
		w.log.Warn("file notifications stopped; rescans alone find new files until they resume",
			"error", err, "retry_in", w.rescan)
		t := time.NewTimer(w.rescan)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// outcome collects what a Scan found; Run passes nil and problems are
// logged instead.
type outcome struct {
	files map[string]bus.FileDiscovered
	errs  []error
}

func (o *outcome) add(f bus.FileDiscovered) {
	if o != nil {
		o.files[f.Path] = f
	}
}

// fail reports a problem with files that the next scan retries.
func (w *Watcher) fail(out *outcome, err error) {
	if out != nil {
		out.errs = append(out.errs, err)
		return
	}
	w.log.Warn("files left for the next scan", "error", err)
}

// scan lists the source and looks at every matching file.
func (w *Watcher) scan(ctx context.Context, out *outcome) {
	chunk := make([]source.FileInfo, 0, walkChunk)
	err := w.src.Walk(ctx, func(fi source.FileInfo) error {
		if w.match(fi.Path) {
			if chunk = append(chunk, fi); len(chunk) == walkChunk {
				w.observe(ctx, chunk, out)
				chunk = chunk[:0]
			}
		}
		return ctx.Err()
	})
	if ctx.Err() != nil {
		return
	}
	w.observe(ctx, chunk, out) // also after a partial listing: what was listed is right
	if err != nil {
		w.fail(out, fmt.Errorf("watcher: list %s: %w", w.srcID, err))
	}
}

// lookAt looks at a notified path and at those queued behind it.
func (w *Watcher) lookAt(ctx context.Context, first string, paths <-chan string) {
	batch := map[string]bool{first: true}
more:
	for len(batch) < walkChunk {
		select {
		case p := <-paths:
			batch[p] = true
		default:
			break more
		}
	}
	var names []string
	for p := range batch {
		if w.match(p) {
			names = append(names, p)
		}
	}
	w.observe(ctx, w.statAll(ctx, names, nil), nil)
}

// recheck takes a fresh look at the pending versions that are due.
func (w *Watcher) recheck(ctx context.Context, out *outcome) {
	now := w.now()
	var due []string
	for p, e := range w.pending {
		if w.settled(e, now) {
			due = append(due, p)
		}
	}
	if len(due) == 0 {
		return
	}
	if len(due) <= recheckWalk {
		w.observe(ctx, w.statAll(ctx, due, out), out)
		return
	}
	// Many files (an initial scan): one listing is cheaper than a stat
	// each on object stores.
	want := map[string]bool{}
	for _, p := range due {
		want[p] = true
	}
	var found []source.FileInfo
	err := w.src.Walk(ctx, func(fi source.FileInfo) error {
		if want[fi.Path] {
			found = append(found, fi)
			delete(want, fi.Path)
		}
		return ctx.Err()
	})
	if ctx.Err() != nil {
		return
	}
	if err != nil { // the listing may have missed some: stat those
		found = append(found, w.statAll(ctx, slices.Collect(maps.Keys(want)), out)...)
	} else {
		for p := range want {
			w.log.Debug("file removed before it settled", "file", p)
			delete(w.pending, p)
		}
	}
	w.observe(ctx, found, out)
}

// statAll stats paths; those gone leave pending, those that fail too, and
// are reported.
func (w *Watcher) statAll(ctx context.Context, paths []string, out *outcome) []source.FileInfo {
	infos := make([]source.FileInfo, len(paths))
	errs := make([]error, len(paths))
	parallel(len(paths), func(i int) {
		infos[i], errs[i] = w.src.Stat(ctx, paths[i])
	})
	var found []source.FileInfo
	for i, p := range paths {
		switch err := errs[i]; {
		case err == nil:
			found = append(found, infos[i])
		case ctx.Err() != nil:
		case errors.Is(err, source.ErrNotExist):
			if _, ok := w.pending[p]; ok {
				w.log.Debug("file removed before it settled", "file", p)
				delete(w.pending, p)
			}
		default:
			delete(w.pending, p)
			w.fail(out, fmt.Errorf("watcher: stat %s: %w", p, err))
		}
	}
	return found
}

// observe takes in the latest look at some files: versions already
// published are done, new ones start to settle, and those that have
// settled are published.
func (w *Watcher) observe(ctx context.Context, files []source.FileInfo, out *outcome) {
	if len(files) == 0 {
		return
	}
	now := w.now()
	var unread, ready []*entry
	waiting := 0
	for _, fi := range files {
		v := bus.VersionID(w.srcID, fi.Path, fi.Size, fi.Modified, fi.ETag)
		rec, read := w.known[fi.Path]
		if read && rec.Version == v {
			delete(w.pending, fi.Path)
			out.add(w.discovered(fi, v, rec.Published, rec.Seq))
			continue
		}
		e := w.pending[fi.Path]
		switch {
		case e == nil:
			e = &entry{info: fi, version: v, since: now}
			w.pending[fi.Path] = e
		case e.version != v:
			w.log.Debug("file still changing; waiting for it to settle",
				"file", fi.Path, "size", fi.Size, "modified", fi.Modified, "settle", w.settle)
			*e = entry{info: fi, version: v, since: now}
		}
		switch {
		case !read:
			unread = append(unread, e)
		case w.settled(e, now):
			ready = append(ready, e)
		default:
			waiting++
		}
	}

	// The first look at a path in this process reads its state.
	recs := make([]record, len(unread))
	errs := make([]error, len(unread))
	parallel(len(unread), func(i int) {
		recs[i], errs[i] = w.load(ctx, unread[i].info.Path)
	})
	for i, e := range unread {
		p := e.info.Path
		switch {
		case errs[i] != nil:
			delete(w.pending, p)
			if ctx.Err() == nil {
				w.fail(out, errs[i])
			}
		case recs[i].Version == e.version:
			w.known[p] = recs[i]
			delete(w.pending, p)
			out.add(w.discovered(e.info, e.version, recs[i].Published, recs[i].Seq))
		case w.settled(e, now):
			w.known[p] = recs[i]
			ready = append(ready, e)
		default:
			w.known[p] = recs[i]
			waiting++
		}
	}
	if waiting > 0 {
		w.log.Debug("waiting for files to settle", "files", waiting, "settle", w.settle)
	}

	published := make([]bus.FileDiscovered, len(ready))
	errs = make([]error, len(ready))
	parallel(len(ready), func(i int) {
		published[i], errs[i] = w.publish(ctx, ready[i])
	})
	for i, e := range ready {
		p := e.info.Path
		delete(w.pending, p)
		f := published[i]
		if f.Version != "" { // on the bus, recorded or not
			out.add(f)
		}
		if errs[i] != nil {
			if ctx.Err() == nil {
				w.fail(out, errs[i])
			}
			continue
		}
		w.known[p] = record{Path: p, Version: f.Version, Size: f.Size, Modified: f.Modified, Published: f.Discovered, Seq: f.Seq}
	}
}

// publish publishes a settled version and records it. It returns the
// message published (zero if none) and whether anything failed. The
// version's sequence comes after its path's last one (see nextSeq).
func (w *Watcher) publish(ctx context.Context, e *entry) (bus.FileDiscovered, error) {
	fi := e.info
	now := w.now()
	f := w.discovered(fi, e.version, now, nextSeq(w.known[fi.Path], now))
	m, err := bus.FileDiscoveredMessage(&f)
	if err != nil {
		return bus.FileDiscovered{}, fmt.Errorf("watcher: %s: %w", fi.Path, err)
	}
	if err := w.bus.Publish(ctx, m); err != nil {
		return bus.FileDiscovered{}, fmt.Errorf("watcher: publish %s (version %s): %w", fi.Path, e.version, err)
	}
	w.log.Info("file version published", "file", fi.Path, "version", e.version, "size", fi.Size)
	rec := record{Path: fi.Path, Version: e.version, Size: fi.Size, Modified: fi.Modified, Published: f.Discovered, Seq: f.Seq}
	if err := w.save(ctx, rec); err != nil {
		// Published but not recorded: the next scan publishes it again
		// (the bus dedups) and retries the record.
		return f, err
	}
	return f, nil
}

// discovered is the FileDiscovered of a version published at at with
// discovery sequence seq.
func (w *Watcher) discovered(fi source.FileInfo, version string, at time.Time, seq int64) bus.FileDiscovered {
	return bus.FileDiscovered{
		Schema:     bus.SchemaFileDiscovered,
		Pipeline:   w.pipeline,
		Version:    version,
		Source:     w.srcID,
		Path:       fi.Path,
		Size:       fi.Size,
		Modified:   fi.Modified,
		ETag:       fi.ETag,
		Discovered: at,
		Seq:        seq,
	}
}

// settled reports whether e has been seen unchanged for the settle
// interval. Its modification time is at or before its first sighting (or
// in the future, when clocks disagree), so nothing wrote it since then.
func (w *Watcher) settled(e *entry, now time.Time) bool {
	return !now.Before(e.since.Add(w.settle))
}

// nextDue returns when the first pending version settles.
func (w *Watcher) nextDue() (time.Time, bool) {
	var next time.Time
	for _, e := range w.pending {
		if due := e.since.Add(w.settle); next.IsZero() || due.Before(next) {
			next = due
		}
	}
	return next, !next.IsZero()
}

func (w *Watcher) match(path string) bool {
	return w.pattern == nil || w.pattern.MatchString(path)
}

// parallel calls fn(i) for every i in [0, n), concurrency at a time.
func parallel(n int, fn func(i int)) {
	if n == 1 {
		fn(0)
		return
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, concurrency)
	for i := range n {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			fn(i)
		})
	}
	wg.Wait()
}

// validName accepts what bus subjects and bucket names accept.
func validName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}
