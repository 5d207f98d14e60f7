package main

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// TestEverythingTheProcessPrintsIsScrubbedOfItsSecrets wires a command the
// way newRoot does and has it print a secret of its pipeline, and a piece
// of one, in every way a command can: a log line (text and JSON, through
// its logger and slog's default), its output, its error output and the
// error it returns. None shows them, and
// the returned error still carries its exit code.
func TestEverythingTheProcessPrintsIsScrubbedOfItsSecrets(t *testing.T) {
	const piece, other = "Wd3xMq8Tz", "Hp7kRn2Lc"
	password := "2024/" + piece + "@" + other
	t.Setenv("FILEDGE_TEST_PASSWORD", strings.NewReplacer("/", "%2F", "@", "%40").Replace(password))
	dir := t.TempDir()
	write(t, filepath.Join(dir, "in", "x.csv"), "a\n1\n")
	cfg := write(t, filepath.Join(dir, "pipeline.yaml"), `name: p
source: {path: ./in}
connector: {type: postgres, url: 'postgresql://loader:${FILEDGE_TEST_PASSWORD}@127.0.0.1:1/db'}
`)
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			g := newGlobals(func(string) string { return "" })
			g.config, g.logLevel, g.logFormat = cfg, "info", format
			var logs, out bytes.Buffer
			cmd := &cobra.Command{Use: "probe", RunE: func(cmd *cobra.Command, _ []string) error {
				if _, err := g.load(cmd); err != nil {
					return err
				}
				log, err := g.logger(&logs)
				if err != nil {
					return err
				}
				log.Warn("driver said database="+piece, "err", fmt.Errorf("lookup %s@127.0.0.1: no such host", other), "detail", []string{password})
				slog.Info("a library logs through the default logger", "file", piece+".csv")
				fmt.Fprint(cmd.OutOrStdout(), "FILE\tDETAIL\nx.csv\t")
				fmt.Fprintln(cmd.OutOrStdout(), "failed: "+piece)
				fmt.Fprintln(cmd.ErrOrStderr(), "warning: "+other)
				return fmt.Errorf("open destination: %s: %w", password, &exitError{code: 2})
			}}
			g.scrubbed(cmd)
			cmd.SetOut(&out)
			cmd.SetErr(&out)
			cmd.SetArgs(nil)
			err := cmd.Execute()
			if !strings.Contains(logs.String(), "a library logs") {
				t.Errorf("a line logged through slog's default is not in the process's log:\n%s", logs.String())
			}
			var ee *exitError
			if !errors.As(err, &ee) || ee.code != 2 {
				t.Fatalf("error %v lost its exit code", err)
			}
			for name, text := range map[string]string{"logs": logs.String(), "output": out.String(), "error": err.Error()} {
				for _, s := range []string{piece, other, "2024"} {
					if strings.Contains(text, s) {
						t.Errorf("%s shows %q:\n%s", name, s, text)
					}
				}
				if !strings.Contains(text, "REDACTED") {
					t.Errorf("%s does not say REDACTED:\n%s", name, text)
				}
			}
		})
	}
}

// TestTheEnvironmentsCredentialsAreScrubbedBeforeAnyPipelineLoads checks
// that DATABASE_URL, FILEDGE_NATS_URL and PGPASSWORD are secrets from the
// start, even when the pipeline does not load.
func TestTheEnvironmentsCredentialsAreScrubbedBeforeAnyPipelineLoads(t *testing.T) {
	env := map[string]string{
		"DATABASE_URL":     "postgresql://loader:Kv8tYw2Qs@db/sales",
		"FILEDGE_NATS_URL": "nats://Tn4pXc9Lm@bus:4222",
		"PGPASSWORD":       "Rb6mZq3Hd",
	}
	g := newGlobals(func(name string) string { return env[name] })
	got := g.scrub.String("Kv8tYw2Qs Tn4pXc9Lm Rb6mZq3Hd")
	if got != "REDACTED REDACTED REDACTED" {
		t.Errorf("got %q", got)
	}
	// Where to connect is no secret: logs keep saying it.
	plain := map[string]string{"DATABASE_URL": "postgresql://loader@db/sales", "FILEDGE_NATS_URL": "nats://bus:4222"}
	g = newGlobals(func(name string) string { return plain[name] })
	const text = "connect to nats://bus:4222 and postgresql://loader@db/sales"
	if got := g.scrub.String(text); got != text {
		t.Errorf("scrubbed %q to %q", text, got)
	}
}
