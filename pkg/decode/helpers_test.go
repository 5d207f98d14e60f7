package decode

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

// csvText is size bytes (about) of CSV.
func csvText(size int) []byte {
	var b bytes.Buffer
	b.WriteString("id,name,amount,day,ok\n")
	for i := 0; b.Len() < size; i++ {
		fmt.Fprintf(&b, "%d,customer %d,%d.%02d,2024-01-%02d,%t\n", i, i*7%1000, i%977, i%100, i%28+1, i%3 == 0)
	}
	return b.Bytes()
}

func gz(t testing.TB, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func zst(t testing.TB, data []byte) []byte {
	t.Helper()
	w, err := zstd.NewWriter(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	return w.EncodeAll(data, nil)
}

func xzc(t testing.TB, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	w, err := xz.NewWriter(&b)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// entry is a member of an archive a test makes.
type entry struct {
	name   string
	data   []byte
	method uint16      // zip: a method other than deflate (the default)
	stored bool        // zip: stored, not compressed
	kind   byte        // tar: type flag; 0 is a regular file
	mode   os.FileMode // zip: mode bits (folders, links)
}

func makeZip(t testing.TB, entries ...entry) []byte {
	t.Helper()
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	w.RegisterCompressor(zipZstd, func(out io.Writer) (io.WriteCloser, error) { return zstd.NewWriter(out) })
	w.RegisterCompressor(zipXz, func(out io.Writer) (io.WriteCloser, error) { return &lazyXz{out: out}, nil })
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.name, Method: zip.Deflate}
		switch {
		case e.stored || strings.HasSuffix(e.name, "/"):
			h.Method = zip.Store
		case e.method != 0:
			h.Method = e.method
		}
		if e.mode != 0 {
			h.SetMode(e.mode)
		}
		f, err := w.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Write(e.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// lazyXz starts its xz stream at the first write: zip.Writer makes the
// compressor before it writes the member's header, and xz.NewWriter
// writes at once.
type lazyXz struct {
	out io.Writer
	w   *xz.Writer
}

func (l *lazyXz) Write(p []byte) (int, error) {
	if l.w == nil {
		w, err := xz.NewWriter(l.out)
		if err != nil {
			return 0, err
		}
		l.w = w
	}
	return l.w.Write(p)
}

func (l *lazyXz) Close() error {
	if l.w == nil {
		if _, err := l.Write(nil); err != nil {
			return err
		}
	}
	return l.w.Close()
}

// tarBlock is a raw USTAR header block, for headers archive/tar will not
// write (PAX records it reserves).
func tarBlock(name string, typeflag byte, size int) []byte {
	b := make([]byte, 512)
	copy(b, name)
	copy(b[100:], "0000644\x00")
	copy(b[108:], "0000000\x00")
	copy(b[116:], "0000000\x00")
	sz := fmt.Sprintf("%011o\x00", size)
	if len(sz) > 12 {
		sz = fmt.Sprintf("%012o", size)
	}
	copy(b[124:], sz)
	copy(b[136:], "00000000000\x00")
	b[156] = typeflag
	copy(b[257:], "ustar\x0000")
	copy(b[148:], "        ")
	sum := 0
	for _, c := range b {
		sum += int(c)
	}
	copy(b[148:], fmt.Sprintf("%06o\x00 ", sum))
	return b
}

// tarPad pads data to whole blocks.
func tarPad(data []byte) []byte {
	return append(data, make([]byte, (512-len(data)%512)%512)...)
}

// paxRecord is one record of a PAX header: "<len> key=value\n".
func paxRecord(k, v string) string {
	rec := " " + k + "=" + v + "\n"
	n := len(rec) + 1
	for len(fmt.Sprint(n))+len(rec) != n {
		n++
	}
	return fmt.Sprint(n) + rec
}

func makeTar(t testing.TB, entries ...entry) []byte {
	t.Helper()
	var b bytes.Buffer
	w := tar.NewWriter(&b)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Typeflag: tar.TypeReg, Size: int64(len(e.data)), Mode: 0o644, Format: tar.FormatPAX}
		if e.kind != 0 {
			h.Typeflag, h.Size = e.kind, 0
			if e.kind == tar.TypeSymlink || e.kind == tar.TypeLink {
				h.Linkname = "target.csv"
			}
		}
		if err := w.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Size > 0 {
			if _, err := w.Write(e.data); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// got is what Walk handed fn for one leaf.
type got struct {
	Path, Name string
	Data       []byte
	ReadErr    error  // the error reading R, if any
	AtData     []byte // the bytes through ReaderAt, when the leaf had one
	HasAt      bool
}

// streamOnly hides a reader's ReaderAt, as a network stream has none.
type streamOnly struct{ r io.Reader }

func (s streamOnly) Read(p []byte) (int, error) { return s.r.Read(p) }

// inPlaceFile is a stored file with random access, as a local file has.
type inPlaceFile struct{ *bytes.Reader }

func (inPlaceFile) Close() error { return nil }

// opener opens data; inPlace gives it ReaderAt and Size, as a local file
// has.
func opener(data []byte, inPlace bool) Opener {
	return func(ctx context.Context) (io.ReadCloser, error) {
		if inPlace {
			return inPlaceFile{bytes.NewReader(data)}, nil
		}
		return io.NopCloser(streamOnly{bytes.NewReader(data)}), nil
	}
}

// walkResult is what one Walk did.
type walkResult struct {
	Leaves  []got
	Skipped map[string]string
	Err     error
}

// walk runs Walk over data named name, reading every leaf whole.
func walk(t testing.TB, name string, data []byte, inPlace bool, opts Options) walkResult {
	t.Helper()
	res := walkResult{Skipped: map[string]string{}}
	opts.Skipped = func(path, reason string) { res.Skipped[path] = reason }
	res.Err = Walk(context.Background(), name, opener(data, inPlace), opts, func(ctx context.Context, l *Leaf) error {
		g := got{Path: l.Path, Name: l.Name}
		g.Data, g.ReadErr = io.ReadAll(l.R)
		if l.ReaderAt != nil {
			g.HasAt = true
			g.AtData = make([]byte, l.Size)
			if _, err := l.ReaderAt.ReadAt(g.AtData, 0); err != nil && !errors.Is(err, io.EOF) {
				t.Errorf("%s: ReadAt: %v", l.Path, err)
			}
		}
		res.Leaves = append(res.Leaves, g)
		return nil
	})
	return res
}

// only returns the single leaf of r, failing when there is not exactly one
// or reading it failed.
func (r walkResult) only(t testing.TB) got {
	t.Helper()
	if r.Err != nil {
		t.Fatalf("Walk: %v", r.Err)
	}
	if len(r.Leaves) != 1 {
		t.Fatalf("got %d leaves, want 1: %v", len(r.Leaves), r.paths())
	}
	if r.Leaves[0].ReadErr != nil {
		t.Fatalf("reading %s: %v", r.Leaves[0].Path, r.Leaves[0].ReadErr)
	}
	return r.Leaves[0]
}

func (r walkResult) paths() []string {
	var p []string
	for _, l := range r.Leaves {
		p = append(p, l.Path)
	}
	return p
}

// firstErr is the walk's error, or else the first leaf's read error.
func (r walkResult) firstErr() error {
	if r.Err != nil {
		return r.Err
	}
	for _, l := range r.Leaves {
		if l.ReadErr != nil {
			return l.ReadErr
		}
	}
	return nil
}

// zeroStream is a raw deflate stream of n MiB of zeros (n ≥ 2), made in
// milliseconds: after a sync flush, each further MiB of zeros compresses to
// the same bytes, which are repeated.
func zeroStream(t testing.TB, mib int) []byte {
	t.Helper()
	var b bytes.Buffer
	w, err := flate.NewWriter(&b, flate.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	zeros := make([]byte, 1<<20)
	var segs [][]byte
	for range 3 {
		start := b.Len()
		w.Write(zeros)
		w.Flush()
		segs = append(segs, append([]byte(nil), b.Bytes()[start:]...))
	}
	if !bytes.Equal(segs[1], segs[2]) {
		t.Fatal("zero segments differ: the trick does not hold for this flate")
	}
	start := b.Len()
	w.Close()
	tail := append([]byte(nil), b.Bytes()[start:]...)
	out := bytes.NewBuffer(make([]byte, 0, len(segs[0])*mib+len(tail)))
	out.Write(segs[0])
	for range mib - 1 {
		out.Write(segs[1])
	}
	out.Write(tail)
	return out.Bytes()
}

// gzipOfRaw wraps a raw deflate stream of size bytes in a gzip member (its
// CRC is not computed: a bomb fails before its end).
func gzipOfRaw(raw []byte, size int64) []byte {
	var b bytes.Buffer
	b.Write([]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255})
	b.Write(raw)
	b.Write([]byte{0, 0, 0, 0})
	b.Write([]byte{byte(size), byte(size >> 8), byte(size >> 16), byte(size >> 24)})
	return b.Bytes()
}

// zipOfRaw makes a zip whose members each hold a raw deflate stream of
// size bytes.
func zipOfRaw(t testing.TB, raw []byte, size int64, names ...string) []byte {
	t.Helper()
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	for _, name := range names {
		f, err := w.CreateRaw(&zip.FileHeader{Name: name, Method: zip.Deflate, CompressedSize64: uint64(len(raw)), UncompressedSize64: uint64(size)})
		if err != nil {
			t.Fatal(err)
		}
		f.Write(raw)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
