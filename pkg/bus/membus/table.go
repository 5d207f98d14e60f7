package membus

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/filedge/filedge/pkg/bus"
)

// Table opens the table named name (letters, digits, '-' and '_'),
// creating it if needed.
func (c *Bus) Table(ctx context.Context, name string) (bus.Table, error) {
	if c.closed.Load() {
		return nil, c.errClosed("table " + name)
	}
	if err := bus.CheckTableName(name); err != nil {
		return nil, fmt.Errorf("membus: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("membus: table %q: %w", name, err)
	}
	c.br.mu.Lock()
	defer c.br.mu.Unlock()
	if c.br.tables[name] == nil {
		c.br.tables[name] = make(map[string][]byte)
	}
	return &table{c: c, name: name}, nil
}

// table is a table of a Broker.
type table struct {
	c    *Bus
	name string
}

// op checks the client, ctx and key (unless key is ""), then runs f on the
// table under the broker's lock.
func (t *table) op(ctx context.Context, what, key string, f func(m map[string][]byte) error) error {
	if t.c.closed.Load() {
		return t.c.errClosed(what + " " + t.name + "/" + key)
	}
	if key != "" {
		if err := bus.CheckTableKey(key); err != nil {
			return fmt.Errorf("membus: %s %s: %w", what, t.name, err)
		}
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("membus: %s %s/%s: %w", what, t.name, key, err)
	}
	t.c.br.mu.Lock()
	defer t.c.br.mu.Unlock()
	return f(t.c.br.tables[t.name])
}

// Get returns a copy of key's value, or an error wrapping bus.ErrNotFound.
func (t *table) Get(ctx context.Context, key string) ([]byte, error) {
	if key == "" {
		return nil, fmt.Errorf("membus: get %s: %w: empty key", t.name, bus.ErrInvalidAddress)
	}
	var v []byte
	err := t.op(ctx, "get", key, func(m map[string][]byte) error {
		var ok bool
		if v, ok = m[key]; !ok {
			return fmt.Errorf("membus: get %s/%s: %w", t.name, key, bus.ErrNotFound)
		}
		v = slices.Clone(v)
		return nil
	})
	return v, err
}

// Put sets key's value to a copy of value.
func (t *table) Put(ctx context.Context, key string, value []byte) error {
	if key == "" {
		return fmt.Errorf("membus: put %s: %w: empty key", t.name, bus.ErrInvalidAddress)
	}
	if len(value) > t.c.br.opts.MaxPayload {
		return fmt.Errorf("membus: put %s/%s: %d bytes: %w", t.name, key, len(value), ErrTooLarge)
	}
	return t.op(ctx, "put", key, func(m map[string][]byte) error {
		m[key] = append([]byte{}, value...)
		return nil
	})
}

// Delete removes key; deleting a key without a value is not an error.
func (t *table) Delete(ctx context.Context, key string) error {
	if key == "" {
		return fmt.Errorf("membus: delete %s: %w: empty key", t.name, bus.ErrInvalidAddress)
	}
	return t.op(ctx, "delete", key, func(m map[string][]byte) error {
		delete(m, key)
		return nil
	})
}

// Range calls fn with a copy of every key and value, in key order.
func (t *table) Range(ctx context.Context, fn func(key string, value []byte) error) error {
	var snapshot map[string][]byte
	if err := t.op(ctx, "range", "", func(m map[string][]byte) error {
		snapshot = maps.Clone(m)
		return nil
	}); err != nil {
		return err
	}
	for _, k := range slices.Sorted(maps.Keys(snapshot)) {
		if err := fn(k, slices.Clone(snapshot[k])); err != nil {
			return err
		}
	}
	return nil
}
