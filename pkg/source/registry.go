package source

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"sync"
)

// ErrNotExist is wrapped by errors for files that do not exist.
var ErrNotExist = fs.ErrNotExist

// ErrUnknownType is returned by Open for a type no package registered.
var ErrUnknownType = errors.New("unknown source type")

var registry = struct {
	sync.RWMutex
	m map[string]Factory
}{m: map[string]Factory{}}

// Register makes a source type available; it panics on a duplicate.
func Register(typ string, f Factory) {
	registry.Lock()
	defer registry.Unlock()
	if _, dup := registry.m[typ]; dup || typ == "" || f == nil {
		panic(fmt.Sprintf("source: bad or duplicate registration %q", typ))
	}
	registry.m[typ] = f
}

// Open opens a source of a registered type.
func Open(ctx context.Context, cfg Config) (Source, error) {
	registry.RLock()
	f, ok := registry.m[cfg.Type]
	registry.RUnlock()
	if !ok {
		return nil, fmt.Errorf("source: %w: %q", ErrUnknownType, cfg.Type)
	}
	return f(ctx, cfg)
}
