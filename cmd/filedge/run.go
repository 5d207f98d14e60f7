package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/filedge/filedge/pkg/bus"
	"github.com/filedge/filedge/pkg/config"
	"github.com/filedge/filedge/pkg/destination"
)

func newRunCmd(g *globals) *cobra.Command {
	var once bool
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Run every stage in one process on an embedded bus",
		Long: `Run the watcher, parsers and a sink per destination in one process, on an
embedded NATS JetStream server whose state lives in bus.data_dir (default
.filedge beside the pipeline file). It keeps watching until SIGINT or SIGTERM;
a restart loses and repeats nothing.

With --once it ingests every file now in the source, waits until each file
version is committed or failed in every destination, prints a summary per
file, and exits 0 when all committed, 1 when any failed.`,
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
			n, err := open(ctx, p, log, true)
			if err != nil {
				return err
			}
			defer n.close()
			if err := n.openSource(ctx); err != nil {
				return err
			}
			w, err := n.watcher()
			if err != nil {
				return err
			}
			ps, err := n.parser()
			if err != nil {
				return err
			}
			stages := []runner{ps}
			for i := range p.Destinations {
				s, err := n.sink(ctx, &p.Destinations[i])
				if err != nil {
					return err
				}
				stages = append(stages, s)
			}
			if !once {
				log.Info("filedge running", "pipeline", p.Name, "source", p.Source.Settings.String(), "data_dir", p.Bus.DataDir)
				return serve(ctx, append(stages, w)...)
			}
			return runOnce(ctx, cmd.OutOrStdout(), n, w.Scan, timeout, stages)
		},
	}
	cmd.Flags().BoolVar(&once, "once", false, "ingest the files now in the source, print a summary and exit")
	cmd.Flags().DurationVar(&timeout, "timeout", 0, "with --once, give up after this long (0: wait as long as it takes)")
	return cmd
}

// runOnce scans the source once, runs the stages until every version found
// has an outcome in every destination, and prints the summary.
func runOnce(ctx context.Context, out io.Writer, n *node, scan func(context.Context) ([]bus.FileDiscovered, error), timeout time.Duration, stages []runner) error {
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	stageCtx, stopStages := context.WithCancel(ctx)
	var stagesErr error
	stagesDone := make(chan struct{})
	go func() { stagesErr = serve(stageCtx, stages...); close(stagesDone) }()
	defer func() { stopStages(); <-stagesDone }()

	started := time.Now()
	files, err := scan(ctx)
	if err != nil {
		return fmt.Errorf("scan %s: %w", n.p.Source.Settings, err)
	}
	t := newTally(n.p.Name, files, n.p.Destinations)
	if err := t.fromLedgers(ctx, n.dbs, started); err != nil {
		return err
	}
	if !t.done() {
		if err := t.follow(ctx, n.bus, stagesDone, func() error { return stagesErr }); err != nil {
			t.print(out)
			return err
		}
	}
	t.print(out)
	if t.failed() {
		return &exitError{code: 1}
	}
	return nil
}

// tally collects the outcome of every file version in every destination.
type tally struct {
	pipeline string
	files    []bus.FileDiscovered
	dests    []string
	outcome  map[string]map[string]*bus.FileCommitted // version → destination → outcome
	pending  int
}

func newTally(pipeline string, files []bus.FileDiscovered, dests []config.Destination) *tally {
	t := &tally{pipeline: pipeline, files: files, outcome: map[string]map[string]*bus.FileCommitted{}}
	for _, d := range dests {
		t.dests = append(t.dests, d.Name)
	}
	for _, f := range files {
		t.outcome[f.Version] = map[string]*bus.FileCommitted{}
	}
	t.pending = len(files) * len(t.dests)
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
		l, ok := db.(destination.Ledger)
		if !ok {
			continue
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
	}
	return nil
}

// follow reads FileCommitted outcomes until every version has one in every
// destination.
func (t *tally) follow(ctx context.Context, b bus.Bus, stagesDone <-chan struct{}, stagesErr func() error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	got := make(chan *bus.FileCommitted)
	errc := make(chan error, len(t.dests))
	for _, dest := range t.dests {
		go func() {
			errc <- b.Consume(ctx, bus.ConsumerConfig{Topic: bus.Committed, Pipeline: t.pipeline, Scope: dest}, func(ctx context.Context, d bus.Delivery) error {
				var c bus.FileCommitted
				if err := bus.Decode(d.Message(), bus.TypeFileCommitted, &c); err == nil {
					select {
					case got <- &c:
					case <-ctx.Done():
					}
				}
				return d.Ack(ctx)
			})
		}()
	}
	for !t.done() {
		select {
		case c := <-got:
			t.record(c)
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

func (t *tally) failed() bool {
	for _, m := range t.outcome {
		for _, c := range m {
			if c.Status == bus.StatusFailed {
				return true
			}
		}
	}
	return t.pending > 0
}

// print writes one line per file and destination, then totals.
func (t *tally) print(out io.Writer) {
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "FILE\tDESTINATION\tOUTCOME\tROWS\tTABLES\tDETAIL")
	counts := map[string]int{}
	var rows int64
	for _, f := range t.files {
		for _, d := range t.dests {
			c := t.outcome[f.Version][d]
			if c == nil {
				fmt.Fprintf(tw, "%s\t%s\tpending\t\t\t\n", f.Path, d)
				counts["pending"]++
				continue
			}
			detail := ""
			if c.Error != nil {
				detail = c.Error.String()
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\n", f.Path, d, c.Status, c.Rows, strings.Join(c.Tables, ","), detail)
			counts[c.Status]++
			if c.Status == bus.StatusCommitted {
				rows += c.Rows
			}
		}
	}
	tw.Flush()
	var parts []string
	for _, s := range []string{bus.StatusCommitted, "unchanged", bus.StatusDuplicate, bus.StatusSuperseded, bus.StatusFailed, "pending"} {
		if counts[s] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[s], s))
		}
	}
	fmt.Fprintf(out, "%d files, %d destinations: %s; %d rows committed\n", len(t.files), len(t.dests), strings.Join(parts, ", "), rows)
}
