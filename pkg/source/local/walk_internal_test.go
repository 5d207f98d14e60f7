package local

import (
	"errors"
	"io/fs"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/filedge/filedge/pkg/source"
)

// failingFS is fstest.MapFS whose ReadDir fails for the folders in bad, as
// a folder without read permission does (tests often run as root, who can
// read every folder).
type failingFS struct {
	fstest.MapFS
	bad map[string]error
}

func (f failingFS) ReadDir(name string) ([]fs.DirEntry, error) {
	if err := f.bad[name]; err != nil {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: err}
	}
	return f.MapFS.ReadDir(name)
}

func TestWalkContinuesPastUnreadableFoldersAndReportsThem(t *testing.T) {
	mod := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	file := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s), ModTime: mod} }
	fsys := failingFS{
		MapFS: fstest.MapFS{
			"a.csv":          file("a"),
			"locked/x.csv":   file("x"),
			"open/b.csv":     file("bb"),
			"open/gone/y.cs": file("y"),
			"z.csv":          file("zzz"),
		},
		bad: map[string]error{"locked": fs.ErrPermission, "open/gone": fs.ErrNotExist},
	}
	s := &Source{root: "/test"}
	var got []source.FileInfo
	err := s.walkFS(t.Context(), fsys, func(fi source.FileInfo) error {
		got = append(got, fi)
		return nil
	}, nil)
	want := []source.FileInfo{
		{Path: "a.csv", Size: 1, Modified: mod},
		{Path: "open/b.csv", Size: 2, Modified: mod},
		{Path: "z.csv", Size: 3, Modified: mod},
	}
	if !slices.EqualFunc(got, want, func(a, b source.FileInfo) bool {
		return a.Path == b.Path && a.Size == b.Size && a.Modified.Equal(b.Modified)
	}) {
		t.Fatalf("walk listed %+v, want %+v", got, want)
	}
	if !errors.Is(err, fs.ErrPermission) {
		t.Fatalf("walk returned %v, want the unreadable folder's permission error", err)
	}
	if errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("walk returned %v, which reports a folder removed mid-walk; want it silently gone", err)
	}
}

func TestWalkStopsAtUnreadableRoot(t *testing.T) {
	fsys := failingFS{MapFS: fstest.MapFS{"a.csv": {}}, bad: map[string]error{".": fs.ErrPermission}}
	s := &Source{root: "/test"}
	calls := 0
	err := s.walkFS(t.Context(), fsys, func(source.FileInfo) error { calls++; return nil }, nil)
	if !errors.Is(err, fs.ErrPermission) || calls != 0 {
		t.Fatalf("walk of an unreadable root listed %d files and returned %v, want nothing and ErrPermission", calls, err)
	}
}

// Every entry that is not a file of the source is reported once, with
// why, in lexical order among the files; the pipeline's state folder is
// not, and a folder without permission is reported instead of failing
// the walk.
func TestWalkWithSkipsReportsEachEntryThatIsNotAFileWithTheReason(t *testing.T) {
	file := &fstest.MapFile{Data: []byte("x"), ModTime: time.Now()}
	link := func(target string) *fstest.MapFile {
		return &fstest.MapFile{Data: []byte(target), Mode: fs.ModeSymlink}
	}
	fsys := failingFS{
		MapFS: fstest.MapFS{
			"a.csv":             file,
			"b.fifo":            {Mode: fs.ModeNamedPipe},
			"c.sock":            {Mode: fs.ModeSocket},
			"d.tty":             {Mode: fs.ModeDevice | fs.ModeCharDevice},
			"e.disk":            {Mode: fs.ModeDevice},
			"f.passwd":          link("/etc/passwd"),
			"g.inside":          link("/test/sub/h.csv"),
			"locked/x.csv":      file,
			"sub/h.csv":         file,
			"sub/i.up":          link("../../outside.csv"),
			"sub/j.sibling":     link("../a.csv"),
			".filedge/k.fifo":   {Mode: fs.ModeNamedPipe},
			"sub/.filedge/l.ln": link("/etc/shadow"),
		},
		bad: map[string]error{"locked": fs.ErrPermission},
	}
	s := &Source{root: "/test"}
	var got []string
	err := s.walkFS(t.Context(), fsys, func(fi source.FileInfo) error {
		got = append(got, "file "+fi.Path)
		return nil
	}, func(sk source.Skipped) error {
		if sk.Dir != (sk.Path == "locked") {
			t.Errorf("%+v: Dir is %v", sk, sk.Dir)
		}
		got = append(got, "skip "+sk.Path+": "+sk.Reason)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"file a.csv",
		"skip b.fifo: named pipe",
		"skip c.sock: socket",
		"skip d.tty: character device",
		"skip e.disk: block device",
		"skip f.passwd: symbolic link to /etc/passwd, outside the folder",
		"skip g.inside: symbolic link to /test/sub/h.csv (links are not followed)",
		"skip locked: folder cannot be read: permission denied",
		"file sub/h.csv",
		"skip sub/i.up: symbolic link to ../../outside.csv, outside the folder",
		"skip sub/j.sibling: symbolic link to ../a.csv (links are not followed)",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("walk reported\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	stop := errors.New("stop")
	calls := 0
	err = s.walkFS(t.Context(), fsys, func(source.FileInfo) error { return nil }, func(source.Skipped) error { calls++; return stop })
	if !errors.Is(err, stop) || calls != 1 {
		t.Fatalf("walk whose skipped callback failed returned %v after %d calls, want its error after 1", err, calls)
	}
}

func TestInDataDir(t *testing.T) {
	for p, want := range map[string]bool{
		".filedge/x":        true,
		"a/.filedge/b/c":    true,
		".filedge":          false, // a file of that name is an ordinary file
		"a/.filedge":        false,
		"a/b.csv":           false,
		".filedgex/a":       false,
		"x.filedge/a":       false,
		"a/b/.filedge/c.db": true,
	} {
		if got := inDataDir(p); got != want {
			t.Errorf("inDataDir(%q) = %v, want %v", p, got, want)
		}
	}
}
