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
