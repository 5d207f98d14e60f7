package log_test

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/filedge/filedge/pkg/format"
	"github.com/filedge/filedge/pkg/format/formattest"
	_ "github.com/filedge/filedge/pkg/format/log"
	"github.com/filedge/filedge/pkg/record"
)

func str(s string) formattest.Cell { return formattest.Cell{Text: s, Kind: record.Quoted} }

func TestConformance(t *testing.T) {
	long := strings.Repeat("x", 300<<10) // longer than the read buffer
	formattest.Run(t, "log",
		formattest.Case{
			Name:   "endless.log",
			Input:  []byte("start\n"),
			Repeat: []byte("2024-01-01 INFO tick\n"),
		},
		formattest.Case{
			Name:  "line_longer_than_buffer.log",
			Input: []byte("a\n" + long + "\r\nb"),
			Want: &formattest.Result{Tables: []formattest.Table{{
				Columns: []formattest.Column{{Name: "_data", Type: record.String}},
				Rows: []formattest.Row{
					{Line: 1, Cells: []formattest.Cell{str("a")}},
					{Line: 2, Cells: []formattest.Cell{str(long)}},
					{Line: 3, Cells: []formattest.Cell{str("b")}},
				},
			}}},
		},
		formattest.Case{
			Name:    "line_longer_than_cap_and_buffer.log",
			Input:   []byte("a\n" + long + "\nb\n" + long),
			Options: format.Options{MaxLineBytes: 1000},
			Want: &formattest.Result{
				Tables: []formattest.Table{{
					Columns: []formattest.Column{{Name: "_data", Type: record.String}},
					Rows: []formattest.Row{
						{Line: 1, Cells: []formattest.Cell{str("a")}},
						{Line: 3, Cells: []formattest.Cell{str("b")}},
					},
				}},
				RowErrors: []formattest.RowError{
					{Line: 2, Error: "line is longer than 1000 bytes (max line bytes)"},
					{Line: 4, Error: "line is longer than 1000 bytes (max line bytes)"},
				},
			},
		},
	)
}

func TestNewRejectsNegativeMaxLineBytes(t *testing.T) {
	_, factory, _ := format.Lookup("log")
	if _, err := factory(format.Options{MaxLineBytes: -1}); err == nil {
		t.Fatal("New accepted MaxLineBytes -1")
	}
}

func TestReadErrorIsNotPermanent(t *testing.T) {
	boom := errors.New("connection reset")
	r := io.MultiReader(strings.NewReader("a\nb\n"), &failReader{err: boom})
	err := formattest.ReadTo(t.Context(), "log", "f.log", format.Options{}, r, &formattest.Recorder{})
	if !errors.Is(err, boom) {
		t.Fatalf("Read returned %v, want the read error", err)
	}
	if format.IsPermanent(err) {
		t.Errorf("a read error is permanent: %v", err)
	}
	if !strings.Contains(err.Error(), "f.log") {
		t.Errorf("error %q does not name the file", err)
	}
}

type failReader struct{ err error }

func (f *failReader) Read([]byte) (int, error) { return 0, f.err }
