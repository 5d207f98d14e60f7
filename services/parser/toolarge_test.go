package parser

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/filedge/filedge/pkg/bus"
	"github.com/filedge/filedge/pkg/config"
)

// noise returns n bytes of random hex: text that does not compress.
func noise(t *testing.T, n int) string {
	t.Helper()
	b := make([]byte, (n+1)/2)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)[:n]
}

// wide returns a CSV header of n columns and, withRow, a row of their
// numbers.
func wide(n int, withRow bool) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "column_%d", i)
	}
	b.WriteByte('\n')
	if withRow {
		for i := range n {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprint(&b, i)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func TestASingleRowOverTheBusLimitFailsTheFileWithItsLine(t *testing.T) {
	f := newFixture(t, 64<<10, nil)
	// Many rows after the huge one, so that the parse is still going when
	// the publisher meets it: the failure must not depend on timing.
	var b strings.Builder
	b.WriteString("id,blob\n1,small\n2," + noise(t, 200<<10) + "\n")
	for i := 3; i < 20000; i++ {
		fmt.Fprintf(&b, "%d,after\n", i)
	}
	fd := f.drop(t, "huge.csv", b.String())
	if got := f.handle(t, fd); got != "done" {
		t.Fatalf("outcome %q, want done: the file fails for good, it is never retried", got)
	}
	p := trailer(t, f.scope(t, fd.Version))
	if p.Status != bus.StatusFailed || p.Error == nil {
		t.Fatalf("trailer %+v, want failed", p)
	}
	want := "a single row of 2 columns encodes to"
	if p.Error.Line != 3 || !strings.Contains(p.Error.Message, want) || !strings.Contains(p.Error.Message, "over the bus message limit of 65536 bytes") ||
		!strings.Contains(p.Error.Message, "max_payload") {
		t.Fatalf("error %+v; want line 3 and %q, the limit and what to do", p.Error, want)
	}
}

func TestAHeaderTooWideForTheBusFailsTheFile(t *testing.T) {
	for _, tc := range []struct {
		name    string
		withRow bool
		line    int64
		want    string
	}{
		{"WithARow", true, 2, "a single row of 100000 columns encodes to"},
		{"HeaderOnly", false, 0, "the table's 100000 columns alone encode to"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, 0, nil)
			fd := f.drop(t, "wide.csv", wide(100_000, tc.withRow))
			if got := f.handle(t, fd); got != "done" {
				t.Fatalf("outcome %q, want done", got)
			}
			p := trailer(t, f.scope(t, fd.Version))
			if p.Status != bus.StatusFailed || p.Error == nil || p.Error.Line != tc.line ||
				!strings.Contains(p.Error.Message, tc.want) || !strings.Contains(p.Error.Message, "over the bus message limit of 1048576 bytes") {
				t.Fatalf("trailer %+v, error %+v; want failed at line %d with %q", p, p.Error, tc.line, tc.want)
			}
		})
	}
}

func TestAnOutcomeTooLargeForTheBusFailsTheFileAndIsTrimmedToFit(t *testing.T) {
	// An archive of many small members, a table each: every batch fits,
	// but the list of tables does not.
	f := newFixture(t, 64<<10, func(p *config.Pipeline) { p.Mode = config.MagicFolder })
	var members []string
	for i := range 400 {
		members = append(members, fmt.Sprintf("member_%03d.csv", i), "id,name,amount\n1,a,1.5\n")
	}
	fd := f.drop(t, "many.zip", zipped(t, members...))
	if got := f.handle(t, fd); got != "done" {
		t.Fatalf("outcome %q, want done", got)
	}
	msgs := f.scope(t, fd.Version)
	p := trailer(t, msgs)
	want := "the file's summary (400 tables, 1200 columns) encodes to"
	if p.Status != bus.StatusFailed || p.Error == nil || !strings.Contains(p.Error.Message, want) || len(p.Tables) != 0 {
		t.Fatalf("trailer status %q, error %+v, %d tables; want failed with %q", p.Status, p.Error, len(p.Tables), want)
	}
	if n := len(msgs[len(msgs)-1].Data); n > 64<<10 {
		t.Fatalf("the trailer is %d bytes, over the limit", n)
	}
}

func TestAFailedOutcomeWithManyLongProblemsIsTrimmedToFit(t *testing.T) {
	f := newFixture(t, 64<<10, nil)
	parsed := &bus.FileParsed{Pipeline: "orders", Version: "v1", Path: "a.csv", Status: bus.StatusFailed,
		Error: &bus.Problem{Message: strings.Repeat("é", 5000)}, Tables: []bus.TableParsed{{Name: "a"}}}
	for i := range MaxProblems {
		parsed.Problems = append(parsed.Problems, bus.Problem{Message: strings.Repeat("x", 2000), Line: int64(i + 2), Column: strings.Repeat("c", 500)})
	}
	m, err := f.svc.fit(parsed, f.svc.maxData())
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Data) > f.svc.maxData() {
		t.Fatalf("trimmed outcome is %d bytes, over %d", len(m.Data), f.svc.maxData())
	}
	if len(parsed.Problems) != maxTrimmedProblems || parsed.Problems[0].Line != 2 ||
		!strings.Contains(parsed.Error.Message, "90 more problems left out to fit the bus message limit") || !utf8.ValidString(parsed.Error.Message) {
		t.Fatalf("%d problems, error %.80q...; want the first %d and a count of the rest", len(parsed.Problems), parsed.Error.Message, maxTrimmedProblems)
	}
}
