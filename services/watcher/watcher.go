package watcher

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
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
	// notifyBuffer is how many notified changes may wait to be looked at.
	notifyBuffer = 4096
	// recheckWalk is the number of settling files above which a recheck
	// lists the source instead of stating each file.
	recheckWalk = 256
)

// Config configures a Watcher.
type Config struct {
	// Pipeline gives the name (bus subjects, state table), the source's
	// pattern and the watcher's settle and rescan intervals (zero: the
	// defaults). Required.
	Pipeline *config.Pipeline
	// Source is the store to watch. Required.
	Source source.Source
	// Bus receives the FileDiscovered messages. Required.
	Bus bus.Bus
	// State keeps the last published version of every path: the table
	// StateTable(pipeline) of the bus (a bus.Table satisfies StateStore).
	// Required.
	State StateStore
	// Logger receives one Info line per published version, and a warning
	// per file that is skipped or could not be looked at (once, and again
	// when its reason changes) and per bus or state bucket outage (when it
	// starts, at most every minute while it lasts, when it ends); default
	// slog.Default().
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

	state StateStore

	// Owned by the goroutine in Run or Scan.
	//
	// known holds the last published version of every path whose state
	// has been read ("" when it has none); read once per path, then kept
	// up to date by this watcher.
	known map[string]record
	// pending holds the versions seen but not yet published, waiting to
	// settle.
	pending map[string]*entry
	// held holds the settled versions that the source cannot read (no
	// permission): each look at them checks again, and publishes them once
	// they can be read.
	held map[string]heldFile

	// What Run has logged, so that it logs changes only.
	skipped     map[string]string // entries left out → reason
	problems    map[string]string // files that could not be looked at → problem
	listProblem string            // the last problem listing the source
	busOut      *outage           // publishing file events
	stateOut    *outage           // the state bucket
}

// heldFile is a settled version held back because it cannot be read.
type heldFile struct {
	version string
	reason  string
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
	if cfg.State == nil {
		problems = append(problems, errors.New("no state store"))
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
		bucket:   StateTable(p.Name),
		settle:   cmp.Or(p.Watcher.Settle, DefaultSettle),
		rescan:   cmp.Or(p.Watcher.Rescan, DefaultRescan),
		src:      cfg.Source,
		srcID:    cfg.Source.ID(),
		bus:      cfg.Bus,
		state:    cfg.State,
		log:      cmp.Or(cfg.Logger, slog.Default()).With("pipeline", p.Name),
		now:      cfg.Now,
		known:    map[string]record{},
		held:     map[string]heldFile{},
		skipped:  map[string]string{},
		problems: map[string]string{},
		busOut:   newOutage("bus", "publishing file events", "published"),
	}
	w.stateOut = newOutage("state bucket", "reading and recording published versions in "+w.bucket, "files")
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
// single files are logged and retried at the next scan.
//
// Run logs changes, not repeats: a skipped entry or a file that could not
// be looked at when first seen so and when its reason changes; a bus or
// state bucket outage when it starts, at most every minute while it lasts,
// and when it ends, with counts.
func (w *Watcher) Run(ctx context.Context) error {
	if err := w.start(ctx); err != nil {
		return err
	}
	defer w.running.Store(false)

	var wg sync.WaitGroup
	defer wg.Wait()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	changes := make(chan source.Change, notifyBuffer)
	if n, ok := w.src.(source.Notifier); ok {
		wg.Go(func() { w.notify(ctx, n, changes) })
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
		case c := <-changes:
			w.lookAt(ctx, c, changes)
		case <-settled:
			w.recheck(ctx, nil)
		}
	}
}

// Scan lists the source once, waits until every new or changed version has
// settled, publishes those, and reports every file now in the source that
// matches the pattern: the versions on the bus (those published before
// included), what it skipped and why, and the files that could not be
// looked at or published, with the error. A problem with one file is that
// file's: the error Scan returns is for the scan as a whole (ctx done). A
// file that keeps changing makes Scan
// wait until ctx is done.
func (w *Watcher) Scan(ctx context.Context) (*Report, error) {
	if err := w.start(ctx); err != nil {
		return nil, err
	}
	defer w.running.Store(false)

	out := newOutcome()
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
	return out.report(), nil
}

