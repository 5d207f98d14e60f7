package csv

import (
	"bufio"
	"bytes"
	stdcsv "encoding/csv"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/filedge/filedge/pkg/format/formattest"
	"github.com/filedge/filedge/pkg/record"
)

// parsed is one record the parser returned: its start line, its fields
// (nil for a null field), or its error.
type parsed struct {
	line   int64
	fields []*string
	err    error
}

// parseAll splits data with a parser reading through a buffer of bufSize
// bytes, capping records at max bytes.
func parseAll(data []byte, comma byte, bufSize, max int) []parsed {
	return parseWith(data, newTestDialect(string(comma), '"', 0, ""), bufSize, max)
}

// parseStrict is parseAll with quotes as RFC 4180 and encoding/csv have
// them: a quote in a field that is not quoted is a syntax error.
func parseStrict(data []byte, comma byte, bufSize, max int) []parsed {
	return parseWith(data, strict(newTestDialect(string(comma), '"', 0, "")), bufSize, max)
}

// strict makes d take quotes as RFC 4180 has them (see dialect.strict).
func strict(d dialect) dialect {
	d.strict = true
	return d
}

// parseWith splits data as d says with a parser reading through a buffer
// of bufSize bytes, capping records at max bytes.
// newTestDialect returns a dialect; sep "" is the default line end.
func newTestDialect(comma string, quote, escape byte, sep string) dialect {
	d := dialect{quote: quote, escape: escape}
	if sep != "" {
		d.sep = []byte(sep)
	}
	d.setComma([]byte(comma))
	return d
}

func parseWith(data []byte, d dialect, bufSize, max int) []parsed {
	p := newParser(bufio.NewReaderSize(bytes.NewReader(data), bufSize), d, max)
	var out []parsed
	var cells []record.Cell
	for {
		line, err := p.read()
		if errors.Is(err, io.EOF) {
			return out
		}
		rec := parsed{line: line, err: err}
		if err == nil {
			cells = p.cur.cells(cells[:0], p.cur.count())
			for _, c := range cells {
				if c.Kind == record.Null {
					rec.fields = append(rec.fields, nil)
				} else {
					s := c.Text
					rec.fields = append(rec.fields, &s)
				}
			}
			// Copy the text out of the parser's buffer.
			for i, f := range rec.fields {
				if f != nil {
					s := string([]byte(*f))
					rec.fields[i] = &s
				}
			}
		}
		out = append(out, rec)
		if errors.Is(err, errUnterminated) {
			return out
		}
	}
}

// strs flattens fields, nulls as "".
func strs(fields []*string) []string {
	out := make([]string, len(fields))
	for i, f := range fields {
		if f != nil {
			out[i] = *f
		}
	}
	return out
}

// encodingCSV splits data with encoding/csv, or returns its first error.
func encodingCSV(data []byte, comma byte) ([][]string, error) {
	return encodingCSVLazy(data, comma, false)
}

// encodingCSVLazy is encodingCSV with encoding/csv's LazyQuotes set as
// lazy says.
func encodingCSVLazy(data []byte, comma byte, lazy bool) ([][]string, error) {
	r := stdcsv.NewReader(bytes.NewReader(data))
	r.Comma = rune(comma)
	r.FieldsPerRecord = -1
	r.LazyQuotes = lazy
	var out [][]string
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		out = append(out, rec)
	}
}

