package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/pprof"
	"strings"

	"github.com/spf13/cobra"

	"github.com/filedge/filedge/pkg/config"
	_ "github.com/filedge/filedge/pkg/destination/all" // every destination
	_ "github.com/filedge/filedge/pkg/format/all"      // every format
	_ "github.com/filedge/filedge/pkg/source/local"    // the local folder source
)

// globals are the flags every subcommand shares.
type globals struct {
	config    string
	logLevel  string
	logFormat string
	profile   string
}

func newRoot() *cobra.Command {
	g := &globals{}
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
	return root
}

// logger makes the process's logger, writing to w.
func (g *globals) logger(w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(g.logLevel)); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch strings.ToLower(g.logFormat) {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format: want text or json, got %q", g.logFormat)
}

// load reads the pipeline file, printing every problem on failure.
func (g *globals) load(cmd *cobra.Command) (*config.Pipeline, error) {
	p, err := config.Load(g.config)
	if err != nil {
		fmt.Fprintln(cmd.ErrOrStderr(), err)
		return nil, &exitError{code: 2}
	}
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
			names := make([]string, len(p.Destinations))
			for i, d := range p.Destinations {
				names[i] = d.Name + " (" + d.Type + ")"
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: pipeline %q is valid: %s source %s, %s mode, destinations %s\n",
				g.config, p.Name, p.Source.Type, p.Source.Path, p.Mode, strings.Join(names, ", "))
			return nil
		},
	}
}

// stderr is where logs go.
var stderr io.Writer = os.Stderr