// start claims the watcher for one Run or Scan.
func (w *Watcher) start(context.Context) error {
	if !w.running.CompareAndSwap(false, true) {
		return ErrRunning
	}
	w.pending = map[string]*entry{}
	return nil
}

// notify runs the source's notifier, restarting it a rescan interval after
// it fails (in the meantime, rescans alone find the files).
func (w *Watcher) notify(ctx context.Context, n source.Notifier, changes chan<- source.Change) {
	for {
		err := n.Notify(ctx, changes)
		if ctx.Err() != nil {
			return
		}
		w.log.Warn("file notifications stopped; rescans alone find new files until they resume",
			"err", err, "retry_in", w.rescan)
		t := time.NewTimer(w.rescan)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// fileFailed reports a problem with one file of its own (not an outage of
// the bus), which the next scan retries: in Scan, as the file's failure;
// in Run, logged when the file first meets it or meets another one.
func (w *Watcher) fileFailed(out *outcome, path string, err error) {
	if out != nil {
		out.failed[path] = err
		return
	}
	if msg := err.Error(); w.problems[path] != msg {
		w.problems[path] = msg
		w.log.Warn("file left for the next scan", "file", path, "err", err)
	}
}

// scan lists the source and looks at every matching file, and reports
// the entries the source leaves out.
func (w *Watcher) scan(ctx context.Context, out *outcome) {
	looked := w.now() // before the listing: see settledAlready
	chunk := make([]source.FileInfo, 0, walkChunk)
	stillThere := map[string]bool{} // of the held files and those with a problem
	listed := func(fi source.FileInfo) error {
		if w.match(fi.Path) {
			if _, held := w.held[fi.Path]; held || w.problems[fi.Path] != "" {
				stillThere[fi.Path] = true
			}
			if chunk = append(chunk, fi); len(chunk) == walkChunk {
				w.observe(ctx, chunk, nil, looked, out)
				chunk = chunk[:0]
			}
		}
		return ctx.Err()
	}
	skipped := map[string]source.Skipped{}
	var err error
	if sw, ok := w.src.(source.SkipWalker); ok {
		err = sw.WalkWithSkips(ctx, listed, func(s source.Skipped) error {
			if s.Dir || w.match(s.Path) { // a folder may hide matching files
				skipped[s.Path] = s
			}
			return ctx.Err()
		})
	} else {
		err = w.src.Walk(ctx, listed)
	}
	if ctx.Err() != nil {
		return
	}
	w.observe(ctx, chunk, nil, looked, out) // also after a partial listing: what was listed is right
	if err == nil {
		// Forget the held files and the problems of files now gone.
		for p := range w.held {
			if !stillThere[p] {
				w.done(p)
			}
		}
		for p := range w.problems {
			if !stillThere[p] {
				w.done(p)
			}
		}
	}
	w.reportSkipped(out, skipped, err == nil)
	w.reportListing(out, err)
}

// reportSkipped reports the entries a scan found skipped: in Scan, each of
// them; in Run, those not logged before with the same reason. complete
// tells whether the listing was: then entries no longer there are
// forgotten, to be logged again should they come back.
func (w *Watcher) reportSkipped(out *outcome, skipped map[string]source.Skipped, complete bool) {
	if out != nil {
		maps.Copy(out.skipped, skipped)
		return
	}
	for _, p := range slices.Sorted(maps.Keys(skipped)) {
		if s := skipped[p]; w.skipped[p] != s.Reason {
			w.log.Warn("file skipped", "file", p, "reason", s.Reason)
		}
	}
	if complete {
		clear(w.skipped)
	}
	for p, s := range skipped {
		w.skipped[p] = s.Reason
	}
}

// reportListing reports a problem listing the source (nil: none): in
// Scan, as a failure without a path; in Run, logged when it changes.
func (w *Watcher) reportListing(out *outcome, err error) {
	if err == nil {
		w.listProblem = ""
		return
	}
	err = fmt.Errorf("watcher: list %s: %w", w.srcID, err)
	if out != nil {
		out.failed[""] = err
		return
	}
	if msg := err.Error(); msg != w.listProblem {
		w.listProblem = msg
		w.log.Warn("source not fully listed; the rest is tried again at the next scan", "err", err)
	}
}

// lookAt looks at a notified change and at those queued behind it. A
// path is complete when any of its changes says so.
func (w *Watcher) lookAt(ctx context.Context, first source.Change, changes <-chan source.Change) {
	complete := map[string]bool{first.Path: first.Complete}
more:
	for len(complete) < walkChunk {
		select {
		case c := <-changes:
			complete[c.Path] = complete[c.Path] || c.Complete
		default:
			break more
		}
	}
	var names []string
	for p := range complete {
		if w.match(p) {
			names = append(names, p)
		}
	}
	looked := w.now() // before the stats: see settledAlready
	w.observe(ctx, w.statAll(ctx, names, nil), complete, looked, nil)
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
		w.observe(ctx, w.statAll(ctx, due, out), nil, now, out)
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
	w.observe(ctx, found, nil, now, out)
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
			}
			w.done(p)
		default:
			delete(w.pending, p)
			w.fileFailed(out, p, fmt.Errorf("watcher: stat %s: %w", p, err))
		}
	}
	return found
}