// checkMatchesEncodingCSV fails t unless the parser in strict mode
// splits data as encoding/csv does, blank lines (which encoding/csv skips)
// aside, and fails exactly when encoding/csv does; and unless the parser
// as readers use it (a quote that does not open a field is data) splits
// data as strict encoding/csv does when that accepts it, splits it as
// encoding/csv with LazyQuotes does when it accepts it itself (every quote
// it met opened a field, closed one, was doubled inside one, or was data
// in a field not quoted, which is what LazyQuotes allows too), and fails
// only where strict encoding/csv fails. Inputs with a carriage return are
// not compared: encoding/csv folds CRLF inside quotes to LF, the parser
// keeps it.
func checkMatchesEncodingCSV(t *testing.T, data []byte, comma byte) {
	if bytes.IndexByte(data, '\r') >= 0 {
		return
	}
	want, wantErr := encodingCSV(data, comma)
	lazy, lazyErr := encodingCSVLazy(data, comma, true)
	for _, bufSize := range []int{16, bufferSize} {
		got, gotErr := records(parseStrict(data, comma, bufSize, 1<<30))
		if (wantErr == nil) != (gotErr == nil) {
			t.Fatalf("strict, buffer %d: %q: encoding/csv error %v, parser error %v", bufSize, data, wantErr, gotErr)
		}
		if wantErr == nil && !slices.EqualFunc(want, got, slices.Equal) {
			t.Fatalf("strict, buffer %d: %q:\nencoding/csv %q\nparser       %q", bufSize, data, want, got)
		}
		got, gotErr = records(parseAll(data, comma, bufSize, 1<<30))
		switch {
		case wantErr == nil && (gotErr != nil || !slices.EqualFunc(want, got, slices.Equal)):
			t.Fatalf("buffer %d: %q:\nencoding/csv %q\nparser       %q (%v)", bufSize, data, want, got, gotErr)
		case gotErr == nil && (lazyErr != nil || !slices.EqualFunc(lazy, got, slices.Equal)):
			t.Fatalf("buffer %d: %q:\nencoding/csv, LazyQuotes %q (%v)\nparser                   %q", bufSize, data, lazy, lazyErr, got)
		}
	}
}

// records returns the fields of the records parsed, blank lines left out,
// up to the first error, and that error.
func records(all []parsed) ([][]string, error) {
	var out [][]string
	for _, rec := range all {
		if rec.err != nil {
			return out, rec.err
		}
		if len(rec.fields) == 1 && rec.fields[0] == nil {
			continue // a blank line
		}
		out = append(out, strs(rec.fields))
	}
	return out, nil
}

// checkResync fails t unless capping records at max bytes turns the
// records over the cap into errTooLong and leaves the others as they are,
// at the same lines: stepping over a long record finds the next one.
func checkResync(t *testing.T, data []byte, comma byte, max int) {
	if bytes.IndexByte(data, '\r') >= 0 {
		return
	}
	for _, parse := range []func([]byte, byte, int, int) []parsed{parseStrict, parseAll} {
		all := parse(data, comma, 16, 1<<30)
		if _, err := records(all); err != nil {
			continue // resync is promised for well-formed records only
		}
		capped := parse(data, comma, 16, max)
		compareResync(t, data, max, all, capped)
	}
}

// compareResync fails t unless the records parsed with a cap of max bytes
// (capped) start at the lines of those parsed without (all), and are the
// same or errTooLong.
func compareResync(t *testing.T, data []byte, max int, all, capped []parsed) {
	t.Helper()
	if len(all) != len(capped) {
		t.Fatalf("%q, cap %d: %d records, %d without the cap", data, max, len(capped), len(all))
	}
	for i := range all {
		if all[i].line != capped[i].line {
			t.Fatalf("%q, cap %d: record %d starts at line %d, at %d without the cap", data, max, i, capped[i].line, all[i].line)
		}
		if capped[i].err == nil && !slices.Equal(strs(capped[i].fields), strs(all[i].fields)) {
			t.Fatalf("%q, cap %d: record %d is %q, %q without the cap", data, max, i, strs(capped[i].fields), strs(all[i].fields))
		}
		if capped[i].err != nil && capped[i].err != errTooLong {
			t.Fatalf("%q, cap %d: record %d: %v", data, max, i, capped[i].err)
		}
	}
}

