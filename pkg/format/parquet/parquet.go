package parquet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/extensions"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/apache/arrow-go/v18/parquet/schema"

	"github.com/filedge/filedge/pkg/format"
	"github.com/filedge/filedge/pkg/record"
)

func init() {
	format.Register(format.Info{
		Code:       "parquet",
		Label:      "Parquet",
		Extensions: []string{".parquet", ".parq"},
		Binary:     true,
	}, New)
	format.RegisterWriter("parquet", newRecordWriter)
}

// Batch sizing: the reader decodes a row group in batches of about
// batchBytes of uncompressed data (by the row group's own average row
// size), of minBatchRows to maxBatchRows rows.
const (
	batchBytes   = 8 << 20
	minBatchRows = 64
	maxBatchRows = 64 << 10
)

// checkEvery is how many rows the reader writes between two looks at its
// context.
const checkEvery = 1024

// Reader reads Parquet files. Make one with New.
type Reader struct {
	limit int64
}

// New returns a Reader. opts.MaxSpoolBytes (0: format.DefaultMaxSpoolBytes)
// caps both the bytes of a file read from a stream into memory for random
// access and the memory its decoding may hold at once; the other options
// do not apply to Parquet.
func New(opts format.Options) (format.Reader, error) {
	if opts.MaxSpoolBytes < 0 {
		return nil, fmt.Errorf("parquet: max spool bytes %d is negative", opts.MaxSpoolBytes)
	}
	limit := opts.MaxSpoolBytes
	if limit == 0 {
		limit = format.DefaultMaxSpoolBytes
	}
	return &Reader{limit: limit}, nil
}

// Read reads the file into table "" of w, one column per top-level field
// of its schema, typed from the schema (see the package documentation),
// streaming row group by row group in batches. Fields it cannot represent
// are left out with an issue. A file that is not Parquet, is corrupt,
// encrypted, or would need more memory than the limit to decode fails with
// a *format.FileError.
func (r *Reader) Read(ctx context.Context, in *format.Input, w format.Writer) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	ra, size, err := in.RandomAccess(r.limit)
	if err != nil {
		var fe *format.FileError
		if errors.As(err, &fe) {
			return err
		}
		return fmt.Errorf("%s: %w", in.Path, err)
	}
	fr := &fileReader{path: in.Path, w: w, limit: r.limit, mem: newLimitedAllocator(r.limit)}
	return fr.read(ctx, ra, size)
}

// fileReader reads one file.
type fileReader struct {
	path  string
	w     format.Writer
	limit int64
	mem   *limitedAllocator

	// inWriter is set while w runs, so that a panic of the writer is not
	// mistaken for one of the decoder (format.Guard reports it).
	inWriter bool
	// line is the number of the next row, from 1; batchLine the first row
	// of the batch being decoded.
	line, batchLine int64

	cols  []*column
	cells []record.Cell
	buf   []byte
	spans []span
}

// span is the text of cell in fileReader.buf.
type span struct{ cell, start, end int }

// fail returns err as a file error, at the batch being decoded.
func (f *fileReader) fail(err error) error {
	return &format.FileError{File: f.path, Line: f.batchLine, Err: err}
}

