package decode

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/klauspost/compress/zstd"
)

// maxNesting is how deep archives are opened: the file's own archive, and
// archives among its members, but no deeper.
const maxNesting = 2

// Walk peels the layers of the file at path (PGP, then compression, then
// archive) and calls fn with each leaf, in order: the file itself when it
// is no archive, else every member of it that Options.ArchivePattern
// selects, read in archive order. It never writes anything to disk.
//
// Layers are found by name first and by content second:
//
//   - PGP: a name ending .pgp, .gpg or .asc, or (with Options.PGP set) a
//     first packet or armor line of an OpenPGP message, binary or armored.
//     Leaf.Name drops the suffix. Without trusted signers, the plaintext
//     streams as it is decrypted and its integrity (MDC or AEAD tag) is
//     checked at its end. With trusted signers, Walk first reads the whole
//     message, discarding it, and requires a valid signature by one of
//     them and intact data; only then does it open the file again (open is
//     called twice) and stream the plaintext, checking it again at its end
//     (the file may have changed in between). A file that is no PGP
//     message fails then too. Keys are parsed and unlocked once per
//     setting and kept (see Options.Validate).
//   - Compression: Options.Compression when set ("none" reads every byte
//     as stored, members included), else a name ending .gz .gzip .bz2
//     .bzip2 .zst .zstd .xz (.tgz .tbz2 .tbz .txz .tzst are compressed
//     tar), else the codec's magic bytes. Stacked codecs are peeled in
//     turn, up to three. Leaf.Name drops the suffix (a.csv.gz is a.csv,
//     a.tgz is a.tar).
//   - Archives: a name ending .zip or .tar (after the compression suffix
//     is dropped), or a tar header. A member is a leaf named
//     "<archive path>!/<member path>"; a member that is itself compressed
//     is decompressed, and one that is itself an archive is opened in
//     turn, one level deep: a.zip!/b.zip!/c.csv. Deeper archives, folders,
//     links, devices, sparse files and members the pattern leaves out are
//     passed to Options.Skipped with the reason.
//
// Member names are never resolved against anything: "../x.csv" and
// "/abs/x.csv" are plain names, shown without their leading "/" and "./".
// ArchivePattern is matched (unanchored, as regexp.MatchString) against
// that name; for a member of a nested archive, against "b.zip!/c.csv".
// Nested archives themselves are always opened.
//
// A zip needs random access: Walk reads it in place when open returns an
// io.ReaderAt of known size (an *os.File, or a type with Size() int64) and
// no layer sits above it; otherwise (a zip inside gzip or PGP, or nested)
// it holds the zip in memory, up to Limits.MaxSpoolBytes. A stored zip
// member of a zip read in place or held in memory gets Leaf.ReaderAt; so
// does the file itself when it has no layers. Tar is always streamed.
//
// Every decompressor's output is counted against Limits: the bytes all of
// them produce for the file together (Limits.MaxBytes, the key
// max_decompressed_bytes; a member inside a compressed archive counts
// once in the archive's stream and again if it is itself compressed), the
// ratio of each one's output to its input and of that total to the file's
// stored bytes (max_ratio, once past 1 MiB), the members of its archives
// together (max_members). Going over fails the file with a *LimitError naming it,
// at once: a zip bomb costs milliseconds, never the worker's memory.
//
// Errors: a *FileError for a file whose layers are corrupt or cannot be
// decrypted or verified, a *LimitError for a file over a limit (both
// permanent, see IsPermanent, and both naming the file or member); an
// error from open or from reading the stored bytes wrapped as it is
// (retry it); ctx.Err() when ctx ends. Errors from fn are returned as they
// are, and stop the walk. A leaf's reader returns the same kinds of error
// when a layer fails under it; in particular a PGP message's integrity and
// signature are known only at its end, so its last read, not its first,
// may fail: the caller must treat a leaf whose reader failed as failed
// whole (the parser does: the file commits nothing). After the last leaf,
// Walk reads what is left of a PGP message, so the check runs even when
// the format stopped reading early, and returns its failure.
func Walk(ctx context.Context, path string, open Opener, opts Options, fn func(ctx context.Context, leaf *Leaf) error) error {
	if _, ok := codecs[opts.Compression]; !ok && opts.Compression != "" && opts.Compression != "none" {
		return &FileError{File: path, Err: fmt.Errorf("%w %q (known: gzip, bzip2, zstd, xz, none)", ErrUnknownCompression, opts.Compression)}
	}
	w := &walker{ctx: ctx, path: path, open: open, opts: opts, lim: opts.Limits.withDefaults(), fn: fn}
	if opts.PGP != nil {
		keys, err := loadKeys(opts.PGP)
		if err != nil {
			return &FileError{File: path, Err: err}
		}
		w.keys = keys
	}
	defer w.close()
	return w.walk()
}

