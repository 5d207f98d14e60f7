package postgres

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/filedge/filedge/pkg/destination"
	"github.com/filedge/filedge/pkg/record"
)

// copyStream is the data of one COPY ... FROM STDIN BINARY: an io.Reader
// that encodes the rows of the commit's pending batch, and then of every
// following batch of the same table, pulling them from the file's Batches
// as it goes, so that one COPY spans a whole run of a table's batches. It
// stops, leaving the batch pending, at the first batch of another table, or
// one whose columns differ from the COPY's column list or need DDL; the
// commit then prepares the table and starts another COPY.
//
// The cells encode values straight from the Arrow arrays into the binary
// format of the column's type, without an allocation or an interface
// conversion per value. Columns whose type filedge did not create (a table
// made or altered by hand) go through pgx's encoders instead (pgxCell).
//
// pgconn calls Read from a goroutine of its own; a COPY that ends early may
// leave that goroutine in Read after CopyFrom returns, so Read and release
// share a mutex.
type copyStream struct {
	ctx context.Context // the commit's; lives as long as one CopyFrom call
	c   *commit
	t   *table

	columns []string       // data then system columns: the COPY's column list
	index   map[string]int // data column name → position in columns
	ndata   int            // number of data columns

	rec   arrow.RecordBatch // batch being copied, owned by the stream
	cells []cell            // per data column
	lines cell              // _line
	row   int               // current row of rec
	n     int               // rows in rec

	// file is the _file field of the batch's rows, encoded once per value
	// (fileRaw, as the batch or File.Path gave it); post holds the constant
	// system fields after _line, encoded once.
	file    []byte
	fileRaw string
	post    []byte
	rows    int64 // rows encoded
	err     error // an error of the stream (Batches, a conversion)

	mu      sync.Mutex
	ended   bool   // release was called: Read must not touch the batches
	buf     []byte // encoded rows; out is the part not read yet
	out     []byte
	started bool // the header is written
	done    bool // the trailer is written
}

// errCopyEnded is what a Read gets after the COPY has returned.
var errCopyEnded = errors.New("the COPY has ended")

// copyChunk is how much of the stream fill encodes at a time: a little
// under the 64 KiB pgconn sends per CopyData message.
const copyChunk = 60 << 10

// canonicalOID is the PostgreSQL type filedge creates for a column of type
// t (see sqlType): the binary format the cells write.
func canonicalOID(t record.Type) uint32 {
	if t.IsDecimal() {
		return pgtype.NumericOID
	}
	switch t.Stored() {
	case record.Boolean:
		return pgtype.BoolOID
	case record.Integer:
		return pgtype.Int8OID
	case record.Float:
		return pgtype.Float8OID
	case record.Date:
		return pgtype.DateOID
	case record.Timestamp:
		return pgtype.TimestamptzOID
	case record.JSON:
		return pgtype.JSONBOID
	}
	return pgtype.TextOID
}

// copyRun copies the pending batch, and the batches after it that continue
// the same COPY, into table t, and returns the number of rows copied.
func (c *commit) copyRun(ctx context.Context, t *table, fields []arrow.Field) (int64, error) {
	s, err := c.newCopy(ctx, t, fields)
	if err != nil {
		return 0, err
	}
	defer s.release()
	c.db.copies.Add(1)
	cols := make([]string, len(s.columns))
	for i, name := range s.columns {
		cols[i] = quote(name)
	}
	tag, err := c.tx.Conn().PgConn().CopyFrom(ctx, s, "COPY "+t.quoted+" ("+strings.Join(cols, ", ")+") FROM STDIN BINARY")
	s.release() // waits for a Read still running, so that s.err is final
	if s.err != nil {
		// The stream's error made the COPY fail: report it, not "COPY failed".
		return 0, s.err
	}
	if err != nil {
		return 0, fmt.Errorf("table %q: copy: %w", t.name, err)
	}
	if n := tag.RowsAffected(); n != s.rows {
		return 0, fmt.Errorf("table %q: COPY wrote %d rows of %d", t.name, n, s.rows)
	}
	return s.rows, nil
}

