package natsbus

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/filedge/filedge/pkg/bus"
)

// KeyValue opens the JetStream key-value bucket named bucket (letters,
// digits, '-' and '_'), creating it, or updating its settings, if needed:
// file storage, one revision per key.
func (b *Bus) KeyValue(ctx context.Context, bucket string) (bus.KeyValue, error) {
	if b.closed.Load() {
		return nil, fmt.Errorf("natsbus: key-value bucket %q: %w", bucket, bus.ErrClosed)
	}
	if bucket == "" || strings.ContainsFunc(bucket, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_')
	}) {
		return nil, fmt.Errorf("%w: key-value bucket %q (want letters, digits, '-' and '_')", ErrInvalidAddress, bucket)
	}
	kv, err := b.js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      bucket,
		Description: "filedge state",
		History:     1,
		Storage:     jetstream.FileStorage,
		Replicas:    b.replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("natsbus: key-value bucket %q: %w", bucket, classify(err))
	}
	return &keyValue{bucket: bucket, kv: kv}, nil
}

// keyValue is a bus.KeyValue on a JetStream bucket.
type keyValue struct {
	bucket string
	kv     jetstream.KeyValue
}

// Get returns the value of key, or an error wrapping bus.ErrNotFound if the
// key has no value or was deleted.
func (k *keyValue) Get(ctx context.Context, key string) ([]byte, error) {
	e, err := k.kv.Get(ctx, key)
	if err != nil {
		if errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrKeyDeleted) {
			return nil, fmt.Errorf("natsbus: get %s/%s: %w", k.bucket, key, bus.ErrNotFound)
		}
		return nil, fmt.Errorf("natsbus: get %s/%s: %w", k.bucket, key, classify(err))
	}
	return e.Value(), nil
}

// Put sets the value of key.
func (k *keyValue) Put(ctx context.Context, key string, value []byte) error {
	if _, err := k.kv.Put(ctx, key, value); err != nil {
		return fmt.Errorf("natsbus: put %s/%s (%d bytes): %w", k.bucket, key, len(value), classify(err))
	}
	return nil
}

// Delete removes key; deleting a key without a value is not an error.
func (k *keyValue) Delete(ctx context.Context, key string) error {
	if err := k.kv.Delete(ctx, key); err != nil {
		return fmt.Errorf("natsbus: delete %s/%s: %w", k.bucket, key, classify(err))
	}
	return nil
}

// Keys lists the keys that hold a value; an empty bucket has none.
func (k *keyValue) Keys(ctx context.Context) ([]string, error) {
	keys, err := k.kv.Keys(ctx)
	if errors.Is(err, jetstream.ErrNoKeysFound) {
		return []string{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("natsbus: keys of %s: %w", k.bucket, classify(err))
	}
	return keys, nil
}
