package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/filedge/filedge/pkg/bus"
	"github.com/filedge/filedge/pkg/bus/natsbus"
	"github.com/filedge/filedge/pkg/config"
	"github.com/filedge/filedge/pkg/destination"
	"github.com/filedge/filedge/pkg/source"
	"github.com/filedge/filedge/services/parser"
	"github.com/filedge/filedge/services/sink"
	"github.com/filedge/filedge/services/watcher"
)

// node is what one process runs on: the pipeline, its bus, and what it opened.
type node struct {
	p      *config.Pipeline
	log    *slog.Logger
	bus    *natsbus.Bus
	server *server.Server // embedded, or nil
	src    source.Source
	dbs    map[string]destination.Destination
}

// open starts the pipeline's node: an embedded NATS server (embedded) or a
// connection to the pipeline's external one.
func open(ctx context.Context, p *config.Pipeline, log *slog.Logger, embedded bool) (*node, error) {
	n := &node{p: p, log: log, dbs: map[string]destination.Destination{}}
	opts := natsbus.Options{Logger: log, BatchRetention: p.Bus.BatchRetention}
	if embedded {
		srv, err := natsbus.StartEmbedded(ctx, natsbus.EmbeddedOptions{DataDir: p.Bus.DataDir, SyncAlways: p.Bus.SyncAlways, Logger: log})
		if err != nil {
			return nil, fmt.Errorf("start the embedded bus in %s: %w", p.Bus.DataDir, err)
		}
		n.server, opts.Server = srv, srv
	} else {
		if p.Bus.URL == "" {
			return nil, errors.New("no bus: set bus.url in the pipeline file or FILEDGE_NATS_URL (or use `filedge run`, which embeds one)")
		}
		opts.URL = p.Bus.URL
	}
	b, err := natsbus.Connect(ctx, opts)
	if err != nil {
		n.close()
		return nil, fmt.Errorf("connect to the bus: %w", err)
	}
	n.bus = b
	return n, nil
}

func (n *node) openSource(ctx context.Context) error {
	src, err := n.p.Source.Settings.Open(ctx, source.Env{Dir: n.p.Dir, Logger: n.log})
	if err != nil {
		return fmt.Errorf("open source %s: %w", n.p.Source.Settings, err)
	}
	n.src = src
	return nil
}

func (n *node) openDestination(ctx context.Context, d *config.Destination) (destination.Destination, error) {
	db, err := d.Settings.Open(ctx, destination.Env{Name: d.Name, Dir: n.p.Dir, Logger: n.log})
	if err != nil {
		return nil, fmt.Errorf("open destination %q: %w", d.Name, err)
	}
	n.dbs[d.Name] = db
	return db, nil
}

func (n *node) close() {
	for name, db := range n.dbs {
		if err := db.Close(); err != nil {
			n.log.Warn("closing destination", "destination", name, "err", err)
		}
	}
	if n.bus != nil {
		_ = n.bus.Close()
	}
	if n.server != nil {
		n.server.Shutdown()
		n.server.WaitForShutdown()
	}
}

func (n *node) maxPayload() int {
	if n.bus != nil {
		return n.bus.MaxPayload()
	}
	return 0
}

func (n *node) watcher() (*watcher.Watcher, error) {
	return watcher.New(watcher.Config{Pipeline: n.p, Source: n.src, Bus: n.bus, Logger: n.log})
}

func (n *node) parser() (*parser.Service, error) {
	return parser.New(parser.Config{Pipeline: n.p, Source: n.src, Bus: n.bus, Logger: n.log, MaxPayload: n.maxPayload()})
}

func (n *node) sink(ctx context.Context, d *config.Destination) (*sink.Service, error) {
	db, err := n.openDestination(ctx, d)
	if err != nil {
		return nil, err
	}
	return sink.New(sink.Config{Pipeline: n.p, Destination: d, DB: db, Bus: n.bus, Logger: n.log})
}

// runner is a stage's Run.
type runner interface{ Run(context.Context) error }

// serve runs stages until ctx is cancelled, then waits for them to drain. A
// stage that fails cancels the others.
func serve(ctx context.Context, stages ...runner) error {
	g, ctx := errgroup.WithContext(ctx)
	for _, s := range stages {
		g.Go(func() error { return s.Run(ctx) })
	}
	err := g.Wait()
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// stageCmd builds a command that runs one stage against the external bus.
func stageCmd(g *globals, use, short string, build func(ctx context.Context, n *node, cmd *cobra.Command) (runner, error)) *cobra.Command {
	return &cobra.Command{
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
			n, err := open(ctx, p, log, false)
			if err != nil {
				return err
			}
			defer n.close()
			r, err := build(ctx, n, cmd)
			if err != nil {
				return err
			}
			log.Info("stage started", "stage", cmd.Name(), "pipeline", p.Name, "pid", os.Getpid())
			return serve(ctx, r)
		},
	}
}

func newWatcherCmd(g *globals) *cobra.Command {
	return stageCmd(g, "watcher", "Watch the pipeline's source and publish every new file version",
		func(ctx context.Context, n *node, _ *cobra.Command) (runner, error) {
			if err := n.openSource(ctx); err != nil {
				return nil, err
			}
			return n.watcher()
		})
}

func newParserCmd(g *globals) *cobra.Command {
	cmd := stageCmd(g, "parser", "Parse file versions into record batches (run as many as you like)",
		func(ctx context.Context, n *node, _ *cobra.Command) (runner, error) {
			if err := n.openSource(ctx); err != nil {
				return nil, err
			}
			return n.parser()
		})
	parsesOnly(cmd)
	return cmd
}

func newSinkCmd(g *globals) *cobra.Command {
	var dest string
	cmd := stageCmd(g, "sink", "Commit parsed file versions into one destination (run as many as you like)",
		func(ctx context.Context, n *node, _ *cobra.Command) (runner, error) {
			d, ok := n.p.Destination(dest)
			if !ok {
				return nil, fmt.Errorf("--destination %q: the pipeline has no such destination", dest)
			}
			return n.sink(ctx, d)
		})
	cmd.Flags().StringVar(&dest, "destination", "", "name of the destination to commit into (required)")
	_ = cmd.MarkFlagRequired("destination")
	return cmd
}

var _ bus.Bus = (*natsbus.Bus)(nil)
