package format_test

import (
	"bufio"
	"io"
	"strings"
	"testing"

	"github.com/filedge/filedge/pkg/format"
	"github.com/filedge/filedge/pkg/record"
)

func TestHeaderColumnsKeepsNamesAsWrittenAndCopiesThem(t *testing.T) {
	buf := []byte("a b")
	cells := []record.Cell{
		{Text: string(buf), Kind: record.Text},
		{Kind: record.Null},
		{Text: "a b", Kind: record.Quoted},
	}
	cols := format.HeaderColumns(cells)
	want := []format.Column{{Name: "a b"}, {Name: ""}, {Name: "a b"}}
	if len(cols) != len(want) {
		t.Fatalf("got %v, want %v", cols, want)
	}
	for i := range want {
		if cols[i] != want[i] {
			t.Errorf("column %d = %+v, want %+v", i, cols[i], want[i])
		}
	}
	cells[0].Text = "changed"
	if cols[0].Name != "a b" {
		t.Errorf("HeaderColumns kept a reference to the cell's text")
	}
}

func TestBlankRow(t *testing.T) {
	tests := []struct {
		name  string
		cells []record.Cell
		want  bool
	}{
		{"no cells", nil, true},
		{"nulls", []record.Cell{{}, {}}, true},
		{"white space", []record.Cell{{Text: " \t", Kind: record.Text}, {Text: "\u00a0", Kind: record.Quoted}}, true},
		{"empty string", []record.Cell{{Text: "", Kind: record.Quoted}}, true},
		{"one value", []record.Cell{{}, {Text: "x", Kind: record.Text}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := format.BlankRow(tt.cells); got != tt.want {
				t.Errorf("BlankRow = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestSkipBOM(t *testing.T) {
	tests := []struct{ in, want string }{
		{"\xef\xbb\xbfa,b", "a,b"},
		{"a,b", "a,b"},
		{"\xef\xbb", "\xef\xbb"},
		{"", ""},
		{"\xef\xbb\xbf", ""},
		{"\xef\xbb\xbf\xef\xbb\xbfx", "\xef\xbb\xbfx"}, // only one mark
	}
	for _, tt := range tests {
		br := bufio.NewReader(strings.NewReader(tt.in))
		if err := format.SkipBOM(br); err != nil {
			t.Fatalf("%q: %v", tt.in, err)
		}
		got, _ := io.ReadAll(br)
		if string(got) != tt.want {
			t.Errorf("%q: left %q, want %q", tt.in, got, tt.want)
		}
	}
}
