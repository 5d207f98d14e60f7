package kafkabus_test

import (
	"fmt"
	"testing"

	"github.com/filedge/filedge/pkg/bus"
	"github.com/filedge/filedge/pkg/bus/kafkabus"
)

// BenchmarkPublish measures acknowledged publishes of record batches, one
// at a time, to an in-process kfake broker: a version's first batch costs
// a second produce (its index entry), the others one.
func BenchmarkPublish(b *testing.B) {
	for _, size := range []int{1 << 10, 300 << 10} {
		b.Run(fmt.Sprintf("%dKiB", size>>10), func(b *testing.B) {
			kb := connect(b, cluster(b), kafkabus.Options{Partitions: 4})
			data := make([]byte, size)
			ctx := b.Context()
			b.SetBytes(int64(size))
			i := 0
			for b.Loop() {
				if err := kb.Publish(ctx, bus.BatchMessage("bench", "v", "t", i, data)); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

// BenchmarkReadFile measures what a sink does for one 36 MB file version
// (120 batches of 300 KB), and for a version of one small batch, where
// opening the cursor (finding the version in the index, a client on its
// partition) is all the cost.
func BenchmarkReadFile(b *testing.B) {
	for _, tc := range []struct {
		name           string
		batches, bytes int
	}{{"36MB", 120, 300 << 10}, {"1KB", 1, 1 << 10}} {
		b.Run(tc.name, func(b *testing.B) {
			c := cluster(b)
			kb := connect(b, c, kafkabus.Options{Partitions: 4})
			ctx := b.Context()
			data := make([]byte, tc.bytes)
			for i := range tc.batches {
				if err := kb.Publish(ctx, bus.BatchMessage("bench", "v", "t", i, data)); err != nil {
					b.Fatal(err)
				}
			}
			reader := connect(b, c, kafkabus.Options{Partitions: 4})
			b.SetBytes(int64(tc.batches * tc.bytes))
			for b.Loop() {
				cur, err := reader.Read(ctx, "bench", "v")
				if err != nil {
					b.Fatal(err)
				}
				for range tc.batches {
					if _, err := cur.Next(ctx); err != nil {
						b.Fatal(err)
					}
				}
				if err := cur.Close(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
