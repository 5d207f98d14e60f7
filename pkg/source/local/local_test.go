package local_test

import (
	"errors"
	"io"
	"maps"
	"net"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"

	"github.com/filedge/filedge/pkg/settings"
	"github.com/filedge/filedge/pkg/source"
	"github.com/filedge/filedge/pkg/source/local"
	"github.com/filedge/filedge/pkg/source/sourcetest"
)

func TestConformance(t *testing.T) {
	sourcetest.Run(t, func(t *testing.T, files map[string][]byte) source.Source {
		dir := t.TempDir()
		writeFiles(t, dir, files)
		s, err := local.New(dir)
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestOpenThroughRegistry(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string][]byte{"in/a.csv": []byte("x\n")})
	info, ok := source.Lookup("Local")
	if !ok || info.Type != "local" {
		t.Fatalf("Lookup(Local) = %+v, %v", info, ok)
	}
	f := &settings.File{Name: "pipeline.yaml", Dir: dir}
	cfg := info.Decode(f.ParseBlock([]byte("path: in\n"), "source"))
	if errs := f.Errors(); len(errs) > 0 {
		t.Fatal(errs)
	}
	dir = filepath.Join(dir, "in")
	if cfg.String() != dir {
		t.Errorf("String() = %q, want the folder %q", cfg.String(), dir)
	}
	s, err := cfg.Open(t.Context(), source.Env{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if want := "local:" + dir; s.ID() != want {
		t.Fatalf("ID() = %q, want %q", s.ID(), want)
	}
	if _, ok := s.(source.Notifier); !ok {
		t.Fatal("the local source is not a source.Notifier")
	}
}

func TestNewRefusesMissingFolderAndFile(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string][]byte{"file.csv": []byte("x\n")})
	for name, root := range map[string]string{
		"empty":   "",
		"missing": filepath.Join(dir, "missing"),
		"file":    filepath.Join(dir, "file.csv"),
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := local.New(root); err == nil {
				t.Fatalf("New(%q) succeeded, want an error", root)
			}
		})
	}
}

func TestNewMakesRelativeRootAbsolute(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	if err := os.Mkdir("data", 0o755); err != nil {
		t.Fatal(err)
	}
	s, err := local.New("data")
	if err != nil {
		t.Fatal(err)
	}
	if want := "local:" + filepath.Join(dir, "data"); s.ID() != want {
		t.Fatalf("ID() = %q, want %q", s.ID(), want)
	}
}

func TestRootMayBeASymbolicLink(t *testing.T) {
	real := t.TempDir()
	writeFiles(t, real, map[string][]byte{"sub/a.csv": []byte("a\n")})
	link := filepath.Join(t.TempDir(), "link")
	mustSymlink(t, real, link)
	s, err := local.New(link)
	if err != nil {
		t.Fatal(err)
	}
	if got := walkPaths(t, s); !slices.Equal(got, []string{"sub/a.csv"}) {
		t.Fatalf("Walk through a linked root listed %q, want [sub/a.csv]", got)
	}
	if _, err := s.Stat(t.Context(), "sub/a.csv"); err != nil {
		t.Fatal(err)
	}
	if want := "local:" + link; s.ID() != want {
		t.Fatalf("ID() = %q, want the folder as configured, %q", s.ID(), want)
	}
}

// The pipeline's own state folder, links and special files are not files of
// the source: Walk leaves them out and Stat and Open say they do not exist.
func TestDataDirAndSymlinksAreNotFiles(t *testing.T) {
	dir := t.TempDir()
	outside := t.TempDir()
	writeFiles(t, dir, map[string][]byte{
		"keep.csv":                 []byte("k\n"),
		"sub/keep.csv":             []byte("k\n"),
		".filedge/jetstream/x.blk": []byte("state"),
		"sub/.filedge/y.csv":       []byte("state"),
		"sub/not.filedge.csv":      []byte("n\n"),
		".filedgeish/z.csv":        []byte("z\n"),
	})
	writeFiles(t, outside, map[string][]byte{"secret.csv": []byte("secret\n")})
	mustSymlink(t, filepath.Join(dir, "keep.csv"), filepath.Join(dir, "link.csv"))
	mustSymlink(t, filepath.Join(outside, "secret.csv"), filepath.Join(dir, "escape.csv"))
	mustSymlink(t, outside, filepath.Join(dir, "linked folder"))
	mustSymlink(t, filepath.Join(dir, "sub"), filepath.Join(dir, "inner link"))

	s, err := local.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{".filedgeish/z.csv", "keep.csv", "sub/keep.csv", "sub/not.filedge.csv"}
	if got := walkPaths(t, s); !slices.Equal(got, want) {
		t.Fatalf("Walk listed %q, want %q", got, want)
	}
	for _, p := range []string{".filedge/jetstream/x.blk", "sub/.filedge/y.csv", "link.csv", "escape.csv", "linked folder/secret.csv", "inner link/keep.csv", "inner link"} {
		if _, err := s.Stat(t.Context(), p); !errors.Is(err, source.ErrNotExist) {
			t.Errorf("Stat(%q) = %v, want ErrNotExist", p, err)
		}
		if rc, err := s.Open(t.Context(), p); err == nil {
			rc.Close()
			t.Errorf("Open(%q) succeeded, want an error", p)
		}
	}
}

