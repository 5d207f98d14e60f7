package avro

import (
	"bufio"
	"context"
	"errors"
	"fmt"

	"github.com/filedge/filedge/pkg/format"
	"github.com/filedge/filedge/pkg/record"
)

func init() {
	format.Register(format.Info{
		Code:       "avro",
		Label:      "Avro",
		Extensions: []string{".avro"},
		Binary:     true,
	}, New)
}

const (
	// bufferSize is the size of the reader's read buffer.
	bufferSize = 64 << 10
	// checkEvery is how many records the reader reads between two looks
	// at its context (it looks before every block too).
	checkEvery = 1024
)

// Reader reads Avro object container files. Make one with New.
type Reader struct {
	maxBlock  int64 // cap on one block, as stored and expanded
	maxHeader int   // cap on the header (schema and metadata)
	maxField  int   // cap on one cell's text
}

// New returns a Reader for opts. It reads these settings:
//
//   - MaxSpoolBytes caps one block, compressed and expanded (the reader
//     holds one block in memory at a time); 0 means
//     format.DefaultMaxSpoolBytes;
//   - MaxLineBytes caps the header, schema included; 0 means
//     format.DefaultMaxLineBytes;
//   - MaxFieldBytes caps the text of one cell (a string, or a nested
//     value as JSON); 0 means format.DefaultMaxFieldBytes.
func New(opts format.Options) (format.Reader, error) {
	r := &Reader{maxBlock: opts.MaxSpoolBytes, maxHeader: opts.MaxLineBytes, maxField: opts.MaxFieldBytes}
	switch {
	case r.maxBlock < 0:
		return nil, fmt.Errorf("avro: max spool bytes %d is negative", r.maxBlock)
	case r.maxHeader < 0:
		return nil, fmt.Errorf("avro: max line bytes %d is negative", r.maxHeader)
	case r.maxField < 0:
		return nil, fmt.Errorf("avro: max field bytes %d is negative", r.maxField)
	}
	if r.maxBlock == 0 {
		r.maxBlock = format.DefaultMaxSpoolBytes
	}
	if r.maxHeader == 0 {
		r.maxHeader = format.DefaultMaxLineBytes
	}
	if r.maxField == 0 {
		r.maxField = format.DefaultMaxFieldBytes
	}
	return r, nil
}

// Read reads the records of in into table "", one block at a time.
//
// The columns are the fields of the schema's top-level record, in order,
// with the types the package documentation lists; a schema that is not a
// record is one column, "value". Each record is a row, and its line is its
// number in the file, from 1.
//
// A file that is not an object container file, a header that does not
// parse, an unsupported codec, and a block that is truncated, does not end
// with the sync marker, does not decompress or declares more records than
// its bytes can hold are each a *format.FileError (with the line of the
// block's first record). A record whose bytes do not decode by the schema
// is a row error, and so are the records after it in its block, which
// cannot be found without it: they are reported in the same row error, and
// reading goes on with the next block. A value that its column cannot hold
// (a date beyond year 9999, text over the field cap) is a row error naming
// the column, and reading goes on with the next record. Bytes left in a
// block after its last record are reported as an issue.
//
// Cells' text shares the reader's buffers: it is valid until Row returns.
func (r *Reader) Read(ctx context.Context, in *format.Input, w format.Writer) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c := &container{br: bufio.NewReaderSize(in.R, bufferSize), maxBlock: r.maxBlock, maxHeader: r.maxHeader}
	defer c.close()
	if err := c.readHeader(); err != nil {
		return fail(in.Path, 0, err)
	}
	cols := columnsOf(c.header.schema)
	declared := make([]format.Column, len(cols))
	for i, col := range cols {
		declared[i] = format.Column{Name: col.name, Type: col.n.col}
	}
	if err := w.Begin("", declared); err != nil {
		return err
	}
	for _, col := range cols {
		if n := wideDecimal(col.n); n != nil {
			w.Issue(fmt.Sprintf("Column %q is a decimal(%d,%d), wider than the %d digits a decimal column holds: loaded as string, the exact text", col.name, n.prec, n.scale, record.MaxDecimalPrecision))
		}
	}
	s := &stream{path: in.Path, c: c, w: w, d: newDecoder(cols, r.maxField)}
	return s.run(ctx)
}

