package decode

import (
	"archive/tar"
	"archive/zip"
	"bufio"
	"bytes"
	"compress/bzip2"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"unicode/utf8"

	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
	"golang.org/x/text/encoding/charmap"
)

// archiveByName returns "zip" or "tar" when name (its compression suffix
// dropped) says it is one, else "".
func archiveByName(name string) string {
	lower := strings.ToLower(name)
	switch {
	case strings.HasSuffix(lower, ".zip"):
		return "zip"
	case strings.HasSuffix(lower, ".tar"):
		return "tar"
	}
	return ""
}

// tarMagicEnd is how many bytes isTar needs.
const tarMagicEnd = 263

// isTar reports whether head starts with a POSIX or GNU tar header.
func isTar(head []byte) bool {
	return len(head) >= tarMagicEnd && bytes.Equal(head[257:262], []byte("ustar"))
}

// archiveKind returns which archive n is, by name or else by a tar header.
func (w *walker) archiveKind(n *node) (string, error) {
	if kind := archiveByName(n.name); kind != "" {
		return kind, nil
	}
	head, err := w.sniff(n, tarMagicEnd)
	if err != nil || !isTar(head) {
		return "", err
	}
	return "tar", nil
}

// memberName is how a member's stored name is shown and matched: never
// resolved, only freed of leading "/" and "./", and decoded from code page
// 437 when a zip says it is not UTF-8 (as the zip specification has it).
func memberName(name string, cp437 bool) string {
	if cp437 && !utf8.ValidString(name) {
		if s, err := charmap.CodePage437.NewDecoder().String(name); err == nil {
			name = s
		}
	}
	name = strings.ToValidUTF8(name, "\uFFFD")
	clean := name
	for {
		switch {
		case strings.HasPrefix(clean, "/"):
			clean = clean[1:]
		case strings.HasPrefix(clean, "./"):
			clean = clean[2:]
		default:
			if clean == "" {
				return name
			}
			return clean
		}
	}
}

// member returns the node of a member called name in archive a.
func (a node) member(name string) node {
	rel := name
	if a.rel != "" {
		rel = a.rel + "!/" + name
	}
	path := a.path + "!/" + name
	return node{path: path, name: path, rel: rel, depth: a.depth + 1}
}

// selected reports whether member m is read: an archive (opened whatever
// the pattern), or a member the pattern matches. It reports the others.
func (w *walker) selected(m node) bool {
	_, name := codecByName(m.name)
	if archiveByName(name) != "" || w.opts.ArchivePattern == nil || w.opts.ArchivePattern.MatchString(m.rel) {
		return true
	}
	w.skip(m.path, "not matched by archive_pattern")
	return false
}

// countMembers counts k more members against max_members.
func (w *walker) countMembers(path string, k int) error {
	w.members += k
	if w.members > w.lim.MaxMembers {
		return &LimitError{File: path, Limit: "max_members", Max: int64(w.lim.MaxMembers),
			Detail: fmt.Sprintf("its archives hold at least %d members", w.members)}
	}
	return nil
}

// zipMethods are the zip compression methods read beyond store and
// deflate: bzip2, zstd, xz.
const (
	zipBzip2 = 12
	zipZstd  = 93
	zipXz    = 95
)

// zip reads the members of the zip archive n.
func (w *walker) zip(n node) error {
	ra, size := n.ra, n.size
	if ra == nil {
		c, err := w.spool(n)
		if err != nil {
			return err
		}
		ra, size = c, c.size
	}
	zr, err := zip.NewReader(ra, size)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) { // names are never resolved, so not insecure
		return w.fault(n.path, "zip archive", err)
	}
	if err := w.countMembers(n.path, len(zr.File)); err != nil {
		return err
	}
	z := &zipReader{w: w}
	zr.RegisterDecompressor(zip.Store, z.decompressor(func(r io.Reader) (io.ReadCloser, error) { return io.NopCloser(r), nil }))
	zr.RegisterDecompressor(zip.Deflate, z.decompressor(func(r io.Reader) (io.ReadCloser, error) { return newFlate(r), nil }))
	zr.RegisterDecompressor(zipBzip2, z.decompressor(func(r io.Reader) (io.ReadCloser, error) { return io.NopCloser(bzip2.NewReader(r)), nil }))
	zr.RegisterDecompressor(zipZstd, z.decompressor(func(r io.Reader) (io.ReadCloser, error) {
		window := max(uint64(w.lim.MaxSpoolBytes), zstd.MinWindowSize)
		d, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(window), zstd.WithDecoderMaxMemory(window))
		if err != nil {
			return nil, err
		}
		return d.IOReadCloser(), nil
	}))
	zr.RegisterDecompressor(zipXz, z.decompressor(func(r io.Reader) (io.ReadCloser, error) {
		d, err := xz.NewReader(bufio.NewReaderSize(&xzGuard{r: r, max: w.lim.MaxSpoolBytes}, 32<<10))
		if err != nil {
			return nil, err
		}
		return io.NopCloser(d), nil
	}))
	for _, f := range zr.File {
		if err := w.ctx.Err(); err != nil {
			return err
		}
		m := n.member(memberName(f.Name, f.NonUTF8))
		if err := w.zipMember(z, ra, m, f); err != nil {
			return err
		}
	}
	return nil
}

