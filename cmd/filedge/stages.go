package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/filedge/filedge/internal/health"
	"github.com/filedge/filedge/pkg/bus"
	"github.com/filedge/filedge/pkg/config"
	"github.com/filedge/filedge/pkg/destination"
	"github.com/filedge/filedge/pkg/source"
	"github.com/filedge/filedge/services/parser"
	"github.com/filedge/filedge/services/sink"
	"github.com/filedge/filedge/services/watcher"
)

// firstOpenTimeout bounds the first attempt to open each destination at
// start-up, made before any stage starts so that settings that cannot work
// fail at once.
const firstOpenTimeout = 10 * time.Second

// node is what one process runs on: the pipeline, its bus, what it opened,
// and what it knows of their health.
type node struct {
	p      *config.Pipeline
	log    *slog.Logger
	health *health.Registry
	bus    bus.Bus
	// busHealth is the bus's part of the health registry, once open has
	// added it.
	busHealth *health.Component
	src       source.Source

	mu  sync.Mutex
	dbs map[string]destination.Destination
	// late receives each destination that a sink opened only after
	// start-up; it has room for every destination, so sending never waits.
	late chan openedDestination
}

type openedDestination struct {
	name string
	db   destination.Destination
}

// newNode returns the node of pipeline p; redact removes secrets from the
// errors its readiness reports show.
func newNode(p *config.Pipeline, log *slog.Logger, redact func(string) string) *node {
	return &node{
		p: p, log: log, health: health.New(redact),
		dbs: map[string]destination.Destination{}, late: make(chan openedDestination, len(p.Destinations)),
	}
}

// open opens the pipeline's bus: in the process when embedded is set and
// the bus can run there (bus.Embedder: NATS on bus.data_dir), once, since a
// data dir another process holds will not free itself; otherwise it
// connects, waiting (with backoff) while the bus cannot be reached.
// Settings that cannot work fail at once. The caller closes n, whether
// open failed or not.
func (n *node) open(ctx context.Context, embedded bool) error {
	cfg := n.p.Bus.Settings
	if e, ok := cfg.(bus.Embedder); ok && embedded {
		store := n.health.Add("embedded bus")
		b, err := e.OpenEmbedded(ctx, bus.Env{Logger: n.log, OnHealth: func(err error) { store.Set(err) }})
		if err != nil {
			return err
		}
		store.Set(nil)
		n.bus, n.busHealth = b, n.health.Add("bus")
		n.busHealth.Set(nil)
	} else {
		n.busHealth = n.health.Add("bus")
		err := n.busHealth.Retry(ctx, n.log, health.DefaultBackoff, func(ctx context.Context) error {
			b, err := cfg.Open(ctx, bus.Env{Logger: n.log})
			if err == nil {
				n.bus = b
			}
			return err
		}, isInvalidConfig)
		if err != nil {
			return fmt.Errorf("connect to the bus: %w", err)
		}
	}
	if p, ok := n.bus.(bus.Pinger); ok {
		n.busHealth.SetProbe(p.Ping)
	}
	return nil
}

// isInvalidConfig tells an error that no retry can fix.
func isInvalidConfig(err error) bool { return errors.Is(err, bus.ErrInvalidConfig) }

func (n *node) openSource(ctx context.Context) error {
	src, err := n.p.Source.Settings.Open(ctx, source.Env{Dir: n.p.Dir, Logger: n.log})
	if err != nil {
		return fmt.Errorf("open source %s: %w", n.p.Source.Settings, err)
	}
	n.src = src
	return nil
}

// openDestination opens d once, and keeps it for close.
func (n *node) openDestination(ctx context.Context, d *config.Destination) (destination.Destination, error) {
	db, err := d.Settings.Open(ctx, destination.Env{Name: d.Name, Dir: n.p.Dir, Logger: n.log})
	if err != nil {
		return nil, fmt.Errorf("open destination %q: %w", d.Name, err)
	}
	n.mu.Lock()
	n.dbs[d.Name] = db
	n.mu.Unlock()
	return db, nil
}

