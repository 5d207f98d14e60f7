package membus

import (
	"context"
	"fmt"
	"slices"

	"github.com/filedge/filedge/pkg/bus"
)

// KeyValue opens the bucket named bucket (letters, digits, '-' and '_'),
// creating it if needed.
func (c *Bus) KeyValue(ctx context.Context, bucket string) (bus.KeyValue, error) {
	if c.closed.Load() {
		return nil, c.errClosed("key-value bucket " + bucket)
	}
	if err := checkBucket(bucket); err != nil {
		return nil, fmt.Errorf("membus: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("membus: key-value bucket %q: %w", bucket, err)
	}
	c.br.mu.Lock()
	defer c.br.mu.Unlock()
	if c.br.buckets[bucket] == nil {
		c.br.buckets[bucket] = make(map[string][]byte)
	}
	return &keyValue{c: c, bucket: bucket}, nil
}

// keyValue is a bucket of a Broker.
type keyValue struct {
	c      *Bus
	bucket string
}

// op checks the client, ctx and key, then runs f on the bucket under the
// broker's lock.
func (k *keyValue) op(ctx context.Context, what, key string, f func(b map[string][]byte) error) error {
	if k.c.closed.Load() {
		return k.c.errClosed(what + " " + k.bucket + "/" + key)
	}
	if what != "keys" {
		if err := checkKey(key); err != nil {
			return fmt.Errorf("membus: %s %s: %w", what, k.bucket, err)
		}
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("membus: %s %s/%s: %w", what, k.bucket, key, err)
	}
	k.c.br.mu.Lock()
	defer k.c.br.mu.Unlock()
	return f(k.c.br.buckets[k.bucket])
}

// Get returns a copy of key's value, or an error wrapping bus.ErrNotFound.
func (k *keyValue) Get(ctx context.Context, key string) ([]byte, error) {
	var v []byte
	err := k.op(ctx, "get", key, func(b map[string][]byte) error {
		var ok bool
		if v, ok = b[key]; !ok {
			return fmt.Errorf("membus: get %s/%s: %w", k.bucket, key, bus.ErrNotFound)
		}
		v = slices.Clone(v)
		return nil
	})
	return v, err
}

// Put sets key's value to a copy of value.
func (k *keyValue) Put(ctx context.Context, key string, value []byte) error {
	if len(value) > k.c.br.opts.MaxPayload {
		return fmt.Errorf("membus: put %s/%s: %d bytes: %w", k.bucket, key, len(value), ErrTooLarge)
	}
	return k.op(ctx, "put", key, func(b map[string][]byte) error {
		b[key] = append([]byte{}, value...)
		return nil
	})
}

// Delete removes key; deleting a key without a value is not an error.
func (k *keyValue) Delete(ctx context.Context, key string) error {
	return k.op(ctx, "delete", key, func(b map[string][]byte) error {
		delete(b, key)
		return nil
	})
}

// Keys lists the keys that hold a value, sorted.
func (k *keyValue) Keys(ctx context.Context) ([]string, error) {
	keys := []string{}
	err := k.op(ctx, "keys", "", func(b map[string][]byte) error {
		for key := range b {
			keys = append(keys, key)
		}
		slices.Sort(keys)
		return nil
	})
	return keys, err
}
