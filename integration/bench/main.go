// Command bench measures filedge end to end, next to the database's own bulk
// loader on the same file in the same run: it generates a CSV of -rows rows
// (12 mixed columns, quoted fields), loads it with `filedge run --once` into
// PostgreSQL and into SQLite, and with `psql \copy` into an equivalent
// PostgreSQL table, and prints rows/s, MB/s, the ratio to \copy and the
// peak RSS of each. Then it measures drop-to-commit latency with the
// default watcher settings (-drops files, renamed in, then written in
// place; see dropLatency). `make bench` runs it.
package main

import (
	"bufio"
	"context"
	"database/sql"
	"flag"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/filedge/filedge/internal/benchkit"
)

func main() {
	rows := flag.Int("rows", 1_000_000, "rows in the generated file")
	pgURL := flag.String("postgres", envOr("FILEDGE_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"), "PostgreSQL to load into (a scratch database is created beside it)")
	bin := flag.String("filedge", "bin/filedge", "the filedge binary")
	keep := flag.Bool("keep", false, "keep the work folder")
	drops := flag.Int("drops", 50, "small files dropped one by one to measure drop-to-commit latency (0: none)")
	flag.Parse()
	if err := run(*rows, *drops, *pgURL, *bin, *keep); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

type result struct {
	name   string
	dur    time.Duration
	rssKB  int64
	rows   int
	bytes  int64
	detail string
}

func (r result) rowsPerSec() float64 { return float64(r.rows) / r.dur.Seconds() }

func run(rows, drops int, pgURL, bin string, keep bool) error {
	ctx := context.Background()
	bin, err := filepath.Abs(bin)
	if err != nil {
		return err
	}
	if _, err := os.Stat(bin); err != nil {
		return fmt.Errorf("%s: build it first (make build)", bin)
	}
	work, err := os.MkdirTemp("", "filedge-bench-")
	if err != nil {
		return err
	}
	if !keep {
		defer os.RemoveAll(work)
	}
	admin, err := sql.Open("pgx", pgURL)
	if err != nil {
		return err
	}
	defer admin.Close()
	scratch := fmt.Sprintf("filedge_bench_%d", time.Now().UnixNano())
	if _, err := admin.ExecContext(ctx, `CREATE DATABASE "`+scratch+`"`); err != nil {
		return fmt.Errorf("create scratch database: %w", err)
	}
	defer admin.ExecContext(ctx, `DROP DATABASE IF EXISTS "`+scratch+`" WITH (FORCE)`)
	u, _ := url.Parse(pgURL)
	u.Path = "/" + scratch
	dbURL := u.String()

	if rows > 0 {
		if err := loads(ctx, admin, work, dbURL, bin, rows); err != nil {
			return err
		}
	}
	for _, how := range []string{"renamed", "written"} {
		if drops > 0 {
			took, err := dropLatency(ctx, bin, work, dbURL, how, drops)
			if err != nil {
				return err
			}
			reportLatency(how, took)
		}
	}
	return nil
}

// loads times the load of a generated CSV of rows rows with psql \copy and
// with filedge run --once into PostgreSQL and into SQLite.
func loads(ctx context.Context, admin *sql.DB, work, dbURL, bin string, rows int) error {
	in := filepath.Join(work, "in")
	os.MkdirAll(in, 0o755)
	file := filepath.Join(in, "orders.csv")
	size, err := generate(file, rows)
	if err != nil {
		return err
	}
	fmt.Printf("generated %s: %d rows, %.1f MB\n", file, rows, float64(size)/1e6)

	var results []result
	// psql \copy first: the reference.
	if _, err := admin.ExecContext(ctx, "CHECKPOINT"); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	r, err := psqlCopy(ctx, dbURL, file, rows, size)
	if err != nil {
		return err
	}
	results = append(results, r)

	for _, dest := range []struct{ name, connector string }{
		{"filedge run --once → PostgreSQL", fmt.Sprintf(`{type: postgres, url: "%s"}`, dbURL)},
		{"filedge run --once → SQLite", `{type: sqlite, url: "sqlite:///out/bench.db"}`},
	} {
		dir := filepath.Join(work, fmt.Sprintf("run%d", len(results)))
		os.MkdirAll(dir, 0o755)
		cfg := filepath.Join(dir, "pipeline.yaml")
		os.WriteFile(cfg, []byte(fmt.Sprintf("name: bench\nsource: {path: %s}\ntable: orders\nwatcher: {settle: 100ms}\nconnector: %s\n", in, dest.connector)), 0o644)
		// Each PostgreSQL load starts from a checkpoint, so that none pays
		// for the WAL of the load before it.
		if _, err := admin.ExecContext(ctx, "CHECKPOINT"); err != nil {
			return fmt.Errorf("checkpoint: %w", err)
		}
		r, err := timed(ctx, dest.name, rows, size, bin, "run", "--once", "-c", cfg, "--log-level", "warn")
		if err != nil {
			return err
		}
		results = append(results, r)
	}
	report(results, rows, size)
	return nil
}

func psqlCopy(ctx context.Context, dbURL, file string, rows int, size int64) (result, error) {
	db, err := sql.Open("pgx", dbURL)
	if err != nil {
		return result{}, err
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `CREATE TABLE copy_orders (
		id bigint, customer text, email text, country text, amount double precision, quantity bigint,
		price double precision, ordered_at timestamptz, ship_date date, shipped boolean, notes text, category text)`); err != nil {
		return result{}, err
	}
	return timed(ctx, `psql \copy (reference)`, rows, size, "psql", dbURL, "-q", "-c",
		fmt.Sprintf(`\copy copy_orders FROM '%s' WITH (FORMAT csv, HEADER true)`, file))
}

// timed runs a command and measures its wall time and peak RSS.
func timed(ctx context.Context, name string, rows int, size int64, prog string, args ...string) (result, error) {
	cmd := exec.CommandContext(ctx, prog, args...)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	d := time.Since(start)
	if err != nil {
		return result{}, fmt.Errorf("%s: %v\n%s", name, err, out.String())
	}
	var rss int64
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		rss = ru.Maxrss
	}
	last := strings.TrimSpace(out.String())
	if i := strings.LastIndexByte(last, '\n'); i >= 0 {
		last = last[i+1:]
	}
	return result{name: name, dur: d, rssKB: rss, rows: rows, bytes: size, detail: last}, nil
}

func report(results []result, rows int, size int64) {
	ref := results[0].rowsPerSec()
	fmt.Printf("\n| load of %d rows, %.0f MB | seconds | rows/s | MB/s | × psql \\copy | peak RSS MB |\n|---|---:|---:|---:|---:|---:|\n", rows, float64(size)/1e6)
	for _, r := range results {
		fmt.Printf("| %s | %.2f | %.0f | %.1f | %.2f | %.0f |\n", r.name, r.dur.Seconds(), r.rowsPerSec(),
			float64(r.bytes)/1e6/r.dur.Seconds(), r.rowsPerSec()/ref, float64(r.rssKB)/1024)
	}
	fmt.Println("\npsql's RSS is the client's only; the server's backend does the work.")
}

// generate writes the benchmark CSV: 12 mixed columns, quoted fields with
// delimiters and doubled quotes inside.
func generate(path string, rows int) (int64, error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	if err := benchkit.WriteOrders(w, rows); err != nil {
		return 0, err
	}
	if err := w.Flush(); err != nil {
		return 0, err
	}
	st, err := f.Stat()
	if err != nil {
		return 0, err
	}
	return st.Size(), f.Close()
}
