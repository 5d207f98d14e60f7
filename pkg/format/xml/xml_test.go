package xml_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/filedge/filedge/pkg/format"
	"github.com/filedge/filedge/pkg/format/formattest"
	_ "github.com/filedge/filedge/pkg/format/xml"
	"github.com/filedge/filedge/pkg/record"
)

func doc(s string) formattest.Cell { return formattest.Cell{Text: s, Kind: record.Document} }

var dataColumn = []formattest.Column{{Name: "_data", Type: record.JSON}}

func TestConformance(t *testing.T) {
	long := strings.Repeat("x", 300<<10) // longer than the read buffer
	formattest.Run(t, "xml",
		formattest.Case{
			Name:    "endless.xml",
			Input:   []byte("<feed>"),
			Repeat:  []byte("<item n=\"1\">x</item>\n"),
			Options: format.Options{XMLRecordPath: "feed/item"},
		},
		formattest.Case{
			Name:    "text_longer_than_buffer.xml",
			Input:   []byte("<r>\n<v a=\"" + long + "\">" + long + "</v>\n<v>2</v></r>"),
			Options: format.Options{XMLRecordPath: "r/v"},
			Want: &formattest.Result{Tables: []formattest.Table{{
				Columns: dataColumn,
				Rows: []formattest.Row{
					{Line: 2, Cells: []formattest.Cell{doc(`{"@a":"` + long + `","#text":"` + long + `"}`)}},
					{Line: 3, Cells: []formattest.Cell{doc(`"2"`)}},
				},
			}}},
		},
	)
}

// TestCancelStopsADocumentWithoutRows proves that reading a whole document,
// which writes no row before the document ends, still stops when its
// context is cancelled.
func TestCancelStopsADocumentWithoutRows(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	r := io.MultiReader(strings.NewReader("<feed>"), &endless{s: "<item>x</item>\n"})
	err := formattest.ReadTo(ctx, "xml", "f.xml", format.Options{MaxLineBytes: 1 << 40}, r, &formattest.Recorder{})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Read returned %v, want the context's error", err)
	}
}

// endless repeats a string for ever.
type endless struct {
	s   string
	off int
}

func (e *endless) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		k := copy(p[n:], e.s[e.off:])
		n += k
		e.off = (e.off + k) % len(e.s)
	}
	return n, nil
}

func TestNewSettings(t *testing.T) {
	_, factory, _ := format.Lookup("xml")
	tests := []struct {
		name    string
		opts    format.Options
		wantErr string
	}{
		{"record path", format.Options{XMLRecordPath: "catalog/book"}, ""},
		{"record path with slashes around", format.Options{XMLRecordPath: "/catalog/book/"}, ""},
		{"empty step", format.Options{XMLRecordPath: "catalog//book"}, "xml_record_path"},
		{"not a name", format.Options{XMLRecordPath: "catalog/book[1]=x"}, "xml_record_path"},
		{"negative cap", format.Options{MaxLineBytes: -1}, "max line bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := factory(tt.opts)
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("New(%+v) = %v, want an error saying %q", tt.opts, err, tt.wantErr)
			}
		})
	}
}

// TestHostileDocumentsFailFastAndSmall proves that entity attacks are
// refused before any expansion: each read ends at once with a file error
// naming the DOCTYPE's line, without writing a row.
func TestHostileDocumentsFailFastAndSmall(t *testing.T) {
	laughs := `<?xml version="1.0"?><!DOCTYPE z [<!ENTITY a "aaaaaaaaaa">` // 10 bytes
	prev := "a"
	for _, name := range []string{"b", "c", "d", "e", "f", "g", "h", "i", "j"} {
		laughs += `<!ENTITY ` + name + ` "` + strings.Repeat("&"+prev+";", 10) + `">`
		prev = name
	}
	laughs += `]><z>&j;</z>` // 10 GB once expanded
	tests := map[string]string{
		"billion laughs":   laughs,
		"quadratic blowup": `<!DOCTYPE z [<!ENTITY a "` + strings.Repeat("x", 10000) + `">]><z>` + strings.Repeat("&a;", 10000) + `</z>`,
		"external entity":  `<!DOCTYPE z [<!ENTITY e SYSTEM "file:///etc/passwd">]><z>&e;</z>`,
		"parameter entity": "<!DOCTYPE z [\n<!ENTITY % p SYSTEM \"http://127.0.0.1:1/x.dtd\">%p;]><z/>",
	}
	for name, input := range tests {
		t.Run(name, func(t *testing.T) {
			rec, err := formattest.Read(t.Context(), "xml", "evil.xml", format.Options{}, []byte(input), false)
			var fe *format.FileError
			if !errors.As(err, &fe) || !strings.Contains(err.Error(), "declares entities") || fe.Line != 1 {
				t.Fatalf("error %v, want a file error at line 1 saying the DOCTYPE declares entities", err)
			}
			if n := len(rec.Result.Tables[0].Rows); n != 0 {
				t.Errorf("%d rows written", n)
			}
		})
	}
}

func TestReadErrorIsNotPermanent(t *testing.T) {
	boom := errors.New("connection reset")
	r := io.MultiReader(strings.NewReader("<a><b>1</b>"), &failReader{err: boom})
	err := formattest.ReadTo(t.Context(), "xml", "f.xml", format.Options{XMLRecordPath: "a/b"}, r, &formattest.Recorder{})
	if !errors.Is(err, boom) {
		t.Fatalf("Read returned %v, want the read error", err)
	}
	if format.IsPermanent(err) {
		t.Errorf("a read error is permanent: %v", err)
	}
	if !strings.Contains(err.Error(), "f.xml") {
		t.Errorf("error %q does not name the file", err)
	}
}

type failReader struct{ err error }

func (f *failReader) Read([]byte) (int, error) { return 0, f.err }
