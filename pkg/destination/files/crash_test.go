package files_test

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/filedge/filedge/pkg/destination"
	"github.com/filedge/filedge/pkg/destination/destinationtest"
	"github.com/filedge/filedge/pkg/destination/files"
	"github.com/filedge/filedge/pkg/record"
)

// The tests here run this test binary again as a helper process, which
// commits into a folder the test names and dies at a step of the commit
// (FILEDGE_FILES_HELPER=crash), or commits a series of versions alongside
// the test (FILEDGE_FILES_HELPER=race).
const helperEnv = "FILEDGE_FILES_HELPER"

// helperFile is the version the helper and the tests commit: version of
// path a.csv, table t, in the given column type, n rows.
func helperFile(t testing.TB, version string, typ record.Type, n int, truncate bool) *destination.File {
	rows := make([][]any, n)
	for i := range rows {
		switch typ {
		case record.String:
			rows[i] = []any{"s" + strconv.Itoa(i)}
		default:
			rows[i] = []any{int64(i)}
		}
	}
	seq, _ := strconv.Atoi(strings.TrimPrefix(version, "v"))
	f := destinationtest.File(t, version, "a.csv", t0, destinationtest.Table("t", destinationtest.Cols("x", typ), rows...))
	f.Seq = int64(seq)
	if truncate {
		f.WriteMode = destination.Truncate
	}
	return f
}

// TestHelperProcess is the helper process; it does nothing in a normal
// test run.
func TestHelperProcess(t *testing.T) {
	mode := os.Getenv(helperEnv)
	if mode == "" {
		return
	}
	dir, code := os.Getenv("FILEDGE_FILES_DIR"), os.Getenv("FILEDGE_FILES_FORMAT")
	d, err := files.Open(context.Background(), files.Config{Path: dir, Format: code}, destination.Env{Name: "helper", Dir: dir})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	switch mode {
	case "crash":
		at := os.Getenv("FILEDGE_FILES_CRASH")
		files.SetTestHook(func(step string) {
			if step == at {
				os.Exit(3) // as a SIGKILL would: no defer, no Close
			}
		})
		f := helperFile(t, os.Getenv("FILEDGE_FILES_VERSION"), record.String, 3, os.Getenv("FILEDGE_FILES_TRUNCATE") != "")
		_, err = d.Commit(context.Background(), f)
		fmt.Fprintln(os.Stderr, "the commit did not stop at", at, err)
		os.Exit(4)
	case "race":
		n, _ := strconv.Atoi(os.Getenv("FILEDGE_FILES_VERSIONS"))
		var outcomes []string
		for i := range n {
			res, err := d.Commit(context.Background(), raceFile(t, i))
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(2)
			}
			outcomes = append(outcomes, string(res.Outcome))
		}
		fmt.Println(strings.Join(outcomes, " "))
		d.Close()
		os.Exit(0)
	}
}

// helper starts the helper process in mode, with env, and waits for it.
func helper(t *testing.T, mode, dir, code string, env ...string) (exit int, out string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), append([]string{helperEnv + "=" + mode, "FILEDGE_FILES_DIR=" + dir, "FILEDGE_FILES_FORMAT=" + code}, env...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), stdout.String() + stderr.String()
	} else if err != nil {
		t.Fatal(err)
	}
	return 0, stdout.String() + stderr.String()
}

// temporaryFiles lists the files under _filedge/tmp and _filedge/staging,
// lock files aside.
func temporaryFiles(t *testing.T, dir string) []string {
	t.Helper()
	var left []string
	for _, sub := range []string{"tmp", "staging"} {
		filepath.WalkDir(filepath.Join(dir, "_filedge", sub), func(p string, e fs.DirEntry, err error) error {
			if err == nil && !e.IsDir() && !strings.HasSuffix(p, ".lock") {
				left = append(left, p)
			}
			return nil
		})
	}
	return left
}

