package destination

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
)

var registry = struct {
	sync.RWMutex
	types map[string]Info   // by type
	names map[string]string // type and aliases, to their type
}{types: map[string]Info{}, names: map[string]string{}}

// Register makes a destination type available under its type and
// aliases. It panics on an empty, upper-case or duplicate type or alias, a
// missing Decode or an undeclared Atomicity, so that a mistake fails at
// start-up. Destinations call it from init.
func Register(info Info) {
	registry.Lock()
	defer registry.Unlock()
	if info.Decode == nil {
		panic(fmt.Sprintf("destination: %q: Register needs a Decode", info.Type))
	}
	if info.Atomicity != AllTables && info.Atomicity != PerTable {
		panic(fmt.Sprintf("destination: %q: declare its Atomicity, AllTables or PerTable", info.Type))
	}
	names := append([]string{info.Type}, info.Aliases...)
	seen := map[string]bool{}
	for _, n := range names {
		if n == "" || n != strings.ToLower(n) {
			panic(fmt.Sprintf("destination: %q: type and aliases must be lower case and not empty, not %q", info.Type, n))
		}
		if other, dup := registry.names[n]; dup {
			panic(fmt.Sprintf("destination: %q claimed by %q and %q", n, other, info.Type))
		}
		if seen[n] {
			panic(fmt.Sprintf("destination: %q: %q given twice", info.Type, n))
		}
		seen[n] = true
	}
	for _, n := range names {
		registry.names[n] = info.Type
	}
	registry.types[info.Type] = info
}

// Lookup returns the registered type that name (a type or an alias, in
// any case) names.
func Lookup(name string) (Info, bool) {
	registry.RLock()
	defer registry.RUnlock()
	info, ok := registry.types[registry.names[strings.ToLower(name)]]
	return info, ok
}

// Types lists the registered types, sorted.
func Types() []string {
	registry.RLock()
	defer registry.RUnlock()
	return slices.Sorted(maps.Keys(registry.types))
}
