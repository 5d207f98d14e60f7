package formattest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/filedge/filedge/pkg/format"
	"github.com/filedge/filedge/pkg/record"
)

// ipcFormat is a lossless format for the writer suite to check: its files
// are Arrow IPC streams, and its reader declares each column's type and
// writes typed cells, as a typed format (Parquet, Avro) does.
type ipcFormat struct{}

func (ipcFormat) Read(ctx context.Context, in *format.Input, w format.Writer) error {
	r, err := ipc.NewReader(in.R)
	if err != nil {
		return &format.FileError{File: in.Path, Err: err}
	}
	defer r.Release()
	schema := r.Schema()
	cols := make([]format.Column, schema.NumFields())
	for i, f := range schema.Fields() {
		cols[i] = format.Column{Name: f.Name, Type: record.TypeOf(f)}
	}
	if err := w.Begin("", cols); err != nil {
		return err
	}
	cells := make([]record.Cell, len(cols))
	line := int64(0)
	for r.Next() {
		rec := r.RecordBatch()
		for i := 0; i < int(rec.NumRows()); i++ {
			if err := ctx.Err(); err != nil {
				return err
			}
			for j := range cols {
				cells[j] = ipcCell(rec.Column(j), i, cols[j].Type)
			}
			line++
			if err := w.Row(line, cells); err != nil {
				return err
			}
		}
	}
	if err := r.Err(); err != nil {
		return &format.FileError{File: in.Path, Err: err}
	}
	return nil
}

// ipcCell renders value i of a, of a column of type typ, as the typed cell
// a typed format writes.
func ipcCell(a arrow.Array, i int, typ record.Type) record.Cell {
	if a.IsNull(i) {
		return format.NullCell
	}
	switch a := a.(type) {
	case *array.Boolean:
		return format.BoolCell(a.Value(i))
	case *array.Int64:
		return format.IntCell(a.Value(i))
	case *array.Float64:
		return format.FloatCell(a.Value(i))
	case *array.Date32:
		return format.DateCell(a.Value(i).ToTime())
	case *array.Timestamp:
		return format.TimestampCell(time.UnixMicro(int64(a.Value(i))))
	case *array.String:
		if typ == record.JSON {
			return record.Cell{Text: a.Value(i), Kind: record.Document}
		}
		return format.StringCell(a.Value(i))
	case *array.Decimal128, *array.Decimal256:
		text, _ := record.AppendDecimal(nil, a, i)
		return record.Cell{Text: string(text), Kind: record.Number}
	}
	panic(fmt.Sprintf("ipc test format: no cell for %s", a.DataType()))
}

// ipcWriter writes an Arrow IPC stream.
type ipcWriter struct{ w *ipc.Writer }

func (w ipcWriter) Write(rec arrow.RecordBatch) error { return w.w.Write(rec) }
func (w ipcWriter) Close() error                      { return w.w.Close() }

func init() {
	format.Register(format.Info{Code: "formattest-ipc", Label: "Arrow IPC (writer suite test)", Extensions: []string{".formattest-ipc"}, Binary: true},
		func(format.Options) (format.Reader, error) { return ipcFormat{}, nil })
	format.RegisterWriter("formattest-ipc", func(w io.Writer, schema *arrow.Schema, _ format.Options) (format.RecordWriter, error) {
		return ipcWriter{ipc.NewWriter(w, ipc.WithSchema(schema))}, nil
	})
}

func TestRunWriterPassesALosslessFormat(t *testing.T) {
	RunWriter(t, "formattest-ipc")
}

func TestSuiteTableHasEveryTypeWithNulls(t *testing.T) {
	seen := map[record.Type]bool{}
	for _, c := range writerColumns[1:] {
		seen[c.typ] = true
		nulls, values := 0, 0
		for _, v := range c.values {
			if v == nil {
				nulls++
			} else {
				values++
			}
		}
		if nulls == 0 {
			t.Errorf("column %q has no null", c.name)
		}
		if values == 0 && c.typ != record.Unknown {
			t.Errorf("column %q has no value", c.name)
		}
		if len(c.values) > writerRows {
			t.Errorf("column %q has more values than the table has rows", c.name)
		}
	}
	for typ := record.Unknown; typ <= record.JSON; typ++ {
		if !seen[typ] {
			t.Errorf("no column of type %v", typ)
		}
	}
	decimal := false
	for typ := range seen {
		decimal = decimal || typ.IsDecimal()
	}
	if !decimal {
		t.Error("no decimal column")
	}
	for _, s := range columnNamed(`text, "quoted" naïve`).values {
		if s, ok := s.(string); ok && (s == "" || strings.IndexByte(s, 0) >= 0) {
			t.Errorf("the text column holds %q: empty strings belong in column \"empty\", and NUL nowhere", s)
		}
	}
}