// logTo returns a logger writing to buf.
func logTo(buf *lockedBuffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestACommitKilledAtAnyStepIsFinishedOrUndoneAndItsRetryCommitsOnce
// kills a process committing version v2 of a.csv, which widens table t
// from integer to string (its other file, b.csv's, is rewritten) or
// truncates it, at each step of the commit; then opens the folder as the
// next process would and checks that nothing half done shows: every file
// of the table has the table's columns, no temporary file is left, and
// the retry of v2 commits it once.
func TestACommitKilledAtAnyStepIsFinishedOrUndoneAndItsRetryCommitsOnce(t *testing.T) {
	for _, truncate := range []bool{false, true} {
		for _, at := range []string{"spooled", "staged", "installed"} {
			name := at
			if truncate {
				name = "Truncate/" + at
			}
			t.Run(name, func(t *testing.T) {
				dir := filepath.Join(t.TempDir(), "out")
				d := open(t, dir, "csv")
				destinationtest.Commit(t, d, helperFile(t, "v1", record.Integer, 2, false), destination.Committed)
				other := destinationtest.File(t, "b1", "b.csv", t0, destinationtest.Table("t", destinationtest.Cols("x", record.Integer), []any{7}))
				destinationtest.Commit(t, d, other, destination.Committed)
				d.Close()

				env := []string{"FILEDGE_FILES_CRASH=" + at, "FILEDGE_FILES_VERSION=v2"}
				if truncate {
					env = append(env, "FILEDGE_FILES_TRUNCATE=1")
				}
				if code, out := helper(t, "crash", dir, "csv", env...); code != 3 {
					t.Fatalf("the helper exited %d, want 3 (killed at %s):\n%s", code, at, out)
				}

				var log lockedBuffer
				d2, err := files.Open(t.Context(), files.Config{Path: dir, Format: "csv"}, destination.Env{Name: "out", Dir: dir, Logger: logTo(&log)})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { d2.Close() })
				if at == "staged" && !strings.Contains(log.String(), "finishing a commit interrupted by a crash") {
					t.Errorf("Open did not say it finished the interrupted commit:\n%s", log.String())
				}
				if left := temporaryFiles(t, dir); len(left) > 0 {
					t.Errorf("temporary files left after Open: %q", left)
				}
				r := files.NewReader(dir, "csv")
				// Every file reads back in the table's columns (Rows
				// fails on a file that does not).
				rows, err := r.Rows(t.Context(), "t")
				if err != nil {
					t.Fatalf("the table after the crash: %v", err)
				}
				if ledger, _ := r.Ledger(t.Context(), destinationtest.Pipeline); slices.ContainsFunc(ledger, func(l destinationtest.LedgerRow) bool { return l.Version == "v2" }) {
					t.Fatal("the killed commit has a ledger file")
				}
				t.Logf("killed at %s: the table holds %d rows", at, len(rows))

				destinationtest.Commit(t, d2, helperFile(t, "v2", record.String, 3, truncate), destination.Committed)
				want := [][]any{{"a.csv", "s0"}, {"a.csv", "s1"}, {"a.csv", "s2"}}
				if !truncate {
					want = append(want, []any{"b.csv", "7"})
				}
				destinationtest.AssertRows(t, destinationtest.Select(t, r, "t", []destinationtest.Column{{Name: record.FileColumn, Type: record.String}, {Name: "x", Type: record.String}}, record.FileColumn), want)
			})
		}
	}
}

// raceFile is version i of the series the race test commits: path
// p<i%3>.csv, sequence i+1, one row holding i.
func raceFile(t testing.TB, i int) *destination.File {
	f := destinationtest.File(t, fmt.Sprintf("v%03d", i), fmt.Sprintf("p%d.csv", i%3), t0, destinationtest.Table("t", destinationtest.Cols("x", record.Integer), []any{i}))
	f.Seq = int64(i + 1)
	return f
}

// TestTwoProcessesCommittingTheSameVersionsCommitEachOnce runs a helper
// process that commits a series of versions into the folder while this
// one commits the same series: file locks make them take turns, each
// version is committed by one of them and reported a duplicate by the
// other, and each path ends with its newest version's row.
func TestTwoProcessesCommittingTheSameVersionsCommitEachOnce(t *testing.T) {
	const n = 30
	dir := filepath.Join(t.TempDir(), "out")
	d := open(t, dir, "parquet")
	var (
		wg       sync.WaitGroup
		exit     int
		out      string
		outcomes []string
	)
	wg.Go(func() { exit, out = helper(t, "race", dir, "parquet", fmt.Sprintf("FILEDGE_FILES_VERSIONS=%d", n)) })
	for i := range n {
		res, err := d.Commit(t.Context(), raceFile(t, i))
		if err != nil {
			t.Fatal(err)
		}
		outcomes = append(outcomes, string(res.Outcome))
	}
	wg.Wait()
	if exit != 0 {
		t.Fatalf("the helper exited %d:\n%s", exit, out)
	}
	theirs := strings.Fields(out)
	if len(theirs) != n {
		t.Fatalf("the helper reported %d outcomes, want %d:\n%s", len(theirs), n, out)
	}
	for i := range n {
		got := []string{outcomes[i], theirs[i]}
		slices.Sort(got)
		// The later of the two sees the version committed, or, having
		// read the path's newest first, a newer one of the path.
		if got[0] != string(destination.Committed) || got[1] != string(destination.Duplicate) && got[1] != string(destination.Superseded) {
			t.Errorf("version %d: outcomes %q, want one committed and the other not", i, got)
		}
	}
	r := files.NewReader(dir, "parquet")
	rows := destinationtest.Select(t, r, "t", []destinationtest.Column{{Name: record.FileColumn, Type: record.String}, {Name: "x", Type: record.Integer}}, record.FileColumn)
	destinationtest.AssertRows(t, rows, [][]any{{"p0.csv", int64(27)}, {"p1.csv", int64(28)}, {"p2.csv", int64(29)}})
}