// observe takes in the latest look at some files: versions already
// published are done, new ones start to settle, and those that have
// settled are published. complete holds the paths the source reported
// complete since they were stated (see source.Change).
//
// looked is when the source was asked for files (before the listing or the
// stats began), the time their modification times are judged against.
func (w *Watcher) observe(ctx context.Context, files []source.FileInfo, complete map[string]bool, looked time.Time, out *outcome) {
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
			w.done(fi.Path)
			out.add(w.discovered(fi, v, rec.Published, rec.Seq))
			continue
		}
		since := now
		if w.settledAlready(fi, v, complete[fi.Path], looked) {
			since = now.Add(-w.settle)
		}
		e := w.pending[fi.Path]
		switch {
		case e == nil:
			e = &entry{info: fi, version: v, since: since}
			w.pending[fi.Path] = e
		case e.version != v:
			w.log.Debug("file still changing; waiting for it to settle",
				"file", fi.Path, "size", fi.Size, "modified", fi.Modified, "settle", w.settle)
			*e = entry{info: fi, version: v, since: since}
		case since.Before(e.since): // the same version, now known to be settled
			e.since = since
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
	errs := tryAll(w.stateOut, len(unread), func(i int) (err error) {
		recs[i], err = w.load(ctx, unread[i].info.Path)
		return err
	})
	var loaded []string
	for i, e := range unread {
		p := e.info.Path
		if errs[i] == nil {
			loaded = append(loaded, p)
		}
		switch {
		case errs[i] != nil:
			delete(w.pending, p)
			if ctx.Err() == nil {
				w.failed(w.stateOut, out, p, w.stateError(p, errs[i]))
			}
		case recs[i].Version == e.version:
			w.known[p] = recs[i]
			w.done(p)
			out.add(w.discovered(e.info, e.version, recs[i].Published, recs[i].Seq))
		case w.settled(e, now):
			w.known[p] = recs[i]
			ready = append(ready, e)
		default:
			w.known[p] = recs[i]
			waiting++
		}
	}
	w.worked(w.stateOut, out, loaded)
	if waiting > 0 {
		w.log.Debug("waiting for files to settle", "files", waiting, "settle", w.settle)
	}
	ready = w.readable(ctx, ready, out)

	published := make([]bus.FileDiscovered, len(ready))
	errs = tryAll(w.busOut, len(ready), func(i int) (err error) {
		published[i], err = w.publish(ctx, ready[i])
		return err
	})
	var sent, recorded []string
	for i, e := range ready {
		p := e.info.Path
		delete(w.pending, p)
		f := published[i]
		if f.Version != "" { // on the bus, recorded or not
			out.add(f)
			sent = append(sent, p)
			w.done(p)
		}
		switch {
		case errs[i] == nil:
			recorded = append(recorded, p)
			w.known[p] = record{Path: p, Version: f.Version, Size: f.Size, Modified: f.Modified, Published: f.Discovered, Seq: f.Seq}
		case ctx.Err() != nil:
		case f.Version != "": // published, not recorded: the next scan publishes it again
			w.failed(w.stateOut, out, p, errs[i])
		default:
			w.failed(w.busOut, out, p, w.publishError(p, errs[i]))
		}
	}
	w.worked(w.busOut, out, sent)
	w.worked(w.stateOut, out, recorded)
}

