package destinationtest

import (
	"context"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/filedge/filedge/pkg/destination"
	"github.com/filedge/filedge/pkg/record"
)

// TableBatches is the data of one table in a file version: its batches, in
// order.
type TableBatches struct {
	Table   string
	Batches []Batch
}

// Batch is one record batch described with Go values. Rows hold one value
// per column, in the order of Columns; nil is NULL. The Go type of a value
// follows the column's record.Type:
//
//	Boolean   bool
//	Integer   int64 or int
//	Float     float64
//	Date      time.Time (its UTC calendar date) or a "2006-01-02" string
//	Timestamp time.Time (truncated to microseconds)
//	String    string
//	JSON      string holding a JSON document
//	decimals  string, the decimal's text ("12.50")
//	Unknown   nil only
//
// The record.LineColumn is added to every batch, numbering rows from
// FirstLine (or from the line after the table's previous batch when
// FirstLine is 0). When File is set, a record.FileColumn holding File on
// every row follows it, as the parser sends the batches of an archive
// member (see destination.Batches and Member).
type Batch struct {
	Columns   []record.Column
	Rows      [][]any
	FirstLine int64
	File      string
}

// Member returns the name of the member of the archive at archive whose
// path inside the archive is member: "in/batch.zip!/2026/a.csv".
func Member(archive, member string) string {
	return archive + "!/" + member
}

// Cols is shorthand for a column list: Cols("id", record.Integer, "name",
// record.String).
func Cols(nameTypePairs ...any) []record.Column {
	if len(nameTypePairs)%2 != 0 {
		panic("destinationtest.Cols: want name, type pairs")
	}
	out := make([]record.Column, 0, len(nameTypePairs)/2)
	for i := 0; i < len(nameTypePairs); i += 2 {
		out = append(out, record.Column{Name: nameTypePairs[i].(string), Type: nameTypePairs[i+1].(record.Type)})
	}
	return out
}

// MemBatches is an in-memory destination.Batches built from Go values. It
// builds each Arrow batch only when Next returns it, with an allocator that
// the test checks at cleanup: a batch a destination forgot to release fails
// the test. It is safe for use by one Commit at a time.
type MemBatches struct {
	mem    *memory.CheckedAllocator
	tables []TableBatches

	mu      sync.Mutex
	table   int
	batch   int
	line    int64
	calls   int
	failAt  int // fail when this many batches have been returned; -1 never
	failErr error
	file    *destination.File
	sha256  string
	delay   time.Duration
}

// Batches returns in-memory Batches yielding tables in order. It registers a
// cleanup that fails t if any batch it returned was not released.
func Batches(t testing.TB, tables ...TableBatches) *MemBatches {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	t.Cleanup(func() { mem.AssertSize(t, 0) })
	return &MemBatches{mem: mem, tables: tables, failAt: -1}
}

// FailAfter makes Next return err once n batches have been returned, as a
// parser that fails mid-file would. It returns b.
func (b *MemBatches) FailAfter(n int, err error) *MemBatches {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.failAt, b.failErr = n, err
	return b
}

// FillSHA256 makes Next set f.SHA256 to sum when it returns the first batch,
// as the parser-fed Batches of the sink does when the caller did not know
// the digest before Commit. It returns b.
func (b *MemBatches) FillSHA256(f *destination.File, sum string) *MemBatches {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.file, b.sha256 = f, sum
	return b
}

// Delay makes every Next wait d first (to widen race windows). It returns b.
func (b *MemBatches) Delay(d time.Duration) *MemBatches {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.delay = d
	return b
}

// Calls reports how many times Next was called.
func (b *MemBatches) Calls() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.calls
}

