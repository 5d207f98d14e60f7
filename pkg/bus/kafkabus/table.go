package kafkabus

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/filedge/filedge/pkg/bus"
)

// Table opens the table named name: the compacted topic
// <prefix>.state.<name> of one partition (created if missing), read whole
// into memory.
func (b *Bus) Table(ctx context.Context, name string) (bus.Table, error) {
	if b.closed.Load() {
		return nil, errClosed("table " + name)
	}
	if err := bus.CheckTableName(name); err != nil {
		return nil, fmt.Errorf("kafkabus: %w", err)
	}
	topic := b.opts.TopicPrefix + ".state." + name
	compact := "compact"
	if _, err := b.ensure(ctx, []topicSpec{{name: topic, partitions: 1, configs: map[string]*string{"cleanup.policy": &compact}}}); err != nil {
		return nil, err
	}
	f, err := b.load(ctx, topic, false)
	if err != nil {
		return nil, err
	}
	return &table{b: b, name: name, topic: topic, f: f}, nil
}

// table is a bus.Table on a compacted topic.
type table struct {
	b     *Bus
	name  string
	topic string
	f     *follower
}

// check refuses a key the contract does not allow, and any operation on a
// closed bus.
func (t *table) check(what, key string) error {
	if t.b.closed.Load() {
		return errClosed(what + " " + t.name + "/" + key)
	}
	if err := bus.CheckTableKey(key); err != nil {
		return fmt.Errorf("kafkabus: %s %s: %w", what, t.name, err)
	}
	return nil
}

// Get returns the value of key, or an error wrapping bus.ErrNotFound.
func (t *table) Get(ctx context.Context, key string) ([]byte, error) {
	if err := t.check("get", key); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("kafkabus: get %s/%s: %w", t.name, key, err)
	}
	v, ok := t.f.get(key)
	if !ok {
		return nil, fmt.Errorf("kafkabus: get %s/%s: %w", t.name, key, bus.ErrNotFound)
	}
	return slices.Clone(v), nil
}

// Put produces key's new value and waits for the acknowledgement.
func (t *table) Put(ctx context.Context, key string, value []byte) error {
	if err := t.check("put", key); err != nil {
		return err
	}
	if value == nil {
		value = []byte{} // a nil value is a tombstone
	}
	return t.write(ctx, "put", key, slices.Clone(value))
}

// Delete produces a tombstone for key and waits for the acknowledgement.
func (t *table) Delete(ctx context.Context, key string) error {
	if err := t.check("delete", key); err != nil {
		return err
	}
	if _, ok := t.f.get(key); !ok {
		return nil
	}
	return t.write(ctx, "delete", key, nil)
}

func (t *table) write(ctx context.Context, what, key string, value []byte) error {
	if n := len(key) + len(value); n > t.b.maxPayload {
		return fmt.Errorf("kafkabus: %s %s/%s: %d bytes, over %d: %w", what, t.name, key, n, t.b.maxPayload, ErrTooLarge)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("kafkabus: %s %s/%s: %w", what, t.name, key, err)
	}
	if err := t.b.produce(ctx, &kgo.Record{Topic: t.topic, Partition: 0, Key: []byte(key), Value: value}); err != nil {
		return fmt.Errorf("kafkabus: %s %s/%s (%d bytes): %w", what, t.name, key, len(value), err)
	}
	t.f.set(key, value)
	return nil
}

// Range calls fn with every key and its value, in key order, from the
// table's copy in memory.
func (t *table) Range(ctx context.Context, fn func(key string, value []byte) error) error {
	if t.b.closed.Load() {
		return errClosed("range " + t.name)
	}
	m := t.f.snapshot()
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("kafkabus: range %s: %w", t.name, err)
		}
		if err := fn(k, slices.Clone(m[k])); err != nil {
			return err
		}
	}
	return nil
}
