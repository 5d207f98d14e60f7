package csv_test

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/filedge/filedge/pkg/format"
	_ "github.com/filedge/filedge/pkg/format/csv"
	"github.com/filedge/filedge/pkg/format/formattest"
	"github.com/filedge/filedge/pkg/record"
)

func TestConformance(t *testing.T) {
	long := strings.Repeat("x", 300<<10) // longer than the read buffer
	formattest.Run(t, "csv",
		formattest.Case{
			Name:   "endless.csv",
			Input:  []byte("a,b,c\n"),
			Repeat: []byte("1,\"two\",3\n"),
		},
		formattest.Case{
			Name:  "line_longer_than_buffer.csv",
			Input: []byte("a,b\n1," + long + "\n2,\"" + long + "\n" + long + "\"\n"),
			Want: &formattest.Result{Tables: []formattest.Table{{
				Columns: []formattest.Column{{Name: "a"}, {Name: "b"}},
				Rows: []formattest.Row{
					{Line: 2, Cells: []formattest.Cell{text("1"), text(long)}},
					{Line: 3, Cells: []formattest.Cell{text("2"), text(long + "\n" + long)}},
				},
			}}},
		},
		formattest.Case{
			Name:    "line_longer_than_cap.csv",
			Input:   []byte("a,b\n1," + long + "\n2,\"" + long + "\n\"\"" + long + "\"\n3,ok\n"),
			Options: format.Options{MaxLineBytes: 1000},
			Want: &formattest.Result{
				Tables: []formattest.Table{{
					Columns: []formattest.Column{{Name: "a"}, {Name: "b"}},
					Rows:    []formattest.Row{{Line: 5, Cells: []formattest.Cell{text("3"), text("ok")}}},
				}},
				RowErrors: []formattest.RowError{
					{Line: 2, Error: "record is longer than 1000 bytes (max line bytes)"},
					{Line: 3, Error: "record is longer than 1000 bytes (max line bytes)"},
				},
			},
		},
	)
}

func text(s string) formattest.Cell { return formattest.Cell{Text: s, Kind: record.Text} }

func TestNewDelimiterSetting(t *testing.T) {
	_, factory, _ := format.Lookup("csv")
	tests := []struct {
		delimiter string
		wantErr   string // "" when the setting is accepted
		input     string // read when accepted
		want      int    // columns of input
	}{
		{delimiter: ";", input: "a;b,c\n", want: 2},
		{delimiter: `\t`, input: "a\tb\tc\n", want: 3},
		{delimiter: "TAB", input: "a\tb\n", want: 2},
		{delimiter: "|", input: "a|b|c|d\n", want: 4},
		{delimiter: "::", wantErr: "multi-character delimiters are not supported"},
		{delimiter: "¦", wantErr: "only single-byte"},
		{delimiter: `"`, wantErr: "cannot be a quote"},
		{delimiter: "\n", wantErr: "cannot be a quote or a line end"},
	}
	for _, tt := range tests {
		t.Run(tt.delimiter, func(t *testing.T) {
			r, err := factory(format.Options{Delimiter: tt.delimiter})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("New(%q) error = %v, want one saying %q", tt.delimiter, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var rec formattest.Recorder
			if err := r.Read(t.Context(), &format.Input{Path: "x.csv", R: strings.NewReader(tt.input)}, &rec); err != nil {
				t.Fatal(err)
			}
			if got := len(rec.Result.Tables[0].Columns); got != tt.want {
				t.Errorf("%d columns, want %d", got, tt.want)
			}
		})
	}
}

func TestNewRejectsNegativeMaxLineBytes(t *testing.T) {
	_, factory, _ := format.Lookup("csv")
	if _, err := factory(format.Options{MaxLineBytes: -1}); err == nil {
		t.Fatal("New accepted MaxLineBytes -1")
	}
}

func TestReadErrorIsNotPermanent(t *testing.T) {
	boom := errors.New("connection reset")
	r := io.MultiReader(strings.NewReader("a,b\n1,2\n"), &failReader{err: boom})
	_, factory, _ := format.Lookup("csv")
	reader, _ := factory(format.Options{Delimiter: ","})
	err := reader.Read(t.Context(), &format.Input{Path: "f.csv", R: r}, &formattest.Recorder{})
	if !errors.Is(err, boom) {
		t.Fatalf("Read returned %v, want the read error", err)
	}
	if format.IsPermanent(err) {
		t.Errorf("a read error is permanent: %v", err)
	}
	if !strings.Contains(err.Error(), "f.csv") {
		t.Errorf("error %q does not name the file", err)
	}
}

type failReader struct{ err error }

func (f *failReader) Read([]byte) (int, error) { return 0, f.err }