// zipMember reads one member of a zip.
func (w *walker) zipMember(z *zipReader, ra io.ReaderAt, m node, f *zip.File) error {
	mode := f.Mode()
	switch {
	case mode.IsDir() || strings.HasSuffix(f.Name, "/"):
		w.skip(m.path, "a folder")
		return nil
	case mode&fs.ModeSymlink != 0:
		w.skip(m.path, "a link")
		return nil
	case !mode.IsRegular():
		w.skip(m.path, "a device or special file")
		return nil
	case !w.selected(m):
		return nil
	case f.Flags&0x1 != 0:
		return &FileError{File: m.path, Err: fmt.Errorf("%w: the zip member is encrypted", ErrUnsupported)}
	}
	switch f.Method {
	case zip.Store, zip.Deflate, zipBzip2, zipZstd, zipXz:
	default:
		return &FileError{File: m.path, Err: fmt.Errorf("%w: zip compression method %d (read: store, deflate, bzip2, zstd, xz)", ErrUnsupported, f.Method)}
	}
	z.err = nil
	rc, err := f.Open()
	if err == nil {
		err = z.err
	}
	if err != nil {
		return w.fault(m.path, "zip member", err)
	}
	defer rc.Close()
	in := z.in
	m.r = &layer{w: w, path: m.path, what: "zip member", r: rc, in: in}
	if f.Method == zip.Store && f.CompressedSize64 == f.UncompressedSize64 {
		if off, err := f.DataOffset(); err == nil && f.UncompressedSize64 <= 1<<62 {
			m.ra, m.size = io.NewSectionReader(ra, off, int64(f.UncompressedSize64)), int64(f.UncompressedSize64)
		}
	}
	return w.visit(m, w.memberCompression())
}

// memberCompression is the compression setting of members: inferred,
// unless the setting is "none".
func (w *walker) memberCompression() string {
	if w.opts.Compression == "none" {
		return "none"
	}
	return ""
}

// zipReader makes the decompressors of one zip's members: each counts
// the compressed bytes it reads, for the member's ratio.
type zipReader struct {
	w   *walker
	in  func() int64 // compressed bytes the member being read has consumed
	err error        // a decompressor that failed to start
}

func (z *zipReader) decompressor(open func(io.Reader) (io.ReadCloser, error)) zip.Decompressor {
	return func(r io.Reader) io.ReadCloser {
		c := &counter{ctx: z.w.ctx, r: r}
		br := bufio.NewReaderSize(c, 32<<10)
		z.in = func() int64 { return c.n - int64(br.Buffered()) }
		rc, err := open(br)
		if err != nil {
			z.err = err
			return io.NopCloser(bytes.NewReader(nil))
		}
		return rc
	}
}

// spoolChunk is the size of the pieces a spooled archive is held in.
const spoolChunk = 1 << 20

// spool reads the archive n into memory, up to max_spool_bytes, for the
// random access a zip needs. It holds the bytes in pieces, so that memory
// is what the archive takes, never twice that while a buffer grows.
func (w *walker) spool(n node) (*chunks, error) {
	c := &chunks{}
	for {
		if c.size > w.lim.MaxSpoolBytes {
			return nil, &LimitError{File: n.path, Limit: "max_spool_bytes", Max: w.lim.MaxSpoolBytes,
				Detail: "a zip inside another layer is held in memory to be read, and this one is larger"}
		}
		piece := make([]byte, spoolChunk)
		k, err := io.ReadFull(n.r, piece)
		if k > 0 {
			c.pieces = append(c.pieces, piece[:k])
			c.size += int64(k)
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			if c.size > w.lim.MaxSpoolBytes {
				continue
			}
			return c, nil
		}
		if err != nil {
			return nil, w.fault(n.path, "zip archive", err)
		}
	}
}

// chunks is a spooled stream: pieces of spoolChunk bytes (the last maybe
// shorter), read at offsets.
type chunks struct {
	pieces [][]byte
	size   int64
}

func (c *chunks) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("decode: negative offset")
	}
	n := 0
	for n < len(p) && off < c.size {
		piece := c.pieces[off/spoolChunk]
		k := copy(p[n:], piece[off%spoolChunk:])
		n += k
		off += int64(k)
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// tar reads the members of the tar archive n, streaming.
func (w *walker) tar(n node) error {
	tr := tar.NewReader(n.r)
	for {
		if err := w.ctx.Err(); err != nil {
			return err
		}
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil && !errors.Is(err, tar.ErrInsecurePath) { // names are never resolved, so not insecure
			return w.fault(n.path, "tar archive", err)
		}
		if err := w.countMembers(n.path, 1); err != nil {
			return err
		}
		m := n.member(memberName(hdr.Name, false))
		switch hdr.Typeflag {
		case tar.TypeReg:
		case tar.TypeDir:
			w.skip(m.path, "a folder")
			continue
		case tar.TypeSymlink, tar.TypeLink:
			w.skip(m.path, "a link")
			continue
		case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
			w.skip(m.path, "a device or special file")
			continue
		case tar.TypeGNUSparse:
			w.skip(m.path, "a sparse file")
			continue
		default:
			w.skip(m.path, fmt.Sprintf("a tar entry of type %q", hdr.Typeflag))
			continue
		}
		if isSparse(hdr) {
			w.skip(m.path, "a sparse file")
			continue
		}
		if !w.selected(m) {
			continue
		}
		m.r = &layer{w: w, path: m.path, what: "tar member", r: tr}
		if err := w.visit(m, w.memberCompression()); err != nil {
			return err
		}
	}
}

// isSparse reports a PAX sparse file: its holes would come out as zeros
// that no stored byte pays for.
func isSparse(hdr *tar.Header) bool {
	for k := range hdr.PAXRecords {
		if strings.HasPrefix(k, "GNU.sparse.") {
			return true
		}
	}
	return false
}
