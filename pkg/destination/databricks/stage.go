package databricks

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/filedge/filedge/pkg/destination"
	"github.com/filedge/filedge/pkg/format/parquet"
	"github.com/filedge/filedge/pkg/record"
)

// stagePrefix starts the name of the staging tables a commit creates
// (and drops) beside the destination's tables.
const stagePrefix = "_filedge_stage_"

// Bounds of a staged Parquet file: a commit starts a new file after this
// many rows, and writes row groups of at most maxGroupBytes (the writer
// holds one row group in memory).
const (
	maxFileRows   = 1 << 20
	maxGroupBytes = 32 << 20
)

// stagedFile is a Parquet file written for a table, on local disk until
// it is uploaded.
type stagedFile struct {
	local string
	sha   string // hex SHA-256 of its bytes: its name in the volume
	rows  int64
}

// segment is a run of a table's batches staged with the same columns and
// types.
type segment struct {
	cols  []column // data columns, with their logical types
	files []stagedFile
}

// stager writes one table's batches into Parquet files on local disk, in
// the column types of the destination table, converting values as they
// come: a file's data columns are named c0, c1 ... in the order the table's
// batches first bring them (so that no column name, however strange, has
// to survive Parquet, COPY INTO or a SQL alias), then _line and _file.
type stager struct {
	dir   string
	table string
	path  string // the file's path: _file of batches that name no member
	mem   memory.Allocator
	have  map[string]record.Type // the table's column types when its first batch came

	segs []*segment
	cur  *segment // the last of segs
	w    *parquet.RecordWriter
	f    *os.File
	h    hash.Hash
	n    int64 // rows in the open file
	rows int64
}

func newStager(dir, table, path string, have []column) *stager {
	s := &stager{dir: dir, table: table, path: path, mem: memory.DefaultAllocator, have: map[string]record.Type{}}
	for _, c := range have {
		s.have[c.name] = c.typ
	}
	return s
}

// stageName is the name of a table's ith data column in the staged files
// and the staging table.
func stageName(i int) string { return "c" + strconv.Itoa(i) }

// add stages one batch of the table.
func (s *stager) add(rec arrow.RecordBatch) error {
	fields, err := dataFields(rec.Schema())
	if err != nil {
		return err
	}
	file, err := destination.BatchFile(rec, s.path)
	if err != nil {
		return &destination.PermanentError{Err: err}
	}
	line := rec.Schema().FieldIndices(record.LineColumn)
	if len(line) != 1 || !arrow.TypeEqual(rec.Column(line[0]).DataType(), arrow.PrimitiveTypes.Int64) {
		return &destination.PermanentError{Err: fmt.Errorf("the batch has no %s column of integers", record.LineColumn)}
	}

	// The columns this batch needs: the current ones, widened where its
	// values need it, and its new ones.
	var cols []column
	if s.cur != nil {
		cols = append(cols, s.cur.cols...)
	}
	index := map[string]int{}
	for i, c := range cols {
		index[c.name] = i
	}
	changed := s.cur == nil
	for _, f := range fields {
		in := record.TypeOf(f)
		if i, ok := index[f.Name]; ok {
			if w := record.Widen(cols[i].typ, in); w != cols[i].typ {
				cols[i].typ, changed = w, true
			}
			continue
		}
		t := in.Stored()
		if have, ok := s.have[f.Name]; ok {
			t = record.Widen(have, in)
		}
		index[f.Name] = len(cols)
		cols = append(cols, column{f.Name, t})
		changed = true
	}
	if changed {
		if err := s.closeFile(); err != nil {
			return err
		}
		s.cur = &segment{cols: cols}
		s.segs = append(s.segs, s.cur)
	}

	arrays := make([]arrow.Array, 0, len(cols)+2)
	defer func() {
		for _, a := range arrays {
			a.Release()
		}
	}()
	for _, c := range cols {
		var a arrow.Array
		if idx := rec.Schema().FieldIndices(c.name); len(idx) == 1 {
			a, err = convert(s.mem, rec.Column(idx[0]), record.TypeOf(rec.Schema().Field(idx[0])), c.typ)
		} else {
			a, err = convert(s.mem, array.MakeArrayOfNull(s.mem, arrow.BinaryTypes.String, int(rec.NumRows())), record.Unknown, c.typ)
		}
		if err != nil {
			return &destination.PermanentError{Err: fmt.Errorf("column %q: %w", c.name, err)}
		}
		arrays = append(arrays, a)
	}
	lines := rec.Column(line[0])
	lines.Retain()
	arrays = append(arrays, lines)
	fb := array.NewStringBuilder(s.mem)
	for range rec.NumRows() {
		fb.Append(file)
	}
	arrays = append(arrays, fb.NewArray())
	fb.Release()
	return s.write(cols, arrays, rec.NumRows())
}

// schema is the schema of the staged files of a segment with cols.
func stageSchema(cols []column) *arrow.Schema {
	fields := make([]arrow.Field, 0, len(cols)+2)
	for i, c := range cols {
		fields = append(fields, record.Field(stageName(i), stagedType(c.typ)))
	}
	fields = append(fields, record.Field(record.LineColumn, record.Integer), record.Field(record.FileColumn, record.String))
	return arrow.NewSchema(fields, nil)
}