// Validate checks the options the way Walk would use them: a known
// compression, and PGP keys that parse and a passphrase that unlocks them.
// It names the setting at fault and never the secret.
func (o Options) Validate() error {
	if _, ok := codecs[o.Compression]; !ok && o.Compression != "" && o.Compression != "none" {
		return fmt.Errorf("compression: %w %q (known: gzip, bzip2, zstd, xz, none)", ErrUnknownCompression, o.Compression)
	}
	if o.PGP != nil {
		if _, err := loadKeys(o.PGP); err != nil {
			return err
		}
	}
	return nil
}

// walker is the state of one Walk call.
type walker struct {
	ctx  context.Context // the Walk's; its readers check it between reads
	path string
	open Opener
	opts Options
	lim  Limits
	fn   func(ctx context.Context, leaf *Leaf) error
	keys *keyring

	rc      io.ReadCloser // the stored file, open
	src     *source
	size    int64 // the stored size when known (read in place), else 0
	out     int64 // bytes all decompressors have produced
	members int   // archive members met
	closers []io.Closer
	inFn    bool // fn is running: a panic now is not ours to recover
}

// node is a stream at some depth of the layers.
type node struct {
	path  string      // as in Leaf.Path
	name  string      // as in Leaf.Name: path without the suffixes peeled so far
	rel   string      // path inside the outermost archive; "" for the file itself
	r     io.Reader   // the stream
	ra    io.ReaderAt // the same bytes at offsets, when they are stored whole
	size  int64       // their size, with ra
	depth int         // archives the node is inside
}

func (w *walker) walk() (err error) {
	defer func() {
		if w.inFn {
			return // fn's own panic goes on as it is
		}
		if v := recover(); v != nil {
			err = &FileError{File: w.path, Err: fmt.Errorf("%w: a decoder panicked: %v", ErrCorrupt, v)}
		}
	}()
	n, err := w.start()
	if err != nil {
		return err
	}
	pgp, err := w.isPGP(&n)
	switch {
	case err != nil:
		return err
	case pgp:
		return w.walkPGP(n)
	case w.keys != nil && len(w.keys.trusted) > 0:
		return &FileError{File: w.path, Err: fmt.Errorf("%w: it is not a PGP message", ErrPGPUnsigned)}
	}
	return w.visit(n, w.opts.Compression)
}

// start opens the stored file (again, on a second pass) and returns its
// node.
func (w *walker) start() (node, error) {
	if w.rc != nil {
		w.rc.Close()
		w.rc = nil
	}
	rc, err := w.open(w.ctx)
	if err != nil {
		if ctxErr := w.ctx.Err(); ctxErr != nil {
			return node{}, ctxErr
		}
		return node{}, fmt.Errorf("open %s: %w", w.path, err)
	}
	w.rc, w.src, w.out, w.members, w.size = rc, &source{ctx: w.ctx, path: w.path, r: rc}, 0, 0, 0
	n := node{path: w.path, name: w.path, r: w.src}
	if ra, size, ok := readerAt(rc); ok {
		w.size = size
		n.ra, n.size = &sourceAt{w: w, ra: ra}, size
	}
	return n, nil
}

