package natsbus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// startTimeout bounds how long StartEmbedded waits for the server.
const startTimeout = 60 * time.Second

// DefaultMinFreeSpace is how many bytes must be free on the data dir's disk
// before an embedded server whose store broke on a full disk is restarted
// (EmbeddedOptions.MinFreeSpace): a few record batches of the default 1 MiB
// limit in each stream, so that the restarted server does not break again
// at once.
const DefaultMinFreeSpace = 32 << 20

// spaceCheck is how often a broken embedded server looks at the free space
// of its disk, and unknownSpaceRetry how often it tries a restart where the
// free space cannot be read.
const (
	spaceCheck        = time.Second
	unknownSpaceRetry = 30 * time.Second
)

// EmbeddedOptions configures StartEmbedded.
type EmbeddedOptions struct {
	// DataDir holds the server's state (JetStream keeps it under
	// DataDir/jetstream). Required; created if missing. One process at a
	// time may use it: see StartEmbedded.
	DataDir string
	// SyncAlways makes JetStream fsync every write before it acknowledges
	// it, so an acknowledged message survives a power failure, not just a
	// process crash. pipeline.yaml defaults it to true; see
	// docs/adr/0002-embedded-durability.md for what it costs.
	SyncAlways bool
	// Port is the client port: 0 opens none (connect in process with
	// Options.Server), -1 a random free one, any other value that port. A
	// restarted server listens on the port the first one got.
	Port int
	// Host is the address the client port listens on; default 127.0.0.1.
	Host string
	// MaxPayload is the largest message the server accepts, in bytes;
	// default the server's (1 MiB).
	MaxPayload int32
	// Logger receives the server's log (its notices at Debug level) and
	// the lines that say when the store broke on a full disk and when it
	// recovered; default: nothing is logged.
	Logger *slog.Logger
	// MinFreeSpace is how many bytes must be free on the data dir's disk
	// before a store that broke on a full disk is restarted; default
	// DefaultMinFreeSpace.
	MinFreeSpace int64
	// OnHealth, when set, is called with the error that broke the store
	// when the disk filled up, and with nil once the restarted server
	// works. Calls come from one goroutine, in order; OnHealth must not
	// block.
	OnHealth func(err error)
}

// Embedded is a NATS server with JetStream running in this process, on a
// data dir it holds exclusively.
//
// JetStream's file store keeps the first write error it meets (a full disk:
// "no space left on device") and refuses every later write, even once space
// is back, until the store is opened again; and the server goes on
// answering as if it were well. Embedded notices such an error in the
// server's log, reports it (OnHealth, Err, and one log line), waits until
// MinFreeSpace bytes are free, and restarts the server on the same data dir.
// Connections made with Options.Server reconnect to the new server by
// themselves. Embedded is safe for concurrent use.
type Embedded struct {
	opts  EmbeddedOptions
	log   *slog.Logger
	lock  *dirLock
	trips chan trip
	stop  chan struct{}
	done  chan struct{}
	once  sync.Once

	mu     sync.Mutex
	srv    *server.Server
	gen    int   // counts the servers started; a trip names the one it came from
	err    error // why the store is broken, or nil
	errGen int   // the server that err broke
}

// trip is an out-of-space error that server number gen logged.
type trip struct {
	gen int
	err error
}

// StartEmbedded takes the data dir's lock, starts a NATS server with
// JetStream in this process and returns it once it accepts connections.
// The caller shuts it down with Shutdown. Connect to it with
// Options.Server, or, when Port is not 0, with its ClientURL.
//
// The lock is an exclusive lock (flock on Unix, LockFileEx on Windows) on
// the file LockFile in the data dir, held until Shutdown or until the
// process dies, SIGKILL included. When another process holds it,
// StartEmbedded fails with a *LockedError (errors.Is ErrDataDirLocked) that
// names that process: two servers on one store would corrupt it. On a
// platform without file locks the server starts unlocked, and says so in
// the log.
func StartEmbedded(ctx context.Context, opts EmbeddedOptions) (*Embedded, error) {
	if opts.DataDir == "" {
		return nil, errors.New("natsbus: embedded server: no data dir")
	}
	if err := os.MkdirAll(opts.DataDir, 0o750); err != nil {
		return nil, fmt.Errorf("natsbus: embedded server: %w", err)
	}
	if opts.Host == "" {
		opts.Host = "127.0.0.1"
	}
	if opts.MinFreeSpace <= 0 {
		opts.MinFreeSpace = DefaultMinFreeSpace
	}
	e := &Embedded{
		opts:  opts,
		log:   opts.Logger,
		trips: make(chan trip, 1),
		stop:  make(chan struct{}),
		done:  make(chan struct{}),
	}
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	lock, err := lockDir(opts.DataDir)
	switch {
	case errors.Is(err, errors.ErrUnsupported):
		e.log.Warn("the embedded bus's data dir is not locked: run only one filedge process on it", "data_dir", opts.DataDir, "err", err)
	case err != nil:
		return nil, err
	}
	e.lock = lock
	s, err := e.start(ctx)
	if err != nil {
		lock.release()
		return nil, err
	}
	if opts.Port == -1 {
		if a, ok := s.Addr().(*net.TCPAddr); ok {
			e.opts.Port = a.Port
		}
	}
	e.srv = s
	go e.watch()
	e.log.Info("embedded NATS server ready", "data_dir", opts.DataDir, "sync_always", opts.SyncAlways, "listen", listenAddr(s, opts.Port))
	return e, nil
}

