package files

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/filedge/filedge/pkg/destination"
	"github.com/filedge/filedge/pkg/format"
	"github.com/filedge/filedge/pkg/record"
)

// spool holds a file version's batches on disk, table by table, from the
// moment Batches returns them until the commit writes each table's output
// in its final schema: the batches of one table may widen from batch to
// batch, and an output is written once, with the widest. It holds no batch
// in memory, so a file of any size commits in bounded memory.
type spool struct {
	dir    string
	tables []*spooled // in the order of their first batch
	rows   int64
}

// spooled is one table of a spool: its batches as Arrow IPC streams in one
// temporary file, a stream per run of batches of one schema.
type spooled struct {
	name string
	f    *os.File
	bw   *bufio.Writer
	pos  int64 // bytes written to bw
	w    *ipc.Writer
	cur  *arrow.Schema // schema of the stream being written
	from int64         // where it starts
	segs []segment
	// cols are the table's data columns, in the order they first came,
	// each with the widest type of its batches (Unknown for a column of
	// nulls only).
	cols []column
	rows int64
}

// segment is where one IPC stream lies in a spool file.
type segment struct{ off, n int64 }

// Write implements io.Writer for the IPC writer, counting the bytes.
func (s *spooled) Write(p []byte) (int, error) {
	n, err := s.bw.Write(p)
	s.pos += int64(n)
	return n, err
}

// readSpool reads every batch of f into a new spool in dir. Any error
// leaves no spool behind; a batch that breaks the contract of
// destination.Batches is a *destination.PermanentError.
func readSpool(ctx context.Context, dir string, f *destination.File) (*spool, error) {
	s := &spool{dir: dir}
	err := s.read(ctx, f)
	if err == nil {
		err = s.close()
	}
	if err != nil {
		s.remove()
		return nil, err
	}
	return s, nil
}

func (s *spool) read(ctx context.Context, f *destination.File) error {
	for {
		table, rec, err := f.Batches.Next(ctx)
		if errors.Is(err, io.EOF) {
			if rec != nil {
				rec.Release()
			}
			return nil
		}
		if err != nil {
			if rec != nil {
				rec.Release()
			}
			return fmt.Errorf("read batches: %w", err)
		}
		if rec == nil {
			return fmt.Errorf("read batches: table %q: Next returned no batch and no error", table)
		}
		err = s.add(table, rec, f.Path)
		rec.Release()
		if err != nil {
			return err
		}
	}
}

// add spools one batch of table.
func (s *spool) add(table string, rec arrow.RecordBatch, path string) error {
	if table == "" {
		return &destination.PermanentError{Err: errors.New("batch has no table name")}
	}
	t, err := s.table(table)
	if err != nil {
		return err
	}
	if err := t.widen(rec); err != nil {
		return &destination.PermanentError{Err: fmt.Errorf("table %q: %w", table, err)}
	}
	if _, err := destination.BatchFile(rec, path); err != nil {
		return &destination.PermanentError{Err: fmt.Errorf("table %q: %w", table, err)}
	}
	if t.cur == nil || !t.cur.Equal(rec.Schema()) {
		if err := t.endStream(); err != nil {
			return err
		}
		t.cur, t.from = rec.Schema(), t.pos
		t.w = ipc.NewWriter(t, ipc.WithSchema(rec.Schema()))
	}
	if err := t.w.Write(rec); err != nil {
		return fmt.Errorf("table %q: spool a batch: %w", table, err)
	}
	t.rows += rec.NumRows()
	s.rows += rec.NumRows()
	return nil
}

// table returns the spooled table named name, starting it on its first
// batch.
func (s *spool) table(name string) (*spooled, error) {
	for _, t := range s.tables {
		if t.name == name {
			return t, nil
		}
	}
	f, err := os.CreateTemp(s.dir, "spool-*.arrows")
	if err != nil {
		return nil, fmt.Errorf("table %q: spool: %w", name, err)
	}
	t := &spooled{name: name, f: f, bw: bufio.NewWriterSize(f, 1<<20)}
	s.tables = append(s.tables, t)
	return t, nil
}

// widen adds the data columns of rec to t.cols and widens their types to
// hold rec's. It refuses system columns other than the parser's _line and
// _file, a column named twice, and Arrow types pkg/record does not make.
func (t *spooled) widen(rec arrow.RecordBatch) error {
	seen := make(map[string]bool, rec.NumCols())
	for _, f := range rec.Schema().Fields() {
		if seen[f.Name] {
			return fmt.Errorf("batch has two columns named %q", f.Name)
		}
		seen[f.Name] = true
		switch {
		case f.Name == record.LineColumn:
			if f.Type.ID() != arrow.INT64 {
				return fmt.Errorf("batch column %s is Arrow %s, want int64", f.Name, f.Type)
			}
			continue
		case f.Name == record.FileColumn:
			continue // checked by destination.BatchFile
		case record.IsSystem(f.Name):
			return fmt.Errorf("batch column %q is a system column", f.Name)
		}
		typ := record.TypeOf(f)
		if _, err := format.WriteType(f); err != nil {
			return err
		}
		i := indexOf(t.cols, f.Name)
		if i < 0 {
			t.cols = append(t.cols, column{Name: f.Name, Type: typ})
			continue
		}
		t.cols[i].Type = record.Widen(t.cols[i].Type, typ)
	}
	return nil
}

// indexOf returns the index of the column named name, or -1.
func indexOf(cols []column, name string) int {
	for i, c := range cols {
		if c.Name == name {
			return i
		}
	}
	return -1
}

// endStream ends the IPC stream being written, if any.
func (t *spooled) endStream() error {
	if t.w == nil {
		return nil
	}
	err := t.w.Close()
	t.w = nil
	if err != nil {
		return fmt.Errorf("table %q: spool: %w", t.name, err)
	}
	t.segs = append(t.segs, segment{off: t.from, n: t.pos - t.from})
	return nil
}

// close ends every table's last stream and flushes it to its file.
func (s *spool) close() error {
	for _, t := range s.tables {
		if err := t.endStream(); err != nil {
			return err
		}
		if err := t.bw.Flush(); err != nil {
			return fmt.Errorf("table %q: spool: %w", t.name, err)
		}
	}
	return nil
}

// each calls fn with every batch of t, in order; a batch is valid until fn
// returns.
func (t *spooled) each(ctx context.Context, mem memory.Allocator, fn func(arrow.RecordBatch) error) error {
	for _, seg := range t.segs {
		r, err := ipc.NewReader(io.NewSectionReader(t.f, seg.off, seg.n), ipc.WithAllocator(mem))
		if err != nil {
			return fmt.Errorf("table %q: read the spool: %w", t.name, err)
		}
		for r.Next() {
			if err = ctx.Err(); err == nil {
				err = fn(r.RecordBatch())
			}
			if err != nil {
				break
			}
		}
		if err == nil && r.Err() != nil {
			err = fmt.Errorf("table %q: read the spool: %w", t.name, r.Err())
		}
		r.Release()
		if err != nil {
			return err
		}
	}
	return nil
}

// remove deletes the spool's files.
func (s *spool) remove() {
	for _, t := range s.tables {
		if t.w != nil {
			t.w.Close()
		}
		t.f.Close()
		os.Remove(t.f.Name())
	}
	s.tables = nil
}
