package bus

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/filedge/filedge/pkg/settings"
)

// Config is a bus's settings: the struct its type decodes from the bus:
// block of pipeline.yaml (Info.Decode), with the environment's values
// already expanded. It is the factory of the bus it describes.
type Config interface {
	// Open connects to the bus, waiting for nothing: an error wrapping
	// ErrInvalidConfig says no retry can work; any other may go away once
	// the bus can be reached. The caller closes the bus.
	Open(ctx context.Context, env Env) (Bus, error)
	// String describes the bus for messages and logs (the servers, a data
	// dir); it never holds a credential.
	String() string
}

// Env is what Config.Open needs that is not a setting.
type Env struct {
	// Logger receives what the bus logs; nil logs nothing.
	Logger *slog.Logger
	// OnHealth, when set, is told the health of what the bus runs itself
	// (an embedded server's store): the error that broke it, nil once it
	// works. Calls come in order; OnHealth must not block.
	OnHealth func(err error)
}

// Info describes a registered bus type.
type Info struct {
	// Type is the name pipeline.yaml's bus.type gives (nats, kafka), lower
	// case.
	Type string
	// Label is the type's name for people (NATS JetStream).
	Label string
	// Decode reads the type's keys from the bus: block (the pipeline reads
	// type), reports every problem on the block, and returns the settings,
	// whose Open opens the bus. It is called once when the pipeline loads;
	// what it returns is used only when the block has no problem.
	Decode func(*settings.Block) Config
	// EnvSecrets, if set, returns the credentials that the environment
	// variables the type reads hold (FILEDGE_NATS_URL), looked up with
	// getenv, so that a process can scrub them before it loads its
	// pipeline.
	EnvSecrets func(getenv func(string) string) []string
}

// Embedder is a Config whose bus can run inside the process (`filedge
// run`): NATS starts a server on its data dir.
type Embedder interface {
	// OpenEmbedded starts the bus in the process and connects to it. The
	// bus's Close stops it.
	OpenEmbedded(ctx context.Context, env Env) (Bus, error)
}

// Credentialed is a Config that holds credentials outside its
// settings.Secret fields (a NATS server list, where each server may carry a
// user and password). Credentials returns them, for the process's
// scrubber.
type Credentialed interface {
	Credentials() []string
}

// Pinger is a Bus that can check that its broker answers, for readiness
// reports.
type Pinger interface {
	// Ping returns nil when the broker answers, and why not otherwise.
	Ping(ctx context.Context) error
}

// Tables is a Bus that keeps durable tables beside its messages: the
// watcher keeps its state in one (see services/watcher.StateStore).
type Tables interface {
	// Table opens the table named name (see CheckTableName), creating it
	// if needed.
	Table(ctx context.Context, name string) (Table, error)
}

// Table is a durable map of keys (see CheckTableKey) to values. It is safe
// for concurrent use.
type Table interface {
	// Get returns the value of key, or an error wrapping ErrNotFound.
	Get(ctx context.Context, key string) ([]byte, error)
	// Put sets the value of key once the bus has stored it. A value larger
	// than the bus accepts fails with an error wrapping ErrTooLarge.
	Put(ctx context.Context, key string, value []byte) error
	// Delete removes key; deleting a key without a value is not an error.
	Delete(ctx context.Context, key string) error
	// Range calls fn with every key and its value, in no set order, reading
	// the table in one pass (a watcher loading its state at start); it
	// stops at fn's first error and returns it.
	Range(ctx context.Context, fn func(key string, value []byte) error) error
}

var registry = struct {
	sync.RWMutex
	m map[string]Info
}{m: map[string]Info{}}

// Register makes a bus type available. It panics on an empty, upper-case
// or duplicate type or a missing Decode, so that a mistake fails at
// start-up. Buses call it from init.
func Register(info Info) {
	registry.Lock()
	defer registry.Unlock()
	if info.Type == "" || info.Type != strings.ToLower(info.Type) || info.Decode == nil {
		panic(fmt.Sprintf("bus: Register needs a lower-case type and a Decode, not %q", info.Type))
	}
	if _, dup := registry.m[info.Type]; dup {
		panic(fmt.Sprintf("bus: %q registered twice", info.Type))
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