// read reads the file of size bytes that ra reads. arrow-go reports much
// of what it finds corrupt by panicking; read runs it in the caller's
// goroutine without parallel column reads, so that such a panic reaches
// its recover and becomes a *format.FileError. What pqarrow still does in
// goroutines of its own (making column readers, decoding the leaves of
// struct fields) read does first in its goroutine: see checkRowGroup and
// predecode.
func (f *fileReader) read(ctx context.Context, ra io.ReaderAt, size int64) (err error) {
	defer func() {
		if p := recover(); p != nil {
			if f.inWriter {
				panic(p)
			}
			err = f.fail(panicError(p))
		}
	}()
	props := parquet.NewReaderProperties(f.mem)
	props.BufferedStreamEnabled = true
	// The allocator caps decoding memory at f.limit, with an error that
	// names max_spool_bytes; arrow-go's own caps on the sizes a page header
	// declares (64 MiB compressed, 256 MiB uncompressed) would refuse valid
	// files below it.
	props.MaxCompressedPageSize = math.MaxInt32
	props.MaxUncompressedPageSize = math.MaxInt32
	pf, changes, err := openFile(ra, size, f.limit, props, nil)
	if err != nil {
		return f.fail(err)
	}
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{Parallel: false}, f.mem)
	var bareIssues []string
	if err != nil {
		// A field pqarrow cannot map (a MAP with optional keys, an
		// annotation that does not fit its type) fails the whole schema:
		// find those fields and read them without their annotations.
		var bare []elemRange
		bare, bareIssues = unmappableFields(pf)
		pf.Close()
		if len(bare) == 0 {
			return f.fail(fmt.Errorf("unsupported schema: %w", err))
		}
		pf, changes, err = openFile(ra, size, f.limit, props, func(i int) bool {
			for _, r := range bare {
				if i >= r.start && i < r.end {
					return true
				}
			}
			return false
		})
		if err != nil {
			return f.fail(err)
		}
		if fr, err = pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{Parallel: false}, f.mem); err != nil {
			pf.Close()
			return f.fail(fmt.Errorf("unsupported schema: %w", err))
		}
	}
	defer pf.Close()
	fields, err := topFields(pf, fr, changes.int96)
	if err != nil {
		return f.fail(err)
	}
	cols, issues := planColumns(pf, fields)
	issues = append(bareIssues, issues...)
	f.cols = cols
	decl := make([]format.Column, len(cols))
	for i, c := range cols {
		decl[i] = format.Column{Name: c.name, Type: c.typ}
	}
	if err := f.begin(decl); err != nil {
		return err
	}
	for _, d := range changes.dropped {
		f.issue(fmt.Sprintf("Column %q has an unsupported logical type (union member %d): read as its physical type", d.column, d.field))
	}
	for _, msg := range issues {
		f.issue(msg)
	}
	if len(cols) == 0 {
		return nil
	}
	f.cells = make([]record.Cell, len(cols))
	var leaves []int
	for i, c := range cols {
		// pqarrow's batches hold the fields it reads in file order.
		c.src = i
		leaves = append(leaves, c.leaves...)
	}
	if len(leaves) == 0 {
		return f.fail(errors.New("its fields hold no columns"))
	}
	f.line = 1
	for rg := 0; rg < pf.NumRowGroups(); rg++ {
		if err := f.rowGroup(ctx, pf, fr, rg, leaves); err != nil {
			return err
		}
	}
	for _, c := range cols {
		for _, msg := range c.lost.issues(c.name) {
			f.issue(msg)
		}
	}
	return nil
}

// elemRange is the schema elements [start, end) of a top-level field, by
// index in the footer's schema list (the root being 0).
type elemRange struct{ start, end int }

// unmappableFields returns the top-level fields of pf's schema that
// pqarrow cannot map to Arrow on their own, with an issue for each. It
// takes pf's schema apart: pf is of no further use.
func unmappableFields(pf *file.Reader) ([]elemRange, []string) {
	root := pf.MetaData().Schema.Root()
	nodes := make([]schema.Node, root.NumFields())
	for i := range nodes {
		nodes[i] = root.Field(i)
	}
	var out []elemRange
	var issues []string
	next := 1
	for _, n := range nodes {
		r := elemRange{start: next, end: next + countNodes(n)}
		next = r.end
		g, err := schema.NewGroupNode("schema", parquet.Repetitions.Required, schema.FieldList{n}, -1)
		if err == nil {
			_, err = pqarrow.NewSchemaManifest(schema.NewSchema(g), nil, &pqarrow.ArrowReadProperties{})
		}
		if err != nil {
			out = append(out, r)
			issues = append(issues, fmt.Sprintf("%s: read without its logical types", unsupported(n.Name(), err.Error())))
		}
	}
	return out, issues
}

// countNodes returns the number of schema elements of the tree at n.
func countNodes(n schema.Node) int {
	g, ok := n.(*schema.GroupNode)
	if !ok {
		return 1
	}
	count := 1
	for i := 0; i < g.NumFields(); i++ {
		count += countNodes(g.Field(i))
	}
	return count
}

