package kafkabus_test

import (
	"log/slog"
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/filedge/filedge/pkg/bus"
	"github.com/filedge/filedge/pkg/bus/bustest"
	"github.com/filedge/filedge/pkg/bus/kafkabus"
)

func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// cluster starts a kfake cluster of one broker, closed when the test ends.
func cluster(t testing.TB, opts ...kfake.Opt) *kfake.Cluster {
	t.Helper()
	c, err := kfake.NewCluster(append([]kfake.Opt{kfake.NumBrokers(1)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// connect connects to the cluster c with opts, closed when the test ends.
func connect(t testing.TB, c *kfake.Cluster, opts kafkabus.Options) *kafkabus.Bus {
	t.Helper()
	opts.Brokers = c.ListenAddrs()
	if opts.Logger == nil {
		opts.Logger = testLogger(t)
	}
	if opts.Partitions == 0 {
		opts.Partitions = 4
	}
	b, err := kafkabus.Connect(t.Context(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

func TestConformance(t *testing.T) {
	bustest.Run(t, bustest.Harness{
		New: func(t *testing.T) func(t *testing.T) bus.Bus {
			c := cluster(t)
			return func(t *testing.T) bus.Bus { return connect(t, c, kafkabus.Options{}) }
		},
	})
}
