package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

// dropLatency measures what a user of `filedge run` feels: with the default
// watcher settings, it drops n small CSV files into the watched folder one
// at a time and times each from the drop to its row being queryable in
// PostgreSQL. how is "renamed" (written in a staging folder on the same
// file system, then renamed in, as most tools deliver files) or "written"
// (created, written and closed in place).
func dropLatency(ctx context.Context, bin, work, dbURL, how string, n int) ([]time.Duration, error) {
	dir := filepath.Join(work, "latency-"+how)
	in, staging := filepath.Join(dir, "in"), filepath.Join(dir, "staging")
	for _, d := range []string{in, staging} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
	}
	table := "drops_" + how
	cfg := filepath.Join(dir, "pipeline.yaml")
	yaml := fmt.Sprintf("name: latency-%s\nsource: {path: ./in}\ntable: %s\nconnector: {type: postgres, url: %q}\n", how, table, dbURL)
	if err := os.WriteFile(cfg, []byte(yaml), 0o644); err != nil {
		return nil, err
	}
	db, err := sql.Open("pgx", dbURL)
	if err != nil {
		return nil, err
	}
	defer db.Close()

	log, err := os.Create(filepath.Join(dir, "filedge.log"))
	if err != nil {
		return nil, err
	}
	defer log.Close()
	cmd := exec.CommandContext(ctx, bin, "run", "-c", cfg, "--log-level", "warn")
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	}()

	drop := func(name string) (time.Time, error) {
		content := []byte("id,name\n1," + name + "\n")
		if how == "written" {
			start := time.Now()
			return start, os.WriteFile(filepath.Join(in, name), content, 0o644)
		}
		if err := os.WriteFile(filepath.Join(staging, name), content, 0o644); err != nil {
			return time.Time{}, err
		}
		start := time.Now()
		return start, os.Rename(filepath.Join(staging, name), filepath.Join(in, name))
	}
	// committed waits until the row of name is queryable and returns when
	// it was seen.
	committed := func(name string, within time.Duration) (time.Time, error) {
		deadline := time.Now().Add(within)
		for {
			var rows int
			err := db.QueryRowContext(ctx, `SELECT count(*) FROM `+table+` WHERE _file = $1`, name).Scan(&rows)
			if err == nil && rows > 0 {
				return time.Now(), nil
			}
			if time.Now().After(deadline) {
				if err == nil {
					err = errors.New("no row")
				}
				logs, _ := os.ReadFile(log.Name())
				return time.Time{}, fmt.Errorf("%s not committed within %v (%v); filedge logged:\n%s", name, within, err, logs)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}

	// The first file starts the table and proves the pipeline is up.
	if _, err := drop("warmup.csv"); err != nil {
		return nil, err
	}
	if _, err := committed("warmup.csv", time.Minute); err != nil {
		return nil, err
	}
	var took []time.Duration
	for i := range n {
		name := fmt.Sprintf("drop%03d.csv", i)
		start, err := drop(name)
		if err != nil {
			return nil, err
		}
		seen, err := committed(name, time.Minute)
		if err != nil {
			return nil, err
		}
		took = append(took, seen.Sub(start))
	}
	return took, nil
}

// reportLatency prints the percentiles of the drop-to-commit times.
func reportLatency(how string, took []time.Duration) {
	s := slices.Clone(took)
	slices.Sort(s)
	pct := func(p float64) time.Duration { return s[min(len(s)-1, int(p*float64(len(s))))] }
	var all []string
	for _, d := range took {
		all = append(all, fmt.Sprintf("%.0f", float64(d.Microseconds())/1000))
	}
	fmt.Printf("drop-to-commit, %d small files %s into a watched folder (default config, PostgreSQL): p50 %.3f s, p99 %.3f s, max %.3f s\n",
		len(s), how, pct(0.50).Seconds(), pct(0.99).Seconds(), s[len(s)-1].Seconds())
	fmt.Printf("  each (ms): %s\n", strings.Join(all, " "))
}
