package files_test

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/filedge/filedge/pkg/destination"
	"github.com/filedge/filedge/pkg/destination/destinationtest"
	"github.com/filedge/filedge/pkg/destination/files"
	"github.com/filedge/filedge/pkg/record"
)

// TestExcelHoldsEveryTypeAsAWorkbookDoesAndSaysWhatItChanged commits every
// type into workbooks: the values come back as they went in, but for what
// a workbook cannot hold, which the destination logs: timestamps to the
// millisecond and empty text as an empty cell. Text over Excel's cell limit
// fails the file, naming its table.
func TestExcelHoldsEveryTypeAsAWorkbookDoesAndSaysWhatItChanged(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	var log lockedBuffer
	d, err := files.Open(t.Context(), files.Config{Path: dir, Format: "excel"}, destination.Env{Name: "book", Dir: dir, Logger: logTo(&log)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	cols := destinationtest.Cols("b", record.Boolean, "i", record.Integer, "f", record.Float, "d", record.Date,
		"ts", record.Timestamp, "s", record.String, "j", record.JSON, "m", record.DecimalOf(38, 2))
	ts := time.Date(2024, 5, 6, 7, 8, 9, 123456000, time.UTC)
	rows := [][]any{
		{true, int64(9223372036854775807), 1.5e-300, "1900-01-01", ts, "", `{"a":[1,null]}`, "12345678901234.56"},
		{false, int64(-1), 0.1, "9999-12-31", ts.Truncate(time.Second), "naïve ✓", `"text"`, "-0.01"},
		{nil, nil, nil, nil, nil, nil, nil, nil},
	}
	destinationtest.Commit(t, d, destinationtest.File(t, "v1", "book.csv", t0, destinationtest.Table("book", cols, rows...)), destination.Committed)

	r := files.NewReader(dir, "excel")
	var sel []destinationtest.Column
	for _, c := range cols {
		sel = append(sel, destinationtest.Column{Name: c.Name, Type: c.Type})
	}
	destinationtest.AssertRows(t, destinationtest.Select(t, r, "book", sel, record.LineColumn), [][]any{
		{true, int64(9223372036854775807), 1.5e-300, "1900-01-01", ts.Truncate(time.Millisecond), nil, `{"a":[1,null]}`, "12345678901234.56"},
		{false, int64(-1), 0.1, "9999-12-31", ts.Truncate(time.Second), "naïve ✓", `"text"`, "-0.01"},
		{nil, nil, nil, nil, nil, nil, nil, nil},
	})
	for _, want := range []string{
		`msg="the workbook keeps timestamps to the millisecond: the digits below were dropped" destination=book table=book values=map[ts:1]`,
		`msg="the workbook keeps an empty text as an empty cell, which reads back as NULL" destination=book table=book values=map[s:1]`,
	} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("the log lacks %q:\n%s", want, log.String())
		}
	}

	long := destinationtest.File(t, "v2", "long.csv", t0, destinationtest.Table("book", destinationtest.Cols("s", record.String), []any{strings.Repeat("x", 40000)}))
	_, err = d.Commit(t.Context(), long)
	if !destination.IsPermanent(err) || !strings.Contains(err.Error(), `table "book"`) || !strings.Contains(err.Error(), "cell limit") {
		t.Errorf("text over the cell limit: Commit error = %v, want a permanent error naming the table and the limit", err)
	}
	var perm *destination.PermanentError
	if !errors.As(err, &perm) {
		t.Errorf("%v is no *destination.PermanentError", err)
	}
	if n := destinationtest.Count(t, r, "book"); n != 3 {
		t.Errorf("the table holds %d rows after the refused file, want 3", n)
	}
}
