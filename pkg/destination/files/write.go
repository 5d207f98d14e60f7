package files

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/filedge/filedge/pkg/destination"
	"github.com/filedge/filedge/pkg/format"
)

// writeOutput writes a new output file in dir, in the destination's
// format and schema s, with the batches that rows hands to its write
// function (each conformed to s by the caller), and syncs it. It returns
// the file's path. An error of the disk is returned as it is (a retry may
// succeed); the writer refusing a value is a *destination.PermanentError.
func (d *Dest) writeOutput(ctx context.Context, dir string, s *shape, rows func(write func(arrow.RecordBatch) error) error) (path string, err error) {
	f, err := createTemp(dir, "out-", d.l.ext)
	if err != nil {
		return "", err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	bw := bufio.NewWriterSize(f, 1<<20)
	out := &ioTracker{w: bw}
	w, err := d.newWriter(out, s.schema, format.Options{})
	if err != nil {
		return "", &destination.PermanentError{Err: err}
	}
	write := func(rec arrow.RecordBatch) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		return w.Write(rec)
	}
	err = rows(write)
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	switch {
	case err == nil:
	case out.err != nil:
		return "", out.err
	case errors.Is(err, ctx.Err()) || destination.IsPermanent(err):
		return "", err
	default:
		return "", &destination.PermanentError{Err: err}
	}
	if err := bw.Flush(); err != nil {
		return "", err
	}
	if err := f.Sync(); err != nil {
		return "", err
	}
	return f.Name(), f.Close()
}

// writeSpooled writes the rows of a spooled table in schema s, with the
// system columns of st, to a new output file in dir.
func (d *Dest) writeSpooled(ctx context.Context, dir string, t *spooled, s *shape, st *stamp) (string, error) {
	mem := memory.DefaultAllocator
	var losses *workbookLosses
	if d.format == "excel" {
		losses = &workbookLosses{instants: map[string]int{}, empty: map[string]int{}}
	}
	path, err := d.writeOutput(ctx, dir, s, func(write func(arrow.RecordBatch) error) error {
		return t.each(ctx, mem, func(rec arrow.RecordBatch) error {
			out, err := s.conform(mem, rec, st)
			if err != nil {
				return &destination.PermanentError{Err: fmt.Errorf("table %q: %w", t.name, err)}
			}
			defer out.Release()
			if losses != nil {
				losses.count(out, s)
			}
			if err := write(out); err != nil {
				return fmt.Errorf("table %q: %w", t.name, err)
			}
			return nil
		})
	})
	if err == nil && losses != nil {
		losses.report(d.log, d.name, t.name)
	}
	return path, err
}

// rewrite writes the output rel of table, whose rows are in schema from,
// anew in schema to, to a new file in dir: what widening a column or
// adding one does to the table's other files.
func (d *Dest) rewrite(ctx context.Context, dir, table, rel string, from, to *shape) (string, error) {
	mem := memory.DefaultAllocator
	return d.writeOutput(ctx, dir, to, func(write func(arrow.RecordBatch) error) error {
		return readOutput(ctx, d.format, d.l.abs(rel), from, mem, func(rec arrow.RecordBatch) error {
			out, err := to.conform(mem, rec, nil)
			if err != nil {
				return fmt.Errorf("table %q: %s: %w", table, rel, err)
			}
			defer out.Release()
			return write(out)
		})
	})
}