// topFields lists the file's top-level fields with their leaf columns,
// marking the leaves that were INT96: the schema elements int96 (by index,
// the root being 0; see sanitizeFooter).
func topFields(pf *file.Reader, fr *pqarrow.FileReader, int96 []int) ([]fieldInfo, error) {
	root := pf.MetaData().Schema.Root()
	if len(fr.Manifest.Fields) != root.NumFields() {
		return nil, fmt.Errorf("schema has %d fields, read as %d", root.NumFields(), len(fr.Manifest.Fields))
	}
	wasInt96 := int96Leaves(root, int96)
	out := make([]fieldInfo, len(fr.Manifest.Fields))
	for i := range fr.Manifest.Fields {
		sf := &fr.Manifest.Fields[i]
		fi := fieldInfo{field: *sf.Field, node: root.Field(i), leaves: leavesOf(sf, nil)}
		for k, leaf := range fi.leaves {
			if wasInt96[leaf] {
				fi.int96 = append(fi.int96, k)
			}
		}
		out[i] = fi
	}
	return out, nil
}

// int96Leaves returns the leaf columns (by column index) of the tree at
// root that are schema elements of elems (by index in the footer's schema
// list, the root being 0): the footer lists the elements of the tree in
// pre-order, and the leaves in that order are the columns.
func int96Leaves(root *schema.GroupNode, elems []int) map[int]bool {
	if len(elems) == 0 {
		return nil
	}
	want := make(map[int]bool, len(elems))
	for _, e := range elems {
		want[e] = true
	}
	out := make(map[int]bool, len(elems))
	next, col := 1, 0
	var walk func(n schema.Node)
	walk = func(n schema.Node) {
		elem := next
		next++
		g, ok := n.(*schema.GroupNode)
		if !ok {
			if want[elem] {
				out[col] = true
			}
			col++
			return
		}
		for i := 0; i < g.NumFields(); i++ {
			walk(g.Field(i))
		}
	}
	for i := 0; i < root.NumFields(); i++ {
		walk(root.Field(i))
	}
	return out
}

func leavesOf(sf *pqarrow.SchemaField, out []int) []int {
	if sf.IsLeaf() {
		return append(out, sf.ColIndex)
	}
	for i := range sf.Children {
		out = leavesOf(&sf.Children[i], out)
	}
	return out
}

// rowGroup reads row group rg, whose pqarrow fields are the leaf columns
// leaves, in batches.
func (f *fileReader) rowGroup(ctx context.Context, pf *file.Reader, fr *pqarrow.FileReader, rg int, leaves []int) error {
	rgr := pf.RowGroup(rg)
	rows := rgr.NumRows()
	if rows <= 0 {
		return nil
	}
	f.batchLine = f.line
	if err := checkRowGroup(rgr, f.cols); err != nil {
		return f.fail(fmt.Errorf("row group %d: %w", rg, err))
	}
	for _, c := range f.cols {
		if !c.structs {
			continue
		}
		for _, leaf := range c.leaves {
			if err := predecode(rgr, leaf); err != nil {
				return f.fail(fmt.Errorf("row group %d: column %q: %w", rg, c.name, err))
			}
		}
	}
	batch := int64(maxBatchRows)
	if per := rgr.ByteSize() / rows; per > 0 {
		batch = min(max(batchBytes/per, minBatchRows), maxBatchRows)
	}
	fr.Props.BatchSize = batch
	rr, err := fr.GetRecordReader(ctx, leaves, []int{rg})
	if err == nil {
		err = f.mem.Exceeded()
	}
	if err != nil {
		return f.fail(fmt.Errorf("row group %d: %w", rg, err))
	}
	defer rr.Release()
	for done := int64(0); done < rows; {
		if err := ctx.Err(); err != nil {
			return err
		}
		f.batchLine = f.line
		n := min(batch, rows-done)
		next := rr.Next()
		if err := f.mem.Exceeded(); err != nil {
			return f.fail(err)
		}
		if !next {
			err := rr.Err()
			if err == nil {
				err = fmt.Errorf("its columns end after %d of its %d rows", done, rows)
			}
			return f.fail(fmt.Errorf("row group %d: %w", rg, err))
		}
		rec := rr.RecordBatch()
		if rec.NumRows() != n || int(rec.NumCols()) != len(f.cols) {
			return f.fail(fmt.Errorf("row group %d: %d columns hold %d rows where %d columns of %d rows were expected", rg, rec.NumCols(), rec.NumRows(), len(f.cols), n))
		}
		for _, c := range f.cols {
			if err := c.setBatch(rec.Column(c.src)); err != nil {
				return f.fail(fmt.Errorf("row group %d: column %q: %w", rg, c.name, err))
			}
		}
		if err := f.rows(ctx, int(n)); err != nil {
			return err
		}
		done += n
	}
	return nil
}