// down names the components that are not up, for messages.
func (n *node) down() []string {
	var names []string
	for _, c := range n.health.Report(context.Background()).Components {
		if c.State != health.Up {
			names = append(names, c.Name)
		}
	}
	return names
}

// opened returns the destinations opened so far, by name.
func (n *node) opened() map[string]destination.Destination {
	n.mu.Lock()
	defer n.mu.Unlock()
	m := make(map[string]destination.Destination, len(n.dbs))
	for name, db := range n.dbs {
		m[name] = db
	}
	return m
}

// close closes what n opened.
func (n *node) close() {
	n.mu.Lock()
	dbs := n.dbs
	n.dbs = map[string]destination.Destination{}
	n.mu.Unlock()
	for name, db := range dbs {
		if err := db.Close(); err != nil {
			n.log.Warn("closing destination", "destination", name, "err", err)
		}
	}
	if n.bus != nil {
		_ = n.bus.Close()
	}
}

// watcher opens the watcher's state on the bus, waiting (with backoff)
// while the bus cannot give it, and returns the watcher.
func (n *node) watcher(ctx context.Context) (*watcher.Watcher, error) {
	tables, ok := n.bus.(bus.Tables)
	if !ok {
		return nil, fmt.Errorf("the %s bus keeps no tables: the watcher has nowhere to keep its state", n.p.Bus.Type)
	}
	var state bus.Table
	err := n.busHealth.Retry(ctx, n.log, health.DefaultBackoff, func(ctx context.Context) error {
		t, err := tables.Table(ctx, watcher.StateTable(n.p.Name))
		state = t
		return err
	}, isInvalidConfig)
	if err != nil {
		return nil, fmt.Errorf("open the watcher's state: %w", err)
	}
	return watcher.New(watcher.Config{Pipeline: n.p, Source: n.src, Bus: n.bus, State: state, Logger: n.log})
}

func (n *node) parser() (*parser.Service, error) {
	return parser.New(parser.Config{Pipeline: n.p, Source: n.src, Bus: n.bus, Logger: n.log})
}

