package files

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/filedge/filedge/pkg/destination"
	"github.com/filedge/filedge/pkg/destination/destinationtest"
	"github.com/filedge/filedge/pkg/record"
)

// NewReader returns a destinationtest.Reader of the destination folder dir,
// whose outputs are in format code: it reads the tables' columns from
// their catalogs, their rows from the files on disk with the format's
// reader, and the ledger's files, as a reader of the folder would.
func NewReader(dir, code string) destinationtest.Reader {
	return &reader{l: layout{base: dir, ext: extensions[code]}, code: code}
}

type reader struct {
	l    layout
	code string
}

func (r *reader) catalogs() ([]*catalog, error) {
	files, err := filepath.Glob(r.l.meta(tablesDir, "*.json"))
	if err != nil {
		return nil, err
	}
	var out []*catalog
	for _, f := range files {
		var c catalog
		if _, err := readJSON(f, &c); err != nil {
			return nil, err
		}
		out = append(out, &c)
	}
	return out, nil
}

func (r *reader) catalog(table string) (*catalog, error) {
	var c catalog
	found, err := readJSON(r.l.catalogFile(table), &c)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, fmt.Errorf("table %q: %w", table, destinationtest.ErrNoTable)
	}
	return &c, nil
}

func (r *reader) Tables(context.Context) ([]string, error) {
	cats, err := r.catalogs()
	var out []string
	for _, c := range cats {
		out = append(out, c.Table)
	}
	return out, err
}

func (r *reader) Columns(_ context.Context, table string) ([]destinationtest.Column, error) {
	c, err := r.catalog(table)
	if err != nil {
		return nil, err
	}
	var out []destinationtest.Column
	for _, col := range newShape(c.Columns).allColumns() {
		out = append(out, destinationtest.Column{Name: col.Name, Type: col.Type})
	}
	return out, nil
}

func (r *reader) Rows(ctx context.Context, table string) ([]map[string]any, error) {
	c, err := r.catalog(table)
	if err != nil {
		return nil, err
	}
	s := newShape(c.Columns)
	var files []string
	dir := r.l.abs(r.l.tableDir(table))
	entries, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		return nil, err
	}
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), r.l.ext) {
			return nil, fmt.Errorf("table %q: its folder holds %s, which is no output", table, e.Name())
		}
		files = append(files, filepath.Join(dir, e.Name()))
	}
	if _, err := os.Stat(r.l.abs(r.l.wholeFile(table))); err == nil {
		files = append(files, r.l.abs(r.l.wholeFile(table)))
	}
	var rows []map[string]any
	for _, path := range files {
		err := readOutput(ctx, r.code, path, s, memory.DefaultAllocator, func(rec arrow.RecordBatch) error {
			for i := range int(rec.NumRows()) {
				row := map[string]any{}
				for j, f := range rec.Schema().Fields() {
					v, err := destinationtest.Normalize(value(rec.Column(j), i), record.TypeOf(f))
					if err != nil {
						return fmt.Errorf("column %q: %w", f.Name, err)
					}
					row[f.Name] = v
				}
				rows = append(rows, row)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return rows, nil
}

// value returns value i of a as a Go value, nil for a null.
func value(a arrow.Array, i int) any {
	if a.IsNull(i) {
		return nil
	}
	switch a := a.(type) {
	case *array.Boolean:
		return a.Value(i)
	case *array.Int64:
		return a.Value(i)
	case *array.Float64:
		return a.Value(i)
	case *array.Date32:
		return a.Value(i).ToTime()
	case *array.Timestamp:
		return time.UnixMicro(int64(a.Value(i))).UTC()
	case *array.String:
		return a.Value(i)
	case *array.Decimal128, *array.Decimal256:
		text, _ := record.AppendDecimal(nil, a, i)
		return string(text)
	}
	return fmt.Sprintf("<%s>", a.DataType())
}

func (r *reader) Ledger(_ context.Context, pipeline string) ([]destinationtest.LedgerRow, error) {
	files, err := filepath.Glob(filepath.Join(r.l.meta(ledgerDir, nameOf(pipeline)), "*.json"))
	if err != nil {
		return nil, err
	}
	var out []destinationtest.LedgerRow
	for _, f := range files {
		var e entry
		if _, err := readJSON(f, &e); err != nil {
			return nil, err
		}
		if e.Pipeline != pipeline {
			continue
		}
		out = append(out, destinationtest.LedgerRow{
			Pipeline: e.Pipeline, Version: e.Version, Path: e.Path, Size: e.Size, Modified: e.Modified,
			Seq: e.Seq, SHA256: e.SHA256, Tables: e.Tables, Rows: e.Rows, Committed: e.Committed,
		})
	}
	return out, nil
}

var _ destination.Destination = (*Dest)(nil)

// SetTestHook sets the function a commit calls at its named steps
// ("spooled", "staged", "installed").
func SetTestHook(f func(step string)) { testHook = f }