// Any name Linux allows is a file of the source: control characters,
// leading spaces and bytes that are not UTF-8, in files and folders alike.
func TestNamesOfAnyBytesAreListedStatedAndOpened(t *testing.T) {
	dir := t.TempDir()
	files := map[string][]byte{
		"line\nbreak.csv":             []byte("1\n"),
		"carriage\rreturn.csv":        []byte("22\n"),
		"tab\there.csv":               []byte("333\n"),
		" leading space.csv":          []byte("4444\n"),
		"latin1-\xe9t\xe9.csv":        []byte("55555\n"),
		"dir\xff\x01/sub\n/x\xfe.csv": []byte("666666\n"),
		"ünïcode/数据.csv":              []byte("7777777\n"),
	}
	writeFiles(t, dir, files)
	s, err := local.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := walkPaths(t, s); !slices.Equal(got, slices.Sorted(maps.Keys(files))) {
		t.Fatalf("Walk listed %q, want %q", got, slices.Sorted(maps.Keys(files)))
	}
	for p, want := range files {
		if fi, err := s.Stat(t.Context(), p); err != nil || fi.Size != int64(len(want)) {
			t.Errorf("Stat(%q) = %+v, %v", p, fi, err)
		}
		if err := s.CheckRead(t.Context(), p); err != nil {
			t.Errorf("CheckRead(%q) = %v", p, err)
		}
		rc, err := s.Open(t.Context(), p)
		if err != nil {
			t.Errorf("Open(%q): %v", p, err)
			continue
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil || string(b) != string(want) {
			t.Errorf("Open(%q) read %q, %v; want %q", p, b, err, want)
		}
	}
}

// Pipes, sockets and links on a real disk are reported with their reason
// and are neither stated nor opened; CheckRead never blocks on a pipe.
func TestWalkWithSkipsReportsPipesSocketsAndLinksOnDisk(t *testing.T) {
	dir := t.TempDir()
	outside := t.TempDir()
	writeFiles(t, dir, map[string][]byte{"a.csv": []byte("a\n")})
	writeFiles(t, outside, map[string][]byte{"secret.csv": []byte("secret\n")})
	if err := syscall.Mkfifo(filepath.Join(dir, "pipe.csv"), 0o644); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("unix", filepath.Join(dir, "s"))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	mustSymlink(t, filepath.Join(outside, "secret.csv"), filepath.Join(dir, "escape.csv"))
	mustSymlink(t, "a.csv", filepath.Join(dir, "inner.csv"))

	s, err := local.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	var skipped []source.Skipped
	if err := s.WalkWithSkips(t.Context(), func(fi source.FileInfo) error {
		files = append(files, fi.Path)
		return nil
	}, func(sk source.Skipped) error {
		skipped = append(skipped, sk)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	want := []source.Skipped{
		{Path: "escape.csv", Reason: "symbolic link to " + filepath.Join(outside, "secret.csv") + ", outside the folder"},
		{Path: "inner.csv", Reason: "symbolic link to a.csv (links are not followed)"},
		{Path: "pipe.csv", Reason: "named pipe"},
		{Path: "s", Reason: "socket"},
	}
	if !slices.Equal(files, []string{"a.csv"}) || !slices.Equal(skipped, want) {
		t.Fatalf("WalkWithSkips listed %q and skipped %+v, want [a.csv] and %+v", files, skipped, want)
	}
	for _, sk := range want {
		if err := s.CheckRead(t.Context(), sk.Path); !errors.Is(err, source.ErrNotExist) {
			t.Errorf("CheckRead(%q) = %v, want ErrNotExist", sk.Path, err)
		}
	}
}

func TestOpenRefusesPathsOutsideRoot(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "root")
	writeFiles(t, parent, map[string][]byte{"secret.csv": []byte("secret\n"), "root/in.csv": []byte("in\n")})
	s, err := local.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"../secret.csv", filepath.Join(parent, "secret.csv"), "./in.csv", "x/../../secret.csv"} {
		rc, err := s.Open(t.Context(), p)
		if err == nil {
			b, _ := io.ReadAll(rc)
			rc.Close()
			t.Fatalf("Open(%q) read %q, want an error", p, b)
		}
		if !errors.Is(err, local.ErrInvalidPath) {
			t.Errorf("Open(%q) = %v, want ErrInvalidPath", p, err)
		}
	}
}

// walkPaths returns the paths s.Walk lists, in order.
func walkPaths(t *testing.T, s *local.Source) []string {
	t.Helper()
	var got []string
	if err := s.Walk(t.Context(), func(fi source.FileInfo) error {
		got = append(got, fi.Path)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return got
}

func writeFiles(t *testing.T, dir string, files map[string][]byte) {
	t.Helper()
	for p, b := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func mustSymlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}