// column builds a one-column batch of strings of type typ.
func column(mem memory.Allocator, typ record.Type, values ...any) arrow.RecordBatch {
	b := array.NewBuilder(mem, typ.ArrowType())
	defer b.Release()
	for _, v := range values {
		appendArrow(b, v)
	}
	a := b.NewArray()
	defer a.Release()
	return array.NewRecordBatch(arrow.NewSchema([]arrow.Field{record.Field("c", typ)}, nil), []arrow.Array{a}, int64(a.Len()))
}

func TestCompareColumnFindsEachDifference(t *testing.T) {
	tests := []struct {
		name      string
		typ       record.Type
		readsBack map[string]record.Type
		written   []any
		gotType   record.Type
		got       []any
		want      string // in the first difference; "" for none
	}{
		{"equal", record.Integer, nil, []any{int64(1), nil}, record.Integer, []any{int64(1), nil}, ""},
		{"another value", record.Integer, nil, []any{int64(1), int64(2)}, record.Integer, []any{int64(1), int64(3)}, `row 2: wrote "2", read back "3"`},
		{"a null for a value", record.String, nil, []any{"x"}, record.String, []any{nil}, `row 1: wrote "x", read back null`},
		{"a value for a null", record.String, nil, []any{nil}, record.String, []any{"x"}, `row 1: wrote null, read back "x"`},
		{"another type", record.String, nil, []any{"1"}, record.Integer, []any{int64(1)}, `declare formattest.ReadsBack("c", record.Integer)`},
		{"a declared loss", record.String, map[string]record.Type{"c": record.Integer}, []any{"1", nil}, record.Integer, []any{int64(1), nil}, ""},
		{"a declared loss that does not happen", record.String, map[string]record.Type{"c": record.Integer}, []any{"1"}, record.String, []any{"1"}, "declared to read back as integer"},
		{"a declared loss to nulls", record.String, map[string]record.Type{"c": record.Unknown}, []any{"", nil}, record.Unknown, []any{nil, nil}, ""},
		{"JSON compared compacted", record.JSON, nil, []any{`{"a": [1, 2]}`}, record.JSON, []any{`{"a":[1,2]}`}, ""},
		{"JSON read back as text compared exactly", record.JSON, map[string]record.Type{"c": record.String}, []any{`{"a": 1}`}, record.String, []any{`{"a":1}`}, `wrote "{\"a\": 1}"`},
		{"decimals with their scale", record.DecimalOf(10, 2), nil, []any{"1.50", "-0.01"}, record.DecimalOf(10, 2), []any{"1.50", "-0.01"}, ""},
		{"a decimal changed in its last digit", record.DecimalOf(20, 2), nil, []any{"12345678901234.56"}, record.DecimalOf(20, 2), []any{"12345678901234.55"}, `row 1: wrote "12345678901234.56", read back "12345678901234.55"`},
		{"a decimal read back as a float", record.DecimalOf(10, 2), nil, []any{"1.50"}, record.Float, []any{1.5}, `declare formattest.TypeDeclaredOnRead("c")`},
		{"a decimal read back with another scale", record.DecimalOf(10, 2), nil, []any{"1.50"}, record.DecimalOf(10, 1), []any{"1.5"}, "written as decimal(10,2), reads back as decimal(10,1)"},
		{"timestamps to the microsecond", record.Timestamp, nil, []any{time.UnixMicro(1)}, record.Timestamp, []any{time.UnixMicro(2)}, `"1970-01-01T00:00:00.000001Z"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			written := column(mem, tt.typ, tt.written...)
			defer written.Release()
			got := column(mem, tt.gotType, tt.got...)
			defer got.Release()
			s := &writerSuite{readsBack: tt.readsBack}
			diffs := s.compareColumn(writerColumn{name: "c", typ: tt.typ}, []arrow.RecordBatch{written}, 0, got.Column(0), got.Schema().Field(0))
			switch {
			case tt.want == "" && len(diffs) > 0:
				t.Errorf("differences %q, want none", diffs)
			case tt.want != "" && (len(diffs) == 0 || !strings.Contains(diffs[0], tt.want)):
				t.Errorf("differences %q, want one saying %s", diffs, tt.want)
			}
		})
	}
}

func TestGuardedTurnsAPanicIntoAnError(t *testing.T) {
	err := guarded("Write", func() error { panic("boom") })
	if err == nil || !strings.Contains(err.Error(), "panicked in Write: boom") {
		t.Errorf("guarded = %v", err)
	}
	want := errors.New("plain")
	if err := guarded("Write", func() error { return want }); !errors.Is(err, want) {
		t.Errorf("guarded = %v, want %v", err, want)
	}
}
