package format

import (
	"fmt"
	"path"
	"sort"
	"strings"
	"sync"
)

var registry = struct {
	sync.RWMutex
	byCode map[string]registered
	byExt  map[string]string
}{byCode: map[string]registered{}, byExt: map[string]string{}}

type registered struct {
	info Info
	new  Factory
}

// Register makes a format available by code and extension. It panics on an
// empty or duplicate code or extension, so that a mistake fails at start-up.
// Formats call it from init.
func Register(info Info, f Factory) {
	registry.Lock()
	defer registry.Unlock()
	if info.Code == "" || f == nil {
		panic("format: Register needs a code and a factory")
	}
	if _, dup := registry.byCode[info.Code]; dup {
		panic(fmt.Sprintf("format: %q registered twice", info.Code))
	}
	for _, ext := range info.Extensions {
		if ext != strings.ToLower(ext) || !strings.HasPrefix(ext, ".") {
			panic(fmt.Sprintf("format: %q: extension %q must be lower case and start with a dot", info.Code, ext))
		}
		if other, dup := registry.byExt[ext]; dup {
			panic(fmt.Sprintf("format: extension %q claimed by %q and %q", ext, other, info.Code))
		}
	}
	for _, ext := range info.Extensions {
		registry.byExt[ext] = info.Code
	}
	registry.byCode[info.Code] = registered{info, f}
}

// Lookup returns the format registered under code.
func Lookup(code string) (Info, Factory, bool) {
	registry.RLock()
	defer registry.RUnlock()
	r, ok := registry.byCode[strings.ToLower(code)]
	return r.info, r.new, ok
}

// ForPath returns the format that reads the file at p, by its extension,
// or ok false when no format claims it.
func ForPath(p string) (Info, Factory, bool) {
	registry.RLock()
	code, ok := registry.byExt[strings.ToLower(path.Ext(p))]
	registry.RUnlock()
	if !ok {
		return Info{}, nil, false
	}
	return Lookup(code)
}

// Formats lists the registered formats, by code.
func Formats() []Info {
	registry.RLock()
	defer registry.RUnlock()
	out := make([]Info, 0, len(registry.byCode))
	for _, r := range registry.byCode {
		out = append(out, r.info)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out
}
