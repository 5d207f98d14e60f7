package formattest

import (
	"fmt"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/filedge/filedge/pkg/record"
)

// Build appends the table's rows to one record.Builder, as the parser
// does, each column typed as the reader declared it or, for the names in
// types, as given there (as pipeline.yaml's columns: declares them). It
// returns the rows as one batch, which the caller releases, and the rows
// the Builder refused, each as `line 3: column "x": ...`. mem nil means
// memory.DefaultAllocator.
func (tb Table) Build(mem memory.Allocator, types map[string]record.Type) (arrow.RecordBatch, []string, error) {
	cols := make([]record.Column, len(tb.Columns))
	for i, c := range tb.Columns {
		cols[i] = record.Column{Name: c.Name, Source: c.Name, Type: c.Type}
		if t, ok := types[c.Name]; ok {
			cols[i].Type = t
		}
	}
	b := record.NewBuilder(record.BuilderOptions{Columns: cols, MaxBatchRows: math.MaxInt32, MaxBatchBytes: math.MaxInt32, Alloc: mem})
	var refused []string
	cells := make([]record.Cell, 0, len(cols))
	for _, row := range tb.Rows {
		cells = cells[:0]
		for _, c := range row.Cells {
			cells = append(cells, record.Cell(c))
		}
		if err := b.Append(row.Line, cells); err != nil {
			refused = append(refused, fmt.Sprintf("line %d: %v", row.Line, err))
		}
	}
	rec, err := b.Flush()
	return rec, refused, err
}

// ValueTexts returns the values of a as the writer suite compares them
// (integers in decimal, decimals with their scale, ...: see RunWriter),
// "null" for a null.
func ValueTexts(a arrow.Array) []string {
	out := make([]string, a.Len())
	for i := range out {
		v, ok := valueText(a, i)
		if !ok {
			v = "null"
		}
		out[i] = v
	}
	return out
}
