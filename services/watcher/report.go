package watcher

import (
	"cmp"
	"errors"
	"maps"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/filedge/filedge/pkg/bus"
	"github.com/filedge/filedge/pkg/source"
)

// Report is what one Scan found: every file of the source that matches
// the pipeline's pattern is in exactly one of its lists.
type Report struct {
	// Files holds the file versions now on the bus, those published before
	// this Scan included (their Discovered is when they were published),
	// in path order.
	Files []bus.FileDiscovered
	// Skipped holds what the watcher leaves out, with the reason: entries
	// that are not files (symbolic links, pipes, devices), folders it may
	// not read, and files it may not read (held back until they can be
	// read), in path order.
	Skipped []source.Skipped
	// Failed holds the files that could not be looked at or published, in
	// path order; the next Scan tries them again.
	Failed []Failure
}

// Failure is a file the watcher could not look at or publish, or, with an
// empty Path, a problem listing the source.
type Failure struct {
	Path string
	Err  error
}

// errNotTried marks the files a Scan or Run did not try while something
// every file needs (the bus, the state bucket) was failing.
var errNotTried = errors.New("not tried while it fails")

// outcome collects what a Scan found; Run passes nil and logs instead.
type outcome struct {
	files   map[string]bus.FileDiscovered // by exact path
	skipped map[string]source.Skipped
	failed  map[string]error
}

func newOutcome() *outcome {
	return &outcome{files: map[string]bus.FileDiscovered{}, skipped: map[string]source.Skipped{}, failed: map[string]error{}}
}

func (o *outcome) add(f bus.FileDiscovered) {
	if o != nil {
		p := f.SourcePath()
		o.files[p] = f
		delete(o.failed, p)
		delete(o.skipped, p)
	}
}

func (o *outcome) report() *Report {
	r := &Report{
		Files: slices.SortedFunc(maps.Values(o.files), func(a, b bus.FileDiscovered) int {
			return cmp.Compare(a.Path, b.Path)
		}),
		Skipped: slices.SortedFunc(maps.Values(o.skipped), func(a, b source.Skipped) int {
			return cmp.Compare(a.Path, b.Path)
		}),
	}
	for _, p := range slices.Sorted(maps.Keys(o.failed)) {
		r.Failed = append(r.Failed, Failure{Path: p, Err: o.failed[p]})
	}
	return r
}

// outageReport is how often a failure that every file meets is logged
// again while it lasts.
const outageReport = time.Minute

// outage follows something every file needs (publishing to the bus, the
// state bucket). When it fails, it fails for every file at once: Run logs
// that once when it starts, at most every outageReport while it lasts
// (with the number of files waiting), and once when it works again,
// never a line per file; and while it fails, the watcher tries one file
// at a time instead of all of them.
type outage struct {
	name  string // "bus"
	doing string // what fails: "publishing file events"
	done  string // the log key counting the files that got through: "published"

	since    time.Time // when it started to fail; zero while it works
	reported time.Time // when it was last logged
	failures int
	waiting  map[string]bool // paths held up since it started
}

func newOutage(name, doing, done string) *outage {
	return &outage{name: name, doing: doing, done: done, waiting: map[string]bool{}}
}

func (o *outage) down() bool { return !o.since.IsZero() }

// failed records that path met o's failure. In Scan the file is reported
// with err; in Run the first failure is logged, and then a summary at most
// every outageReport.
func (w *Watcher) failed(o *outage, out *outcome, path string, err error) {
	if out != nil {
		out.failed[path] = err
	}
	now := w.now()
	o.failures++
	o.waiting[path] = true
	switch {
	case !o.down():
		o.since, o.reported = now, now
		if out == nil {
			w.log.Warn(o.name+" unavailable: "+o.doing+" fails; files wait until it works again", "err", err)
		}
	case now.Sub(o.reported) >= outageReport:
		o.reported = now
		if out == nil {
			w.log.Warn(o.name+" still unavailable", "for", now.Sub(o.since).Round(time.Second),
				"files_waiting", len(o.waiting), "failures", o.failures, "err", err)
		}
	}
}

// worked records that the files at paths got through o; the first success
// after a failure ends it, which Run logs.
func (w *Watcher) worked(o *outage, out *outcome, paths []string) {
	if len(paths) == 0 {
		return
	}
	for _, p := range paths {
		delete(o.waiting, p)
	}
	if !o.down() {
		return
	}
	if out == nil {
		w.log.Info(o.name+" available again", "after", w.now().Sub(o.since).Round(time.Second),
			o.done, len(paths), "files_waiting", len(o.waiting), "failures", o.failures)
	}
	o.since, o.failures = time.Time{}, 0
	clear(o.waiting) // the scans find the files that still wait
}

// tryAll calls fn(i) for every i in [0, n), concurrency at a time. While o
// is down it first tries one i alone, chosen at random (so that a file
// that fails for a reason of its own cannot keep the others waiting), and
// if that fails too, gives the others, untried, an error wrapping
// errNotTried and that one's error.
func tryAll(o *outage, n int, fn func(i int) error) []error {
	errs := make([]error, n)
	probe := -1
	if o.down() && n > 1 {
		probe = rand.IntN(n)
		if errs[probe] = fn(probe); errs[probe] != nil {
			for i := range errs {
				if i != probe {
					errs[i] = &notTried{o: o, err: errs[probe]}
				}
			}
			return errs
		}
	}
	parallel(n, func(i int) {
		if i != probe {
			errs[i] = fn(i)
		}
	})
	return errs
}

// notTried is the error of a file not tried while o failed with err.
type notTried struct {
	o   *outage
	err error
}

func (e *notTried) Error() string {
	return e.o.doing + " not tried while the " + e.o.name + " is unavailable: " + e.err.Error()
}

func (e *notTried) Unwrap() []error { return []error{errNotTried, e.err} }
