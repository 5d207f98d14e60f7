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
	"github.com/apache/arrow-go/v18/arrow/array"
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
	// fit. Default Bus.Capabilities().MaxPayload, or 1 MiB.
	MaxPayload int
	// Now stamps FileParsed; default time.Now.
	Now func() time.Time
}

// Service is a parser stage. Run it once per process; it handles
// Pipeline.Parser.Workers files at a time.
type Service struct {
	cfg      Config
	log      *slog.Logger
	attempts *attempts
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
		cfg.MaxPayload = cfg.Bus.Capabilities().MaxPayload
	}
	if cfg.MaxPayload <= 0 {
		cfg.MaxPayload = 1 << 20
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Service{cfg: cfg, log: cfg.Logger.With("stage", "parser", "pipeline", cfg.Pipeline.Name), attempts: newAttempts()}, nil
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

// Handle parses the file version of one FileDiscovered delivery and says
// what became of it: done once the batches, trailer and marker are on the
// bus (or the file failed for good and that failure is on the bus), retry
// with backoff when a retry may succeed.
//
// A failure of the bus is retried for as long as it lasts. Any other
// failure (the file cannot be read, most often) is retried with a growing
// delay, announced to the sinks by a FileParseRetry, until
// Pipeline.Parser.MaxAttempts attempts have failed; the file then fails for
// good with the reason.
func (s *Service) Handle(ctx context.Context, d *bus.Delivery) bus.Outcome {
	var fd bus.FileDiscovered
	if err := bus.Decode(d.Message, bus.TypeFileDiscovered, &fd); err != nil {
		s.log.Error("dropping undecodable file event", "id", d.Message.ID, "err", err)
		return bus.GiveUp("undecodable file event: " + err.Error())
	}
	log := s.log.With("file", fd.Path, "version", fd.Version)

	parsed, err := s.parse(ctx, &fd)
	switch {
	case err == nil:
	case ctx.Err() != nil:
		return bus.Retry(0)
	case isPublishError(err):
		delay := bus.Backoff(d.Attempt)
		log.Warn("publishing batches failed; will retry", "err", err, "retry_in", delay)
		return bus.Retry(delay)
	default:
		maxAttempts := s.cfg.Pipeline.Parser.MaxAttempts
		n := s.attempts.fail(fd.Version, s.cfg.Now())
		if n < maxAttempts {
			delay := retryDelay(n)
			log.Warn("parse failed; will retry", "err", err, "attempt", n, "max_attempts", maxAttempts, "retry_in", delay)
			s.announceRetry(ctx, d, &fd, err, delay)
			return bus.Retry(delay)
		}
		parsed = s.outcome(&fd, bus.StatusFailed, gaveUp(fd.Path, n, err))
	}
	// The file is parsed: its outcome goes out even when a shutdown begins
	// meanwhile, rather than the file being parsed again.
	drain, cancel := bus.Drain(ctx)
	err = s.publishOutcome(drain, parsed)
	cancel()
	if err != nil {
		if ctx.Err() != nil {
			log.Info("shutting down before the parse outcome was published; the file will be parsed again", "err", err)
			return bus.Retry(0)
		}
		log.Warn("publishing parse outcome failed; will retry", "err", err)
		return bus.Retry(bus.Backoff(d.Attempt))
	}
	s.attempts.forget(fd.Version)
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
	return bus.Done()
}

// parse hashes the file, then parses it and publishes its batches. It
// returns the FileParsed to publish, or an error worth a retry: a
// *publishError when the bus failed.
func (s *Service) parse(ctx context.Context, fd *bus.FileDiscovered) (*bus.FileParsed, error) {
	src := s.cfg.Source
	sum, size, err := hashFile(ctx, src, fd.SourcePath())
	switch {
	case errors.Is(err, source.ErrNotExist):
		return s.outcome(fd, bus.StatusSuperseded, fd.Path+": file removed before it was read"), nil
	case err != nil:
		return nil, err
	case size != fd.Size:
		return s.outcome(fd, bus.StatusSuperseded, fmt.Sprintf("%s: file changed since it was discovered (%d bytes, now %d); its newer version is loaded instead", fd.Path, fd.Size, size)), nil
	}
	pub := s.newPublisher(ctx, fd, sum)
	parsed, err := Parse(pub.ctx, s.cfg.Pipeline, File{
		Path: fd.Path,
		Open: func(ctx context.Context) (io.ReadCloser, error) { return src.Open(ctx, fd.SourcePath()) },
	}, pub.emit, Options{MaxBatchBytes: s.batchBytes(), Logger: s.log})
	if perr := pub.wait(); perr != nil {
		err = perr // it stopped the parse
	}
	var tooLarge *tooLargeError
	switch {
	case errors.As(err, &tooLarge):
		failed := s.outcome(fd, bus.StatusFailed, "")
		failed.Error, failed.SHA256 = problemOf(err), sum
		return failed, nil
	case err != nil:
		return nil, err
	}
	s.stamp(fd, parsed)
	parsed.SHA256 = sum
	if issue := fd.PathIssue(); issue != "" {
		parsed.Problems = append(parsed.Problems, bus.Problem{Message: issue})
	}
	if changed, err := s.changed(ctx, fd); err != nil {
		return nil, err
	} else if changed && parsed.Status == bus.StatusOK {
		parsed.Status = bus.StatusSuperseded
		parsed.Error = &bus.Problem{Message: fmt.Sprintf("%s: file changed while it was read; its newer version is loaded instead", fd.Path)}
	}
	return parsed, nil
}

// outcome returns a FileParsed of fd that loads nothing, with status and
// reason.
func (s *Service) outcome(fd *bus.FileDiscovered, status, reason string) *bus.FileParsed {
	p := &bus.FileParsed{Status: status, Error: &bus.Problem{Message: reason}, Tables: []bus.TableParsed{}}
	s.stamp(fd, p)
	return p
}

// stamp copies the version's identity onto p and dates it.
func (s *Service) stamp(fd *bus.FileDiscovered, p *bus.FileParsed) {
	p.Pipeline, p.Version, p.Path = fd.Pipeline, fd.Version, fd.Path
	p.Size, p.Modified, p.Parsed = fd.Size, fd.Modified, s.cfg.Now().UTC()
}

// announceRetry tells the sinks reading fd's batches that this attempt
// failed with err and when the next one comes, so that they give the file
// back until then instead of waiting sink.batch_idle for batches. It is
// best effort: a sink that misses it waits as it would have.
func (s *Service) announceRetry(ctx context.Context, d *bus.Delivery, fd *bus.FileDiscovered, err error, delay time.Duration) {
	m, merr := bus.FileParseRetryMessage(&bus.FileParseRetry{
		Pipeline: fd.Pipeline, Version: fd.Version, Path: fd.Path,
		Attempt: d.Attempt,
		Reason:  clip(err.Error(), maxReasonBytes),
		RetryAt: s.cfg.Now().Add(delay).UTC(),
	})
	if merr == nil {
		merr = s.cfg.Bus.Publish(ctx, m)
	}
	if merr != nil && ctx.Err() == nil { // a shutdown is no failure
		s.log.Warn("cannot tell the sinks that the file will be retried; they wait for its batches until sink.batch_idle",
			"file", fd.Path, "version", fd.Version, "err", merr)
	}
}

// batchBytes is the raw-size target of a batch: well under the bus's limit,
// since encoded batches are compressed and split when they still exceed it.
func (s *Service) batchBytes() int {
	return s.cfg.MaxPayload * 3 / 4
}

// headerRoom is what a message's headers, subject and id may take of the
// bus's limit.
const headerRoom = 4096

// maxData is the largest payload the parser publishes.
func (s *Service) maxData() int {
	return s.cfg.MaxPayload - headerRoom
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
// then the FileParsed marker. An outcome too large for one message is made
// to fit first (see fit).
func (s *Service) publishOutcome(ctx context.Context, parsed *bus.FileParsed) error {
	trailer, err := s.fit(parsed, s.maxData())
	if err != nil {
		return err
	}
	err = s.cfg.Bus.Publish(ctx, trailer)
	if errors.Is(err, bus.ErrTooLarge) {
		// The bus takes less than it reported (a stream's max_msg_size):
		// publish the smallest outcome.
		if parsed.Status == bus.StatusOK {
			parsed.Status = bus.StatusFailed
			parsed.Error = &bus.Problem{Message: fmt.Sprintf("the bus refused the file's summary (%d bytes) as too large: %v", len(trailer.Data), err)}
		}
		if trailer, err = s.fit(parsed, 0); err == nil {
			err = s.cfg.Bus.Publish(ctx, trailer)
		}
	}
	if err != nil {
		return err
	}
	marker, err := bus.FileParsedMessage(parsed)
	if err != nil {
		return err
	}
	return s.cfg.Bus.Publish(ctx, marker)
}

// fit returns parsed's trailer once its payload is at most limit bytes. An
// outcome that loads rows needs its tables (the sinks check their counts),
// so one over the limit (a table of very many columns) fails the file;
// then, and for an outcome that loads nothing, the tables, problems and
// long messages are left out until it fits. What is left out is counted in
// the error.
func (s *Service) fit(parsed *bus.FileParsed, limit int) (*bus.Message, error) {
	m, err := bus.FileParsedTrailer(parsed)
	if err != nil || len(m.Data) <= limit {
		return m, err
	}
	if parsed.Status == bus.StatusOK {
		var columns int
		for _, t := range parsed.Tables {
			columns += len(t.Columns)
		}
		parsed.Status = bus.StatusFailed
		parsed.Error = &bus.Problem{Message: fmt.Sprintf("the file's summary (%d tables, %d columns) encodes to %d bytes, over the bus message limit of %d bytes: "+
			"raise the bus's message limit (max_payload of a NATS server, bus.max_message_bytes on Kafka), or split the file into files of fewer tables or columns", len(parsed.Tables), columns, len(m.Data), s.cfg.MaxPayload)}
	}
	parsed.Tables = []bus.TableParsed{}
	if parsed.Error == nil {
		parsed.Error = &bus.Problem{Message: parsed.Status}
	}
	parsed.Error.Message = clip(parsed.Error.Message, maxReasonBytes)
	for _, keep := range []int{maxTrimmedProblems, 0} {
		if left := len(parsed.Problems) - keep; left > 0 {
			parsed.Problems = parsed.Problems[:keep]
			parsed.Error.Message += fmt.Sprintf(" (%d more problems left out to fit the bus message limit)", left)
		}
		for i := range parsed.Problems {
			pr := &parsed.Problems[i]
			pr.Message, pr.Table, pr.Column = clip(pr.Message, 256), clip(pr.Table, 128), clip(pr.Column, 128)
		}
		if m, err = bus.FileParsedTrailer(parsed); err != nil || len(m.Data) <= limit {
			return m, err
		}
	}
	return m, nil
}

// maxTrimmedProblems is how many problems an outcome trimmed by fit keeps.
const maxTrimmedProblems = 10

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
// bus's message limit. A single row (or a header-only batch) that does not
// fit is a *tooLargeError; a failure of the bus is a *publishError.
func (p *publisher) publish(ctx context.Context, table string, rec arrow.RecordBatch) error {
	data, err := record.EncodeIPC(rec)
	if err != nil {
		return err
	}
	if len(data) > p.s.maxData() {
		return p.split(ctx, table, rec, len(data))
	}
	seq := p.seqs[table]
	m := bus.BatchMessage(p.fd.Pipeline, p.fd.Version, table, seq, data)
	m.Header[HeaderSHA256] = p.sha
	err = p.s.cfg.Bus.Publish(ctx, m)
	switch {
	case errors.Is(err, bus.ErrTooLarge):
		// The bus takes less than it reported (a stream's max_msg_size).
		return p.split(ctx, table, rec, len(data))
	case err != nil:
		return &publishError{err}
	}
	p.seqs[table] = seq + 1
	return nil
}

// split publishes rec, which encodes to size bytes, too many for one
// message, in two halves.
func (p *publisher) split(ctx context.Context, table string, rec arrow.RecordBatch, size int) error {
	n := rec.NumRows()
	if n <= 1 {
		return &tooLargeError{file: p.fd.Path, line: firstLine(rec), rows: n, columns: dataColumns(rec), size: size, limit: p.s.cfg.MaxPayload}
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

// firstLine returns the line of rec's first row, or 0.
func firstLine(rec arrow.RecordBatch) int64 {
	if rec.NumRows() == 0 || rec.NumCols() == 0 || rec.ColumnName(0) != record.LineColumn {
		return 0
	}
	if lines, ok := rec.Column(0).(*array.Int64); ok {
		return lines.Value(0)
	}
	return 0
}

// dataColumns counts rec's columns that are not system columns.
func dataColumns(rec arrow.RecordBatch) int {
	n := 0
	for _, f := range rec.Schema().Fields() {
		if !record.IsSystem(f.Name) {
			n++
		}
	}
	return n
}