// wideDecimal returns the decimal of column type n, or of one of its union
// branches, that has more digits than a decimal column holds, or nil.
func wideDecimal(n *node) *node {
	for _, b := range append([]*node{n}, n.union...) {
		if b.logical == logicalDecimal && b.prec > record.MaxDecimalPrecision {
			return b
		}
	}
	return nil
}

// fail makes err, met reading the file at record line (0 for the header),
// a *format.FileError, unless it is a failure to read the bytes.
func fail(path string, line int64, err error) error {
	var re *readError
	if errors.As(err, &re) {
		if line > 0 {
			return fmt.Errorf("%s: record %d: %w", path, line, re.err)
		}
		return fmt.Errorf("%s: %w", path, re.err)
	}
	return &format.FileError{File: path, Line: line, Err: err}
}

// stream reads the blocks of one file into its writer.
type stream struct {
	path string
	c    *container
	w    format.Writer
	d    *decoder

	line     int64 // records so far
	trailing int   // blocks with bytes after their last record
}

func (s *stream) run(ctx context.Context) error {
	for block := 1; ; block++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		count, data, more, err := s.c.next()
		if err != nil {
			return fail(s.path, s.line+1, fmt.Errorf("block %d: %w", block, err))
		}
		if !more {
			break
		}
		if err := s.check(count, data); err != nil {
			return fail(s.path, s.line+1, fmt.Errorf("block %d: %w", block, err))
		}
		if err := s.block(ctx, block, count, data); err != nil {
			return err
		}
	}
	for _, issue := range s.d.nulledIssues() {
		s.w.Issue(issue)
	}
	switch {
	case s.trailing == 2:
		s.w.Issue("1 more block has bytes after its last record")
	case s.trailing > 2:
		s.w.Issue(fmt.Sprintf("%d more blocks have bytes after their last record", s.trailing-1))
	}
	return nil
}

// check refuses a block that declares more records than its bytes can
// hold.
func (s *stream) check(count int64, data []byte) error {
	least := s.c.header.schema.min
	if least > 0 {
		if count > int64(len(data)/least) {
			return fmt.Errorf("declares %d records, more than its %d bytes can hold", count, len(data))
		}
		return nil
	}
	if err := s.d.take(count, 0); err != nil {
		return fmt.Errorf("declares %d records: %w", count, err)
	}
	return nil
}

// block writes the count records of a block.
func (s *stream) block(ctx context.Context, block int, count int64, data []byte) error {
	d := s.d
	d.buf, d.pos = data, 0
	first := s.line + 1
	for k := range count {
		s.line++
		if s.line%checkEvery == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		d.line = s.line
		if err := d.row(); err != nil {
			return s.corrupt(err, count-k-1)
		}
		if d.valueErr != nil {
			re := &format.RowError{File: s.path, Line: s.line, Column: d.cols[d.valueCol].name, Err: d.valueErr}
			if err := s.w.RowError(re); err != nil {
				return err
			}
			continue
		}
		if err := s.w.Row(s.line, d.cells); err != nil {
			return err
		}
	}
	if left := len(data) - d.pos; left > 0 {
		s.trailing++
		if s.trailing == 1 {
			s.w.Issue(fmt.Sprintf("Block %d (records %d to %d) has %d bytes after its last record: the data may not match the schema", block, first, s.line, left))
		}
	}
	return nil
}

// corrupt reports a record that does not decode, and the lost records
// after it in its block, as one row error.
func (s *stream) corrupt(err error, lost int64) error {
	var ce *columnError
	column := ""
	if errors.As(err, &ce) {
		column, err = ce.column, ce.err
	}
	switch {
	case lost == 1:
		err = fmt.Errorf("record does not decode by the file's schema, and the record after it in its block is lost with it: %w", err)
	case lost > 1:
		err = fmt.Errorf("record does not decode by the file's schema, and the %d records after it in its block are lost with it: %w", lost, err)
	default:
		err = fmt.Errorf("record does not decode by the file's schema: %w", err)
	}
	re := &format.RowError{File: s.path, Line: s.line, Column: column, Err: err}
	s.line += lost
	return s.w.RowError(re)
}
