package source

import (
	"context"
	"io"
	"log/slog"
	"time"

	"github.com/filedge/filedge/pkg/settings"
)

// Source is a file store. Implementations are safe for concurrent use.
type Source interface {
	// ID names the store in version ids and messages, e.g. local:/abs/path.
	ID() string
	// Walk calls fn for every file under the root, nested folders included,
	// with paths relative to the root and '/'-separated. fn returning an
	// error stops the walk with that error.
	Walk(ctx context.Context, fn func(FileInfo) error) error
	// Stat returns the file at path, or an error wrapping ErrNotExist.
	Stat(ctx context.Context, path string) (FileInfo, error)
	// Open opens the file at path for reading.
	Open(ctx context.Context, path string) (io.ReadCloser, error)
}

// FileInfo describes one file in a store.
type FileInfo struct {
	Path     string // relative to the root, '/'-separated
	Size     int64
	Modified time.Time
	ETag     string // where the store has one
}

// Skipped is an entry under a store's root that its Walk leaves out though
// a user may expect it to be loaded, with the reason.
type Skipped struct {
	Path   string // relative to the root, '/'-separated, as FileInfo.Path
	Reason string // e.g. "named pipe", "symbolic link to /etc/passwd, outside the folder"
	Dir    bool   // a folder, whose files are left out with it
}

// SkipWalker is a Source that can say what its Walk leaves out, so that
// nothing is skipped without a word.
type SkipWalker interface {
	// WalkWithSkips is Walk that also calls skipped, between calls to fn,
	// once for each entry Walk leaves out that a user may take for a file
	// (links, pipes, devices, unreadable folders; not the store's own
	// state), and for nothing else. An error from skipped stops the walk
	// like one from fn. A nil skipped makes it Walk.
	WalkWithSkips(ctx context.Context, fn func(FileInfo) error, skipped func(Skipped) error) error
}

// ReadChecker is a Source that can tell cheaply, without reading it,
// whether a file can be read now, so that the watcher holds back a file it
// could only fail on (no permission) instead of publishing it.
type ReadChecker interface {
	// CheckRead returns nil when the file at path can be opened for
	// reading, or else why not: an error wrapping fs.ErrPermission when
	// permission is denied, ErrNotExist when there is no such file.
	CheckRead(ctx context.Context, path string) error
}

// Notifier is a Source that can report changes as they happen, so that the
// watcher need not wait for its next scan.
type Notifier interface {
	// Notify sends a Change for every file created or written under the
	// root to ch until ctx is done. It may miss events (the watcher rescans
	// periodically); it must not block the store when ch is full.
	Notify(ctx context.Context, ch chan<- Change) error
}

// Change is a file a Notifier saw change.
type Change struct {
	Path string // relative to the root, '/'-separated, as FileInfo.Path
	// Complete tells that the file is as its writer left it: the writer
	// closed it after writing, or it was renamed into the folder. It is
	// settled unless it changes again. False when the store cannot tell.
	Complete bool
}

// Config is a source's settings: the struct its type decodes from
// pipeline.yaml's source: block (Info.Decode), with the environment's
// values already expanded. It is the factory of the store it describes.
type Config interface {
	// Open opens the store.
	Open(ctx context.Context, env Env) (Source, error)
	// String names the store for messages and logs (a folder's path,
	// s3://bucket/prefix); it never holds a credential.
	String() string
}

// Env is what Config.Open needs that is not a setting.
type Env struct {
	// Dir is the pipeline file's folder, absolute: what relative paths in
	// the settings are relative to.
	Dir string
	// Logger receives what the source logs; nil is slog.Default().
	Logger *slog.Logger
}

// Info describes a registered source type.
type Info struct {
	// Type is the name pipeline.yaml's source.type gives (local), lower
	// case.
	Type string
	// Decode reads the type's own keys from the source: block (the
	// pipeline reads type and pattern), reports every problem on the
	// block, and returns the settings, whose Open opens the store. It is
	// called when the pipeline loads; what it returns is used only when
	// the block has no problem.
	Decode func(*settings.Block) Config
}
