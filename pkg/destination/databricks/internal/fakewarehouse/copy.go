package fakewarehouse

import (
	"bytes"
	"context"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/filedge/filedge/pkg/record"
)

// copyInto runs COPY INTO table FROM 'folder' FILEFORMAT = PARQUET FILES =
// ('name', ...): it loads each named Parquet file of the folder into the
// table, matching columns by name, and skips a file the table loaded
// before (by its path), as COPY INTO does. It returns num_affected_rows,
// num_inserted_rows and num_skipped_corrupt_files.
func (e *engine) copyInto(ctx context.Context, toks []token, _ map[string]param) (*result, error) {
	syntax := func(what string) (*result, error) {
		return nil, errorf("42601", "PARSE_SYNTAX_ERROR", "COPY INTO: %s", what)
	}
	if len(toks) < 3 || !toks[1].is("INTO") {
		return syntax("want COPY INTO")
	}
	parts, i := qualified(toks, 2)
	t, err := e.lookup(parts)
	if err != nil {
		return nil, err
	}
	rest := toks[i:]
	if len(rest) < 8 || !rest[0].is("FROM") || rest[1].kind != tString || !rest[2].is("FILEFORMAT") || rest[3].text != "=" ||
		!rest[4].is("PARQUET") || !rest[5].is("FILES") || rest[6].text != "=" || rest[7].text != "(" {
		return syntax("want FROM 'folder' FILEFORMAT = PARQUET FILES = (...)")
	}
	close, err := matching(rest, 7)
	if err != nil || close != len(rest)-1 {
		return syntax("want FILES = ('name', ...) at the end")
	}
	folder := strings.TrimSuffix(rest[1].text, "/")
	var inserted int64
	for _, f := range splitTop(rest[8:close], comma) {
		if len(f) != 1 || f[0].kind != tString {
			return syntax("FILES holds string literals")
		}
		p := path.Join(folder, f[0].text)
		if t.loaded[p] {
			continue
		}
		data, ok := e.readFile(p)
		if !ok {
			return nil, errorf("42K03", "PATH_NOT_FOUND", "path does not exist: %s", p)
		}
		n, err := e.load(ctx, t, p, data)
		if err != nil {
			return nil, err
		}
		t.loaded[p] = true
		inserted += n
	}
	return &result{
		modified: inserted,
		cols:     []string{"num_affected_rows", "num_inserted_rows", "num_skipped_corrupt_files"},
		types:    []string{"BIGINT", "BIGINT", "BIGINT"},
		rows:     [][]any{{inserted, inserted, int64(0)}},
	}, nil
}

// load inserts the rows of one Parquet file into t.
func (e *engine) load(ctx context.Context, t *table, p string, data []byte) (int64, error) {
	corrupt := func(err error) (int64, error) {
		return 0, errorf("KD001", "FAILED_READ_FILE", "error while reading file %s: %v", p, err)
	}
	pf, err := file.NewParquetReader(bytes.NewReader(data))
	if err != nil {
		return corrupt(err)
	}
	defer pf.Close()
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: 64 << 10}, memory.DefaultAllocator)
	if err != nil {
		return corrupt(err)
	}
	rr, err := fr.GetRecordReader(ctx, nil, nil)
	if err != nil {
		return corrupt(err)
	}
	defer rr.Release()
	names := make([]string, len(t.cols))
	marks := make([]string, len(t.cols))
	for i, c := range t.cols {
		names[i], marks[i] = sqliteIdent(c.name), "?"
	}
	tx, err := e.conn.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	ins, err := tx.PrepareContext(ctx, `INSERT INTO `+sqliteIdent(t.key())+` (`+strings.Join(names, ", ")+`) VALUES (`+strings.Join(marks, ", ")+`)`)
	if err != nil {
		return 0, err
	}
	defer ins.Close()
	var n int64
	for rr.Next() {
		rec := rr.RecordBatch()
		cols := make([]func(int) (any, error), len(t.cols))
		for i, c := range t.cols {
			idx := rec.Schema().FieldIndices(c.name)
			if len(idx) != 1 {
				cols[i] = func(int) (any, error) { return nil, nil }
				continue
			}
			get, err := reader(rec.Column(idx[0]), c.typ)
			if err != nil {
				return 0, errorf("42K09", "DELTA_FAILED_TO_MERGE_FIELDS", "file %s column %s: %v", p, c.name, err)
			}
			cols[i] = get
		}
		row := make([]any, len(cols))
		for r := range int(rec.NumRows()) {
			for i, get := range cols {
				if row[i], err = get(r); err != nil {
					return 0, errorf("22018", "CAST_INVALID_INPUT", "file %s: %v", p, err)
				}
			}
			if _, err := ins.ExecContext(ctx, row...); err != nil {
				return 0, sqliteError(err, "copy")
			}
			n++
		}
	}
	if err := rr.Err(); err != nil {
		return corrupt(err)
	}
	return n, tx.Commit()
}

// reader returns the canonical value of each row of a, a Parquet column
// read into a column of Databricks type typ.
func reader(a arrow.Array, typ string) (func(int) (any, error), error) {
	null := func(f func(int) (any, error)) func(int) (any, error) {
		return func(i int) (any, error) {
			if a.IsNull(i) {
				return nil, nil
			}
			return f(i)
		}
	}
	mismatch := fmt.Errorf("the Parquet type %s does not fit %s", a.DataType(), typ)
	switch x := a.(type) {
	case *array.Boolean:
		if typ != "BOOLEAN" {
			return nil, mismatch
		}
		return null(func(i int) (any, error) { return boolInt(x.Value(i)), nil }), nil
	case *array.Int64:
		if typ != "BIGINT" {
			return nil, mismatch
		}
		return null(func(i int) (any, error) { return x.Value(i), nil }), nil
	case *array.Float64:
		if typ != "DOUBLE" {
			return nil, mismatch
		}
		return null(func(i int) (any, error) { return x.Value(i), nil }), nil
	case *array.Date32:
		if typ != "DATE" {
			return nil, mismatch
		}
		return null(func(i int) (any, error) { return x.Value(i).ToTime().UTC().Format(time.DateOnly), nil }), nil
	case *array.Timestamp:
		unit := x.DataType().(*arrow.TimestampType).Unit
		if typ != "TIMESTAMP" || unit != arrow.Microsecond {
			return nil, mismatch
		}
		return null(func(i int) (any, error) { return time.UnixMicro(int64(x.Value(i))).UTC().Format(tsLayout), nil }), nil
	case *array.String:
		if typ != "STRING" {
			return nil, mismatch
		}
		return null(func(i int) (any, error) { return x.Value(i), nil }), nil
	case *array.Decimal128:
		dt := x.DataType().(*arrow.Decimal128Type)
		if typ != fmt.Sprintf("DECIMAL(%d,%d)", dt.Precision, dt.Scale) {
			return nil, mismatch
		}
		var buf []byte
		return null(func(i int) (any, error) {
			buf, _ = record.AppendDecimal(buf[:0], a, i)
			return string(buf), nil
		}), nil
	}
	return nil, mismatch
}
