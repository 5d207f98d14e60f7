package integration

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// nobody is the unprivileged user the permission tests run filedge as:
// root reads every file, whatever its permissions.
const nobody = 65534

// runOnceAs runs `filedge run --once` as uid and gid nobody, after giving
// that user the pipeline's folder and access to the binary.
func runOnceAs(t *testing.T, o *oncePipeline) (string, int) {
	t.Helper()
	for _, dir := range []string{filepath.Dir(binary), filepath.Dir(o.dir)} {
		if err := os.Chmod(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := filepath.Walk(o.dir, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, nobody, nobody)
	}); err != nil {
		t.Fatal(err)
	}
	return runOnceSummary(t, o.config, &syscall.Credential{Uid: nobody, Gid: nobody})
}

// runOnceSummary runs `filedge run --once` (as cred, when set) and returns
// what it printed on its standard output, the summary, apart from its logs
// (which the test's log gets), and its exit code.
func runOnceSummary(t *testing.T, config string, cred *syscall.Credential) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, "run", "--once", "-c", config)
	if cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	}
	var out, logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &logs
	err := cmd.Run()
	t.Logf("run --once logged:\n%s", logs.String())
	if ee, ok := err.(*exec.ExitError); ok {
		return out.String(), ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run --once: %v\n%s", err, out.String())
	}
	return out.String(), 0
}

// Entries that are not files, and files and folders filedge may not read,
// are each a SKIPPED line of the summary with the reason, counted in the
// totals, without failing the run; the other files load. A file skipped for
// want of permission loads at the next run once it can be read.
func TestRunOnceReportsSkippedEntriesAndLoadsUnreadableFilesOnceReadable(t *testing.T) {
	o := newOncePipeline(t, "upsert_file", "")
	o.write(t, "good.csv", threeRows)
	o.write(t, "locked.csv", twoRows)
	o.write(t, "closed/inside.csv", twoRows)
	if err := syscall.Mkfifo(filepath.Join(o.in, "pipe.csv"), 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("unix", filepath.Join(o.in, "sock.csv"))
	if err != nil {
		t.Fatal(err)
	}
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	l.Close()
	for link, target := range map[string]string{"passwd.csv": "/etc/passwd", "inner.csv": "good.csv"} {
		if err := os.Symlink(target, filepath.Join(o.in, link)); err != nil {
			t.Fatal(err)
		}
	}
	for p, mode := range map[string]os.FileMode{"locked.csv": 0, "closed": 0} {
		if err := os.Chmod(filepath.Join(o.in, p), mode); err != nil {
			t.Fatal(err)
		}
	}

	out, code := runOnceAs(t, o)
	t.Logf("summary:\n%s", out)
	if code != 0 {
		t.Fatalf("run --once exited %d, want 0: skipped files do not fail the run", code)
	}
	for _, want := range []string{
		`closed\s+-\s+skipped\s+folder cannot be read: permission denied`,
		`inner\.csv\s+-\s+skipped\s+symbolic link to good\.csv \(links are not followed\)`,
		`locked\.csv\s+-\s+skipped\s+permission denied`,
		`passwd\.csv\s+-\s+skipped\s+symbolic link to /etc/passwd, outside the folder`,
		`pipe\.csv\s+-\s+skipped\s+named pipe`,
		`sock\.csv\s+-\s+skipped\s+socket`,
		`7 files, 2 destinations: 2 committed, 6 skipped; 6 rows committed`,
	} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("summary lacks %s", want)
		}
	}
	if n := len(summaryLines(t, out)); n != 2+6 {
		t.Errorf("summary has %d lines, want 2 for good.csv and one per skipped entry, 6", n)
	}
	if pg, lite := o.counts(t, "good.csv"); pg != 3 || lite != 3 {
		t.Fatalf("good.csv: %d rows in PostgreSQL and %d in SQLite, want 3", pg, lite)
	}

	// chmod alone (the file is unchanged) makes it load.
	if err := os.Chmod(filepath.Join(o.in, "locked.csv"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, code = runOnceAs(t, o)
	if code != 0 || !regexp.MustCompile(`locked\.csv\s+pg\s+committed`).MatchString(out) || strings.Contains(out, "locked.csv  -") {
		t.Fatalf("after chmod, run --once exited %d and did not commit locked.csv:\n%s", code, out)
	}
	if pg, lite := o.counts(t, "locked.csv"); pg != 2 || lite != 2 {
		t.Fatalf("locked.csv: %d rows in PostgreSQL and %d in SQLite, want 2", pg, lite)
	}
}
