package files

import (
	"log/slog"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/filedge/filedge/pkg/record"
)

// workbookLosses counts the values of a table's rows that a workbook does
// not keep as they are: Excel holds an instant to the millisecond and
// cannot tell an empty text from an empty cell. Other formats keep every
// value; so does Excel with text up to its cell limit of 32,767
// characters, beyond which the writer refuses the file.
type workbookLosses struct {
	instants map[string]int // timestamps with digits below the millisecond, by column
	empty    map[string]int // empty texts, by column
}

// count counts the losses of the data columns of rec, a batch in shape s.
func (w *workbookLosses) count(rec arrow.RecordBatch, s *shape) {
	for j, c := range s.cols {
		switch a := rec.Column(j).(type) {
		case *array.Timestamp:
			for i := range a.Len() {
				if a.IsValid(i) && a.Value(i)%1000 != 0 {
					w.instants[c.Name]++
				}
			}
		case *array.String:
			if c.Type != record.String {
				continue
			}
			for i := range a.Len() {
				if a.IsValid(i) && a.ValueLen(i) == 0 {
					w.empty[c.Name]++
				}
			}
		}
	}
}

// report logs the losses counted, if any.
func (w *workbookLosses) report(log *slog.Logger, dest, table string) {
	if len(w.instants) > 0 {
		log.Warn("the workbook keeps timestamps to the millisecond: the digits below were dropped", "destination", dest, "table", table, "values", w.instants)
	}
	if len(w.empty) > 0 {
		log.Warn("the workbook keeps an empty text as an empty cell, which reads back as NULL", "destination", dest, "table", table, "values", w.empty)
	}
}
