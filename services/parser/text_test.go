package parser

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/filedge/filedge/pkg/bus"
	"github.com/filedge/filedge/pkg/config"
	"github.com/filedge/filedge/pkg/format"
	"github.com/filedge/filedge/pkg/record"
)

// parsed handles a file dropped as name and returns its trailer and the
// text of its first batch, by column name (nulls as "<null>").
func (f *fixture) parsed(t *testing.T, name, content string) (*bus.FileParsed, map[string][]string) {
	t.Helper()
	fd := f.drop(t, name, content)
	if got := f.handle(t, fd); got != "done" {
		t.Fatalf("outcome %q, want done", got)
	}
	msgs := f.scope(t, fd.Version)
	p := trailer(t, msgs)
	if p.Status != bus.StatusOK {
		t.Fatalf("status %s: %v", p.Status, p.Error)
	}
	values := map[string][]string{}
	for _, m := range msgs[:len(msgs)-1] {
		rec, err := record.DecodeIPC(m.Data, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i, fld := range rec.Schema().Fields() {
			col := rec.Column(i)
			for r := range col.Len() {
				v := "<null>"
				if !col.IsNull(r) {
					v = col.ValueStr(r)
					if s, ok := col.(interface{ Value(int) string }); ok {
						v = s.Value(r)
					}
				}
				values[fld.Name] = append(values[fld.Name], v)
			}
		}
		rec.Release()
	}
	return p, values
}

// problems renders a FileParsed's problems as Problem.String does.
func problems(p *bus.FileParsed) []string {
	var out []string
	for _, pr := range p.Problems {
		out = append(out, pr.String())
	}
	return out
}

// NUL characters and bytes that are not UTF-8 become U+FFFD in every
// value, the same for every destination, and never in silence: the file's
// problems count the values changed per column, with the line of the
// first.
func TestNULAndBadBytesAreReplacedAndCountedPerColumn(t *testing.T) {
	f := newFixture(t, 0, nil)
	p, values := f.parsed(t, "a.csv", "id,name,note\n1,a\x00b,ok\n2,plain,x\x00\x00\n3,c\x00,\n")
	if got, want := values["name"], []string{"a\uFFFDb", "plain", "c\uFFFD"}; !slices.Equal(got, want) {
		t.Errorf("name = %q, want %q", got, want)
	}
	if got, want := values["note"], []string{"ok", "x\uFFFD\uFFFD", "<null>"}; !slices.Equal(got, want) {
		t.Errorf("note = %q, want %q", got, want)
	}
	want := []string{
		`line 2: column "name": 2 values held NUL characters, which PostgreSQL cannot store: each replaced by U+FFFD in every destination`,
		`line 3: column "note": 1 value held NUL characters, which PostgreSQL cannot store: each replaced by U+FFFD in every destination`,
	}
	if got := problems(p); !slices.Equal(got, want) {
		t.Errorf("problems\n%q\nwant\n%q", got, want)
	}
}

// In JSON, a NUL escaped as \u0000 in a string, a key of a nested object,
// or a packed document is a NUL character too, and an unpaired surrogate
// escape is text that is not valid Unicode: both become U+FFFD (\ufffd in
// JSON values), so that a key with a NUL stays one key, the same in every
// destination, and both are counted.
func TestJSONNULEscapesAndUnpairedSurrogatesAreReplacedAndCounted(t *testing.T) {
	f := newFixture(t, 0, nil)
	p, values := f.parsed(t, "a.jsonl", `{"id": 1, "s": "a\u0000b", "doc": {"k\u0000": "v", "k": "\ud800"}}`+"\n"+
		`{"id": 2, "s": "x\udc00", "doc": {"ok": "\ud83d\ude00"}}`+"\n")
	if got, want := values["s"], []string{"a\uFFFDb", "x\uFFFD"}; !slices.Equal(got, want) {
		t.Errorf("s = %q, want %q", got, want)
	}
	if got, want := values["doc"], []string{`{"k\ufffd":"v","k":"\ufffd"}`, `{"ok":"\ud83d\ude00"}`}; !slices.Equal(got, want) {
		t.Errorf("doc = %q, want %q", got, want)
	}
	got := strings.Join(problems(p), "\n")
	for _, want := range []string{
		`line 1: column "s": 1 value held NUL characters`,
		`line 2: column "s": 1 value held text that is not valid Unicode`,
		`line 1: column "doc": 1 value held NUL characters`,
		`line 1: column "doc": 1 value held text that is not valid Unicode`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("problems %s\nlack %q", got, want)
		}
	}

	f = newFixture(t, 0, func(p *config.Pipeline) { p.Format.JSONDelivery = "packed" })
	p, values = f.parsed(t, "b.jsonl", `{"a\u0000": 1}`+"\n")
	if got, want := values[record.DataColumn], []string{`{"a\ufffd":1}`}; !slices.Equal(got, want) {
		t.Errorf("_data = %q, want %q", got, want)
	}
	if got := problems(p); len(got) != 1 || !strings.Contains(got[0], `column "_data": 1 value held NUL characters`) {
		t.Errorf("problems %q", got)
	}
}

// Many row errors do not crowd out the count of values changed.
func TestValuesChangedAreReportedWhateverTheRowErrors(t *testing.T) {
	f := newFixture(t, 0, func(p *config.Pipeline) { p.OnError = config.Skip })
	var b strings.Builder
	b.WriteString("a,b\n1,x\x00\n")
	for range MaxProblems + 20 {
		b.WriteString("1,2,3\n")
	}
	p, _ := f.parsed(t, "a.csv", b.String())
	if got := problems(p); len(got) != MaxProblems || !strings.Contains(got[0], `column "b": 1 value held NUL characters`) {
		t.Errorf("%d problems, the first %q", len(got), got[:1])
	}
}