// start starts a server on the data dir and waits until it is ready.
func (e *Embedded) start(ctx context.Context) (*server.Server, error) {
	o := e.opts
	s, err := server.NewServer(&server.Options{
		ServerName: "filedge",
		Host:       o.Host,
		Port:       o.Port,
		DontListen: o.Port == 0,
		JetStream:  true,
		StoreDir:   o.DataDir,
		SyncAlways: o.SyncAlways,
		MaxPayload: o.MaxPayload,
		NoSigs:     true,
		NoLog:      true, // the log goes to serverLogger below
		// No HTTP monitoring, cluster, leaf node or gateway listeners.
	})
	if err != nil {
		return nil, fmt.Errorf("natsbus: embedded server: %w", err)
	}
	e.mu.Lock()
	e.gen++
	gen := e.gen
	e.mu.Unlock()
	l := e.log.With("component", "nats-server")
	s.SetLoggerV2(&serverLogger{l: l, e: e, gen: gen}, l.Enabled(ctx, slog.LevelDebug), false, false)
	go s.Start()

	deadline := time.Now().Add(startTimeout)
	for !s.ReadyForConnections(100 * time.Millisecond) {
		if ctx.Err() != nil || time.Now().After(deadline) {
			s.Shutdown()
			s.WaitForShutdown()
			if ctx.Err() != nil {
				return nil, fmt.Errorf("natsbus: embedded server: %w", ctx.Err())
			}
			return nil, fmt.Errorf("natsbus: embedded server in %s not ready after %v", o.DataDir, startTimeout)
		}
	}
	if !s.JetStreamEnabled() {
		s.Shutdown()
		s.WaitForShutdown()
		return nil, fmt.Errorf("natsbus: embedded server: JetStream did not start on %s (see the server's log)", o.DataDir)
	}
	return s, nil
}

// InProcessConn connects to the current server in process. It makes
// Embedded a nats.InProcessConnProvider, so that a connection follows the
// server across restarts.
func (e *Embedded) InProcessConn() (net.Conn, error) {
	return e.Server().InProcessConn()
}

// Server returns the server running now; after a restart, another one.
func (e *Embedded) Server() *server.Server {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.srv
}

// ClientURL returns the URL clients outside the process connect to, when
// the server listens on a port.
func (e *Embedded) ClientURL() string { return e.Server().ClientURL() }

// Addr returns the address the server listens on, or nil when it opens no
// port.
func (e *Embedded) Addr() net.Addr { return e.Server().Addr() }

// Err returns why the store is broken (its disk filled up), or nil while
// it works.
func (e *Embedded) Err() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.err
}

// Shutdown stops the server, waits until it has stopped, and releases the
// data dir's lock. It is idempotent.
func (e *Embedded) Shutdown() {
	e.once.Do(func() {
		close(e.stop)
		<-e.done
		s := e.Server()
		s.Shutdown()
		s.WaitForShutdown()
		e.lock.release()
	})
}

// tripped records that server gen met err, an out-of-space error: from now
// on Err reports it, and watch repairs the store. It runs inside the
// server's logging, under the server's locks: it must not block.
func (e *Embedded) tripped(gen int, err error) {
	e.mu.Lock()
	fresh := gen == e.gen && (e.err == nil || e.errGen != gen)
	if fresh {
		e.err, e.errGen = fmt.Errorf("natsbus: the embedded bus's disk is full: %w", err), gen
	}
	e.mu.Unlock()
	if !fresh {
		return // already known, or a server replaced since
	}
	select {
	case e.trips <- trip{gen, err}:
	default: // one is pending already
	}
}