// Next implements destination.Batches.
func (b *MemBatches) Next(ctx context.Context) (string, arrow.RecordBatch, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.calls++
	if b.delay > 0 {
		select {
		case <-time.After(b.delay):
		case <-ctx.Done():
			return "", nil, ctx.Err()
		}
	}
	if err := ctx.Err(); err != nil {
		return "", nil, err
	}
	returned := 0
	for i := 0; i < b.table; i++ {
		returned += len(b.tables[i].Batches)
	}
	returned += b.batch
	if b.failAt >= 0 && returned >= b.failAt {
		return "", nil, b.failErr
	}
	for b.table < len(b.tables) && b.batch >= len(b.tables[b.table].Batches) {
		b.table++
		b.batch = 0
		b.line = 0
	}
	if b.table >= len(b.tables) {
		return "", nil, io.EOF
	}
	tb := b.tables[b.table]
	spec := tb.Batches[b.batch]
	b.batch++
	if spec.FirstLine != 0 {
		b.line = spec.FirstLine - 1
	}
	rec, err := buildBatch(b.mem, spec, b.line+1)
	if err != nil {
		return "", nil, fmt.Errorf("destinationtest: table %q batch %d: %w", tb.Table, b.batch, err)
	}
	b.line += int64(len(spec.Rows))
	if b.file != nil && b.file.SHA256 == "" {
		b.file.SHA256 = b.sha256
	}
	return tb.Table, rec, nil
}

// buildBatch makes the Arrow batch of spec, numbering lines from first.
func buildBatch(mem memory.Allocator, spec Batch, first int64) (arrow.RecordBatch, error) {
	fields := make([]arrow.Field, 0, len(spec.Columns)+1)
	for _, c := range spec.Columns {
		fields = append(fields, record.Field(c.Name, c.Type))
	}
	fields = append(fields, record.Field(record.LineColumn, record.Integer))
	if spec.File != "" {
		fields = append(fields, record.Field(record.FileColumn, record.String))
	}
	schema := arrow.NewSchema(fields, nil)
	rb := array.NewRecordBuilder(mem, schema)
	defer rb.Release()
	for r, row := range spec.Rows {
		if len(row) != len(spec.Columns) {
			return nil, fmt.Errorf("row %d has %d values, want %d", r, len(row), len(spec.Columns))
		}
		for c, v := range row {
			if err := appendValue(rb.Field(c), spec.Columns[c].Type, v); err != nil {
				return nil, fmt.Errorf("row %d column %q: %w", r, spec.Columns[c].Name, err)
			}
		}
		rb.Field(len(spec.Columns)).(*array.Int64Builder).Append(first + int64(r))
		if spec.File != "" {
			rb.Field(len(spec.Columns) + 1).(*array.StringBuilder).Append(spec.File)
		}
	}
	return rb.NewRecordBatch(), nil
}

func appendValue(b array.Builder, typ record.Type, v any) error {
	if v == nil {
		b.AppendNull()
		return nil
	}
	bad := func() error { return fmt.Errorf("value %v (%T) does not fit type %v", v, v, typ) }
	switch typ {
	case record.Boolean:
		x, ok := v.(bool)
		if !ok {
			return bad()
		}
		b.(*array.BooleanBuilder).Append(x)
	case record.Integer:
		switch x := v.(type) {
		case int64:
			b.(*array.Int64Builder).Append(x)
		case int:
			b.(*array.Int64Builder).Append(int64(x))
		default:
			return bad()
		}
	case record.Float:
		x, ok := v.(float64)
		if !ok {
			return bad()
		}
		b.(*array.Float64Builder).Append(x)
	case record.Date:
		var d time.Time
		switch x := v.(type) {
		case time.Time:
			d = x.UTC()
		case string:
			p, err := time.Parse(time.DateOnly, x)
			if err != nil {
				return bad()
			}
			d = p
		default:
			return bad()
		}
		b.(*array.Date32Builder).Append(arrow.Date32FromTime(time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.UTC)))
	case record.Timestamp:
		x, ok := v.(time.Time)
		if !ok {
			return bad()
		}
		b.(*array.TimestampBuilder).Append(arrow.Timestamp(x.UnixMicro()))
	case record.String, record.JSON:
		x, ok := v.(string)
		if !ok {
			return bad()
		}
		b.(*array.StringBuilder).Append(x)
	default:
		x, ok := v.(string)
		if !ok || !typ.IsDecimal() {
			return bad()
		}
		return record.AppendDecimalValue(b, x)
	}
	return nil
}