// A header of delimiters only names its columns column_0 ... column_n,
// the names empty names get, and loads every row.
func TestAHeaderOfDelimitersOnlyLoadsEveryRow(t *testing.T) {
	f := newFixture(t, 0, nil)
	p, values := f.parsed(t, "a.csv", ",,\n1,2,3\n4,5,6\n")
	var names []string
	for _, c := range p.Tables[0].Columns {
		names = append(names, c.Name)
	}
	if !slices.Equal(names, []string{"column_0", "column_1", "column_2"}) || p.Tables[0].Rows != 2 || fmt.Sprint(values["column_2"]) != "[3 6]" {
		t.Errorf("columns %q, %d rows, column_2 %q", names, p.Tables[0].Rows, values["column_2"])
	}
	if got := problems(p); !slices.Equal(got, []string{"the header row (line 1) is empty: columns named column_0..column_2"}) {
		t.Errorf("problems %q", got)
	}
}

// quote_char: none reaches the reader as the setting it knows.
func TestQuoteCharNoneReachesTheReader(t *testing.T) {
	if config.NoQuote != format.NoQuote {
		t.Fatalf("config.NoQuote %q, format.NoQuote %q", config.NoQuote, format.NoQuote)
	}
	f := newFixture(t, 0, func(p *config.Pipeline) { p.Format.QuoteChar = config.NoQuote })
	_, values := f.parsed(t, "a.tsv", "title\tyear\n\"Weird Al\" Yankovic\t1984\n")
	if got := values["title"]; !slices.Equal(got, []string{`"Weird Al" Yankovic`}) {
		t.Errorf("title = %q", got)
	}
}

// failed handles a file dropped as name and returns its failed trailer.
func (f *fixture) failed(t *testing.T, name, content string) *bus.FileParsed {
	t.Helper()
	fd := f.drop(t, name, content)
	if got := f.handle(t, fd); got != "done" {
		t.Fatalf("outcome %q, want done", got)
	}
	p := trailer(t, f.scope(t, fd.Version))
	if p.Status != bus.StatusFailed || p.Error == nil {
		t.Fatalf("status %s, error %v; want failed", p.Status, p.Error)
	}
	return p
}

// A text file that is not UTF-8, with no encoding set, fails whole at its
// first bad byte, whatever its format, with the line and byte offset of
// that byte and the encoding it looks like; nothing loads as U+FFFD.
func TestATextFileThatIsNotUTF8FailsAtItsFirstBadByte(t *testing.T) {
	latin := "Fran\xe7ois M\xfcller, caf\xe9"
	for _, tc := range []struct{ name, content string }{
		{"a.csv", "id,name\n1,ok\n2," + latin + "\n3,more\n"},
		{"a.jsonl", `{"id": 1}` + "\n" + `{"id": 2}` + "\n" + `{"name": "` + latin + `"}` + "\n"},
		{"a.log", "first\nsecond\n" + latin + "\n"},
		{"a.xml", "<rows>\n<row>a</row>\n<row>" + latin + "</row>\n</rows>\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, 0, nil)
			p := f.failed(t, tc.name, tc.content)
			offset := strings.IndexByte(tc.content, 0xe7)
			want := fmt.Sprintf("line 3: offset %d: byte 0xE7 is not valid utf-8; the text there looks like windows-1252", offset)
			if p.Error.Line != 3 || !strings.Contains(p.Error.String(), want) || !strings.Contains(p.Error.Message, "encoding: auto") {
				t.Errorf("error %s; want %q", p.Error, want)
			}
		})
	}
}

// With encoding: auto, the same file loads, decoded as Windows-1252, and
// a problem of the file says which encoding auto read it in, from which
// line; a UTF-16 file without a byte order mark loads too.
func TestEncodingAutoLoadsALegacyFileAndSaysWhichEncodingItRead(t *testing.T) {
	f := newFixture(t, 0, func(p *config.Pipeline) { p.Format.Encoding = "auto" })
	p, values := f.parsed(t, "a.csv", "id,name\n1,ok\n2,\"Fran\xe7ois M\xfcller, caf\xe9\"\n")
	if got := values["name"]; !slices.Equal(got, []string{"ok", "François Müller, café"}) {
		t.Errorf("name = %q", got)
	}
	if got := problems(p); len(got) != 1 || !strings.HasPrefix(got[0], "encoding: auto read the file as windows-1252 (from its text at line 3 on") {
		t.Errorf("problems %q", got)
	}
	utf16 := []byte{}
	for _, c := range "id,name\n1,Zoë\n" {
		utf16 = append(utf16, byte(c), byte(c>>8))
	}
	p, values = f.parsed(t, "b.csv", string(utf16))
	if got := values["name"]; !slices.Equal(got, []string{"Zoë"}) {
		t.Errorf("UTF-16: name = %q", got)
	}
	if got := problems(p); len(got) != 1 || !strings.HasPrefix(got[0], "encoding: auto read the file as utf-16le (from the zero bytes") {
		t.Errorf("UTF-16: problems %q", got)
	}
	// Without auto, that file fails, naming the encoding to set.
	f = newFixture(t, 0, nil)
	if fp := f.failed(t, "b.csv", string(utf16)); !strings.Contains(fp.Error.Message, "set encoding: utf-16le") {
		t.Errorf("UTF-16 without a BOM, no encoding: %s", fp.Error.Message)
	}
}
