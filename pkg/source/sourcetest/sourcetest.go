package sourcetest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"maps"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/filedge/filedge/pkg/source"
)

// Fixture returns the files the suite stores: flat and nested, empty and
// large, hidden, with spaces and with non-ASCII letters in folder and file
// names. Each call returns a fresh map.
func Fixture() map[string][]byte {
	big := make([]byte, 1<<20)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range big {
		big[i] = byte(r.Uint32())
	}
	return map[string][]byte{
		"top.csv":                         []byte("a,b\n1,2\n"),
		"empty.txt":                       {},
		".hidden.csv":                     []byte("h\n1\n"),
		"big.bin":                         big,
		"nested/one.json":                 []byte(`{"a":1}` + "\n"),
		"nested/deeper/two.csv":           []byte("x\n2\n"),
		"nested/deeper/deepest/three.tsv": []byte("y\tz\n3\t4\n"),
		"with space/my file (1).csv":      []byte("s\n5\n"),
		"unicode/données été 数据.csv":      []byte("é\nü\n"),
		"unicode/ÅÄÖ/ñandú.json":          []byte(`{"ñ":"ü"}` + "\n"),
	}
}

// Run runs the conformance suite against stores made by newSource, which
// returns a store that holds exactly files (path → contents, paths
// '/'-separated, folders implied by the paths), such as a fresh temporary
// folder. newSource is called once per subtest and should fail t on error.
func Run(t *testing.T, newSource func(t *testing.T, files map[string][]byte) source.Source) {
	t.Helper()

	t.Run("WalkListsExactlyTheFilesWithSizesAndTimes", func(t *testing.T) {
		files := Fixture()
		start := time.Now()
		src := newSource(t, files)
		got := walk(t, src)
		if !slices.Equal(slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(files))) {
			t.Fatalf("Walk listed %q, want %q", slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(files)))
		}
		for p, fi := range got {
			if fi.Size != int64(len(files[p])) {
				t.Errorf("Walk: %q has size %d, want %d", p, fi.Size, len(files[p]))
			}
			// Stores may keep their own clock (object stores, file servers):
			// allow an hour either way, but not a zero or made-up time.
			if fi.Modified.Before(start.Add(-time.Hour)) || fi.Modified.After(time.Now().Add(time.Hour)) {
				t.Errorf("Walk: %q modified at %v, want about %v", p, fi.Modified, start)
			}
		}
	})

	t.Run("WalkPathsAreRelativeAndSlashSeparated", func(t *testing.T) {
		src := newSource(t, Fixture())
		for p := range walk(t, src) {
			if !fs.ValidPath(p) || p == "." || bytes.ContainsRune([]byte(p), '\\') {
				t.Errorf("Walk: path %q is not clean, relative and '/'-separated", p)
			}
		}
	})

	t.Run("WalkOfEmptyStoreListsNothing", func(t *testing.T) {
		src := newSource(t, map[string][]byte{})
		if got := walk(t, src); len(got) != 0 {
			t.Fatalf("Walk of an empty store listed %q", slices.Sorted(maps.Keys(got)))
		}
	})

	t.Run("WalkStopsWithTheCallbackError", func(t *testing.T) {
		src := newSource(t, Fixture())
		stop := errors.New("stop here")
		calls := 0
		err := src.Walk(t.Context(), func(source.FileInfo) error {
			calls++
			return stop
		})
		if !errors.Is(err, stop) {
			t.Fatalf("Walk returned %v, want the callback's error", err)
		}
		if calls != 1 {
			t.Fatalf("Walk called the callback %d times after it failed, want 1", calls)
		}
	})

	t.Run("WalkStopsWhenTheContextIsDone", func(t *testing.T) {
		src := newSource(t, Fixture())
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		calls := 0
		err := src.Walk(ctx, func(source.FileInfo) error {
			calls++
			return nil
		})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Walk with a cancelled context returned %v, want context.Canceled", err)
		}
		if calls > 1 {
			t.Fatalf("Walk with a cancelled context listed %d files", calls)
		}
	})

	t.Run("StatAgreesWithWalk", func(t *testing.T) {
		src := newSource(t, Fixture())
		for p, want := range walk(t, src) {
			got, err := src.Stat(t.Context(), p)
			if err != nil {
				t.Errorf("Stat(%q): %v", p, err)
				continue
			}
			if got.Path != want.Path || got.Size != want.Size || !got.Modified.Equal(want.Modified) || got.ETag != want.ETag {
				t.Errorf("Stat(%q) = %+v, Walk listed %+v", p, got, want)
			}
		}
	})

	t.Run("StatOfMissingFileWrapsErrNotExist", func(t *testing.T) {
		src := newSource(t, Fixture())
		for _, p := range []string{"missing.csv", "nested/missing.csv", "no folder/x.csv", "top.csv/inside", "nested", "nested/deeper"} {
			if _, err := src.Stat(t.Context(), p); !errors.Is(err, source.ErrNotExist) {
				t.Errorf("Stat(%q) = %v, want an error wrapping ErrNotExist", p, err)
			}
		}
	})

	t.Run("OpenReadsTheExactBytes", func(t *testing.T) {
		files := Fixture()
		src := newSource(t, files)
		for p, want := range files {
			got, err := readAll(t.Context(), src, p)
			if err != nil {
				t.Errorf("Open(%q): %v", p, err)
				continue
			}
			if !bytes.Equal(got, want) {
				t.Errorf("Open(%q) read %d bytes that differ from the %d stored", p, len(got), len(want))
			}
		}
	})

	t.Run("OpenOfMissingFileWrapsErrNotExist", func(t *testing.T) {
		src := newSource(t, Fixture())
		for _, p := range []string{"missing.csv", "nested/missing.csv", "nested"} {
			rc, err := src.Open(t.Context(), p)
			if err == nil {
				rc.Close()
			}
			if !errors.Is(err, source.ErrNotExist) {
				t.Errorf("Open(%q) = %v, want an error wrapping ErrNotExist", p, err)
			}
		}
	})

	t.Run("PathsEscapingTheRootAreRefused", func(t *testing.T) {
		src := newSource(t, Fixture())
		for _, p := range []string{"../top.csv", "/top.csv", "nested/../../top.csv", "..", "", "."} {
			if fi, err := src.Stat(t.Context(), p); err == nil {
				t.Errorf("Stat(%q) = %+v, want an error", p, fi)
			}
			if rc, err := src.Open(t.Context(), p); err == nil {
				rc.Close()
				t.Errorf("Open(%q) succeeded, want an error", p)
			}
		}
	})

	// The optional abilities are checked where the store has them.
	probe := newSource(t, map[string][]byte{})
	if _, ok := probe.(source.SkipWalker); ok {
		t.Run("WalkWithSkipsListsWhatWalkListsAndSkipsNoFile", func(t *testing.T) { testWalkWithSkips(t, newSource) })
	}
	if _, ok := probe.(source.ReadChecker); ok {
		t.Run("CheckReadAcceptsEveryFileAndRefusesMissingOnes", func(t *testing.T) { testCheckRead(t, newSource) })
	}

	t.Run("ConcurrentUseIsSafe", func(t *testing.T) {
		files := Fixture()
		src := newSource(t, files)
		var wg sync.WaitGroup
		errs := make(chan error, 8*(len(files)+1))
		for range 8 {
			wg.Go(func() {
				err := src.Walk(t.Context(), func(fi source.FileInfo) error {
					if _, err := src.Stat(t.Context(), fi.Path); err != nil {
						return err
					}
					got, err := readAll(t.Context(), src, fi.Path)
					if err == nil && !bytes.Equal(got, files[fi.Path]) {
						err = errors.New(fi.Path + ": read bytes differ")
					}
					return err
				})
				if err != nil {
					errs <- err
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
	})
}

// testWalkWithSkips checks a source.SkipWalker: over a store of files only,
// it lists what Walk lists and reports nothing skipped.
func testWalkWithSkips(t *testing.T, newSource func(t *testing.T, files map[string][]byte) source.Source) {
	src := newSource(t, Fixture())
	sw := src.(source.SkipWalker)
	want := walk(t, src)
	got := map[string]source.FileInfo{}
	var skipped []source.Skipped
	err := sw.WalkWithSkips(t.Context(), func(fi source.FileInfo) error {
		got[fi.Path] = fi
		return nil
	}, func(s source.Skipped) error {
		skipped = append(skipped, s)
		return nil
	})
	if err != nil {
		t.Fatalf("WalkWithSkips: %v", err)
	}
	if !maps.EqualFunc(got, want, func(a, b source.FileInfo) bool { return a.Size == b.Size && a.Modified.Equal(b.Modified) }) {
		t.Errorf("WalkWithSkips listed %q, Walk %q", slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(want)))
	}
	if len(skipped) > 0 {
		t.Errorf("WalkWithSkips of a store holding only files reported %+v as skipped", skipped)
	}
	if err := sw.WalkWithSkips(t.Context(), func(source.FileInfo) error { return nil }, nil); err != nil {
		t.Errorf("WalkWithSkips with a nil skipped callback: %v", err)
	}
}

// testCheckRead checks a source.ReadChecker: every file can be read, and
// a missing one wraps ErrNotExist.
func testCheckRead(t *testing.T, newSource func(t *testing.T, files map[string][]byte) source.Source) {
	src := newSource(t, Fixture())
	rc := src.(source.ReadChecker)
	for p := range walk(t, src) {
		if err := rc.CheckRead(t.Context(), p); err != nil {
			t.Errorf("CheckRead(%q) = %v, want nil", p, err)
		}
	}
	for _, p := range []string{"missing.csv", "nested/missing.csv", "nested"} {
		if err := rc.CheckRead(t.Context(), p); !errors.Is(err, source.ErrNotExist) {
			t.Errorf("CheckRead(%q) = %v, want an error wrapping ErrNotExist", p, err)
		}
	}
}

// walk lists src, failing t on a duplicate path or an error.
func walk(t *testing.T, src source.Source) map[string]source.FileInfo {
	t.Helper()
	got := map[string]source.FileInfo{}
	err := src.Walk(t.Context(), func(fi source.FileInfo) error {
		if _, dup := got[fi.Path]; dup {
			t.Errorf("Walk listed %q twice", fi.Path)
		}
		got[fi.Path] = fi
		return nil
	})
	if err != nil {
		t.Fatalf("Walk: %v", err)
	}
	return got
}

func readAll(ctx context.Context, src source.Source, p string) ([]byte, error) {
	rc, err := src.Open(ctx, p)
	if err != nil {
		return nil, err
	}
	b, err := io.ReadAll(rc)
	if cerr := rc.Close(); err == nil {
		err = cerr
	}
	return b, err
}
