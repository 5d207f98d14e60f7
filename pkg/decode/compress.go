package decode

import (
	"bufio"
	"bytes"
	"compress/bzip2"
	"fmt"
	"io"
	"strings"

	"github.com/klauspost/compress/flate"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"
)

// maxCodecLayers caps the compressions stacked on one file or member
// (a.csv.gz.gz): each is peeled in turn, up to this many.
const maxCodecLayers = 3

// A codec is a compression Walk reads.
type codec struct {
	name string // as in Options.Compression
	what string // for messages: "gzip stream"
	// magic reports whether a stream starting with head is this codec's.
	magic func(head []byte) bool
	// open returns a reader of the decompressed stream over r, and a
	// closer to release it (nil when there is nothing to release).
	open func(w *walker, r io.Reader) (io.Reader, io.Closer, error)
}

var codecs = map[string]*codec{
	"gzip":  {name: "gzip", what: "gzip stream", magic: isGzip, open: openGzip},
	"bzip2": {name: "bzip2", what: "bzip2 stream", magic: isBzip2, open: openBzip2},
	"zstd":  {name: "zstd", what: "zstd stream", magic: isZstd, open: openZstd},
	"xz":    {name: "xz", what: "xz stream", magic: isXz, open: openXz},
}

// codecOrder is the order codecs are sniffed in (magics do not overlap).
var codecOrder = []*codec{codecs["gzip"], codecs["bzip2"], codecs["zstd"], codecs["xz"]}

// Compressions lists the values Options.Compression accepts.
func Compressions() []string { return []string{"", "gzip", "bzip2", "zstd", "xz", "none"} }

// suffixes maps file name suffixes (lower case) to their codec and what the
// name becomes without the compression: "" drops the suffix, ".tar"
// replaces it (a.tgz is a.tar compressed).
var suffixes = []struct {
	suffix, codec, becomes string
}{
	{".gz", "gzip", ""}, {".gzip", "gzip", ""}, {".tgz", "gzip", ".tar"},
	{".bz2", "bzip2", ""}, {".bzip2", "bzip2", ""}, {".tbz2", "bzip2", ".tar"}, {".tbz", "bzip2", ".tar"},
	{".zst", "zstd", ""}, {".zstd", "zstd", ""}, {".tzst", "zstd", ".tar"},
	{".xz", "xz", ""}, {".txz", "xz", ".tar"},
}

// codecByName returns the codec a file name's suffix names, and the name
// without that compression; nil and the name when the suffix names none.
func codecByName(name string) (*codec, string) {
	lower := strings.ToLower(name)
	for _, s := range suffixes {
		if strings.HasSuffix(lower, s.suffix) && len(name) > len(s.suffix) {
			return codecs[s.codec], name[:len(name)-len(s.suffix)] + s.becomes
		}
	}
	return nil, name
}

// codecByMagic returns the codec whose magic bytes start head, or nil.
func codecByMagic(head []byte) *codec {
	for _, c := range codecOrder {
		if c.magic(head) {
			return c
		}
	}
	return nil
}

// sniffLen is how many bytes the codec magics need.
const sniffLen = 10

func isGzip(h []byte) bool { return bytes.HasPrefix(h, []byte{0x1f, 0x8b, 0x08}) }

// isBzip2 wants "BZh", a block size digit and the magic of a block (π) or of
// the end of the stream (√π): four letters alone are too likely in text.
func isBzip2(h []byte) bool {
	if len(h) < 10 || !bytes.HasPrefix(h, []byte("BZh")) || h[3] < '1' || h[3] > '9' {
		return false
	}
	m := h[4:10]
	return bytes.Equal(m, []byte{0x31, 0x41, 0x59, 0x26, 0x53, 0x59}) || bytes.Equal(m, []byte{0x17, 0x72, 0x45, 0x38, 0x50, 0x90})
}

func isZstd(h []byte) bool { return bytes.HasPrefix(h, []byte{0x28, 0xb5, 0x2f, 0xfd}) }

func isXz(h []byte) bool { return bytes.HasPrefix(h, []byte{0xfd, '7', 'z', 'X', 'Z', 0x00}) }

func openGzip(_ *walker, r io.Reader) (io.Reader, io.Closer, error) {
	zr, err := gzip.NewReader(r) // multistream: concatenated members are read in turn
	if err != nil {
		return nil, nil, err
	}
	return zr, zr, nil
}

func openBzip2(_ *walker, r io.Reader) (io.Reader, io.Closer, error) {
	return bzip2.NewReader(r), nil, nil
}

// openZstd decodes in the calling goroutine (concurrency 1: no goroutine of
// the library's own can panic out of reach) with the window capped.
func openZstd(w *walker, r io.Reader) (io.Reader, io.Closer, error) {
	window := max(uint64(w.lim.MaxSpoolBytes), zstd.MinWindowSize)
	d, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(window),
		zstd.WithDecoderMaxMemory(window))
	if err != nil {
		return nil, nil, err
	}
	return d, closerFunc(d.Close), nil
}

// openXz reads xz through xzGuard, which refuses a dictionary larger than
// max_spool_bytes before the library allocates it.
func openXz(w *walker, r io.Reader) (io.Reader, io.Closer, error) {
	g := &xzGuard{r: r, max: w.lim.MaxSpoolBytes}
	zr, err := xz.NewReader(bufio.NewReaderSize(g, 32<<10))
	if err != nil {
		return nil, nil, err
	}
	return zr, nil, nil
}

// newFlate reads a raw deflate stream (zip members).
func newFlate(r io.Reader) io.ReadCloser { return flate.NewReader(r) }

type closerFunc func()

func (f closerFunc) Close() error { f(); return nil }

// decompress peels the compression of n: the forced codec first (when
// forced is set), then every codec its name or first bytes show, up to
// maxCodecLayers.
func (w *walker) decompress(n node, forced string) (node, error) {
	if forced == "none" {
		return n, nil
	}
	for i := 0; ; i++ {
		c, stripped := codecByName(n.name)
		if i == 0 && forced != "" {
			// The setting wins over the name, and a compression suffix
			// goes whichever codec it names: a.csv.bz2 that is gzip is
			// a.csv all the same.
			c = codecs[forced]
		}
		if c == nil {
			head, err := w.sniff(&n, sniffLen)
			if err != nil {
				return n, err
			}
			if c = codecByMagic(head); c == nil {
				return n, nil
			}
		}
		if i == maxCodecLayers {
			return n, &FileError{File: n.path, Err: fmt.Errorf("%w: more than %d layers of compression", ErrUnsupported, maxCodecLayers)}
		}
		in := &counter{ctx: w.ctx, r: n.r}
		br := bufio.NewReaderSize(in, peekSize)
		r, closer, err := c.open(w, br)
		if err != nil {
			return n, w.fault(n.path, c.what, err)
		}
		if closer != nil {
			w.closers = append(w.closers, closer)
		}
		n.r = &layer{w: w, path: n.path, what: c.what, r: r, in: func() int64 { return in.n - int64(br.Buffered()) }}
		n.name, n.ra, n.size = stripped, nil, 0
	}
}
