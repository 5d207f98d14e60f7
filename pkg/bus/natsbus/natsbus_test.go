package natsbus_test

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/filedge/filedge/pkg/bus"
	"github.com/filedge/filedge/pkg/bus/bustest"
	"github.com/filedge/filedge/pkg/bus/natsbus"
)

func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// embedded starts an embedded server on a temporary directory, shut down
// when the test ends.
func embedded(t testing.TB, opts natsbus.EmbeddedOptions) *natsbus.Embedded {
	t.Helper()
	if opts.DataDir == "" {
		opts.DataDir = t.TempDir()
	}
	s, err := natsbus.StartEmbedded(t.Context(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Shutdown)
	return s
}

func connect(t testing.TB, opts natsbus.Options) *natsbus.Bus {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = testLogger(t)
	}
	b, err := natsbus.Connect(t.Context(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

func TestConformanceEmbedded(t *testing.T) {
	bustest.Run(t, bustest.Harness{
		New: func(t *testing.T) func(t *testing.T) bus.Bus {
			s := embedded(t, natsbus.EmbeddedOptions{Port: -1})
			return func(t *testing.T) bus.Bus { return connect(t, natsbus.Options{Server: s}) }
		},
	})
}

// TestConformanceExternal runs the suite against the server at
// FILEDGE_NATS_URL, isolating each test by its pipelines and removing what
// they leave.
func TestConformanceExternal(t *testing.T) {
	url := os.Getenv("FILEDGE_NATS_URL")
	if url == "" {
		t.Log("FILEDGE_NATS_URL is not set: the suite runs on the embedded server only")
		return
	}
	bustest.Run(t, bustest.Harness{
		New: func(t *testing.T) func(t *testing.T) bus.Bus {
			return func(t *testing.T) bus.Bus { return connect(t, natsbus.Options{URL: url}) }
		},
		Release: func(t *testing.T, pipeline string) { release(t, url, pipeline) },
	})
}

// release deletes the consumers, messages and bucket a test left under
// pipeline on a shared server.
func release(t *testing.T, url, pipeline string) {
	nc, err := nats.Connect(url)
	if err != nil {
		t.Errorf("release %s: %v", pipeline, err)
		return
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Errorf("release %s: %v", pipeline, err)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, topic := range bus.Topics {
		st, err := js.Stream(ctx, "FILEDGE_"+strings.ToUpper(string(topic)))
		if err != nil {
			continue
		}
		prefix := "filedge." + string(topic) + "." + pipeline
		ours := func(s string) bool { return s == prefix || strings.HasPrefix(s, prefix+".") }
		lister := st.ListConsumers(ctx)
		for info := range lister.Info() {
			if ours(info.Config.FilterSubject) || slices.ContainsFunc(info.Config.FilterSubjects, ours) {
				_ = st.DeleteConsumer(ctx, info.Name)
			}
		}
		_ = st.Purge(ctx, jetstream.WithPurgeSubject(prefix))
		_ = st.Purge(ctx, jetstream.WithPurgeSubject(prefix+".>"))
	}
	if err := js.DeleteKeyValue(ctx, pipeline); err != nil && !errors.Is(err, jetstream.ErrBucketNotFound) && !errors.Is(err, jetstream.ErrStreamNotFound) {
		t.Errorf("release %s: delete bucket: %v", pipeline, err)
	}
}

// TestConnectErrorsNeverShowCredentials connects to servers that cannot be
// reached or whose URLs nats.go cannot read (it returns net/url's errors,
// which quote the URL): no error holds the password, the token or a piece
// of either, and an unreachable server's error still unwraps to nats.go's.
func TestConnectErrorsNeverShowCredentials(t *testing.T) {
	const pw, digits = "Nq4tRw9Lk", "4443"
	for _, tc := range []struct {
		name, url   string
		unreachable bool
	}{
		{"user and password", "nats://filedge:" + pw + "@127.0.0.1:1", true},
		{"token", "nats://" + pw + "@127.0.0.1:1", true},
		{"token without a scheme", pw + "@127.0.0.1:1", true},
		{"list", "nats://127.0.0.1:1, nats://filedge:" + pw + "@127.0.0.1:2", true},
		{"bad escape", "nats://filedge:" + pw + "%zz@127.0.0.1:1", false},
		{"space", "nats://filedge:" + pw + " x@127.0.0.1:1", false},
		{"bad escape in the second server", "nats://127.0.0.1:1,nats://filedge:" + pw + "%zz@127.0.0.1:2", false},
		{"digits before a slash", "nats://filedge:" + digits + "/" + pw + "@127.0.0.1:1", false},
		{"question mark", "nats://filedge:" + digits + "?" + pw + "@127.0.0.1:1", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := natsbus.Connect(t.Context(), natsbus.Options{URL: tc.url, Logger: testLogger(t), NATSOptions: []nats.Option{nats.Timeout(5 * time.Second)}})
			if err == nil {
				_ = b.Close()
				t.Fatal("Connect succeeded")
			}
			for _, s := range []string{pw, digits, tc.url} {
				if strings.Contains(err.Error(), s) {
					t.Errorf("error shows %q: %v", s, err)
				}
			}
			if tc.unreachable && (!errors.Is(err, nats.ErrNoServers) || !strings.Contains(err.Error(), "REDACTED@127.0.0.1:")) {
				t.Errorf("error %v does not unwrap to nats.ErrNoServers or does not name the server", err)
			}
		})
	}
}

// follow is bustest.Follow.
var follow = bustest.Follow
