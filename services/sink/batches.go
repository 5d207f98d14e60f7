package sink

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/filedge/filedge/pkg/bus"
	"github.com/filedge/filedge/pkg/destination"
	"github.com/filedge/filedge/pkg/record"
)

// HeaderSHA256 is the batch header that carries the file's SHA-256 (set by
// the parser stage).
const HeaderSHA256 = "Filedge-Sha256"

// errIdle means no batch arrived within the idle limit: the parser may be
// down or slow. The file is given back for a later attempt.
var errIdle = errors.New("no batch arrived in time")

// notLoaded is a file the parser could not load (status failed or
// superseded): the commit is rolled back and the outcome reported.
type notLoaded struct{ parsed *bus.FileParsed }

func (e *notLoaded) Error() string {
	if e.parsed.Error != nil {
		return e.parsed.Status + ": " + e.parsed.Error.String()
	}
	return e.parsed.Status
}

// retryLater is a parse attempt that failed (a FileParseRetry): the file is
// given back until the parser's next attempt, so that the worker takes
// another file instead of waiting for batches that do not come.
type retryLater struct {
	notice *bus.FileParseRetry
	wait   time.Duration // until the parser's next attempt
}

func (e *retryLater) Error() string {
	return fmt.Sprintf("parse attempt %d failed: %s", e.notice.Attempt, e.notice.Reason)
}

// batchReader implements destination.Batches over a version's batch scope on
// the bus. Batches are deduplicated by table and sequence number, because a
// parser that died mid-file, or whose attempt failed, leaves a prefix of the
// batches that its next attempt publishes again, and the trailer's counts
// are checked, so that a file is committed whole or not at all.
type batchReader struct {
	cur     bus.Cursor
	file    *destination.File
	idle    time.Duration
	mem     memory.Allocator
	now     func() time.Time
	next    map[string]int // next expected seq per table
	order   []string       // tables in the order first seen
	parsed  *bus.FileParsed
	decoded int64 // bytes of payload read
}

func newBatchReader(cur bus.Cursor, f *destination.File, idle time.Duration, mem memory.Allocator, now func() time.Time) *batchReader {
	return &batchReader{cur: cur, file: f, idle: idle, mem: mem, now: now, next: map[string]int{}}
}

// Next implements destination.Batches.
func (r *batchReader) Next(ctx context.Context) (string, arrow.RecordBatch, error) {
	if r.parsed != nil {
		return "", nil, io.EOF
	}
	for {
		m, err := r.read(ctx)
		if err != nil {
			return "", nil, err
		}
		switch m.Header[bus.HeaderType] {
		case bus.TypeBatch:
			table := m.Header[bus.HeaderTable]
			seq, err := strconv.Atoi(m.Header[bus.HeaderSeq])
			if err != nil {
				return "", nil, fmt.Errorf("batch %s: bad sequence header: %w", m.ID, err)
			}
			want, seen := r.next[table]
			if seq < want {
				continue // published again by a later attempt
			}
			if seq > want {
				return "", nil, fmt.Errorf("batch %s: sequence %d of table %q arrived before %d", m.ID, seq, table, want)
			}
			if !seen {
				r.order = append(r.order, table)
			}
			r.next[table] = seq + 1
			if r.file.SHA256 == "" {
				r.file.SHA256 = m.Header[HeaderSHA256]
			}
			rec, err := record.DecodeIPC(m.Data, r.mem)
			if err != nil {
				return "", nil, fmt.Errorf("batch %s: %w", m.ID, err)
			}
			r.decoded += int64(len(m.Data))
			return table, rec, nil
		case bus.TypeFileParsed:
			var p bus.FileParsed
			if err := bus.Decode(m, bus.TypeFileParsed, &p); err != nil {
				return "", nil, err
			}
			r.parsed = &p
			if p.Status != bus.StatusOK {
				return "", nil, &notLoaded{&p}
			}
			if err := r.complete(&p); err != nil {
				return "", nil, err
			}
			if r.file.SHA256 == "" {
				r.file.SHA256 = p.SHA256
			}
			return "", nil, io.EOF
		case bus.TypeFileParseRetry:
			var n bus.FileParseRetry
			if err := bus.Decode(m, bus.TypeFileParseRetry, &n); err != nil {
				return "", nil, err
			}
			if wait := n.RetryAt.Sub(r.now()); wait > 0 {
				return "", nil, &retryLater{notice: &n, wait: wait}
			}
			// An earlier attempt's notice: the next attempt is due or
			// under way, and its batches follow.
		}
	}
}

// read returns the next message, or errIdle when none comes in time.
func (r *batchReader) read(ctx context.Context) (*bus.Message, error) {
	rctx, cancel := context.WithTimeout(ctx, r.idle)
	defer cancel()
	m, err := r.cur.Next(rctx)
	if err != nil && ctx.Err() == nil && rctx.Err() != nil {
		return nil, errIdle
	}
	return m, err
}

// complete checks that every batch the trailer counts was read.
func (r *batchReader) complete(p *bus.FileParsed) error {
	for _, t := range p.Tables {
		if got := r.next[t.Name]; got != t.Batches {
			return fmt.Errorf("table %q: read %d batches, the parser published %d", t.Name, got, t.Batches)
		}
	}
	if len(r.next) != len(p.Tables) {
		return fmt.Errorf("read batches of %d tables, the parser reported %d", len(r.next), len(p.Tables))
	}
	return nil
}
