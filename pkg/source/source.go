package source

import (
	"context"
	"io"
	"time"
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

// Notifier is a Source that can report changes as they happen, so that the
// watcher need not wait for its next scan.
type Notifier interface {
	// Notify sends the path of every file created or written under the
	// root to ch until ctx is done. It may miss events (the watcher rescans
	// periodically); it must not block the store when ch is full.
	Notify(ctx context.Context, ch chan<- string) error
}

// Config configures a source, from pipeline.yaml's source: block.
type Config struct {
	Type string // local
	Path string // absolute, resolved against the pipeline file's folder
}

// Factory opens a source.
type Factory func(ctx context.Context, cfg Config) (Source, error)
