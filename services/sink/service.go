package sink

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/filedge/filedge/pkg/bus"
	"github.com/filedge/filedge/pkg/config"
	"github.com/filedge/filedge/pkg/destination"
)

// Group returns the consumer group of a destination's sinks.
func Group(destination string) string { return "sink-" + destination }

// Config configures the sink stage of one destination.
type Config struct {
	Pipeline    *config.Pipeline
	Destination *config.Destination
	// DB is the opened destination.
	DB     destination.Destination
	Bus    bus.Bus
	Logger *slog.Logger
	// Alloc allocates decoded batches; default memory.DefaultAllocator.
	Alloc memory.Allocator
	// Now stamps FileCommitted; default time.Now.
	Now func() time.Time
}

// Service is the sink stage of one destination.
type Service struct {
	cfg Config
	log *slog.Logger
}

// New returns a sink stage.
func New(cfg Config) (*Service, error) {
	if cfg.Pipeline == nil || cfg.Destination == nil || cfg.DB == nil || cfg.Bus == nil {
		return nil, errors.New("sink: Pipeline, Destination, DB and Bus are required")
	}
	if d := cfg.Destination; d.WriteMode == string(destination.CDC) {
		if info, ok := destination.Lookup(d.Type); !ok || !info.CDC {
			return nil, fmt.Errorf("sink: destination %q: the %s type does not apply write_mode: cdc", d.Name, d.Type)
		}
		if err := d.CDC.Check(); err != nil {
			return nil, fmt.Errorf("sink: destination %q: %w", d.Name, err)
		}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Alloc == nil {
		cfg.Alloc = memory.DefaultAllocator
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Service{cfg: cfg, log: cfg.Logger.With("stage", "sink", "pipeline", cfg.Pipeline.Name, "destination", cfg.Destination.Name)}, nil
}

// Run commits file versions until ctx is cancelled; it returns ctx.Err().
func (s *Service) Run(ctx context.Context) error {
	p := s.cfg.Pipeline
	return s.cfg.Bus.Consume(ctx, bus.ConsumerConfig{
		Topic:       bus.Files,
		Pipeline:    p.Name,
		Group:       Group(s.cfg.Destination.Name),
		AckWait:     p.Sink.AckWait,
		Concurrency: p.Sink.Workers,
	}, s.Handle)
}

// Handle commits the file version of one FileDiscovered delivery and says
// what became of it: done once the destination committed it (or already
// held it, or the file failed for good) and FileCommitted is published;
// retry with backoff when a retry may succeed. When the parser announces
// that its attempt at the file failed (a FileParseRetry), the file is given
// back at once until the parser's next attempt, so that the worker takes
// another file.
func (s *Service) Handle(ctx context.Context, d *bus.Delivery) bus.Outcome {
	var fd bus.FileDiscovered
	if err := bus.Decode(d.Message, bus.TypeFileDiscovered, &fd); err != nil {
		s.log.Error("dropping undecodable file event", "id", d.Message.ID, "err", err)
		return bus.GiveUp("undecodable file event: " + err.Error())
	}
	log := s.log.With("file", fd.Path, "version", fd.Version)

	out, err := s.commit(ctx, &fd)
	if err != nil {
		if ctx.Err() != nil {
			return bus.Retry(0)
		}
		var later *retryLater
		if errors.As(err, &later) {
			log.Info("the parser will try the file again; giving it back until then", "reason", later.notice.Reason, "retry_in", later.wait)
			return bus.Retry(later.wait)
		}
		delay := bus.Backoff(d.Attempt)
		if errors.Is(err, errIdle) {
			log.Info("waiting for the parser; will retry", "retry_in", delay)
		} else {
			log.Warn("commit failed; will retry", "err", err, "retry_in", delay)
		}
		return bus.Retry(delay)
	}
	msg, err := bus.FileCommittedMessage(out)
	if err == nil {
		// The commit is durable: its outcome goes out even when a shutdown
		// begins meanwhile.
		drain, cancel := bus.Drain(ctx)
		err = s.cfg.Bus.Publish(drain, msg)
		cancel()
	}
	if err != nil {
		// A redelivery finds the commit in the ledger and publishes the
		// outcome as a duplicate.
		if ctx.Err() != nil {
			log.Info("shutting down before the commit outcome was published; it is published on the next delivery", "err", err)
			return bus.Retry(0)
		}
		log.Warn("publishing the commit outcome failed; will retry", "err", err)
		return bus.Retry(bus.Backoff(d.Attempt))
	}
	switch out.Status {
	case bus.StatusCommitted:
		attrs := []any{"tables", out.Tables, "rows", out.Rows}
		if len(out.Widened) > 0 {
			attrs = append(attrs, "widened", out.Widened)
		}
		if len(out.Added) > 0 {
			attrs = append(attrs, "added", out.Added)
		}
		if out.SkippedRows > 0 {
			attrs = append(attrs, "skipped_rows", out.SkippedRows, "first_problem", out.Problems[0].String())
		}
		log.Info("committed", attrs...)
	case bus.StatusFailed:
		log.Warn("file not loaded", "reason", out.Error.String())
	default:
		log.Info(out.Status)
	}
	return bus.Done()
}

// commit runs one Commit and turns its result into the FileCommitted to
// publish, or returns an error worth a retry.
func (s *Service) commit(ctx context.Context, fd *bus.FileDiscovered) (*bus.FileCommitted, error) {
	p, dst := s.cfg.Pipeline, s.cfg.Destination
	out := &bus.FileCommitted{Pipeline: p.Name, Destination: dst.Name, Version: fd.Version, Path: fd.Path}
	cur, err := s.cfg.Bus.Read(ctx, p.Name, fd.Version)
	if err != nil {
		return nil, err
	}
	defer cur.Close()
	f := &destination.File{
		Pipeline:  p.Name,
		Version:   fd.Version,
		Path:      fd.Path,
		Size:      fd.Size,
		Modified:  fd.Modified,
		Seq:       fd.Seq,
		WriteMode: destination.WriteMode(dst.WriteMode),
		Merge:     destination.Merge(p.ModifiedFileMerge),
	}
	if dst.CDC != nil && f.WriteMode == destination.CDC {
		spec := *dst.CDC
		spec.SkipInvalid = p.OnError == config.Skip
		f.CDC = &spec
	}
	if p.Mode == config.MagicFolder {
		f.Owner = fd.Path
	}
	f.Batches = newBatchReader(cur, f, p.Sink.BatchIdle, s.cfg.Alloc, s.cfg.Now)
	res, err := s.cfg.DB.Commit(ctx, f)
	out.Committed = s.cfg.Now().UTC()
	var nl *notLoaded
	switch {
	case errors.As(err, &nl):
		out.Status, out.Error = nl.parsed.Status, nl.parsed.Error
		if out.Error == nil {
			out.Error = &bus.Problem{Message: nl.parsed.Status}
		}
		return out, nil
	case destination.IsPermanent(err):
		out.Status, out.Error = bus.StatusFailed, &bus.Problem{Message: err.Error()}
		return out, nil
	case err != nil:
		return nil, err
	}
	out.Tables, out.Rows = res.Tables, res.Rows
	out.Widened, out.Added = res.Widened, res.Added
	out.SkippedRows = res.Skipped
	for _, pr := range res.Problems {
		bp := bus.Problem{Message: pr.Message, Table: pr.Table, Line: pr.Line, Column: pr.Column}
		if pr.File != fd.Path {
			bp.File = pr.File // an archive member
		}
		out.Problems = append(out.Problems, bp)
	}
	switch res.Outcome {
	case destination.Committed:
		out.Status = bus.StatusCommitted
		out.Committed = res.Committed.UTC()
	case destination.Duplicate:
		out.Status = bus.StatusDuplicate
	case destination.Superseded:
		out.Status = bus.StatusSuperseded
	}
	return out, nil
}