var parserSeeds = []string{
	"a,b,c\n1,2,3\n",
	"a,b\n\"x,y\",\"say \"\"hi\"\"\"\n",
	"a\n\"multi\nline\nfield\"\n\n\nb\n",
	"a,b\n1,x\"y\n",
	"a,b\n\"open\n",
	"a,b\n\"x\"y,1\n",
	",,\n,\n",
	"\"\"\n\"\"\"\"\n",
	"no newline at end",
	"a,\"b\nc\",d\ne,f\n\"g\"\n",
	// Lines past 64 bytes, with quotes and doubled quotes across the
	// 64-byte blocks the fast path reads.
	strings.Repeat("x", 62) + ",\"a,b\"\"c\",\"" + strings.Repeat("y", 70) + "\"\"\",z\n",
	strings.Repeat("x,", 31) + "\"\"\"\",\"" + strings.Repeat(",", 64) + "\"\n",
	strings.Repeat("x", 63) + "\"bare\n",
}

func FuzzParserMatchesEncodingCSV(f *testing.F) {
	for _, s := range parserSeeds {
		f.Add([]byte(s), byte(0), uint16(8))
	}
	for _, b := range formattest.Seeds(f, filepath.Join("testdata", "*")) {
		f.Add(b, byte(0), uint16(20))
	}
	if dir := os.Getenv("FILEDGE_CORPUS"); dir != "" {
		for _, b := range formattest.Seeds(f, filepath.Join(dir, "csv-spectrum", "csvs", "*.csv")) {
			f.Add(b, byte(0), uint16(10))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, comma byte, max uint16) {
		c := candidates[int(comma)%len(candidates)]
		checkMatchesEncodingCSV(t, data, c)
		checkResync(t, data, c, int(max))
	})
}

func TestParserKeepsCRLFInsideQuotes(t *testing.T) {
	got := parseAll([]byte("\"a\r\nb\",c\r\nd\r\n"), ',', 16, 100)
	if len(got) != 2 || strs(got[0].fields)[0] != "a\r\nb" || strs(got[0].fields)[1] != "c" || strs(got[1].fields)[0] != "d" {
		t.Fatalf("got %+v", got)
	}
}

func TestParserRecordCapCountsEveryLine(t *testing.T) {
	// Each line fits the cap, the record does not.
	data := []byte("\"0123456789\n0123456789\n0123456789\"\nnext\n")
	got := parseAll(data, ',', 16, 25)
	if len(got) != 2 || !errors.Is(got[0].err, errTooLong) || got[1].line != 4 || strs(got[1].fields)[0] != "next" {
		t.Fatalf("got %+v", got)
	}
}

func TestSniff(t *testing.T) {
	tests := []struct {
		name string
		data string
		eof  bool
		want byte
	}{
		{"comma", "a,b,c\n1,2,3\n", true, ','},
		{"semicolon with decimal commas", "a;b;c\n1,5;2,5;3\n4,1;5;6\n", true, ';'},
		{"tab", "a\tb\n1\t2\n", true, '\t'},
		{"pipe", "a|b|c\n1|2|3\n", true, '|'},
		{"unit separator", "a\x1fb\n1\x1f2\n", true, 0x1f},
		{"delimiters inside quotes do not count", "a;b\n\"1,2,3\";x\n\"4,5,6\";y\n", true, ';'},
		{"newlines inside quotes do not split records", "a|b\n\"x\ny,z\"|1\n", true, '|'},
		{"one column falls back to comma", "name\nalice\nbob\n", true, ','},
		{"empty falls back to comma", "", true, ','},
		{"more consistent wins over more fields", "a,b;c;d\n1,2;3\n4,5;6\n7,8;9\n", true, ','},
		{"last record cut short by the window is not counted", "a;b\n1;2\n3;4\n5,6,7,8,9,10", false, ';'},
		{"blank lines are not counted", "a;b\n\n\n1;2\n", true, ';'},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := sniff([]byte(tt.data), tt.eof, &dialect{quote: '"'}); got != tt.want {
				t.Errorf("sniff(%q) = %q, want %q", tt.data, got, tt.want)
			}
		})
	}
}

