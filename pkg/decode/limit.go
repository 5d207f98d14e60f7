package decode

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
)

// ratioFloor is the output below which no ratio is checked: small files
// of one repeated byte compress far better than any cap, and are harmless.
const ratioFloor = 1 << 20

// withDefaults returns l with its zero fields set to the defaults.
func (l Limits) withDefaults() Limits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultMaxBytes
	}
	if l.MaxRatio <= 0 {
		l.MaxRatio = DefaultMaxRatio
	}
	if l.MaxMembers <= 0 {
		l.MaxMembers = DefaultMaxMembers
	}
	if l.MaxSpoolBytes <= 0 {
		l.MaxSpoolBytes = DefaultMaxSpoolBytes
	}
	return l
}

// source reads the stored bytes of the file. It counts them (the stored
// side of the file's ratio), stops when the walk's context is done, and
// remembers its first error, so that an error a decompressor or go-crypto
// passes on (or disguises) is still known to be the storage's and retried
// rather than blamed on the file.
type source struct {
	ctx  context.Context // the Walk's, for the duration of the call
	path string
	r    io.Reader
	n    int64
	err  error // the first read error, naming the file
}

func (s *source) Read(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	if err := s.ctx.Err(); err != nil {
		s.err = err
		return 0, err
	}
	n, err := s.r.Read(p)
	s.n += int64(n)
	if err != nil && !errors.Is(err, io.EOF) {
		err = fmt.Errorf("read %s: %w", s.path, err)
		s.err = err
	}
	return n, err
}

// sourceAt is the stored file read at offsets (a zip read in place); like
// source, it remembers its first error.
type sourceAt struct {
	w  *walker
	ra io.ReaderAt
}

func (s *sourceAt) ReadAt(p []byte, off int64) (int, error) {
	if err := s.w.ctx.Err(); err != nil {
		return 0, err
	}
	if off < 0 || off >= s.w.size {
		// An offset out of the file is a corrupt archive asking for it,
		// not a failure of the storage.
		return 0, io.EOF
	}
	n, err := s.ra.ReadAt(p, off)
	if err != nil && !errors.Is(err, io.EOF) {
		err = fmt.Errorf("read %s: %w", s.w.path, err)
		if s.w.src.err == nil {
			s.w.src.err = err
		}
	}
	return n, err
}

// counter counts the bytes read through it: the compressed input of one
// decompressor. It checks ctx too, for inputs that do not come through
// source (zip members read at offsets).
type counter struct {
	ctx context.Context
	r   io.Reader
	n   int64
}

func (c *counter) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// layer is the output of one decoding step (a decompressor, a zip member,
// the PGP plaintext, a tar member). It counts what it hands out against
// the file's max_decompressed_bytes, its own ratio to its input and the
// file's ratio to its stored bytes, and turns the step's errors into a
// *FileError naming path (or the storage's error, when that is what
// failed). Its errors stick: every read after one returns it again.
type layer struct {
	w    *walker
	path string // the file or member, for errors
	what string // "gzip stream", "zip member", ... for errors
	r    io.Reader
	// in is how many compressed bytes the step has consumed; nil for a
	// step that does not expand (a tar member), which is not counted.
	in    func() int64
	out   int64
	err   error
	empty int // reads in a row that returned nothing and no error
}

// maxEmptyReads is how many reads in a row may return nothing before a
// layer gives up with io.ErrNoProgress, as bufio does.
const maxEmptyReads = 100

func (l *layer) Read(p []byte) (n int, err error) {
	if l.err != nil {
		return 0, l.err
	}
	defer func() {
		if v := recover(); v != nil {
			n, err = 0, &FileError{File: l.path, Err: fmt.Errorf("%w %s: the decoder panicked: %v", ErrCorrupt, l.what, v)}
			l.err = err
		}
	}()
	n, err = l.r.Read(p)
	if n == 0 && err == nil && len(p) > 0 {
		// A decoder that returns nothing, again and again, would spin its
		// reader forever.
		if l.empty++; l.empty >= maxEmptyReads {
			err = io.ErrNoProgress
		}
	} else {
		l.empty = 0
	}
	if l.in != nil {
		l.out += int64(n)
		l.w.out += int64(n)
		if lerr := l.check(); lerr != nil {
			l.err = lerr
			return n, lerr
		}
	}
	if err != nil && !errors.Is(err, io.EOF) {
		err = l.w.fault(l.path, l.what, err)
		l.err = err
	}
	return n, err
}

// check applies the limits after a read.
func (l *layer) check() error {
	lim := &l.w.lim
	if l.w.out > lim.MaxBytes {
		return &LimitError{File: l.path, Limit: "max_decompressed_bytes", Max: lim.MaxBytes,
			Detail: "the file's layers decompress to more than that"}
	}
	if l.out > ratioFloor && over(l.out, l.in(), lim.MaxRatio) {
		return &LimitError{File: l.path, Limit: "max_ratio", Max: lim.MaxRatio,
			Detail: fmt.Sprintf("the %s expands %s of input to %s (a compression bomb?)", l.what, sizeText(l.in()), sizeText(l.out))}
	}
	if l.w.out > ratioFloor && over(l.w.out, l.w.stored(), lim.MaxRatio) {
		return &LimitError{File: l.path, Limit: "max_ratio", Max: lim.MaxRatio,
			Detail: fmt.Sprintf("%s of stored file expands to %s in all (a compression bomb?)", sizeText(l.w.stored()), sizeText(l.w.out))}
	}
	return nil
}

// over reports whether out exceeds ratio times in.
func over(out, in, ratio int64) bool {
	if in <= 0 {
		return true
	}
	if in > math.MaxInt64/ratio {
		return false
	}
	return out > in*ratio
}