// done forgets what waits or went wrong for path: its version is on the
// bus, or the file is gone.
func (w *Watcher) done(path string) {
	delete(w.pending, path)
	delete(w.held, path)
	delete(w.problems, path)
}

// readable returns the entries of ready that the source can read now,
// when it is a source.ReadChecker. It holds back the others: a file
// without read permission is reported as skipped, and published once a
// later look (a rescan, a notification) finds it readable.
func (w *Watcher) readable(ctx context.Context, ready []*entry, out *outcome) []*entry {
	rc, ok := w.src.(source.ReadChecker)
	if !ok || len(ready) == 0 {
		return ready
	}
	errs := make([]error, len(ready))
	parallel(len(ready), func(i int) { errs[i] = rc.CheckRead(ctx, ready[i].info.Path) })
	n := 0
	for i, e := range ready {
		p := e.info.Path
		switch err := errs[i]; {
		case err == nil:
			ready[n] = e
			n++
			continue
		case ctx.Err() != nil:
		case errors.Is(err, source.ErrNotExist):
			w.log.Debug("file removed before it was published", "file", p)
			w.done(p)
		case errors.Is(err, fs.ErrPermission):
			w.hold(out, p, e.version, "permission denied")
		default:
			w.fileFailed(out, p, fmt.Errorf("watcher: check that %s can be read: %w", p, err))
		}
		delete(w.pending, p)
	}
	return ready[:n]
}

// hold holds back a settled version the source cannot read and reports it
// as skipped: in Scan, each time; in Run, when the path is first held or
// held for another reason.
func (w *Watcher) hold(out *outcome, path, version, reason string) {
	prev, was := w.held[path]
	w.held[path] = heldFile{version: version, reason: reason}
	if out != nil {
		out.skipped[path] = source.Skipped{Path: path, Reason: reason}
		return
	}
	if !was || prev.reason != reason {
		w.log.Warn("file skipped until it can be read; each rescan checks it again", "file", path, "reason", reason)
	}
}

// publishError names the file of a failed publish that was not tried.
func (w *Watcher) publishError(path string, err error) error {
	if errors.Is(err, errNotTried) {
		return fmt.Errorf("watcher: publish %s: %w", path, err)
	}
	return err
}

// stateError names the file of a failed state read that was not tried.
func (w *Watcher) stateError(path string, err error) error {
	if errors.Is(err, errNotTried) {
		return fmt.Errorf("watcher: read the state of %s: %w", path, err)
	}
	return err
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
	if f.RawPath != "" {
		w.log.Warn("file name is not valid UTF-8; _file holds it escaped", "file", fi.Path, "escaped", f.Path)
	}
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
	f := bus.FileDiscovered{
		Schema:     bus.SchemaFileDiscovered,
		Pipeline:   w.pipeline,
		Version:    version,
		Source:     w.srcID,
		Size:       fi.Size,
		Modified:   fi.Modified,
		ETag:       fi.ETag,
		Discovered: at,
		Seq:        seq,
	}
	f.SetPath(fi.Path) // escaped, and exact beside, when not UTF-8
	return f
}

// settledAlready reports whether version v of fi need not wait to settle:
// its writer closed it or it was moved in (complete), so it is as written
// unless it changes again; or its modification time is older than the
// settle interval, so nothing wrote it for that long (every file of `run
// --once` and of a restart); or it settled before and was held back
// unreadable. A file server whose clock lags the watcher's by more than
// the settle interval could make a file being written look old: it is then
// published early, the parser finds it changed and reports that version
// superseded, and the watcher publishes the version it settles at.
//
// The modification time is judged against looked, when the source was
// asked (before its listing or stats), not against the time of this call:
// on a busy machine the stats may return long before observe runs, and a
// file written 150 ms before its stat must not count as still for 200 ms.
func (w *Watcher) settledAlready(fi source.FileInfo, v string, complete bool, looked time.Time) bool {
	if h, ok := w.held[fi.Path]; ok && h.version == v {
		return true
	}
	return complete || fi.Modified.Before(looked.Add(-w.settle))
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