// rewrite is the same text written in another dialect: from is replaced
// by to in the text, which must not hold any byte of to.
type rewrite struct {
	name     string
	d        dialect
	from, to string
}

var rewrites = []rewrite{
	{"two-byte delimiter", newTestDialect("||", '"', 0, ""), ",", "||"},
	{"three-byte delimiter", newTestDialect("<=>", '"', 0, ""), ",", "<=>"},
	{"one-byte line separator", newTestDialect(",", '"', 0, "~"), "\n", "~"},
	{"two-byte line separator", newTestDialect(",", '"', 0, "<>"), "\n", "<>"},
	{"quote character", newTestDialect(",", '\'', 0, ""), `"`, "'"},
	{"general parser", general(newTestDialect(",", '"', 0, "")), "", ""},
}

// general makes d take the parser's general path, not its fast one.
func general(d dialect) dialect {
	d.simple = false
	return d
}

// checkRewrites fails t unless the parser splits data written in each
// dialect of rewrites, with no cap on records, exactly as it splits data
// written with the defaults:
// the same records at the same lines, the same fields once rewritten back,
// and the same errors at the same places.
func checkRewrites(t *testing.T, data []byte, bufSize int) {
	const max = 1 << 30
	if bytes.IndexByte(data, '\r') >= 0 {
		return // the default line end takes "\r\n", a custom one does not
	}
	want := parseAll(data, ',', bufSize, max)
	for _, rw := range rewrites {
		if rw.to != "" && bytes.ContainsAny(data, rw.to) {
			continue
		}
		other := data
		if rw.from != "" {
			other = bytes.ReplaceAll(data, []byte(rw.from), []byte(rw.to))
		}
		got := parseWith(other, rw.d, bufSize, max)
		if len(got) != len(want) {
			t.Fatalf("%s: %q: %d records, %d with the defaults", rw.name, other, len(got), len(want))
		}
		for i := range want {
			g, w := got[i], want[i]
			if g.line != w.line || !sameError(g.err, w.err, len(rw.from) == len(rw.to)) {
				t.Fatalf("%s: %q: record %d at line %d, error %v; with the defaults line %d, error %v", rw.name, other, i, g.line, g.err, w.line, w.err)
			}
			if len(g.fields) != len(w.fields) {
				t.Fatalf("%s: %q: record %d has %d fields, %d with the defaults", rw.name, other, i, len(g.fields), len(w.fields))
			}
			for k := range w.fields {
				if (g.fields[k] == nil) != (w.fields[k] == nil) || g.fields[k] != nil && unrewrite(*g.fields[k], rw) != *w.fields[k] {
					t.Fatalf("%s: %q: record %d is %q, %q with the defaults", rw.name, other, i, strs(g.fields), strs(w.fields))
				}
			}
		}
	}
}

// unrewrite writes a field read in rw's dialect back with the defaults.
func unrewrite(s string, rw rewrite) string {
	if rw.to == "" {
		return s
	}
	return strings.ReplaceAll(s, rw.to, rw.from)
}

// sameError reports whether two parser errors are the same, the quote
// character in messages aside, and their byte columns too when sameCols.
func sameError(a, b error, sameCols bool) bool {
	var sa, sb *syntaxError
	if errors.As(a, &sa) && errors.As(b, &sb) {
		return sa.line == sb.line && (sa.col == sb.col || !sameCols) && sa.field == sb.field
	}
	return a == b
}

// checkEscapeResync fails t unless, for text read with an escape
// character (and the line separator sep), capping records at max bytes
// turns the records over the cap into errTooLong and leaves the others as
// they are, at the same lines: stepping over a long record, escaped quotes
// and line ends included, finds the next one.
func checkEscapeResync(t *testing.T, data []byte, sep []byte, max int) {
	d := newTestDialect(",", '"', '\\', string(sep))
	all := parseWith(data, d, 16, 1<<30)
	for _, rec := range all {
		if rec.err != nil {
			return // resync is promised for well-formed records only
		}
	}
	capped := parseWith(data, d, 16, max)
	compareResync(t, data, max, all, capped)
}

