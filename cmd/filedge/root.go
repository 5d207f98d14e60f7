package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/pprof"
	"strings"

	"github.com/spf13/cobra"

	"github.com/filedge/filedge/internal/redact"
	"github.com/filedge/filedge/pkg/bus"
	_ "github.com/filedge/filedge/pkg/bus/all" // every bus
	"github.com/filedge/filedge/pkg/config"
	_ "github.com/filedge/filedge/pkg/destination/all" // every destination
	"github.com/filedge/filedge/pkg/destination/postgres"
	_ "github.com/filedge/filedge/pkg/format/all" // every format
	_ "github.com/filedge/filedge/pkg/source/all" // every source
)

// globals are the flags every subcommand shares, and what the process
// knows of its secrets.
type globals struct {
	config    string
	logLevel  string
	logFormat string
	profile   string

	// scrub removes every secret the process knows from its logs, its
	// output and the error it ends with. It starts with the credentials of
	// the environment and learns the pipeline's when it loads.
	scrub *redact.Scrubber
}

// newGlobals returns the globals before the flags are read, with a
// scrubber that knows the credentials of the environment (read with
// getenv), whether or not the pipeline uses them: those of the variables
// the bus types read (FILEDGE_NATS_URL: bus.Info.EnvSecrets), DATABASE_URL
// when it carries credentials, and PGPASSWORD, which pgx reads.
func newGlobals(getenv func(string) string) *globals {
	var secrets []string
	for _, t := range bus.Types() {
		if info, _ := bus.Lookup(t); info.EnvSecrets != nil {
			secrets = append(secrets, info.EnvSecrets(getenv)...)
		}
	}
	if v := getenv(postgres.EnvDatabaseURL); redact.HasCredentials(v) {
		secrets = append(secrets, v)
	}
	secrets = append(secrets, getenv("PGPASSWORD"))
	return &globals{scrub: redact.New(secrets...)}
}

func newRoot() *cobra.Command {
	g := newGlobals(os.Getenv)
	root := &cobra.Command{
		Use:           "filedge",
		Short:         "Load files into databases, every version exactly once, seconds after it lands",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().StringVarP(&g.config, "config", "c", "pipeline.yaml", "pipeline file")
	root.PersistentFlags().StringVar(&g.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	root.PersistentFlags().StringVar(&g.logFormat, "log-format", "text", "log format: text or json")
	root.PersistentFlags().StringVar(&g.profile, "cpuprofile", "", "write a CPU profile to this file")
	_ = root.PersistentFlags().MarkHidden("cpuprofile")
	var stopProfile func()
	root.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error {
		if cmd.Annotations[parseOnlyAnnotation] != "" {
			tuneGC(os.Getenv)
		}
		if g.profile == "" {
			return nil
		}
		f, err := os.Create(g.profile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		stopProfile = func() { pprof.StopCPUProfile(); f.Close() }
		return nil
	}
	root.PersistentPostRun = func(*cobra.Command, []string) {
		if stopProfile != nil {
			stopProfile()
		}
	}
	root.AddCommand(newRunCmd(g), newWatcherCmd(g), newParserCmd(g), newSinkCmd(g), newPreviewCmd(g), newValidateCmd(g))
	for _, cmd := range root.Commands() {
		g.scrubbed(cmd)
	}
	return root
}

// scrubbed makes cmd print through g.scrub: its output and error output
// line by line, and the error it returns.
func (g *globals) scrubbed(cmd *cobra.Command) {
	run := cmd.RunE
	if run == nil {
		return
	}
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		out, errOut := g.scrub.Writer(cmd.OutOrStdout()), g.scrub.Writer(cmd.ErrOrStderr())
		cmd.SetOut(out)
		cmd.SetErr(errOut)
		err := run(cmd, args)
		out.Flush()
		errOut.Flush()
		return g.scrub.Error(err)
	}
}

// logger makes the process's logger, writing to w through g.scrub, and
// makes it slog's default, so that what logs through slog.Default (a
// component opened without a logger) is formatted and scrubbed the same
// way.
func (g *globals) logger(w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(g.logLevel)); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler
	switch strings.ToLower(g.logFormat) {
	case "text":
		h = slog.NewTextHandler(w, opts)
	case "json":
		h = slog.NewJSONHandler(w, opts)
	default:
		return nil, fmt.Errorf("--log-format: want text or json, got %q", g.logFormat)
	}
	log := slog.New(g.scrub.Handler(h))
	slog.SetDefault(log)
	return log, nil
}

// load reads the pipeline file, printing every problem on failure, and
// teaches g.scrub the pipeline's secrets.
func (g *globals) load(cmd *cobra.Command) (*config.Pipeline, error) {
	p, err := config.Load(g.config)
	if err != nil {
		fmt.Fprintln(cmd.ErrOrStderr(), err)
		return nil, &exitError{code: 2}
	}
	g.scrub.Add(p.Secrets()...)
	return p, nil
}

func newValidateCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "validate",
		Short: "Check a pipeline file and print every problem with its line",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			p, err := config.Load(g.config)
			if err != nil {
				fmt.Fprintln(cmd.ErrOrStderr(), err)
				return &exitError{code: 1}
			}
			g.scrub.Add(p.Secrets()...)
			names := make([]string, len(p.Destinations))
			for i, d := range p.Destinations {
				names[i] = d.Name + " (" + d.Type + ")"
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: pipeline %q is valid: %s source %s, %s mode, destinations %s\n",
				g.config, p.Name, p.Source.Type, p.Source.Settings, p.Mode, strings.Join(names, ", "))
			return nil
		},
	}
}

// stderr is where logs go.
var stderr io.Writer = os.Stderr
