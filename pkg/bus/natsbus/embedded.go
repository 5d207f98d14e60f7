package natsbus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// startTimeout bounds how long StartEmbedded waits for the server.
const startTimeout = 60 * time.Second

// EmbeddedOptions configures StartEmbedded.
type EmbeddedOptions struct {
	// DataDir holds the server's state (JetStream keeps it under
	// DataDir/jetstream). Required; created if missing.
	DataDir string
	// SyncAlways makes JetStream fsync every write before it acknowledges
	// it, so an acknowledged message survives a power failure, not just a
	// process crash. pipeline.yaml defaults it to true; see
	// docs/adr/0002-embedded-durability.md for what it costs.
	SyncAlways bool
	// Port is the client port: 0 opens none (connect in process with
	// Options.Server), -1 a random free one, any other value that port.
	Port int
	// Host is the address the client port listens on; default 127.0.0.1.
	Host string
	// MaxPayload is the largest message the server accepts, in bytes;
	// default the server's (1 MiB).
	MaxPayload int32
	// Logger receives the server's log (its notices at Debug level);
	// default: the server logs nothing.
	Logger *slog.Logger
}

// StartEmbedded starts a NATS server with JetStream in this process and
// returns it once it accepts connections. The caller shuts it down with
// Shutdown (then WaitForShutdown). Connect to it with Options.Server, or,
// when Port is not 0, with its ClientURL.
func StartEmbedded(ctx context.Context, opts EmbeddedOptions) (*server.Server, error) {
	if opts.DataDir == "" {
		return nil, errors.New("natsbus: embedded server: no data dir")
	}
	if err := os.MkdirAll(opts.DataDir, 0o750); err != nil {
		return nil, fmt.Errorf("natsbus: embedded server: %w", err)
	}
	if opts.Host == "" {
		opts.Host = "127.0.0.1"
	}
	sopts := &server.Options{
		ServerName: "filedge",
		Host:       opts.Host,
		Port:       opts.Port,
		DontListen: opts.Port == 0,
		JetStream:  true,
		StoreDir:   opts.DataDir,
		SyncAlways: opts.SyncAlways,
		MaxPayload: opts.MaxPayload,
		NoSigs:     true,
		NoLog:      opts.Logger == nil,
		// No HTTP monitoring, cluster, leaf node or gateway listeners.
	}
	s, err := server.NewServer(sopts)
	if err != nil {
		return nil, fmt.Errorf("natsbus: embedded server: %w", err)
	}
	if opts.Logger != nil {
		l := opts.Logger.With("component", "nats-server")
		s.SetLoggerV2(serverLogger{l}, l.Enabled(ctx, slog.LevelDebug), false, false)
	}
	go s.Start()

	deadline := time.Now().Add(startTimeout)
	for !s.ReadyForConnections(100 * time.Millisecond) {
		if ctx.Err() != nil || time.Now().After(deadline) {
			s.Shutdown()
			s.WaitForShutdown()
			if ctx.Err() != nil {
				return nil, fmt.Errorf("natsbus: embedded server: %w", ctx.Err())
			}
			return nil, fmt.Errorf("natsbus: embedded server in %s not ready after %v", opts.DataDir, startTimeout)
		}
	}
	if !s.JetStreamEnabled() {
		s.Shutdown()
		s.WaitForShutdown()
		return nil, fmt.Errorf("natsbus: embedded server: JetStream did not start on %s (see the server's log)", opts.DataDir)
	}
	if opts.Logger != nil {
		opts.Logger.Info("embedded NATS server ready", "data_dir", opts.DataDir, "sync_always", opts.SyncAlways, "listen", listenAddr(s, opts.Port))
	}
	return s, nil
}

func listenAddr(s *server.Server, port int) string {
	if port == 0 {
		return "in-process only"
	}
	return s.ClientURL()
}

// serverLogger writes the server's log to slog. Its notices (start-up
// banner, JetStream recovery) go to Debug: they are the embedded server's
// business, not the operator's.
type serverLogger struct{ l *slog.Logger }

func (s serverLogger) Noticef(format string, v ...any) { s.l.Debug(fmt.Sprintf(format, v...)) }
func (s serverLogger) Warnf(format string, v ...any)   { s.l.Warn(fmt.Sprintf(format, v...)) }
func (s serverLogger) Fatalf(format string, v ...any)  { s.l.Error(fmt.Sprintf(format, v...)) }
func (s serverLogger) Errorf(format string, v ...any)  { s.l.Error(fmt.Sprintf(format, v...)) }
func (s serverLogger) Debugf(format string, v ...any)  { s.l.Debug(fmt.Sprintf(format, v...)) }
func (s serverLogger) Tracef(format string, v ...any)  { s.l.Debug(fmt.Sprintf(format, v...)) }