// checkRowGroup opens the page reader of every leaf column of the row
// group and closes it again. pqarrow opens them in goroutines of its own
// when it makes a record reader, where a panic on corrupt column metadata
// would end the process; opening them here first, in the reader's
// goroutine, turns such a panic into an error before pqarrow sees the row
// group (the same metadata gives the same result there).
func checkRowGroup(rgr *file.RowGroupReader, cols []*column) error {
	for _, c := range cols {
		for _, leaf := range c.leaves {
			pr, err := rgr.GetColumnPageReader(leaf)
			if err != nil {
				return fmt.Errorf("column %d: %w", leaf, err)
			}
			pr.Close()
		}
	}
	return nil
}

// setBatch points c at its array of the current batch.
func (c *column) setBatch(a arrow.Array) error {
	c.arr, c.i32, c.i64, c.f64 = a, nil, nil, nil
	switch a := a.(type) {
	case *array.Int32:
		c.i32 = a.Int32Values()
	case *array.Int64:
		c.i64 = a.Int64Values()
	case *array.Float64:
		c.f64 = a.Float64Values()
	case *array.Date32:
		c.i32 = arrow.Int32Traits.CastFromBytes(arrow.Date32Traits.CastToBytes(a.Date32Values()))
	case *array.Timestamp:
		c.i64 = arrow.Int64Traits.CastFromBytes(arrow.TimestampTraits.CastToBytes(a.TimestampValues()))
	}
	if len(c.int96) == 0 {
		return nil
	}
	// The leaves that were INT96 come as 12-byte binary arrays: find
	// them, by the order of the leaves.
	c.leafArrays = leafArrays(a, c.leafArrays[:0])
	if len(c.leafArrays) != len(c.leaves) {
		return fmt.Errorf("read as %d leaf arrays for its %d leaf columns", len(c.leafArrays), len(c.leaves))
	}
	c.json.int96 = c.json.int96[:0]
	for _, k := range c.int96 {
		leaf, ok := c.leafArrays[k].(*array.FixedSizeBinary)
		if !ok || leaf.DataType().(*arrow.FixedSizeBinaryType).ByteWidth != int96Bytes {
			return fmt.Errorf("INT96 column %d read as %s", c.leaves[k], c.leafArrays[k].DataType())
		}
		c.json.int96 = append(c.json.int96, leaf)
	}
	return nil
}

// rows writes n rows of the current batch.
func (f *fileReader) rows(ctx context.Context, n int) error {
	for i := 0; i < n; i++ {
		if i%checkEvery == 0 && i > 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		f.buf, f.spans = f.buf[:0], f.spans[:0]
		var rowErr *format.RowError
		for ci, c := range f.cols {
			if err := f.cell(ci, c, i); err != nil {
				rowErr = &format.RowError{File: f.path, Line: f.line, Column: c.name, Err: err}
				break
			}
		}
		if rowErr != nil {
			if err := f.rowError(rowErr); err != nil {
				return err
			}
			f.line++
			continue
		}
		if len(f.spans) > 0 {
			base := unsafe.SliceData(f.buf)
			for _, s := range f.spans {
				f.cells[s.cell].Text = unsafe.String((*byte)(unsafe.Add(unsafe.Pointer(base), s.start)), s.end-s.start)
			}
		}
		f.inWriter = true
		err := f.w.Row(f.line, f.cells)
		f.inWriter = false
		if err != nil {
			return err
		}
		f.line++
	}
	return nil
}

