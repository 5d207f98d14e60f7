package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/filedge/filedge/pkg/bus"
	"github.com/filedge/filedge/pkg/config"
	"github.com/filedge/filedge/pkg/destination"
	"github.com/filedge/filedge/pkg/source"
	"github.com/filedge/filedge/services/watcher"
)

func newRunCmd(g *globals) *cobra.Command {
	var once bool
	var timeout time.Duration
	var httpAddr string
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Run every stage in one process on an embedded bus",
		Long: `Run the watcher, parsers and a sink per destination in one process, on an
embedded NATS JetStream server whose state lives in bus.data_dir (default
.filedge beside the pipeline file), or on the pipeline's Kafka (bus.type:
kafka), which cannot be embedded. It keeps watching until SIGINT or SIGTERM;
a restart loses and repeats nothing. One process at a time may use a data dir.

A destination that cannot be reached is waited for (with backoff) by its own
sink; the other destinations and the parsers go on.

With --once it ingests every file now in the source, waits until each file
version is committed or failed in every destination, prints a summary per
file, and exits 0 when all committed, 1 when any failed or is still pending
when --timeout ends.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			p, err := g.load(cmd)
			if err != nil {
				return err
			}
			log, err := g.logger(stderr)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			n := newNode(p, log, g.scrub.String)
			stopHealth, err := n.serveHealth(httpAddr)
			if err != nil {
				return err
			}
			defer stopHealth()
			defer n.close()
			if err := n.open(ctx, true); err != nil {
				return stopped(ctx, err)
			}
			if err := n.openSource(ctx); err != nil {
				return err
			}
			w, err := n.watcher(ctx)
			if err != nil {
				return err
			}
			ps, err := n.parser()
			if err != nil {
				return err
			}
			dests := make([]*config.Destination, len(p.Destinations))
			for i := range p.Destinations {
				dests[i] = &p.Destinations[i]
			}
			sinks, err := n.sinks(ctx, dests)
			if err != nil {
				return stopped(ctx, err)
			}
			stages := append([]runner{ps}, sinks...)
			if !once {
				log.Info("filedge running", "pipeline", p.Name, "source", p.Source.Settings.String(), "bus", p.Bus.Settings.String())
				return n.serve(ctx, append(stages, w)...)
			}
			return runOnce(ctx, cmd.OutOrStdout(), n, w.Scan, timeout, stages)
		},
	}
	cmd.Flags().BoolVar(&once, "once", false, "ingest the files now in the source, print a summary and exit")
	cmd.Flags().DurationVar(&timeout, "timeout", 0, "with --once, give up after this long (0: wait as long as it takes)")
	httpAddrFlag(cmd, &httpAddr)
	return cmd
}

// runOnce scans the source once, runs the stages until every version found
// has an outcome in every destination, and prints the summary. A file the
// watcher skipped or could not publish is a line of the summary with its
// reason, not the end of the run: the other files load. When timeout ends
// first, the summary shows what is still pending and the run fails with
// exit code 1.
func runOnce(ctx context.Context, out io.Writer, n *node, scan func(context.Context) (*watcher.Report, error), timeout time.Duration, stages []runner) error {
	parent := ctx
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	stageCtx, stopStages := context.WithCancel(ctx)
	var stagesErr error
	stagesDone := make(chan struct{})
	go func() { stagesErr = n.serve(stageCtx, stages...); close(stagesDone) }()
	defer func() { stopStages(); <-stagesDone }()

	started := time.Now()
	rep, err := scan(ctx)
	if err != nil {
		return fmt.Errorf("scan %s: %w", n.p.Source.Settings, err)
	}
	t := newTally(n.p.Name, rep, n.p.Destinations)
	if err := t.fromLedgers(ctx, n.opened(), started); err != nil {
		return err
	}
	if !t.done() {
		if err := t.follow(ctx, n.bus, n.late, started, stagesDone, func() error { return stagesErr }); err != nil {
			t.print(out)
			if errors.Is(err, context.DeadlineExceeded) && parent.Err() == nil {
				n.log.Error("--timeout ended before every file had an outcome", "timeout", timeout, "pending", t.pending, "waiting_for", n.down())
				return &exitError{code: 1}
			}
			return err
		}
	}
	t.print(out)
	if t.anyFailed() {
		return &exitError{code: 1}
	}
	return nil
}

// tally collects the outcome of every file version in every destination,
// beside the files the watcher skipped or could not publish.
type tally struct {
	pipeline string
	files    []bus.FileDiscovered
	skipped  []source.Skipped
	failed   []watcher.Failure
	dests    []string
	outcome  map[string]map[string]*bus.FileCommitted // version → destination → outcome
	pending  int
}

func newTally(pipeline string, rep *watcher.Report, dests []config.Destination) *tally {
	t := &tally{pipeline: pipeline, files: rep.Files, skipped: rep.Skipped, failed: rep.Failed, outcome: map[string]map[string]*bus.FileCommitted{}}
	for _, d := range dests {
		t.dests = append(t.dests, d.Name)
	}
	for _, f := range t.files {
		t.outcome[f.Version] = map[string]*bus.FileCommitted{}
	}
	t.pending = len(t.files) * len(t.dests)
	sort.Slice(t.files, func(i, j int) bool { return t.files[i].Path < t.files[j].Path })
	return t
}

func (t *tally) record(c *bus.FileCommitted) {
	m, ok := t.outcome[c.Version]
	if !ok || !t.wanted(c.Destination) {
		return
	}
	if _, seen := m[c.Destination]; !seen {
		t.pending--
	}
	if prev := m[c.Destination]; prev == nil || prev.Status == bus.StatusDuplicate || prev.Status == "unchanged" {
		m[c.Destination] = c
	}
}

func (t *tally) wanted(dest string) bool {
	for _, d := range t.dests {
		if d == dest {
			return true
		}
	}
	return false
}

func (t *tally) done() bool { return t.pending == 0 }

// fromLedgers marks the versions published before this run (before
// started) that every destination already holds, so that a rerun of --once
// over unchanged files returns at once. Versions this run published are left
// to their FileCommitted, even when a sink was quick enough to commit them
// already, so that they are reported as committed.
func (t *tally) fromLedgers(ctx context.Context, dbs map[string]destination.Destination, started time.Time) error {
	for name, db := range dbs {
		if err := t.fromLedger(ctx, name, db, started); err != nil {
			return err
		}
	}
	return nil
}

// fromLedger does fromLedgers for one destination. A sink that could open
// its destination only after the run started calls it then: the versions
// that destination already holds get no new FileCommitted.
func (t *tally) fromLedger(ctx context.Context, name string, db destination.Destination, started time.Time) error {
	l, ok := db.(destination.Ledger)
	if !ok {
		return nil
	}
	for _, f := range t.files {
		if !f.Discovered.Before(started) {
			continue
		}
		res, found, err := l.Lookup(ctx, t.pipeline, f.Version)
		if err != nil {
			return fmt.Errorf("destination %q: %w", name, err)
		}
		if found {
			t.record(&bus.FileCommitted{Version: f.Version, Destination: name, Path: f.Path, Status: "unchanged", Rows: res.Rows, Tables: res.Tables})
		}
	}
	return nil
}

// follow reads FileCommitted outcomes until every version has one in every
// destination. late brings the destinations that sinks open after the run
// started (see fromLedger).
func (t *tally) follow(ctx context.Context, b bus.Bus, late <-chan openedDestination, started time.Time, stagesDone <-chan struct{}, stagesErr func() error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	got := make(chan *bus.FileCommitted)
	errc := make(chan error, len(t.dests))
	for _, dest := range t.dests {
		go func() {
			errc <- b.Consume(ctx, bus.ConsumerConfig{Topic: bus.Committed, Pipeline: t.pipeline, Scope: dest}, func(ctx context.Context, d *bus.Delivery) bus.Outcome {
				var c bus.FileCommitted
				if err := bus.Decode(d.Message, bus.TypeFileCommitted, &c); err == nil {
					select {
					case got <- &c:
					case <-ctx.Done():
					}
				}
				return bus.Done()
			})
		}()
	}
	for !t.done() {
		select {
		case c := <-got:
			t.record(c)
		case o := <-late:
			if err := t.fromLedger(ctx, o.name, o.db, started); err != nil {
				return err
			}
		case <-stagesDone:
			err := stagesErr()
			if err == nil {
				err = errors.New("the pipeline stopped before every file had an outcome")
			}
			return err
		case err := <-errc:
			return fmt.Errorf("follow outcomes: %w", err)
		case <-ctx.Done():
			return fmt.Errorf("waiting for %d outcomes: %w", t.pending, ctx.Err())
		}
	}
	return nil
}

func (t *tally) anyFailed() bool {
	if len(t.failed) > 0 {
		return true
	}
	for _, m := range t.outcome {
		for _, c := range m {
			if c.Status == bus.StatusFailed {
				return true
			}
		}
	}
	return t.pending > 0
}

// skippedOutcome is the OUTCOME of a file the watcher left out.
const skippedOutcome = "skipped"

// print writes one line per file and destination (one line for a file the
// watcher skipped or could not publish, which reached no destination),
// then totals. File names and details are escaped (cell), so that every
// line stays one line with its columns.
func (t *tally) print(out io.Writer) {
	type line struct {
		path, dest, outcome, rows, tables, detail string
	}
	var lines []line
	counts := map[string]int{}
	var rows int64
	for _, f := range t.files {
		for _, d := range t.dests {
			c := t.outcome[f.Version][d]
			if c == nil {
				lines = append(lines, line{path: f.SourcePath(), dest: d, outcome: "pending", detail: f.PathIssue()})
				counts["pending"]++
				continue
			}
			detail := f.PathIssue()
			switch {
			case c.Error != nil:
				detail = c.Error.String()
			case c.SkippedRows > 0 && len(c.Problems) > 0:
				detail = fmt.Sprintf("%d rows skipped, the first: %s", c.SkippedRows, c.Problems[0])
			}
			lines = append(lines, line{f.SourcePath(), d, c.Status, strconv.FormatInt(c.Rows, 10), strings.Join(c.Tables, ","), detail})
			counts[c.Status]++
			if c.Status == bus.StatusCommitted {
				rows += c.Rows
			}
		}
	}
	for _, s := range t.skipped {
		lines = append(lines, line{path: s.Path, dest: "-", outcome: skippedOutcome, detail: s.Reason})
		counts[skippedOutcome]++
	}
	for _, f := range t.failed {
		path := f.Path
		if path == "" {
			path = "-" // the listing, not one file
		}
		lines = append(lines, line{path: path, dest: "-", outcome: bus.StatusFailed, detail: f.Err.Error()})
		counts[bus.StatusFailed]++
	}
	sort.SliceStable(lines, func(i, j int) bool { return lines[i].path < lines[j].path })

	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "FILE\tDESTINATION\tOUTCOME\tROWS\tTABLES\tDETAIL")
	for _, l := range lines {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", cell(l.path), l.dest, l.outcome, l.rows, cell(l.tables), cell(l.detail))
	}
	tw.Flush()
	var parts []string
	for _, s := range []string{bus.StatusCommitted, "unchanged", bus.StatusDuplicate, bus.StatusSuperseded, bus.StatusFailed, skippedOutcome, "pending"} {
		if counts[s] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[s], s))
		}
	}
	files := len(t.files) + len(t.skipped) + len(t.failed)
	fmt.Fprintf(out, "%d files, %d destinations: %s; %d rows committed\n", files, len(t.dests), strings.Join(parts, ", "), rows)
}

// cell returns s as it is when it prints as one plain cell: valid UTF-8,
// printable, no leading or trailing space, not starting with '"'.
// Otherwise it returns s as a Go quoted string ("a\nb.csv",
// "caf\xe9.csv"), so that a line break or a tab in a file name cannot
// break the summary's lines or columns, and no byte is lost or hidden.
func cell(s string) string { return bus.QuoteKey(s) }