// sinks returns a sink stage per destination. It tries to open every
// destination once, all at once: settings that cannot work fail here,
// before any stage starts; a destination that cannot be reached yet is
// left to its sink, which waits for it without holding up the others.
func (n *node) sinks(ctx context.Context, dests []*config.Destination) ([]runner, error) {
	stages := make([]*sinkStage, len(dests))
	errs := make([]error, len(dests))
	var wg sync.WaitGroup
	for i, d := range dests {
		s := &sinkStage{n: n, d: d, health: n.health.Add("destination " + d.Name)}
		stages[i] = s
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(ctx, firstOpenTimeout)
			defer cancel()
			errs[i] = s.health.Attempt(ctx, n.log, s.open, destination.IsInvalidConfig)
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	runners := make([]runner, len(stages))
	for i, s := range stages {
		if destination.IsInvalidConfig(errs[i]) {
			return nil, errs[i]
		}
		runners[i] = s
	}
	return runners, nil
}

// sinkStage is the sink of one destination: it waits until the destination
// can be opened, then commits into it.
type sinkStage struct {
	n      *node
	d      *config.Destination
	health *health.Component
	db     destination.Destination // once opened
}

// open opens the destination and makes readiness reports ping it.
func (s *sinkStage) open(ctx context.Context) error {
	db, err := s.n.openDestination(ctx, s.d)
	if err != nil {
		return err
	}
	s.db = db
	if p, ok := db.(destination.Pinger); ok {
		s.health.SetProbe(p.Ping)
	}
	return nil
}

// Run opens the destination if start-up could not, then runs the sink
// until ctx is cancelled.
func (s *sinkStage) Run(ctx context.Context) error {
	if s.db == nil {
		if err := s.health.Retry(ctx, s.n.log, health.DefaultBackoff, s.open, destination.IsInvalidConfig); err != nil {
			return err
		}
		s.n.late <- openedDestination{s.d.Name, s.db}
	}
	svc, err := sink.New(sink.Config{Pipeline: s.n.p, Destination: s.d, DB: s.db, Bus: s.n.bus, Logger: s.n.log})
	if err != nil {
		return err
	}
	return svc.Run(ctx)
}

// runner is a stage's Run.
type runner interface{ Run(context.Context) error }

// serve runs stages until ctx is cancelled, then waits for them to drain. A
// stage that fails cancels the others. Liveness fails once they stopped.
func (n *node) serve(ctx context.Context, stages ...runner) error {
	g, ctx := errgroup.WithContext(ctx)
	for _, s := range stages {
		g.Go(func() error { return s.Run(ctx) })
	}
	err := g.Wait()
	n.health.Stopped(err)
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// serveHealth serves the readiness endpoints on addr (nothing when addr is
// empty) until the returned stop is called. It listens at once, so that an
// address in use fails the command at start-up.
func (n *node) serveHealth(addr string) (stop func(), err error) {
	if addr == "" {
		return func() {}, nil
	}
	srv, err := health.Listen(addr, n.health)
	if err != nil {
		return nil, fmt.Errorf("--http-addr: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ctx); err != nil {
			n.log.Error("the health endpoints stopped", "err", err)
		}
	}()
	n.log.Info("serving /healthz and /readyz", "addr", srv.Addr().String())
	return func() { cancel(); <-done }, nil
}

// httpAddrFlag adds --http-addr to cmd.
func httpAddrFlag(cmd *cobra.Command, addr *string) {
	cmd.Flags().StringVar(addr, "http-addr", "", "serve /healthz and /readyz on this address, e.g. :8080 (default: off)")
}

// stageCmd builds a command that runs one stage against the external bus.
// prepare does what needs no bus (and fails on settings that cannot work)
// before the command waits for the bus; the stage it returns is built once
// the bus is there.
func stageCmd(g *globals, use, short string, prepare func(ctx context.Context, n *node) (build func() (runner, error), err error)) *cobra.Command {
	var httpAddr string
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.NoArgs,
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
			build, err := prepare(ctx, n)
			if err != nil {
				return stopped(ctx, err)
			}
			if err := n.open(ctx, false); err != nil {
				return stopped(ctx, err)
			}
			r, err := build()
			if err != nil {
				return err
			}
			log.Info("stage started", "stage", cmd.Name(), "pipeline", p.Name, "pid", os.Getpid())
			return n.serve(ctx, r)
		},
	}
	httpAddrFlag(cmd, &httpAddr)
	return cmd
}

// stopped returns nil for an error that only says ctx was cancelled (a
// signal asked the process to stop while it started), and err otherwise.
func stopped(ctx context.Context, err error) error {
	if ctx.Err() != nil && errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

func newWatcherCmd(g *globals) *cobra.Command {
	return stageCmd(g, "watcher", "Watch the pipeline's source and publish every new file version",
		func(ctx context.Context, n *node) (func() (runner, error), error) {
			if err := n.openSource(ctx); err != nil {
				return nil, err
			}
			return func() (runner, error) { return n.watcher(ctx) }, nil
		})
}

func newParserCmd(g *globals) *cobra.Command {
	cmd := stageCmd(g, "parser", "Parse file versions into record batches (run as many as you like)",
		func(ctx context.Context, n *node) (func() (runner, error), error) {
			if err := n.openSource(ctx); err != nil {
				return nil, err
			}
			return func() (runner, error) { return n.parser() }, nil
		})
	parsesOnly(cmd)
	return cmd
}

func newSinkCmd(g *globals) *cobra.Command {
	var dest string
	cmd := stageCmd(g, "sink", "Commit parsed file versions into one destination (run as many as you like)",
		func(ctx context.Context, n *node) (func() (runner, error), error) {
			d, ok := n.p.Destination(dest)
			if !ok {
				return nil, fmt.Errorf("--destination %q: the pipeline has no such destination", dest)
			}
			sinks, err := n.sinks(ctx, []*config.Destination{d})
			if err != nil {
				return nil, err
			}
			return func() (runner, error) { return sinks[0], nil }, nil
		})
	cmd.Flags().StringVar(&dest, "destination", "", "name of the destination to commit into (required)")
	_ = cmd.MarkFlagRequired("destination")
	return cmd
}
