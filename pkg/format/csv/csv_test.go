package csv_test

import (
	"errors"
	"fmt"
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
			// Rows come out while the file has no end: the footer is
			// held back, not the file.
			Name:    "endless_with_footer.csv",
			Input:   []byte("a,b,c\n"),
			Repeat:  []byte("1,\"two\",3\n"),
			Options: format.Options{SkipFooterLines: 100, SkipHeaderLines: 1, Headerless: true},
		},
		formattest.Case{
			Name:    "endless_custom_separators.txt",
			Input:   []byte("a||b~"),
			Repeat:  []byte("1||\"x~y\"~"),
			Options: format.Options{Delimiter: "||", LineSeparator: "~", EscapeChar: `\`},
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

func TestFooterHoldsBackOnlyItsRecords(t *testing.T) {
	var b strings.Builder
	b.WriteString("n\n")
	for i := range 1000 {
		fmt.Fprintf(&b, "%d\n", i)
	}
	rec, err := formattest.Read(t.Context(), "csv", "f.csv", format.Options{SkipFooterLines: 3}, []byte(b.String()), false)
	if err != nil {
		t.Fatal(err)
	}
	rows := rec.Result.Tables[0].Rows
	if len(rows) != 997 || rows[0].Cells[0].Text != "0" || rows[996].Cells[0].Text != "996" || rows[996].Line != 998 {
		t.Fatalf("%d rows, first %+v, last %+v", len(rows), rows[0], rows[len(rows)-1])
	}
}

func text(s string) formattest.Cell { return formattest.Cell{Text: s, Kind: record.Text} }

func TestNewSettings(t *testing.T) {
	_, factory, _ := format.Lookup("csv")
	tests := []struct {
		name    string
		opts    format.Options
		wantErr string // "" when the settings are accepted
		input   string // read when accepted
		want    int    // columns of input
	}{
		{name: "semicolon", opts: format.Options{Delimiter: ";"}, input: "a;b,c\n", want: 2},
		{name: "tab", opts: format.Options{Delimiter: "\t"}, input: "a\tb\tc\n", want: 3},
		{name: "space", opts: format.Options{Delimiter: " "}, input: "a b c d\n", want: 4},
		{name: "two characters", opts: format.Options{Delimiter: "::"}, input: "a::b:c\n", want: 2},
		{name: "non-ASCII", opts: format.Options{Delimiter: "¦"}, input: "a¦b¦c\n", want: 3},
		{name: "escapes are not decoded twice", opts: format.Options{Delimiter: `\t`}, input: "a\tb\\tc\n", want: 2},
		{name: "quote char equal to escape char", opts: format.Options{QuoteChar: "'", EscapeChar: "'"}, input: "'a''b',c\n", want: 2},
		{name: "line separator LF is the default", opts: format.Options{LineSeparator: "\n"}, input: "a,b\r\n1,2\r\n", want: 2},
		{name: "delimiter with the quote", opts: format.Options{Delimiter: `"`}, wantErr: "cannot contain the quote character"},
		{name: "quote as delimiter without quoting", opts: format.Options{Delimiter: `"`, QuoteChar: format.NoQuote}, input: "a\"b\"c\n", want: 3},
		{name: "no quote character", opts: format.Options{QuoteChar: format.NoQuote}, input: "\"a,b\",c\n", want: 3},
		{name: "delimiter with a line break", opts: format.Options{Delimiter: "\n"}, wantErr: "cannot contain a line break"},
		{name: "delimiter with the escape", opts: format.Options{Delimiter: `\|`, EscapeChar: `\`}, wantErr: "cannot contain the escape character"},
		{name: "delimiter with the line separator", opts: format.Options{Delimiter: "~~", LineSeparator: "~"}, wantErr: "cannot contain the line separator"},
		{name: "two quote chars", opts: format.Options{QuoteChar: `""`}, wantErr: "quote_char"},
		{name: "non-ASCII escape", opts: format.Options{EscapeChar: "é"}, wantErr: "escape_char"},
		{name: "line break as quote", opts: format.Options{QuoteChar: "\n"}, wantErr: "cannot be a line break"},
		{name: "line separator with the quote", opts: format.Options{LineSeparator: `"|`}, wantErr: "line_separator"},
		{name: "negative header lines", opts: format.Options{SkipHeaderLines: -1}, wantErr: "skip_header_lines"},
		{name: "negative footer lines", opts: format.Options{SkipFooterLines: -1}, wantErr: "skip_footer_lines"},
		{name: "too many footer lines", opts: format.Options{SkipFooterLines: 10001}, wantErr: "more than 10000"},
		{name: "negative max line bytes", opts: format.Options{MaxLineBytes: -1}, wantErr: "max line bytes"},
		{name: "negative max field bytes", opts: format.Options{MaxFieldBytes: -1}, wantErr: "max field bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := factory(tt.opts)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("New(%+v) error = %v, want one saying %q", tt.opts, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			rec := formattest.Recorder{Path: "x.csv"}
			if err := r.Read(t.Context(), &format.Input{Path: "x.csv", R: strings.NewReader(tt.input)}, &rec); err != nil {
				t.Fatal(err)
			}
			if got := len(rec.Result.Tables[0].Columns); got != tt.want {
				t.Errorf("%d columns, want %d", got, tt.want)
			}
			if len(rec.Violations) > 0 || len(rec.Result.RowErrors) > 0 {
				t.Errorf("violations %q, row errors %+v", rec.Violations, rec.Result.RowErrors)
			}
		})
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

// TestQuotedEmptyFieldIsAnEmptyString reads a file into a record.Builder,
// as the parser does, and proves PostgreSQL's COPY semantics: a quoted
// empty field ("") is the empty string in a String column and null in an
// Integer one, whose type it leaves alone, while an unquoted empty field
// is null.
func TestQuotedEmptyFieldIsAnEmptyString(t *testing.T) {
	w := &batcher{tb: t}
	_, factory, _ := format.Lookup("csv")
	r, err := factory(format.Options{})
	if err != nil {
		t.Fatal(err)
	}
	in := "name,qty,note\na,\"\",\nb,2,\"\"\n\"\",3,x\n"
	if err := r.Read(t.Context(), &format.Input{Path: "q.csv", R: strings.NewReader(in)}, w); err != nil {
		t.Fatal(err)
	}
	rec, err := w.b.Flush()
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Release()
	want := []struct {
		typ    record.Type
		values []string
	}{
		{record.String, []string{"a", "b", ""}},
		{record.Integer, []string{"(null)", "2", "3"}},
		{record.String, []string{"(null)", "", "x"}},
	}
	for i, w := range want {
		col := rec.Column(i + 1)
		if got := record.TypeOf(rec.Schema().Field(i + 1)); got != w.typ {
			t.Errorf("column %d is %v, want %v", i, got, w.typ)
		}
		var got []string
		for r := range col.Len() {
			if col.IsNull(r) {
				got = append(got, "(null)")
			} else {
				got = append(got, col.ValueStr(r))
			}
		}
		if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", w.values) {
			t.Errorf("column %d = %q, want %q", i, got, w.values)
		}
	}
}
