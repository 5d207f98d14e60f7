package natsbus_test

import (
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/filedge/filedge/pkg/bus"
	"github.com/filedge/filedge/pkg/bus/natsbus"
)

// BenchmarkPublish measures acknowledged publishes, one at a time, to an
// embedded server with and without SyncAlways (docs/adr/0002), for a small
// message, a typical record batch and a batch at the default size limit.
func BenchmarkPublish(b *testing.B) {
	for _, sync := range []bool{true, false} {
		for _, size := range []int{1 << 10, 300 << 10, 1 << 20} {
			b.Run(fmt.Sprintf("SyncAlways=%v/%dKiB", sync, size>>10), func(b *testing.B) {
				s := embedded(b, natsbus.EmbeddedOptions{SyncAlways: sync, MaxPayload: 2 << 20})
				nb := connect(b, natsbus.Options{Server: s})
				data := make([]byte, size)
				ctx := b.Context()
				b.SetBytes(int64(size))
				i := 0
				for b.Loop() {
					if err := nb.Publish(ctx, &bus.Message{Topic: bus.Batches, Pipeline: "bench", Scope: "v", ID: fmt.Sprint(i), Data: data}); err != nil {
						b.Fatal(err)
					}
					i++
				}
			})
		}
	}
}

// BenchmarkPublishParallel is BenchmarkPublish with 8 publishers at once,
// as several parser workers publish.
func BenchmarkPublishParallel(b *testing.B) {
	for _, sync := range []bool{true, false} {
		for _, size := range []int{1 << 10, 1 << 20} {
			b.Run(fmt.Sprintf("SyncAlways=%v/%dKiB", sync, size>>10), func(b *testing.B) {
				s := embedded(b, natsbus.EmbeddedOptions{SyncAlways: sync, MaxPayload: 2 << 20})
				nb := connect(b, natsbus.Options{Server: s})
				data := make([]byte, size)
				ctx := b.Context()
				var n atomic.Int64
				b.SetBytes(int64(size))
				b.SetParallelism(8 / runtime.GOMAXPROCS(0))
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						id := fmt.Sprint(n.Add(1))
						if err := nb.Publish(ctx, &bus.Message{Topic: bus.Batches, Pipeline: "bench", Scope: "v", ID: id, Data: data}); err != nil {
							b.Error(err)
							return
						}
					}
				})
			})
		}
	}
}

// BenchmarkReadFile measures what a sink does for one 36 MB file version:
// read its 120 batches of 300 KB through a Read cursor.
func BenchmarkReadFile(b *testing.B) {
	const batches, size = 120, 300 << 10
	s := embedded(b, natsbus.EmbeddedOptions{})
	nb := connect(b, natsbus.Options{Server: s})
	ctx := b.Context()
	data := make([]byte, size)
	for i := range batches {
		if err := nb.Publish(ctx, &bus.Message{Topic: bus.Batches, Pipeline: "bench", Scope: "v", ID: fmt.Sprint(i), Data: data}); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(batches * size)
	for b.Loop() {
		c, err := nb.Read(ctx, "bench", "v")
		if err != nil {
			b.Fatal(err)
		}
		for range batches {
			if _, err := c.Next(ctx); err != nil {
				b.Fatal(err)
			}
		}
		if err := c.Close(); err != nil {
			b.Fatal(err)
		}
	}
}