// checkNoQuote fails t unless, with quoting off, the parser splits data
// as its lines split at each delimiter: quotes are data, a blank line is
// one null field, and every other empty field is null too.
func checkNoQuote(t *testing.T, data []byte) {
	d := newTestDialect(",", 0, 0, "")
	d.noQuote = true
	d.setComma([]byte(","))
	got := parseWith(data, d, 16, 1<<30)
	lines := bytes.SplitAfter(data, []byte("\n"))
	if len(lines[len(lines)-1]) == 0 {
		lines = lines[:len(lines)-1]
	}
	if len(got) != len(lines) {
		t.Fatalf("no quotes: %q: %d records, %d lines", data, len(got), len(lines))
	}
	for i, l := range lines {
		want := strings.Split(string(trimEOL(l)), ",")
		if got[i].err != nil || !slices.Equal(strs(got[i].fields), want) || got[i].line != int64(i+1) {
			t.Fatalf("no quotes: %q: record %d is %q at line %d (%v), want %q at line %d", data, i, strs(got[i].fields), got[i].line, got[i].err, want, i+1)
		}
	}
}

var escapeSeeds = []string{
	"a,b\n\\,\\\n\\\\\n",
	"a,\"x\\\"y\"\nb,c\\\nd\n",
	"\"q\\\n\",1\r\nx\\\r\ny\r\n",
	"k\\~v~\"~\\\"~\"~z",
}

// FuzzParserDialects proves that the parser splits text written with a
// multi-byte delimiter, a custom line separator or another quote character
// as it splits the same text written with the defaults, and that with an
// escape character it still steps over records too long to the next one.
func FuzzParserDialects(f *testing.F) {
	for _, s := range append(parserSeeds, escapeSeeds...) {
		f.Add([]byte(s), uint16(8), uint8(0))
	}
	for _, b := range formattest.Seeds(f, filepath.Join("testdata", "*")) {
		f.Add(b, uint16(20), uint8(1))
	}
	f.Fuzz(func(t *testing.T, data []byte, max uint16, buf uint8) {
		if len(data) > 4096 {
			return // small buffers make long inputs slow, and teach nothing more
		}
		checkRewrites(t, data, 16+int(buf%64))
		checkNoQuote(t, data)
		checkEscapeResync(t, data, nil, int(max))
		if !bytes.Contains(data, []byte("\n")) {
			checkEscapeResync(t, data, []byte("~"), int(max))
		} else if !bytes.ContainsAny(data, "<>") {
			checkEscapeResync(t, bytes.ReplaceAll(data, []byte("\n"), []byte("<>")), []byte("<>"), int(max))
		}
	})
}

func TestParserSeparatorSplitAcrossReads(t *testing.T) {
	// With a 16-byte buffer the separator "<>" falls across two reads.
	data := []byte("aaaaaaaaaaaaaa<bbbbbbbbbbbbbbb<>c<>")
	got := parseWith(data, newTestDialect(",", '"', 0, "<>"), 16, 100)
	if len(got) != 2 || strs(got[0].fields)[0] != "aaaaaaaaaaaaaa<bbbbbbbbbbbbbbb" || strs(got[1].fields)[0] != "c" || got[1].line != 2 {
		t.Fatalf("got %+v", got)
	}
}

func TestSniffNeverPicksADelimiterThatClashes(t *testing.T) {
	tests := []struct {
		name string
		d    dialect
		data string
		want byte
	}{
		{"the quote character", dialect{quote: ';'}, "a;b;c\n1;2;3\n", ','},
		{"the escape character", dialect{quote: '"', escape: '|'}, "a|b\n1|2\n", ','},
		{"part of the line separator", dialect{quote: '"', sep: []byte(",\n")}, "a,b,\n1,2,\n", ';'},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := sniff([]byte(tt.data), true, &tt.d); got != tt.want {
				t.Errorf("sniff(%q) = %q, want %q", tt.data, got, tt.want)
			}
		})
	}
}

