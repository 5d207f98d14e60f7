package csv_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/filedge/filedge/pkg/format"
	"github.com/filedge/filedge/pkg/format/formattest"
)

// A quote that does not open a field (one not at the field's start: a
// title such as 12" Single, JSON in a pipe file) is a character like any
// other, as DuckDB's and PostgreSQL's readers take it; quotes that open a
// field still quote it.
func TestAQuoteThatDoesNotOpenAFieldIsData(t *testing.T) {
	in := "id|params|note\n" +
		"1|{\"a\": \"b\", \"n\": 2}|12\" Single\n" +
		"2|x\"y\"z|\"quoted | \"\"with\"\" delimiter\"\n" +
		"3|say \"hi|end\"\n"
	cols, rows, issues := readTable(t, "f.psv", in, format.Options{})
	want := [][]string{
		{"1", `{"a": "b", "n": 2}`, `12" Single`},
		{"2", `x"y"z`, `quoted | "with" delimiter`},
		{"3", `say "hi`, `end"`},
	}
	if !slices.Equal(cols, []string{"id", "params", "note"}) || fmt.Sprint(rows) != fmt.Sprint(want) || len(issues) > 0 {
		t.Errorf("columns %q, rows %q, issues %q", cols, rows, issues)
	}
}

// Under on_error: skip, rows with bare quotes once failed one after the
// other (a pipe file of JSON payloads lost nearly every row); now every
// row loads and nothing is skipped.
func TestRowsWithBareQuotesAreNotSkipped(t *testing.T) {
	var b strings.Builder
	b.WriteString("tool|params|time\n")
	for i := range 1000 {
		fmt.Fprintf(&b, "t%d|{\"scale\": %d, \"mode\": \"fast\"}|%d.5\n", i, i, i)
	}
	rec, err := formattest.Read(t.Context(), "csv", "timings.csv", format.Options{}, []byte(b.String()), false)
	if err != nil {
		t.Fatal(err)
	}
	if n, errs := len(rec.Result.Tables[0].Rows), rec.Result.RowErrors; n != 1000 || len(errs) > 0 {
		t.Fatalf("%d rows of 1000, %d row errors (%+v)", n, len(errs), errs[:min(len(errs), 1)])
	}
}

// A record over the line cap that holds a bare quote is stepped over to
// its own line end: the quote does not open a field that would swallow
// the rows after it.
func TestATooLongRecordWithABareQuoteSwallowsNoRow(t *testing.T) {
	in := "a,b\n1," + strings.Repeat("x", 200) + "\"y\n2,ok\n3,fine\n"
	rec, err := formattest.Read(t.Context(), "csv", "f.csv", format.Options{MaxLineBytes: 100}, []byte(in), false)
	if err != nil {
		t.Fatal(err)
	}
	rows := rec.Result.Tables[0].Rows
	if len(rows) != 2 || rows[0].Line != 3 || rows[1].Line != 4 || len(rec.Result.RowErrors) != 1 || rec.Result.RowErrors[0].Line != 2 {
		t.Fatalf("rows %+v, row errors %+v", rows, rec.Result.RowErrors)
	}
}

// quote_char: none turns quoting off: quotes are data wherever they are,
// even at a field's start, and never join lines or hide a delimiter.
func TestQuoteCharNoneReadsQuotesAsData(t *testing.T) {
	in := "\"id\"\t\"title\"\n1\t\"Weird Al\" Yankovic\n2\t\"open\n3\t\"a\tb\"\n"
	cols, rows, issues := readTable(t, "f.tsv", strings.Replace(in, "\"a\tb\"", "\"ab\"", 1), format.Options{QuoteChar: format.NoQuote})
	want := [][]string{{"1", `"Weird Al" Yankovic`}, {"2", `"open`}, {"3", `"ab"`}}
	if !slices.Equal(cols, []string{`"id"`, `"title"`}) || fmt.Sprint(rows) != fmt.Sprint(want) || len(issues) > 0 {
		t.Errorf("columns %q, rows %q, issues %q", cols, rows, issues)
	}
	// A delimiter inside quotes splits the field.
	rec, err := formattest.Read(t.Context(), "csv", "f.tsv", format.Options{QuoteChar: format.NoQuote}, []byte(in), false)
	if err != nil {
		t.Fatal(err)
	}
	if errs := rec.Result.RowErrors; len(errs) != 1 || errs[0].Line != 4 || !strings.Contains(errs[0].Error, "row has 3 fields, header has 2") {
		t.Errorf("row errors %+v", errs)
	}
	// Delimiters are inferred without quotes too: the commas inside
	// quotes count.
	cols, _, _ = readTable(t, "f.csv", "\"a;b\",c\n\"1;2\",3\n", format.Options{QuoteChar: format.NoQuote})
	if !slices.Equal(cols, []string{`"a;b"`, "c"}) {
		t.Errorf("inferred delimiter: columns %q", cols)
	}
	// With an escape character, quotes are still data.
	cols, rows, _ = readTable(t, "f.csv", "a,b\n\"x\\,y\",\"z\n", format.Options{QuoteChar: format.NoQuote, EscapeChar: `\`, Delimiter: ","})
	if !slices.Equal(cols, []string{"a", "b"}) || fmt.Sprint(rows) != fmt.Sprint([][]string{{`"x,y"`, `"z`}}) {
		t.Errorf("with an escape character: columns %q, rows %q", cols, rows)
	}
}