// newCopy starts the stream of a COPY of the data columns fields (then the
// system columns) into table t, whose columns fit them (see prepare). The
// stream starts with the commit's pending batch.
func (c *commit) newCopy(ctx context.Context, t *table, fields []arrow.Field) (*copyStream, error) {
	s := &copyStream{ctx: ctx, c: c, t: t, index: make(map[string]int, len(fields)), ndata: len(fields)}
	for _, f := range fields {
		s.index[f.Name] = len(s.columns)
		s.columns = append(s.columns, f.Name)
	}
	// Each row ends with _file (a constant of its batch: see bind), _line
	// and the constants of the version, whatever the order of
	// record.SystemColumns.
	s.columns = append(s.columns, record.FileColumn, record.LineColumn)
	for _, sc := range record.SystemColumns {
		var v binarySlot
		switch sc.Name {
		case record.FileColumn, record.LineColumn:
			continue
		case record.ModifiedColumn:
			v = c.modified
		case record.SyncedColumn:
			v = c.synced
		case record.HashColumn:
			v = c.hash
		default:
			return nil, fmt.Errorf("table %q: no value for system column %s", t.name, sc.Name)
		}
		enc, err := c.encodeConst(t, sc.Name, v)
		if err != nil {
			return nil, err
		}
		s.columns = append(s.columns, sc.Name)
		s.post = append(s.post, enc...)
	}
	return s, nil
}

// encodeConst encodes the constant value v of a system column, through pgx
// if the column's type is not the one filedge creates.
func (c *commit) encodeConst(t *table, name string, v binarySlot) ([]byte, error) {
	oid := t.oids[name]
	if oid == canonicalOID(t.cols[name]) {
		return v.appendBinary(nil), nil
	}
	var val any
	switch v := v.(type) {
	case textSlot:
		val = &v
	case timestampSlot:
		val = &v
	}
	p := &pgxCell{m: c.tx.Conn().TypeMap(), oid: oid, name: name}
	buf := p.encode(nil, val)
	if p.err != nil {
		return nil, &destination.PermanentError{Err: fmt.Errorf("table %q: %w", t.name, p.err)}
	}
	return buf, nil
}

// Read implements io.Reader: the COPY's binary stream (see "Binary Format"
// in PostgreSQL's COPY documentation).
func (s *copyStream) Read(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ended {
		return 0, errCopyEnded
	}
	for len(s.out) == 0 {
		if s.done {
			return 0, io.EOF
		}
		s.fill()
		if s.err != nil {
			return 0, s.err
		}
	}
	n := copy(p, s.out)
	s.out = s.out[n:]
	return n, nil
}

// fill encodes the next rows into s.buf, and makes them s.out.
func (s *copyStream) fill() {
	buf := s.buf[:0]
	if !s.started {
		buf = append(buf, "PGCOPY\n\xff\r\n\x00"...)
		buf = append(buf, 0, 0, 0, 0, 0, 0, 0, 0) // flags, header extension length
		s.started = true
	}
	fields := uint16(len(s.columns))
	for len(buf) < copyChunk {
		if !s.next() {
			if s.err == nil {
				buf = append(buf, 0xff, 0xff) // trailer
				s.done = true
			}
			break
		}
		buf = binary.BigEndian.AppendUint16(buf, fields)
		for _, c := range s.cells {
			buf = c.appendTo(buf, s.row)
		}
		buf = append(buf, s.file...)
		buf = s.lines.appendTo(buf, s.row)
		buf = append(buf, s.post...)
		if s.err != nil { // a pgxCell could not encode a value
			break
		}
		s.rows++
	}
	s.buf, s.out = buf, buf
}

// next moves to the next row, reading batches as needed. It reports false
// at the end of the COPY's rows, or on an error (s.err).
func (s *copyStream) next() bool {
	for s.row+1 >= s.n {
		if !s.advance() {
			return false
		}
	}
	s.row++
	return true
}

// advance moves to the next batch: the pending one, or else one from
// Batches, if it continues this COPY.
func (s *copyStream) advance() bool {
	s.drop()
	if s.err != nil {
		return false
	}
	if s.c.pending == nil {
		if s.c.eof {
			return false
		}
		if err := s.c.next(s.ctx); err != nil {
			s.err = err
			return false
		}
		if s.c.pending == nil {
			return false
		}
	}
	p := s.c.pending
	if p.table != s.t.name || !s.fits(p.rec.Schema()) {
		return false // leave it pending for the next COPY
	}
	if err := s.bind(p.rec); err != nil {
		s.err = err
		return false
	}
	s.c.pending = nil
	return true
}

// fits reports whether a batch of the COPY's table can go into this COPY:
// the same data columns, in any order, each fitting its table column as it
// is.
func (s *copyStream) fits(schema *arrow.Schema) bool {
	n := 0
	for _, f := range schema.Fields() {
		if f.Name == record.LineColumn || f.Name == record.FileColumn {
			continue
		}
		n++
		if _, ok := s.index[f.Name]; !ok {
			return false
		}
		have, ok := s.t.cols[f.Name]
		if !ok || !holds(have, record.TypeOf(f)) {
			return false
		}
	}
	return n == s.ndata
}

