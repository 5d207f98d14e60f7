package kafkabus

import (
	"context"
	"fmt"
	"maps"
	"sync"

	"github.com/twmb/franz-go/pkg/kgo"
)

// follower holds the latest value of every key of a compacted topic of one
// partition: read from the start to the end the topic had when it was
// loaded, then, when it follows, kept up to date as records come. A record
// without a value (a tombstone) removes its key. It is safe for concurrent
// use.
type follower struct {
	b     *Bus
	topic string

	mu      sync.Mutex
	m       map[string][]byte
	changed chan struct{} // closed (and replaced) on every change
	err     error         // why following stopped

	cl     *kgo.Client // nil once loaded, unless following
	cancel context.CancelFunc
	done   chan struct{} // closed when following stopped
}

// load reads topic, partition 0, from its start to its end now; with
// follow it goes on reading in the background until stop or Close.
func (b *Bus) load(ctx context.Context, topic string, follow bool) (*follower, error) {
	f := &follower{b: b, topic: topic, m: map[string][]byte{}, changed: make(chan struct{}), done: make(chan struct{})}
	start, end, err := b.bounds(ctx, topic, 0)
	if err != nil {
		return nil, fmt.Errorf("kafkabus: read %s: %w", topic, classify(err))
	}
	cl, err := b.newClient(kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: {0: kgo.NewOffset().AtStart()}}))
	if err != nil {
		return nil, fmt.Errorf("kafkabus: read %s: %w", topic, err)
	}
	next := start - 1 // the last offset read
	for next < end-1 {
		fetches := cl.PollFetches(ctx)
		if err := fetchError(fetches); err != nil {
			b.closeClient(cl)
			if ctx.Err() != nil {
				err = ctx.Err()
			}
			return nil, fmt.Errorf("kafkabus: read %s: %w", topic, classify(err))
		}
		fetches.EachRecord(func(r *kgo.Record) {
			f.apply(r)
			next = r.Offset
		})
	}
	if !follow {
		b.closeClient(cl)
		close(f.done)
		return f, nil
	}
	f.cl = cl
	var rctx context.Context
	rctx, f.cancel = context.WithCancel(context.Background())
	go f.follow(rctx)
	return f, nil
}

// fetchError returns the first error of fetches that is not an empty poll
// of a partition.
func fetchError(fetches kgo.Fetches) error {
	var first error
	fetches.EachError(func(_ string, _ int32, err error) {
		if first == nil {
			first = err
		}
	})
	return first
}

// follow reads on until ctx ends or the client is closed.
func (f *follower) follow(ctx context.Context) {
	defer close(f.done)
	for {
		fetches := f.cl.PollFetches(ctx)
		if ctx.Err() != nil || fetches.IsClientClosed() {
			f.stopped(errClosed("follow " + f.topic))
			return
		}
		if err := fetchError(fetches); err != nil {
			// franz-go retries what can be retried; say it and go on.
			f.b.log.Warn("reading the offset index failed; retrying", "topic", f.topic, "err", err)
			if !f.b.sleep(ctx, readRetry) {
				f.stopped(errClosed("follow " + f.topic))
				return
			}
		}
		f.mu.Lock()
		fetches.EachRecord(f.applyLocked)
		f.changedLocked()
		f.mu.Unlock()
	}
}

// stopped records why following stopped and wakes every waiter.
func (f *follower) stopped(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.err = err
	f.changedLocked()
}

// stop stops following and waits until it has.
func (f *follower) stop() {
	if f.cancel != nil {
		f.cancel()
		f.b.closeClient(f.cl)
	}
	<-f.done
}

func (f *follower) changedLocked() {
	close(f.changed)
	f.changed = make(chan struct{})
}

func (f *follower) apply(r *kgo.Record) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.applyLocked(r)
}

func (f *follower) applyLocked(r *kgo.Record) {
	if r.Value == nil {
		delete(f.m, string(r.Key))
		return
	}
	f.m[string(r.Key)] = r.Value
}

// get returns the value of key.
func (f *follower) get(key string) ([]byte, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	v, ok := f.m[key]
	return v, ok
}

// set records that key now holds value (nil: none), as the holder's own
// write.
func (f *follower) set(key string, value []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if value == nil {
		delete(f.m, key)
	} else {
		f.m[key] = value
	}
	f.changedLocked()
}

// snapshot returns a copy of the map.
func (f *follower) snapshot() map[string][]byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return maps.Clone(f.m)
}

// wait returns the value of key once it has one, waiting for it until ctx
// is done or following stops.
func (f *follower) wait(ctx context.Context, key string) ([]byte, error) {
	for {
		f.mu.Lock()
		v, ok := f.m[key]
		ch, err := f.changed, f.err
		f.mu.Unlock()
		switch {
		case ok:
			return v, nil
		case err != nil:
			return nil, err
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// bounds returns the log start and end offsets of a partition.
func (b *Bus) bounds(ctx context.Context, topic string, p int32) (start, end int64, err error) {
	starts, err := b.adm.ListStartOffsets(ctx, topic)
	if err == nil {
		err = starts.Error()
	}
	if err != nil {
		return 0, 0, err
	}
	ends, err := b.adm.ListEndOffsets(ctx, topic)
	if err == nil {
		err = ends.Error()
	}
	if err != nil {
		return 0, 0, err
	}
	s, _ := starts.Lookup(topic, p)
	e, _ := ends.Lookup(topic, p)
	return s.Offset, e.Offset, nil
}