// cell sets cell ci of the current row from row i of column c: its kind,
// and either its text or a span of f.buf that becomes its text.
func (f *fileReader) cell(ci int, c *column, i int) error {
	if c.arr.IsNull(i) {
		f.cells[ci] = format.NullCell
		return nil
	}
	start := len(f.buf)
	k := record.Number
	switch c.kind {
	case kindNull:
		f.cells[ci] = format.NullCell
		return nil
	case kindBool:
		if c.arr.(*array.Boolean).Value(i) {
			f.cells[ci] = record.Cell{Text: "true", Kind: record.Bool}
		} else {
			f.cells[ci] = record.Cell{Text: "false", Kind: record.Bool}
		}
		return nil
	case kindInt8:
		f.buf = strconv.AppendInt(f.buf, int64(c.arr.(*array.Int8).Value(i)), 10)
	case kindInt16:
		f.buf = strconv.AppendInt(f.buf, int64(c.arr.(*array.Int16).Value(i)), 10)
	case kindInt32:
		f.buf = strconv.AppendInt(f.buf, int64(c.i32[i]), 10)
	case kindInt64:
		f.buf = strconv.AppendInt(f.buf, c.i64[i], 10)
	case kindUint8:
		f.buf = strconv.AppendUint(f.buf, uint64(c.arr.(*array.Uint8).Value(i)), 10)
	case kindUint16:
		f.buf = strconv.AppendUint(f.buf, uint64(c.arr.(*array.Uint16).Value(i)), 10)
	case kindUint32:
		f.buf = strconv.AppendUint(f.buf, uint64(c.arr.(*array.Uint32).Value(i)), 10)
	case kindUint64:
		v := c.arr.(*array.Uint64).Value(i)
		if v > math.MaxInt64 {
			return fmt.Errorf("value %d does not fit a 64-bit signed integer", v)
		}
		f.buf = strconv.AppendUint(f.buf, v, 10)
	case kindUint64Text:
		f.buf = strconv.AppendUint(f.buf, c.arr.(*array.Uint64).Value(i), 10)
		k = record.Quoted
	case kindFloat16:
		return f.float(ci, c, float64(c.arr.(*array.Float16).Value(i).Float32()), 32)
	case kindFloat32:
		return f.float(ci, c, float64(c.arr.(*array.Float32).Value(i)), 32)
	case kindFloat64:
		return f.float(ci, c, c.f64[i], 64)
	case kindDecimal128:
		f.buf = appendDecimal128(f.buf, c.arr.(*array.Decimal128).Value(i), c.scale)
		if c.typ == record.String {
			k = record.Quoted
		}
	case kindDecimal256:
		f.buf = appendDecimal256(f.buf, c.arr.(*array.Decimal256).Value(i), c.scale)
		if c.typ == record.String {
			k = record.Quoted
		}
	case kindDate32:
		f.appendOK(ci, record.Quoted, func(b []byte) ([]byte, bool) { return appendDate(b, int64(c.i32[i])) })
		if f.cells[ci].Kind == record.Null {
			f.outOfRange(ci, c)
		}
		return nil
	case kindDate64:
		days := int64(c.arr.(*array.Date64).Value(i)) / 86_400_000
		f.appendOK(ci, record.Quoted, func(b []byte) ([]byte, bool) { return appendDate(b, days) })
		if f.cells[ci].Kind == record.Null {
			f.outOfRange(ci, c)
		}
		return nil
	case kindInt96:
		us, ok := int96Micros(parquet.Int96(c.arr.(*array.FixedSizeBinary).Value(i)))
		if ok {
			f.appendOK(ci, record.Quoted, func(b []byte) ([]byte, bool) { return appendTimestamp(b, us) })
		}
		if !ok || f.cells[ci].Kind == record.Null {
			f.outOfRange(ci, c)
		}
		return nil
	case kindTimestamp:
		us, ok := toMicros(c.i64[i], c.unit)
		if ok {
			f.appendOK(ci, record.Quoted, func(b []byte) ([]byte, bool) { return appendTimestamp(b, us) })
		}
		if !ok || f.cells[ci].Kind == record.Null {
			f.outOfRange(ci, c)
		}
		return nil
	case kindTime32, kindTime64:
		var v int64
		if c.kind == kindTime32 {
			v = int64(c.arr.(*array.Time32).Value(i))
		} else {
			v = int64(c.arr.(*array.Time64).Value(i))
		}
		us, _ := toMicros(v, c.unit)
		f.appendOK(ci, record.Quoted, func(b []byte) ([]byte, bool) { return appendTime(b, us) })
		if f.cells[ci].Kind == record.Null {
			f.outOfRange(ci, c)
		}
		return nil
	case kindString:
		f.cells[ci] = record.Cell{Text: c.arr.(*array.String).Value(i), Kind: record.Quoted}
		return nil
	case kindLargeString:
		f.cells[ci] = record.Cell{Text: c.arr.(*array.LargeString).Value(i), Kind: record.Quoted}
		return nil
	case kindBinary:
		f.buf = appendBinary(f.buf, binaryValue(c.arr, i), c.asText)
		k = record.Quoted
	case kindFixedBinary:
		f.buf = appendBinary(f.buf, c.arr.(*array.FixedSizeBinary).Value(i), false)
		k = record.Quoted
	case kindUUID:
		v := c.arr.(*extensions.UUIDArray).Value(i)
		f.buf = appendUUID(f.buf, v[:])
		k = record.Quoted
	case kindJSONBinary:
		v := binaryValue(c.arr, i)
		f.buf = append(f.buf, v...)
		k = record.Quoted
		if json.Valid(v) {
			k = record.Document
		}
	case kindNested:
		c.json.lost = [numLosses]int64{}
		var err error
		if f.buf, err = appendJSON(f.buf, c.arr, i, 0, &c.json); err != nil {
			f.buf = f.buf[:start]
			return err
		}
		for k, n := range c.json.lost {
			c.lost.add(&c.lost.nested, loss(k), n, f.line)
		}
		k = record.Document
	default:
		return fmt.Errorf("no conversion for kind %d", c.kind)
	}
	f.cells[ci] = record.Cell{Kind: k}
	f.spans = append(f.spans, span{ci, start, len(f.buf)})
	return nil
}