// bind makes rec the batch being copied.
func (s *copyStream) bind(rec arrow.RecordBatch) error {
	if err := s.bindFile(rec); err != nil {
		return err
	}
	s.cells = make([]cell, s.ndata)
	s.lines = nullCell{}
	for i, f := range rec.Schema().Fields() {
		if f.Name == record.FileColumn {
			continue // bindFile's
		}
		name, to := f.Name, s.t.cols[f.Name]
		if name == record.LineColumn {
			f, to = record.Field(record.LineColumn, record.Integer), record.Integer
		}
		c, err := newCell(rec.Column(i), f, to)
		if err != nil {
			return &destination.PermanentError{Err: fmt.Errorf("table %q: %w", s.t.name, err)}
		}
		if oid := s.t.oids[name]; oid != canonicalOID(to) {
			c = &pgxCell{cell: c, m: s.c.tx.Conn().TypeMap(), oid: oid, name: name, stream: s}
		}
		if name == record.LineColumn {
			s.lines = c
		} else {
			s.cells[s.index[name]] = c
		}
	}
	s.rec, s.row, s.n = rec, -1, int(rec.NumRows())
	return nil
}

// bindFile sets the _file field of rec's rows: the archive member its
// record.FileColumn names, or else the file's path (see destination.BatchFile). It
// encodes the value only when it differs from the previous batch's, so a
// run of one file's batches pays for it once.
func (s *copyStream) bindFile(rec arrow.RecordBatch) error {
	raw, err := destination.BatchFile(rec, s.c.f.Path)
	if err != nil {
		return &destination.PermanentError{Err: fmt.Errorf("table %q: %w", s.t.name, err)}
	}
	if s.file != nil && raw == s.fileRaw {
		return nil
	}
	enc, err := s.c.encodeConst(s.t, record.FileColumn, textSlot{cleanText(raw)})
	if err != nil {
		return err
	}
	s.file, s.fileRaw = enc, raw
	return nil
}

// drop releases the batch being copied, if any.
func (s *copyStream) drop() {
	if s.rec != nil {
		s.rec.Release()
		s.rec, s.cells, s.lines = nil, nil, nil
	}
}

// release ends the stream, waiting for a Read in progress, and drops the
// batch being copied.
func (s *copyStream) release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ended = true
	s.drop()
}

// pgxCell encodes a cell's values through pgx, for a column whose type is
// not the one filedge creates (int4, numeric, varchar, timestamp, uuid...):
// pgx converts the typed value into the column's type, as pgx.CopyFrom
// does, falling back to the value's text. A value the type cannot hold
// fails the stream with a permanent error.
type pgxCell struct {
	cell
	m      *pgtype.Map
	oid    uint32
	name   string
	stream *copyStream // where an error goes; nil for a constant
	err    error
}

func (p *pgxCell) appendTo(buf []byte, row int) []byte {
	v := p.value(row)
	if v == nil {
		return appendNull(buf)
	}
	buf = p.encode(buf, v)
	if p.err != nil && p.stream != nil && p.stream.err == nil {
		p.stream.err = &destination.PermanentError{Err: fmt.Errorf("table %q: %w", p.stream.t.name, p.err)}
	}
	return buf
}

// encode appends v as a COPY field of the column's type; on failure it
// sets p.err and returns buf unchanged.
func (p *pgxCell) encode(buf []byte, v any) []byte {
	start := len(buf)
	out, err := p.m.Encode(p.oid, pgtype.BinaryFormatCode, v, append(buf, 0, 0, 0, 0))
	if err != nil {
		// Like pgx.CopyFrom: through the value's text, parsed as the
		// column's type.
		var text []byte
		if text, err = p.m.Encode(p.oid, pgtype.TextFormatCode, v, nil); err == nil {
			var parsed any
			if err = p.m.Scan(p.oid, pgtype.TextFormatCode, text, &parsed); err == nil {
				out, err = p.m.Encode(p.oid, pgtype.BinaryFormatCode, parsed, append(buf, 0, 0, 0, 0))
			}
		}
	}
	if err != nil {
		p.err = fmt.Errorf("column %q: %w", p.name, err)
		return buf[:start]
	}
	if out == nil {
		return appendNull(buf[:start])
	}
	binary.BigEndian.PutUint32(out[start:], uint32(len(out)-start-4))
	return out
}

// next reads the next batch from the file's Batches into c.pending, or sets
// c.eof.
func (c *commit) next(ctx context.Context) error {
	name, rec, err := c.batches.Next(ctx)
	if errors.Is(err, io.EOF) {
		c.eof = true
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
		return fmt.Errorf("read batches: table %q: nil batch", name)
	}
	c.pending = &batch{table: name, rec: rec}
	return nil
}
