package natsbus

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/filedge/filedge/pkg/bus"
)

// Table opens (creating it if needed) the JetStream key-value bucket named
// name: file storage, one revision per key, the bus's replicas.
func (b *Bus) Table(ctx context.Context, name string) (bus.Table, error) {
	if b.closed.Load() {
		return nil, fmt.Errorf("natsbus: table %s: %w", name, bus.ErrClosed)
	}
	if err := bus.CheckTableName(name); err != nil {
		return nil, fmt.Errorf("natsbus: %w", err)
	}
	kv, err := b.js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      name,
		Description: "filedge state",
		History:     1,
		Storage:     jetstream.FileStorage,
		Replicas:    b.replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("natsbus: key-value bucket %q: %w", name, classify(err))
	}
	return &table{b: b, name: name, kv: kv}, nil
}

// table is a bus.Table on a JetStream bucket.
type table struct {
	b    *Bus
	name string
	kv   jetstream.KeyValue
}

// check refuses a key the contract does not allow, and any operation on a
// closed bus.
func (t *table) check(what, key string) error {
	if t.b.closed.Load() {
		return fmt.Errorf("natsbus: %s %s/%s: %w", what, t.name, key, bus.ErrClosed)
	}
	if err := bus.CheckTableKey(key); err != nil {
		return fmt.Errorf("natsbus: %s %s: %w", what, t.name, err)
	}
	return nil
}

// Get returns the value of key, or an error wrapping bus.ErrNotFound if the
// key has no value or was deleted.
func (t *table) Get(ctx context.Context, key string) ([]byte, error) {
	if err := t.check("get", key); err != nil {
		return nil, err
	}
	e, err := t.kv.Get(ctx, key)
	if err != nil {
		if errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrKeyDeleted) {
			return nil, fmt.Errorf("natsbus: get %s/%s: %w", t.name, key, bus.ErrNotFound)
		}
		return nil, fmt.Errorf("natsbus: get %s/%s: %w", t.name, key, classify(err))
	}
	return e.Value(), nil
}

// Put sets the value of key.
func (t *table) Put(ctx context.Context, key string, value []byte) error {
	if err := t.check("put", key); err != nil {
		return err
	}
	if _, err := t.kv.Put(ctx, key, value); err != nil {
		return fmt.Errorf("natsbus: put %s/%s (%d bytes): %w", t.name, key, len(value), classify(err))
	}
	return nil
}

// Delete removes key; deleting a key without a value is not an error.
func (t *table) Delete(ctx context.Context, key string) error {
	if err := t.check("delete", key); err != nil {
		return err
	}
	if err := t.kv.Delete(ctx, key); err != nil {
		return fmt.Errorf("natsbus: delete %s/%s: %w", t.name, key, classify(err))
	}
	return nil
}

// Range calls fn with every key and its value, reading the bucket in one
// pass (a watch of every key's latest value, without deleted keys).
func (t *table) Range(ctx context.Context, fn func(key string, value []byte) error) error {
	if t.b.closed.Load() {
		return fmt.Errorf("natsbus: range %s: %w", t.name, bus.ErrClosed)
	}
	w, err := t.kv.WatchAll(ctx, jetstream.IgnoreDeletes())
	if err != nil {
		return fmt.Errorf("natsbus: range %s: %w", t.name, classify(err))
	}
	defer func() { _ = w.Stop() }()
	for {
		select {
		case e := <-w.Updates():
			if e == nil { // every key seen
				return nil
			}
			if err := fn(e.Key(), e.Value()); err != nil {
				return err
			}
		case <-ctx.Done():
			return fmt.Errorf("natsbus: range %s: %w", t.name, ctx.Err())
		}
	}
}
