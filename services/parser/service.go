package parser

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"golang.org/x/sync/errgroup"

	"github.com/filedge/filedge/pkg/bus"
	"github.com/filedge/filedge/pkg/config"
	"github.com/filedge/filedge/pkg/record"
	"github.com/filedge/filedge/pkg/source"
)

// Group is the consumer group every parser of a pipeline joins.
const Group = "parser"

// HeaderSHA256 carries the file's SHA-256 on every batch, so that a sink
// knows it before the first row (see destination.File.SHA256).
const HeaderSHA256 = "Filedge-Sha256"

// Config configures a parser stage.
type Config struct {
	Pipeline *config.Pipeline
	Source   source.Source
	Bus      bus.Bus
	Logger   *slog.Logger
	// MaxPayload is the bus's message size limit; batches are split to
	// fit. Default 1 MiB.
	MaxPayload int
	// Now stamps FileParsed; default time.Now.
	Now func() time.Time
}

// Service is a parser stage. Run it once per process; it handles
// Pipeline.Parser.Workers files at a time.
type Service struct {
	cfg Config
	log *slog.Logger
}

// New returns a parser stage.
func New(cfg Config) (*Service, error) {
	if cfg.Pipeline == nil || cfg.Source == nil || cfg.Bus == nil {
		return nil, errors.New("parser: Pipeline, Source and Bus are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.MaxPayload <= 0 {
		cfg.MaxPayload = 1 << 20
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Service{cfg: cfg, log: cfg.Logger.With("stage", "parser", "pipeline", cfg.Pipeline.Name)}, nil
}

// Run parses file events until ctx is cancelled; it returns ctx.Err().
func (s *Service) Run(ctx context.Context) error {
	p := s.cfg.Pipeline
	return s.cfg.Bus.Consume(ctx, bus.ConsumerConfig{
		Topic:       bus.Files,
		Pipeline:    p.Name,
		Group:       Group,
		AckWait:     p.Parser.AckWait,
		Concurrency: p.Parser.Workers,
	}, s.Handle)
}

// Handle parses the file version of one FileDiscovered delivery and settles
// the delivery: Ack once the batches, trailer and marker are on the bus (or
// the file failed for good and that failure is on the bus), Nak with backoff
// when a retry may succeed.
func (s *Service) Handle(ctx context.Context, d bus.Delivery) error {
	var fd bus.FileDiscovered
	if err := bus.Decode(d.Message(), bus.TypeFileDiscovered, &fd); err != nil {
		s.log.Error("dropping undecodable file event", "id", d.Message().ID, "err", err)
		return d.Term(ctx)
	}
	log := s.log.With("file", fd.Path, "version", fd.Version)

	stop := bus.KeepAlive(ctx, d, s.cfg.Pipeline.Parser.AckWait)
	parsed, err := s.parse(ctx, &fd)
	stop()
	if err != nil {
		if ctx.Err() != nil {
			return d.Nak(context.WithoutCancel(ctx), 0)
		}
		delay := bus.Backoff(d.NumDelivered())
		log.Warn("parse failed; will retry", "err", err, "retry_in", delay)
		return d.Nak(ctx, delay)
	}
	if err := s.publishOutcome(ctx, parsed); err != nil {
		log.Warn("publishing parse outcome failed; will retry", "err", err)
		return d.Nak(ctx, bus.Backoff(d.NumDelivered()))
	}
	switch parsed.Status {
	case bus.StatusOK:
		var rows int64
		for _, t := range parsed.Tables {
			rows += t.Rows
		}
		log.Info("parsed", "format", parsed.Format, "rows", rows, "tables", len(parsed.Tables), "skipped_rows", parsed.SkippedRows)
	default:
		log.Warn("file not loaded", "status", parsed.Status, "reason", parsed.Error.String())
	}
	return d.Ack(ctx)
}

// parse hashes the file, then parses it and publishes its batches. It
// returns the FileParsed to publish, or an error worth a retry.
func (s *Service) parse(ctx context.Context, fd *bus.FileDiscovered) (*bus.FileParsed, error) {
	src := s.cfg.Source
	fresh := func(status string, err error) *bus.FileParsed {
		return &bus.FileParsed{Status: status, Error: &bus.Problem{Message: err.Error()}, Tables: []bus.TableParsed{}}
	}
	sum, size, err := hashFile(ctx, src, fd.SourcePath())
	var parsed *bus.FileParsed
	switch {
	case errors.Is(err, source.ErrNotExist):
		parsed = fresh(bus.StatusSuperseded, fmt.Errorf("%s: file removed before it was read", fd.Path))
	case err != nil:
		return nil, err
	case size != fd.Size:
		parsed = fresh(bus.StatusSuperseded, fmt.Errorf("%s: file changed since it was discovered (%d bytes, now %d); its newer version is loaded instead", fd.Path, fd.Size, size))
	default:
		pub := s.newPublisher(ctx, fd, sum)
		parsed, err = Parse(pub.ctx, s.cfg.Pipeline, File{
			Path: fd.Path,
			Open: func(ctx context.Context) (io.ReadCloser, error) { return src.Open(ctx, fd.SourcePath()) },
		}, pub.emit, Options{MaxBatchBytes: s.batchBytes(), Logger: s.log})
		if perr := pub.wait(); err == nil {
			err = perr
		}
		if err != nil {
			return nil, err
		}
		parsed.SHA256 = sum
		if changed, err := s.changed(ctx, fd); err != nil {
			return nil, err
		} else if changed && parsed.Status == bus.StatusOK {
			parsed.Status = bus.StatusSuperseded
			parsed.Error = &bus.Problem{Message: fmt.Sprintf("%s: file changed while it was read; its newer version is loaded instead", fd.Path)}
		}
	}
	parsed.Pipeline, parsed.Version, parsed.Path = fd.Pipeline, fd.Version, fd.Path
	if issue := fd.PathIssue(); issue != "" {
		parsed.Problems = append(parsed.Problems, bus.Problem{Message: issue})
	}
	parsed.Size, parsed.Modified, parsed.Parsed = fd.Size, fd.Modified, s.cfg.Now().UTC()
	return parsed, nil
}

// batchBytes is the raw-size target of a batch: well under the bus's limit,
// since encoded batches are compressed and split when they still exceed it.
func (s *Service) batchBytes() int {
	return s.cfg.MaxPayload * 3 / 4
}

func (s *Service) changed(ctx context.Context, fd *bus.FileDiscovered) (bool, error) {
	fi, err := s.cfg.Source.Stat(ctx, fd.SourcePath())
	if errors.Is(err, source.ErrNotExist) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	return fi.Size != fd.Size || !fi.Modified.Equal(fd.Modified), nil
}

// publishOutcome publishes the trailer that closes the version's batches,
// then the FileParsed marker.
func (s *Service) publishOutcome(ctx context.Context, parsed *bus.FileParsed) error {
	trailer, err := bus.FileParsedTrailer(parsed)
	if err != nil {
		return err
	}
	if err := s.cfg.Bus.Publish(ctx, trailer); err != nil {
		return err
	}
	marker, err := bus.FileParsedMessage(parsed)
	if err != nil {
		return err
	}
	return s.cfg.Bus.Publish(ctx, marker)
}

func hashFile(ctx context.Context, src source.Source, path string) (string, int64, error) {
	rc, err := src.Open(ctx, path)
	if err != nil {
		return "", 0, err
	}
	defer rc.Close()
	h := sha256.New()
	n, err := io.Copy(h, rc)
	if err != nil {
		return "", 0, fmt.Errorf("read %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// publisher encodes and publishes a file's batches on its own goroutine, in
// order, so that parsing the next batch overlaps publishing this one.
type publisher struct {
	s    *Service
	fd   *bus.FileDiscovered
	sha  string
	ctx  context.Context
	g    *errgroup.Group
	ch   chan batch
	seqs map[string]int
}

type batch struct {
	table string
	rec   arrow.RecordBatch
}

func (s *Service) newPublisher(ctx context.Context, fd *bus.FileDiscovered, sha string) *publisher {
	g, gctx := errgroup.WithContext(ctx)
	p := &publisher{s: s, fd: fd, sha: sha, ctx: gctx, g: g, ch: make(chan batch, 2), seqs: map[string]int{}}
	g.Go(func() error {
		for b := range p.ch {
			err := p.publish(gctx, b.table, b.rec)
			b.rec.Release()
			if err != nil {
				for b := range p.ch {
					b.rec.Release()
				}
				return err
			}
		}
		return nil
	})
	return p
}

func (p *publisher) emit(ctx context.Context, table string, rec arrow.RecordBatch) error {
	select {
	case p.ch <- batch{table, rec}:
		return nil
	case <-ctx.Done():
		rec.Release()
		return ctx.Err()
	}
}

func (p *publisher) wait() error {
	close(p.ch)
	return p.g.Wait()
}

// publish encodes rec and publishes it, halving it until each part fits the
// bus's message limit.
func (p *publisher) publish(ctx context.Context, table string, rec arrow.RecordBatch) error {
	data, err := record.EncodeIPC(rec)
	if err != nil {
		return err
	}
	if len(data) > p.s.cfg.MaxPayload-4096 {
		n := rec.NumRows()
		if n <= 1 {
			return &tooLargeError{file: p.fd.Path, size: len(data), limit: p.s.cfg.MaxPayload}
		}
		for _, part := range [][2]int64{{0, n / 2}, {n / 2, n}} {
			slice := rec.NewSlice(part[0], part[1])
			err := p.publish(ctx, table, slice)
			slice.Release()
			if err != nil {
				return err
			}
		}
		return nil
	}
	seq := p.seqs[table]
	p.seqs[table] = seq + 1
	m := bus.BatchMessage(p.fd.Pipeline, p.fd.Version, table, seq, data)
	m.Header[HeaderSHA256] = p.sha
	return p.s.cfg.Bus.Publish(ctx, m)
}

// tooLargeError is a single row too large for one bus message.
type tooLargeError struct {
	file        string
	size, limit int
}

func (e *tooLargeError) Error() string {
	return fmt.Sprintf("%s: a single row encodes to %d bytes, over the bus message limit of %d", e.file, e.size, e.limit)
}
