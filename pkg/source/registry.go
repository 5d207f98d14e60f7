package source

import (
	"fmt"
	"io/fs"
	"maps"
	"slices"
	"strings"
	"sync"
)

// ErrNotExist is wrapped by errors for files that do not exist.
var ErrNotExist = fs.ErrNotExist

var registry = struct {
	sync.RWMutex
	m map[string]Info
}{m: map[string]Info{}}

// Register makes a source type available. It panics on an empty,
// upper-case or duplicate type or a missing Decode, so that a mistake
// fails at start-up. Sources call it from init.
func Register(info Info) {
	registry.Lock()
	defer registry.Unlock()
	if info.Type == "" || info.Type != strings.ToLower(info.Type) || info.Decode == nil {
		panic(fmt.Sprintf("source: Register needs a lower-case type and a Decode, not %q", info.Type))
	}
	if _, dup := registry.m[info.Type]; dup {
		panic(fmt.Sprintf("source: %q registered twice", info.Type))
	}
	registry.m[info.Type] = info
}

// Lookup returns the registered type typ (in any case).
func Lookup(typ string) (Info, bool) {
	registry.RLock()
	defer registry.RUnlock()
	info, ok := registry.m[strings.ToLower(typ)]
	return info, ok
}

// Types lists the registered types, sorted.
func Types() []string {
	registry.RLock()
	defer registry.RUnlock()
	return slices.Sorted(maps.Keys(registry.m))
}