// readerAt returns random access to a stored file when it has it: an
// *os.File of a regular file, or an io.ReaderAt with Size() int64.
func readerAt(rc io.ReadCloser) (io.ReaderAt, int64, bool) {
	switch f := rc.(type) {
	case *os.File:
		fi, err := f.Stat()
		if err != nil || !fi.Mode().IsRegular() {
			return nil, 0, false
		}
		return f, fi.Size(), true
	case interface {
		io.ReaderAt
		Size() int64
	}:
		return f, f.Size(), true
	}
	return nil, 0, false
}

// stored is the stored size of the file as far as the ratio goes: its size
// when known, else the bytes read from it so far.
func (w *walker) stored() int64 {
	return max(w.size, w.src.n)
}

// visit peels n's compression (forced names a codec for the file itself,
// "" to infer), then reads it as an archive or hands it to fn as a leaf.
func (w *walker) visit(n node, forced string) error {
	n, err := w.decompress(n, forced)
	if err != nil {
		return err
	}
	kind, err := w.archiveKind(&n)
	if err != nil {
		return err
	}
	switch {
	case kind == "":
		return w.leaf(n)
	case n.depth >= maxNesting:
		w.skip(n.path, "an archive nested in an archive inside an archive (one level of nesting is read)")
		return nil
	case kind == "zip":
		return w.zip(n)
	default:
		return w.tar(n)
	}
}

// leaf hands n to fn.
func (w *walker) leaf(n node) error {
	if err := w.ctx.Err(); err != nil {
		return err
	}
	leaf := &Leaf{Path: n.path, Name: n.name, R: n.r}
	if n.ra != nil {
		leaf.ReaderAt, leaf.Size = n.ra, n.size
	}
	w.inFn = true
	err := w.fn(w.ctx, leaf)
	w.inFn = false
	return err
}

// skip reports a member that is not read.
func (w *walker) skip(path, reason string) {
	if w.opts.Skipped != nil {
		w.opts.Skipped(path, reason)
	}
}

// sniffBuffer is the buffer sniff puts over a stream: small, so that once
// its first bytes are read, the large reads of a format reader go straight
// to the stream beneath instead of through a copy.
const sniffBuffer = 4 << 10

// sniff returns up to k bytes from the start of n's stream without
// consuming them, buffering the stream in n when it is not yet.
func (w *walker) sniff(n *node, k int) ([]byte, error) {
	br, ok := n.r.(*bufio.Reader)
	if !ok || br.Size() < k {
		br = bufio.NewReaderSize(n.r, max(k, sniffBuffer))
		n.r = br
	}
	head, err := br.Peek(k)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, w.fault(n.path, "file", err)
	}
	return head, nil
}

// fault turns an error met while decoding the file at path into what Walk
// returns: the storage's error when reading the stored bytes failed
// (whatever the decoder made of it), ctx's error when ctx ended, the error
// itself when it is already ours, else a *FileError: what is corrupt.
func (w *walker) fault(path, what string, err error) error {
	if w.src != nil && w.src.err != nil {
		if ctxErr := w.ctx.Err(); ctxErr != nil {
			return ctxErr
		}
		return w.src.err
	}
	if ctxErr := w.ctx.Err(); ctxErr != nil {
		return ctxErr
	}
	var le *LimitError
	if errors.As(err, &le) {
		if le.File == "" {
			le.File = path
		}
		return err
	}
	var fe *FileError
	if errors.As(err, &fe) {
		return err
	}
	if errors.Is(err, zstd.ErrWindowSizeExceeded) || errors.Is(err, zstd.ErrDecoderSizeExceeded) {
		return &LimitError{File: path, Limit: "max_spool_bytes", Max: w.lim.MaxSpoolBytes,
			Detail: "a zstd frame asks for a larger window"}
	}
	if what == "PGP message" {
		return pgpFault(path, err)
	}
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return &FileError{File: path, Err: fmt.Errorf("%w %s: %w", ErrCorrupt, what, err)}
}

// close releases what the walk holds.
func (w *walker) close() {
	for _, c := range slices.Backward(w.closers) {
		c.Close()
	}
	if w.rc != nil {
		w.rc.Close()
	}
}
