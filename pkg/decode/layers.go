package decode

import (
	"context"
	"io"
	"regexp"
)

// Options configure the layers of a pipeline's files (pipeline.yaml keys
// compression, archive_pattern, pgp and limits).
type Options struct {
	// Compression forces a codec: "gzip", "bzip2", "zstd", "xz", or "none"
	// to read files as stored; "" infers it from the file name's extension
	// (.gz .gzip .bz2 .zst .xz) or, failing that, from the magic bytes.
	Compression string
	// ArchivePattern selects the members of zip and tar archives to read,
	// matched against the member's path inside the archive; nil reads all.
	ArchivePattern *regexp.Regexp
	// PGP decrypts files encrypted with OpenPGP; nil leaves them alone.
	PGP *PGP
	// Limits keep a worker alive whatever the file.
	Limits Limits
	// Skipped is told about every archive member that is not read (not
	// matched by ArchivePattern, a folder, a link, nested too deep), with
	// the reason. Optional.
	Skipped func(path, reason string)
}

// PGP holds ASCII-armored keys, expanded from the environment.
type PGP struct {
	PrivateKey string
	Passphrase string
	// TrustedSigners are public keys. When any is set, a file must carry a
	// valid signature by one of them, verified over the whole plaintext
	// before Walk hands out a single byte of it.
	TrustedSigners []string
}

// Limits cap what one file may expand to. A file over a limit fails with a
// *LimitError naming it; it never takes the worker's memory or disk.
type Limits struct {
	// MaxBytes caps the decompressed bytes of one file, all its members
	// together; 0 means DefaultMaxBytes.
	MaxBytes int64
	// MaxRatio caps decompressed bytes per stored byte, once past 1 MiB
	// of output; 0 means DefaultMaxRatio.
	MaxRatio int64
	// MaxMembers caps the members of one archive; 0 means DefaultMaxMembers.
	MaxMembers int
	// MaxSpoolBytes caps the memory one layer may hold for a file: a zip
	// archive read from a stream (inside gzip or PGP, or nested in another
	// archive) is held whole to get random access, and a zstd window or an
	// xz dictionary is as large as the file's header asks; 0 means
	// DefaultMaxSpoolBytes.
	MaxSpoolBytes int64
}

// Defaults of Limits.
const (
	DefaultMaxBytes   = 64 << 30
	DefaultMaxRatio   = 1000
	DefaultMaxMembers = 100_000
	// DefaultMaxSpoolBytes matches format.DefaultMaxSpoolBytes.
	DefaultMaxSpoolBytes = 512 << 20
)

// Leaf is one file inside the layers: the file itself, or one member of an
// archive.
type Leaf struct {
	// Path names the leaf in rows (_file) and errors: the file's path, or
	// "<archive path>!/<member path>" for an archive member.
	Path string
	// Name is the name whose extension picks the format: Path without its
	// compression suffix ("a.csv.gz" → "a.csv").
	Name string
	// R streams the leaf's bytes; it is valid until fn returns.
	R io.Reader
	// ReaderAt and Size give random access when the leaf is stored whole
	// (a file read as stored, or a stored zip member of a zip read in
	// place or held in memory); nil and 0 otherwise.
	ReaderAt io.ReaderAt
	Size     int64
}

// Opener opens a file's stored bytes; Walk may call it more than once (to
// verify a signature before it streams the plaintext).
type Opener func(ctx context.Context) (io.ReadCloser, error)
