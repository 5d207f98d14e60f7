package destinationtest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/filedge/filedge/pkg/destination"
	"github.com/filedge/filedge/pkg/record"
)

// Harness opens fresh, isolated destinations of one type.
type Harness struct {
	// Type is the destination's registered type (destination.Register):
	// the suite checks the promises its Info declares (Atomicity) and
	// nothing it does not.
	Type string
	// Open returns a new destination over an empty database (or schema,
	// or folder) and a Reader onto the same data. Open registers their
	// Close with t.Cleanup.
	Open func(t *testing.T) (destination.Destination, Reader)
	// Reopen, optional, opens a second Destination onto the same data as
	// the last Open of the same test (as a second sink, in another process,
	// would), and registers its Close with t.Cleanup. Without it the
	// concurrency cases race commits through one Destination only.
	Reopen func(t *testing.T) destination.Destination
}

// Run runs the conformance suite against h, one subtest per rule. The
// subtests run one after another; each opens its own destination. The
// cases of write mode CDC run for a type whose Info declares CDC.
//
// The cases read back only through the Reader that Open returns, so they
// hold for any destination, SQL or not.
func Run(t *testing.T, h Harness) {
	if h.Open == nil {
		t.Fatal("destinationtest: Harness.Open is nil")
	}
	info, ok := destination.Lookup(h.Type)
	if !ok || info.Type != h.Type {
		t.Fatalf("destinationtest: Harness.Type %q is not a registered destination type", h.Type)
	}
	all := cases
	if info.CDC {
		all = append(slices.Clone(cases), cdcCases...)
	}
	for _, tc := range all {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, suite{Harness: h, info: info}) })
	}
}

// suite is what a case runs with: the harness and the type's declared
// Info.
type suite struct {
	Harness
	info destination.Info
}

type testCase struct {
	name string
	run  func(t *testing.T, h suite)
}

// cases is filled by the init functions of the files that hold the tests.
var cases []testCase

func register(name string, run func(t *testing.T, h suite)) {
	cases = append(cases, testCase{name, run})
}

// Pipeline is the pipeline name of every file the suite commits.
const Pipeline = "conformance"

// t0 is the modification time of the suite's oldest file version.
var t0 = time.Date(2024, 5, 6, 7, 8, 9, 123456000, time.UTC)

// SHA256 returns the hex SHA-256 digest of s: the suite's stand-in for the
// digest of a file's bytes.
func SHA256(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// File returns a file version to commit: pipeline Pipeline, Append with
// UpsertFile, SHA256 the digest of version (so different versions have
// different contents), and the given tables as its Batches (a *MemBatches).
func File(t testing.TB, version, path string, modified time.Time, tables ...TableBatches) *destination.File {
	return &destination.File{
		Pipeline:  Pipeline,
		Version:   version,
		Path:      path,
		Size:      1024,
		Modified:  modified,
		SHA256:    SHA256(version),
		WriteMode: destination.Append,
		Merge:     destination.UpsertFile,
		Batches:   Batches(t, tables...),
	}
}

// Table is a table of one batch.
func Table(name string, cols []record.Column, rows ...[]any) TableBatches {
	return TableBatches{Table: name, Batches: []Batch{{Columns: cols, Rows: rows}}}
}

// CommitConcurrently commits each file of files at once, file i through
// dests[i%len(dests)], and returns, for each file that failed or whose
// outcome is not Committed, why (in no order).
func CommitConcurrently(t testing.TB, files []*destination.File, dests ...destination.Destination) []error {
	t.Helper()
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for i, f := range files {
		d := dests[i%len(dests)]
		wg.Go(func() {
			res, err := d.Commit(t.Context(), f)
			if err == nil && res.Outcome != destination.Committed {
				err = fmt.Errorf("%s: outcome %s", f.Version, res.Outcome)
			}
			if err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return errs
}

// Commit commits f on d and fails t unless the outcome is want.
func Commit(t testing.TB, d destination.Destination, f *destination.File, want destination.Outcome) *destination.Result {
	t.Helper()
	res, err := d.Commit(t.Context(), f)
	if err != nil {
		t.Fatalf("commit %s version %s: %v", f.Path, f.Version, err)
	}
	if res == nil {
		t.Fatalf("commit %s version %s: nil result", f.Path, f.Version)
	}
	if res.Outcome != want {
		t.Fatalf("commit %s version %s: outcome %q, want %q", f.Path, f.Version, res.Outcome, want)
	}
	return res
}