// binaryValue returns value i of a BINARY or LARGE_BINARY array.
func binaryValue(a arrow.Array, i int) []byte {
	if b, ok := a.(*array.Binary); ok {
		return b.Value(i)
	}
	return a.(*array.LargeBinary).Value(i)
}

// float sets cell ci of column c to v, or to null (counted) for NaN and
// infinities.
func (f *fileReader) float(ci int, c *column, v float64, bits int) error {
	start := len(f.buf)
	var ok bool
	if f.buf, ok = appendFloat(f.buf, v, bits); !ok {
		f.lose(ci, c, lossNaN)
		return nil
	}
	f.cells[ci] = record.Cell{Kind: record.Number}
	f.spans = append(f.spans, span{ci, start, len(f.buf)})
	return nil
}

// appendOK sets cell ci, of kind k, to what add appends, or to null when
// add reports the value out of range.
func (f *fileReader) appendOK(ci int, k record.Kind, add func([]byte) ([]byte, bool)) {
	start := len(f.buf)
	var ok bool
	if f.buf, ok = add(f.buf); !ok {
		f.buf = f.buf[:start]
		f.cells[ci] = format.NullCell
		return
	}
	f.cells[ci] = record.Cell{Kind: k}
	f.spans = append(f.spans, span{ci, start, len(f.buf)})
}

// outOfRange makes cell ci of column c null, counting a value out of the
// range pkg/record holds.
func (f *fileReader) outOfRange(ci int, c *column) {
	k := lossRange
	if c.kind == kindTime32 || c.kind == kindTime64 {
		k = lossTime
	}
	f.lose(ci, c, k)
}

// lose makes cell ci of column c null, counting a value of kind k.
func (f *fileReader) lose(ci int, c *column, k loss) {
	f.cells[ci] = format.NullCell
	c.lost.add(&c.lost.top, k, 1, f.line)
}

// begin, issue and rowError call the writer with inWriter set (and not
// reset when the writer panics).
func (f *fileReader) begin(cols []format.Column) error {
	f.inWriter = true
	err := f.w.Begin("", cols)
	f.inWriter = false
	return err
}

func (f *fileReader) issue(msg string) {
	f.inWriter = true
	f.w.Issue(msg)
	f.inWriter = false
}

func (f *fileReader) rowError(e *format.RowError) error {
	f.inWriter = true
	err := f.w.RowError(e)
	f.inWriter = false
	return err
}

// panicError describes a panic of the decoder.
func panicError(p any) error {
	switch v := p.(type) {
	case *memoryLimitError:
		return v
	case error:
		return fmt.Errorf("corrupt Parquet data: %w", v)
	}
	return fmt.Errorf("corrupt Parquet data: %v", p)
}