// TestParserQuickAndSlowSplitsAgree proves that the simple dialect's fast
// path (splitQuick) splits every line it accepts as its careful path
// (splitSlow) does, and that parseSimple, which falls back to the careful
// path, reads each line as the general parser does, errors and their
// columns included. The lines are made of delimiters, quotes, CR and
// letters, up to 200 bytes, so that quotes fall on every side of the
// 64-byte blocks the fast path reads.
func TestParserQuickAndSlowSplitsAgree(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []byte{'a', 'b', ',', ',', '"', '"', '\r', ' '}
	accepted := 0
	for n := range 20000 {
		line := make([]byte, rng.IntN(200))
		for i := range line {
			line[i] = alphabet[rng.IntN(len(alphabet))]
		}
		if n%3 == 0 {
			// Well-formed quoting, which the fast path must take.
			line = wellQuoted(rng)
		}
		data := append(line, '\n')
		for _, d := range []dialect{newTestDialect(",", '"', 0, ""), strict(newTestDialect(",", '"', 0, ""))} {
			quick := newParser(bufio.NewReaderSize(bytes.NewReader(data), 4096), d, 1<<20)
			l, _, err := quick.readLine(quick.max)
			if err != nil {
				t.Fatal(err)
			}
			if quick.splitQuick(l) {
				accepted++
				slow := newParser(bufio.NewReaderSize(bytes.NewReader(data), 4096), d, 1<<20)
				l, _, _ := slow.readLine(slow.max)
				if err := slow.splitSlow(1, l); err != nil {
					t.Fatalf("strict %v: %q: the fast path split a line the careful one rejects: %v", d.strict, data, err)
				}
				slow.cur.text = slow.buf
				if got, want := fieldStrings(&quick.cur), fieldStrings(&slow.cur); !slices.Equal(got, want) {
					t.Fatalf("strict %v: %q: fast path %q, careful path %q", d.strict, data, got, want)
				}
			}
			if got, want := parseWith(data, d, 4096, 1<<20), parseWith(data, general(d), 4096, 1<<20); !sameRecords(got, want) {
				t.Fatalf("strict %v: %q: simple dialect %+v, general parser %+v", d.strict, data, got, want)
			}
		}
	}
	if accepted < 10000 {
		t.Errorf("the fast path took only %d lines: the test proves little", accepted)
	}
}

// wellQuoted returns a line of fields, some quoted with delimiters,
// doubled quotes and CR inside, some empty.
func wellQuoted(rng *rand.Rand) []byte {
	var b []byte
	for f := range rng.IntN(12) + 1 {
		if f > 0 {
			b = append(b, ',')
		}
		n := rng.IntN(20)
		if rng.IntN(2) == 0 {
			b = append(b, '"')
			for range n {
				b = append(b, []string{"a", ",", `""`, "\r", " "}[rng.IntN(5)]...)
			}
			b = append(b, '"')
			continue
		}
		for range n {
			b = append(b, "abc "[rng.IntN(4)])
		}
	}
	return b
}

// fieldStrings renders a record's fields with their kinds.
func fieldStrings(f *fields) []string {
	var out []string
	for _, s := range f.spans {
		out = append(out, fmt.Sprintf("%d:%s", s.kind, f.text[s.start:s.end]))
	}
	return out
}

// sameRecords reports whether two parses gave the same records, fields
// and errors.
func sameRecords(a, b []parsed) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].line != b[i].line || !sameError(a[i].err, b[i].err, true) || !slices.Equal(strs(a[i].fields), strs(b[i].fields)) {
			return false
		}
		for k := range a[i].fields {
			if (a[i].fields[k] == nil) != (b[i].fields[k] == nil) {
				return false
			}
		}
	}
	return true
}