// current reports whether gen is the server running now.
func (e *Embedded) current(gen int) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return gen == e.gen
}

// broken reports whether the store is known to be broken.
func (e *Embedded) broken() bool { return e.Err() != nil }

// watch waits for the store to break, then repairs it, until Shutdown.
func (e *Embedded) watch() {
	defer close(e.done)
	for {
		var t trip
		select {
		case <-e.stop:
			return
		case t = <-e.trips:
		}
		if !e.current(t.gen) {
			continue // a server replaced since
		}
		since := time.Now()
		e.log.Warn("embedded bus stopped: the disk of its data dir is full; it restarts by itself once space is freed",
			"data_dir", e.opts.DataDir, "free_bytes", freeSpace(e.opts.DataDir), "needs_free_bytes", e.opts.MinFreeSpace, "err", t.err)
		e.report(e.Err())
		if !e.repair() {
			return
		}
		e.log.Info("embedded bus recovered: disk space is back and the server was restarted",
			"data_dir", e.opts.DataDir, "after", time.Since(since).Round(time.Millisecond), "free_bytes", freeSpace(e.opts.DataDir))
		e.report(nil)
	}
}

// repair waits until the disk has MinFreeSpace bytes free, then restarts the
// server on the same data dir, trying again until it works. It returns
// false when Shutdown stopped it first.
func (e *Embedded) repair() bool {
	tick := time.NewTicker(spaceCheck)
	defer tick.Stop()
	lastTry := time.Now()
	for {
		select {
		case <-e.stop:
			return false
		case <-tick.C:
		}
		free := freeSpace(e.opts.DataDir)
		if free >= 0 && free < e.opts.MinFreeSpace {
			continue
		}
		if free < 0 && time.Since(lastTry) < unknownSpaceRetry {
			continue
		}
		lastTry = time.Now()
		if err := e.restart(); err != nil {
			e.log.Debug("restarting the embedded bus failed; will retry", "err", err)
			continue
		}
		if e.broken() { // the new server met a full disk at once
			select {
			case <-e.trips:
			default:
			}
			continue
		}
		return true
	}
}

// restart replaces the server by a new one on the same data dir.
func (e *Embedded) restart() error {
	old := e.Server()
	old.Shutdown()
	old.WaitForShutdown()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-e.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	s, err := e.start(ctx)
	if err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.srv = s
	if e.errGen != e.gen { // unless the new server broke already
		e.err = nil
	}
	return nil
}

// report passes the store's health to OnHealth.
func (e *Embedded) report(err error) {
	if e.opts.OnHealth != nil {
		e.opts.OnHealth(err)
	}
}

func listenAddr(s *server.Server, port int) string {
	if port == 0 {
		return "in-process only"
	}
	return s.ClientURL()
}

// serverLogger writes a server's log to slog. Its notices (start-up banner,
// JetStream recovery) go to Debug: they are the embedded server's business,
// not the operator's.
//
// It is also how Embedded learns that the store broke: the file store logs
// its first write error with the error itself as an argument
// ("Critical write error: %v"), so an argument that is an out-of-space error
// trips the repair. Those lines, and every warning and error while the store
// is known to be broken (each failing publish logs one), go to Debug too:
// Embedded says it once, in its own words.
type serverLogger struct {
	l   *slog.Logger
	e   *Embedded
	gen int
}

func (s *serverLogger) log(level slog.Level, format string, v []any) {
	for _, a := range v {
		if err, ok := a.(error); ok && isOutOfSpace(err) {
			s.e.tripped(s.gen, err)
			level = slog.LevelDebug
		}
	}
	if level > slog.LevelDebug && s.e.broken() {
		level = slog.LevelDebug
	}
	if s.l.Enabled(context.Background(), level) {
		s.l.Log(context.Background(), level, fmt.Sprintf(format, v...))
	}
}

func (s *serverLogger) Noticef(format string, v ...any) { s.log(slog.LevelDebug, format, v) }
func (s *serverLogger) Warnf(format string, v ...any)   { s.log(slog.LevelWarn, format, v) }
func (s *serverLogger) Fatalf(format string, v ...any)  { s.log(slog.LevelError, format, v) }
func (s *serverLogger) Errorf(format string, v ...any)  { s.log(slog.LevelError, format, v) }
func (s *serverLogger) Debugf(format string, v ...any)  { s.log(slog.LevelDebug, format, v) }
func (s *serverLogger) Tracef(format string, v ...any)  { s.log(slog.LevelDebug, format, v) }
