package watcher_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/filedge/filedge/pkg/bus"
	"github.com/filedge/filedge/services/watcher"
)

var (
	errInjected = errors.New("injected failure")
	bucketName  = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
	keyName     = regexp.MustCompile(`^[A-Za-z0-9_=.-]+$`)
)

// fakeBus is a bus.Bus that records every FileDiscovered published, can
// fail chosen publishes and key-value writes, and keeps its buckets in
// memory. It checks messages and names as the real buses do.
type fakeBus struct {
	mu        sync.Mutex
	published []bus.FileDiscovered // every successful publish, repeats included
	changed   chan struct{}        // closed and replaced on every publish
	failPub   map[string]int       // path → publishes still to fail
	failPut   map[string]int       // key → puts still to fail
	buckets   map[string]*fakeKV
	down      bool // every publish and key-value call fails, as in an outage
	attempts  int  // publishes tried while down
}

// errDown is what every call returns while the fake bus is down.
var errDown = errors.New("nats: no responders available for request")

// setDown starts or ends an outage.
func (b *fakeBus) setDown(down bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.down = down
}

// attemptsWhileDown returns how many publishes were tried while down.
func (b *fakeBus) attemptsWhileDown() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.attempts
}

func newFakeBus() *fakeBus {
	return &fakeBus{
		changed: make(chan struct{}),
		failPub: map[string]int{},
		failPut: map[string]int{},
		buckets: map[string]*fakeKV{},
	}
}

func (b *fakeBus) Publish(ctx context.Context, m *bus.Message) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	var f bus.FileDiscovered
	if err := bus.Decode(m, bus.TypeFileDiscovered, &f); err != nil {
		return err
	}
	if m.Topic != bus.Files || m.Pipeline != f.Pipeline || m.ID != f.Version || m.Key != f.Path || m.Scope != "" || f.SourcePath() == "" {
		return fmt.Errorf("fake bus: badly addressed message %+v", m)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.down {
		b.attempts++
		return errDown
	}
	if b.failPub[f.Path] > 0 {
		b.failPub[f.Path]--
		return errInjected
	}
	b.published = append(b.published, f)
	close(b.changed)
	b.changed = make(chan struct{})
	return nil
}

func (b *fakeBus) Consume(context.Context, bus.ConsumerConfig, bus.Handler) error {
	return errors.ErrUnsupported
}

func (b *fakeBus) Read(context.Context, string, string) (bus.Cursor, error) {
	return nil, errors.ErrUnsupported
}

func (b *fakeBus) Capabilities() bus.Capabilities { return bus.Capabilities{MaxPayload: 1 << 20} }

func (b *fakeBus) Table(ctx context.Context, bucket string) (bus.Table, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if !bucketName.MatchString(bucket) {
		return nil, fmt.Errorf("fake bus: bad bucket name %q", bucket)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	kv := b.buckets[bucket]
	if kv == nil {
		kv = &fakeKV{bus: b, m: map[string][]byte{}}
		b.buckets[bucket] = kv
	}
	return kv, nil
}

func (b *fakeBus) Close() error { return nil }

// state returns the value of key in bucket.
func (b *fakeBus) state(bucket, key string) ([]byte, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	kv := b.buckets[bucket]
	if kv == nil {
		return nil, false
	}
	v, ok := kv.m[key]
	return v, ok
}

// publishes returns a copy of every publish so far.
func (b *fakeBus) publishes() []bus.FileDiscovered {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]bus.FileDiscovered(nil), b.published...)
}

// publishesOf returns the publishes of path.
func (b *fakeBus) publishesOf(path string) []bus.FileDiscovered {
	var fs []bus.FileDiscovered
	for _, f := range b.publishes() {
		if f.Path == path {
			fs = append(fs, f)
		}
	}
	return fs
}

// waitFor waits until path has been published n times and returns its
// publishes.
func (b *fakeBus) waitFor(t *testing.T, path string, n int, timeout time.Duration) []bus.FileDiscovered {
	t.Helper()
	deadline := time.After(timeout)
	for {
		b.mu.Lock()
		changed := b.changed
		b.mu.Unlock()
		if fs := b.publishesOf(path); len(fs) >= n {
			return fs
		}
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("%s was published %d times within %v, want %d", path, len(b.publishesOf(path)), timeout, n)
		}
	}
}

// waitForSize waits until the last publish of path has the given size.
func (b *fakeBus) waitForSize(t *testing.T, path string, size int64, timeout time.Duration) {
	t.Helper()
	deadline := time.After(timeout)
	for {
		b.mu.Lock()
		changed := b.changed
		b.mu.Unlock()
		if fs := b.publishesOf(path); len(fs) > 0 && fs[len(fs)-1].Size == size {
			return
		}
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("%s was not published with size %d within %v; publishes: %+v", path, size, timeout, b.publishesOf(path))
		}
	}
}

// fakeKV is one in-memory bucket.
type fakeKV struct {
	bus *fakeBus
	m   map[string][]byte
}

func (kv *fakeKV) Get(ctx context.Context, key string) ([]byte, error) {
	if err := kv.check(ctx, key); err != nil {
		return nil, err
	}
	kv.bus.mu.Lock()
	defer kv.bus.mu.Unlock()
	v, ok := kv.m[key]
	if !ok {
		return nil, bus.ErrNotFound
	}
	return append([]byte(nil), v...), nil
}

func (kv *fakeKV) Put(ctx context.Context, key string, value []byte) error {
	if err := kv.check(ctx, key); err != nil {
		return err
	}
	kv.bus.mu.Lock()
	defer kv.bus.mu.Unlock()
	if kv.bus.failPut[key] > 0 {
		kv.bus.failPut[key]--
		return errInjected
	}
	kv.m[key] = append([]byte(nil), value...)
	return nil
}

func (kv *fakeKV) Delete(ctx context.Context, key string) error {
	if err := kv.check(ctx, key); err != nil {
		return err
	}
	kv.bus.mu.Lock()
	defer kv.bus.mu.Unlock()
	delete(kv.m, key)
	return nil
}

func (kv *fakeKV) Range(ctx context.Context, fn func(string, []byte) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	kv.bus.mu.Lock()
	m := maps.Clone(kv.m)
	kv.bus.mu.Unlock()
	for k, v := range m {
		if err := fn(k, v); err != nil {
			return err
		}
	}
	return nil
}

// stateOf opens the watcher state table of pipeline on b.
func stateOf(t *testing.T, b bus.Bus, pipeline string) watcher.StateStore {
	t.Helper()
	st, err := b.(bus.Tables).Table(t.Context(), watcher.StateTable(pipeline))
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func (kv *fakeKV) check(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	kv.bus.mu.Lock()
	down := kv.bus.down
	kv.bus.mu.Unlock()
	if down {
		return errDown
	}
	if !keyName.MatchString(key) {
		return fmt.Errorf("fake bus: bad key %q", key)
	}
	return nil
}
