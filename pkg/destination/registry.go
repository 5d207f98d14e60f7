package destination

import (
	"context"
	"fmt"
	"sort"
	"sync"
)

var registry = struct {
	sync.RWMutex
	m map[string]registered
}{m: map[string]registered{}}

type registered struct {
	info Info
	open Factory
}

// Register makes a destination type available. It panics on an empty or
// duplicate type. Destinations call it from init.
func Register(info Info, f Factory) {
	registry.Lock()
	defer registry.Unlock()
	if info.Type == "" || f == nil {
		panic("destination: Register needs a type and a factory")
	}
	if _, dup := registry.m[info.Type]; dup {
		panic(fmt.Sprintf("destination: %q registered twice", info.Type))
	}
	registry.m[info.Type] = registered{info, f}
}

// Open opens a destination of a registered type.
func Open(ctx context.Context, cfg Config) (Destination, error) {
	registry.RLock()
	r, ok := registry.m[cfg.Type]
	registry.RUnlock()
	if !ok {
		return nil, fmt.Errorf("destination %q: %w: %q (have %v)", cfg.Name, ErrUnknownType, cfg.Type, Types())
	}
	return r.open(ctx, cfg)
}

// Types lists the registered types.
func Types() []string {
	registry.RLock()
	defer registry.RUnlock()
	var out []string
	for t := range registry.m {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}