// write appends the staged columns of n rows to the open file of the
// current segment, opening one if needed, and closes the file once it has
// maxFileRows rows.
func (s *stager) write(cols []column, arrays []arrow.Array, n int64) error {
	if s.w == nil {
		f, err := os.CreateTemp(s.dir, "stage-*.parquet")
		if err != nil {
			return fmt.Errorf("stage table %q: %w", s.table, err)
		}
		s.f, s.h, s.n = f, sha256.New(), 0
		w, err := parquet.NewRecordWriter(io.MultiWriter(f, s.h), stageSchema(cols), parquet.WriterOptions{MaxRowGroupBytes: maxGroupBytes})
		if err != nil {
			return fmt.Errorf("stage table %q: %w", s.table, err)
		}
		s.w = w
	}
	rec := array.NewRecordBatch(stageSchema(cols), arrays, n)
	defer rec.Release()
	if err := s.w.Write(rec); err != nil {
		return fmt.Errorf("stage table %q: %w", s.table, err)
	}
	s.n += n
	s.rows += n
	if s.n >= maxFileRows {
		return s.closeFile()
	}
	return nil
}

// closeFile finishes the open file, if any, and records it in the current
// segment.
func (s *stager) closeFile() error {
	if s.w == nil {
		return nil
	}
	w, f := s.w, s.f
	s.w, s.f = nil, nil
	err := w.Close()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("stage table %q: %w", s.table, err)
	}
	s.cur.files = append(s.cur.files, stagedFile{local: f.Name(), sha: hex.EncodeToString(s.h.Sum(nil)), rows: s.n})
	return nil
}

// finish closes the last file and returns the table's data columns in
// their staged order, with the widest types its batches need.
func (s *stager) finish() ([]column, error) {
	if err := s.closeFile(); err != nil {
		return nil, err
	}
	if len(s.segs) == 0 {
		return nil, nil
	}
	return append([]column{}, s.segs[len(s.segs)-1].cols...), nil
}

// restage rewrites every segment whose columns are not final (in name,
// order prefix and type) into files of the final columns, reading its
// files back: a table whose types widened within the file, or whose
// columns another commit widened meanwhile. It returns every file to
// upload.
func (s *stager) restage(final []column) ([]stagedFile, error) {
	var out []stagedFile
	for _, seg := range s.segs {
		if sameColumns(seg.cols, final) {
			out = append(out, seg.files...)
			continue
		}
		s.cur = &segment{cols: final}
		for _, sf := range seg.files {
			if err := s.rewrite(sf, seg.cols, final); err != nil {
				return nil, err
			}
		}
		if err := s.closeFile(); err != nil {
			return nil, err
		}
		out = append(out, s.cur.files...)
	}
	return out, nil
}

func sameColumns(a, b []column) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// rewrite reads a staged file of columns from back and writes its rows in
// columns to (from's columns are a prefix of to's, each of a type that
// to's holds).
func (s *stager) rewrite(sf stagedFile, from, to []column) error {
	f, err := os.Open(sf.local)
	if err != nil {
		return fmt.Errorf("stage table %q: %w", s.table, err)
	}
	defer f.Close()
	pf, err := file.NewParquetReader(f)
	if err != nil {
		return fmt.Errorf("stage table %q: read back %s: %w", s.table, filepath.Base(sf.local), err)
	}
	defer pf.Close()
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: 64 << 10}, s.mem)
	if err != nil {
		return fmt.Errorf("stage table %q: read back: %w", s.table, err)
	}
	rr, err := fr.GetRecordReader(context.Background(), nil, nil)
	if err != nil {
		return fmt.Errorf("stage table %q: read back: %w", s.table, err)
	}
	defer rr.Release()
	for rr.Next() {
		rec := rr.RecordBatch()
		arrays := make([]arrow.Array, 0, len(to)+2)
		release := func() {
			for _, a := range arrays {
				a.Release()
			}
		}
		for i, c := range to {
			var a arrow.Array
			if i < len(from) {
				a, err = convert(s.mem, rec.Column(i), stagedType(from[i].typ), c.typ)
			} else {
				a, err = convert(s.mem, array.MakeArrayOfNull(s.mem, arrow.BinaryTypes.String, int(rec.NumRows())), record.Unknown, c.typ)
			}
			if err != nil {
				release()
				return fmt.Errorf("stage table %q: column %q: %w", s.table, c.name, err)
			}
			arrays = append(arrays, a)
		}
		for _, col := range []int{len(from), len(from) + 1} { // _line, _file
			a := rec.Column(col)
			a.Retain()
			arrays = append(arrays, a)
		}
		err := s.write(to, arrays, rec.NumRows())
		release()
		if err != nil {
			return err
		}
	}
	if err := rr.Err(); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("stage table %q: read back: %w", s.table, err)
	}
	return nil
}
