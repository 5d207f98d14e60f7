package files_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/filedge/filedge/pkg/destination"
	"github.com/filedge/filedge/pkg/destination/destinationtest"
	"github.com/filedge/filedge/pkg/destination/files"
	"github.com/filedge/filedge/pkg/record"
)

var t0 = time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)

// listOutputs lists the files of the folder dir outside _filedge, as
// slash-separated paths relative to dir, sorted.
func listOutputs(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.IsDir() && e.Name() == "_filedge" {
			return filepath.SkipDir
		}
		if !e.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

// commitRows commits version of path with the given rows of x into table
// orders, and returns the file it committed.
func commitRows(t *testing.T, d destination.Destination, version, path string, modified time.Time, setup func(*destination.File), xs ...int) {
	t.Helper()
	var rows [][]any
	for _, x := range xs {
		rows = append(rows, []any{x})
	}
	f := destinationtest.File(t, version, path, modified, destinationtest.Table("orders", destinationtest.Cols("x", record.Integer), rows...))
	if setup != nil {
		setup(f)
	}
	destinationtest.Commit(t, d, f, destination.Committed)
}

func TestLayoutIsAFolderPerTableWithAFilePerSourceFileInAppendMode(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	d := open(t, dir, "parquet")
	commitRows(t, d, "a1", "in/2026/Sales Report.csv", t0, nil, 1, 2)
	commitRows(t, d, "b1", "in/b.csv", t0, nil, 3)
	commitRows(t, d, "a2", "in/2026/Sales Report.csv", t0.Add(time.Hour), nil, 4)
	want := []string{
		"orders/in%2F2026%2F%53ales%20%52eport.csv.parquet",
		"orders/in%2Fb.csv.parquet",
	}
	if got := listOutputs(t, dir); !slices.Equal(got, want) {
		t.Errorf("files:\ngot  %q\nwant %q", got, want)
	}
}

func TestLayoutKeepsAFilePerContentWithAppendFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	d := open(t, dir, "csv")
	every := func(f *destination.File) { f.Merge = destination.AppendFile }
	commitRows(t, d, "a1", "a.csv", t0, every, 1)
	commitRows(t, d, "a2", "a.csv", t0.Add(time.Hour), every, 2)
	want := []string{
		"orders/a.csv@" + destinationtest.SHA256("a1")[:16] + ".csv",
		"orders/a.csv@" + destinationtest.SHA256("a2")[:16] + ".csv",
	}
	slices.Sort(want)
	if got := listOutputs(t, dir); !slices.Equal(got, want) {
		t.Errorf("files:\ngot  %q\nwant %q", got, want)
	}
}

func TestLayoutIsOneFilePerTableInTruncateAndMagicFolderModes(t *testing.T) {
	t.Run("Truncate", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "out")
		d := open(t, dir, "json")
		commitRows(t, d, "a1", "a.csv", t0, nil, 1)
		commitRows(t, d, "b1", "b.csv", t0, func(f *destination.File) { f.WriteMode = destination.Truncate }, 2)
		if got, want := listOutputs(t, dir), []string{"orders.jsonl"}; !slices.Equal(got, want) {
			t.Errorf("files: got %q, want %q: a truncate replaces the table's files with one", got, want)
		}
	})
	t.Run("MagicFolder", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "out")
		d := open(t, dir, "parquet")
		owned := func(f *destination.File) { f.Owner = f.Path }
		commitRows(t, d, "a1", "orders.csv", t0, owned, 1)
		commitRows(t, d, "a2", "orders.csv", t0.Add(time.Hour), owned, 2)
		if got, want := listOutputs(t, dir), []string{"orders.parquet"}; !slices.Equal(got, want) {
			t.Errorf("files: got %q, want %q", got, want)
		}
	})
}

func TestNoTemporaryFileIsLeftInTheTablesOrTheDestinationsFolders(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	d := open(t, dir, "parquet")
	commitRows(t, d, "a1", "a.csv", t0, nil, 1)
	// A widening rewrites a.csv's file; a truncate stages its changes.
	f := destinationtest.File(t, "b1", "b.csv", t0, destinationtest.Table("orders", destinationtest.Cols("x", record.String), []any{"x"}))
	destinationtest.Commit(t, d, f, destination.Committed)
	commitRows(t, d, "c1", "c.csv", t0, func(f *destination.File) { f.WriteMode = destination.Truncate }, 3)
	var left []string
	for _, sub := range []string{"tmp", "staging"} {
		filepath.WalkDir(filepath.Join(dir, "_filedge", sub), func(p string, e fs.DirEntry, err error) error {
			if err == nil && !e.IsDir() && !strings.HasSuffix(p, ".lock") {
				left = append(left, p)
			}
			return nil
		})
	}
	if len(left) > 0 {
		t.Errorf("temporary files left: %q", left)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestAPathThatIsNotUTF8IsReplacedByItsNewerVersion(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	d := open(t, dir, "parquet")
	path := "in/caf\xe9.csv" // Latin-1, as an old file system names it
	commitRows(t, d, "a1", path, t0, nil, 1, 2)
	commitRows(t, d, "a2", path, t0.Add(time.Hour), nil, 3)
	if got := destinationtest.Count(t, files.NewReader(dir, "parquet"), "orders"); got != 1 {
		t.Errorf("the table holds %d rows, want the newer version's 1", got)
	}
	if got, want := listOutputs(t, dir), []string{"orders/in%2Fcaf%E9.csv.parquet"}; !slices.Equal(got, want) {
		t.Errorf("files: got %q, want %q", got, want)
	}
}

func TestTablesFilesAreReadableByOtherUsersAsTheUmaskAllows(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	d := open(t, dir, "parquet")
	commitRows(t, d, "a1", "a.csv", t0, nil, 1)
	commitRows(t, d, "b1", "b.csv", t0, func(f *destination.File) { f.WriteMode = destination.Truncate }, 2)
	for _, rel := range append(listOutputs(t, dir), "_filedge/tables/orders.json") {
		fi, err := os.Stat(filepath.Join(dir, rel))
		if err != nil {
			t.Fatal(err)
		}
		// The tests run with umask 022 or 002 (0644 or 0664 then).
		if perm := fi.Mode().Perm(); perm&0o044 != 0o044 {
			t.Errorf("%s has mode %v: others cannot read it", rel, perm)
		}
	}
}
