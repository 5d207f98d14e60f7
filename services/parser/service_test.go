package parser

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/filedge/filedge/pkg/bus"
	"github.com/filedge/filedge/pkg/bus/bustest"
	"github.com/filedge/filedge/pkg/bus/membus"
	"github.com/filedge/filedge/pkg/config"
	_ "github.com/filedge/filedge/pkg/format/all"
	"github.com/filedge/filedge/pkg/record"
	"github.com/filedge/filedge/pkg/source/local"
)

// fixture is a parser over a temporary folder and an in-memory bus.
type fixture struct {
	dir string
	p   *config.Pipeline
	b   *membus.Bus
	src *local.Source
	svc *Service
}

func newFixture(t *testing.T, maxPayload int, edit func(*config.Pipeline)) *fixture {
	t.Helper()
	dir := t.TempDir()
	p := config.Defaults()
	p.Name, p.Table = "orders", "orders"
	p.Source = config.Source{Type: "local"}
	p.Parser.AckWait = time.Second
	if edit != nil {
		edit(p)
	}
	src, err := local.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	b := membus.New(membus.Options{})
	t.Cleanup(func() { b.Close() })
	svc, err := New(Config{Pipeline: p, Source: src, Bus: b, MaxPayload: maxPayload})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{dir: dir, p: p, b: b, src: src, svc: svc}
}

// drop writes a file and returns its FileDiscovered.
func (f *fixture) drop(t *testing.T, name, content string) *bus.FileDiscovered {
	t.Helper()
	path := filepath.Join(f.dir, name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	fi, err := f.src.Stat(t.Context(), name)
	if err != nil {
		t.Fatal(err)
	}
	return &bus.FileDiscovered{
		Pipeline: f.p.Name, Path: name, Size: fi.Size, Modified: fi.Modified,
		Version: bus.VersionID(f.src.ID(), name, fi.Size, fi.Modified, ""),
	}
}

// handle runs Handle on a first delivery of fd and returns its verdict
// ("done", "retry", "give up").
func (f *fixture) handle(t *testing.T, fd *bus.FileDiscovered) string {
	t.Helper()
	return f.deliver(t, fd, 1).Verdict.String()
}

// deliver runs Handle on the n-th delivery of fd and returns its outcome.
func (f *fixture) deliver(t *testing.T, fd *bus.FileDiscovered, n int) bus.Outcome {
	t.Helper()
	m, err := bus.FileDiscoveredMessage(fd)
	if err != nil {
		t.Fatal(err)
	}
	return f.svc.Handle(t.Context(), &bus.Delivery{Message: m, Attempt: n})
}

// scope reads every message of the version's batch subject, up to and
// including the trailer.
func (f *fixture) scope(t *testing.T, version string) []*bus.Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	cur, err := f.b.Read(ctx, f.p.Name, version)
	if err != nil {
		t.Fatal(err)
	}
	defer cur.Close()
	var out []*bus.Message
	for {
		m, err := cur.Next(ctx)
		if err != nil {
			t.Fatalf("reading batches of %s: %v (after %d messages)", version, err, len(out))
		}
		out = append(out, m)
		if m.Header[bus.HeaderType] == bus.TypeFileParsed {
			return out
		}
	}
}

// marker returns the first FileParsed marker on the parsed topic.
func (f *fixture) marker(t *testing.T) *bus.Message {
	t.Helper()
	m := bustest.Follow(t, f.b, bus.Parsed, f.p.Name, "", 1)[0]
	return m
}

func trailer(t *testing.T, msgs []*bus.Message) *bus.FileParsed {
	t.Helper()
	var p bus.FileParsed
	if err := bus.Decode(msgs[len(msgs)-1], bus.TypeFileParsed, &p); err != nil {
		t.Fatal(err)
	}
	return &p
}

func csvRows(n int) string {
	var b strings.Builder
	b.WriteString("id,name,amount,day\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "%d,\"name, %d\",%d.5,2026-11-%02d\n", i, i, i, 1+i%28)
	}
	return b.String()
}

func TestHandlePublishesBatchesThenTrailerThenMarkerAndAcks(t *testing.T) {
	f := newFixture(t, 0, nil)
	fd := f.drop(t, "a.csv", csvRows(3))
	if got := f.handle(t, fd); got != "done" {
		t.Fatalf("delivery settled %q, want ack", got)
	}
	msgs := f.scope(t, fd.Version)
	if len(msgs) != 2 {
		t.Fatalf("%d messages on the batch subject, want one batch and the trailer", len(msgs))
	}
	b := msgs[0]
	if b.Header[bus.HeaderTable] != "orders" || b.Header[bus.HeaderSeq] != "0" || len(b.Header[HeaderSHA256]) != 64 {
		t.Fatalf("batch headers %v", b.Header)
	}
	rec, err := record.DecodeIPC(b.Data, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Release()
	if rec.NumRows() != 3 || rec.Schema().Field(0).Name != record.LineColumn {
		t.Fatalf("batch: %d rows, schema %v", rec.NumRows(), rec.Schema())
	}
	p := trailer(t, msgs)
	if p.Status != bus.StatusOK || p.SHA256 != b.Header[HeaderSHA256] || len(p.Tables) != 1 || p.Tables[0].Rows != 3 || p.Tables[0].Batches != 1 {
		t.Fatalf("trailer %+v", p)
	}
	wantTypes := map[string]record.Type{"id": record.Integer, "name": record.String, "amount": record.Float, "day": record.Date}
	for _, c := range p.Tables[0].Columns {
		if wantTypes[c.Name] != c.Type {
			t.Errorf("column %s inferred as %v, want %v", c.Name, c.Type, wantTypes[c.Name])
		}
	}
	// The marker on the parsed topic says the same.
	if m := f.marker(t); m.ID != fd.Version || !bytes.Equal(m.Data, msgs[len(msgs)-1].Data) {
		t.Fatalf("marker %s differs from the trailer", m.ID)
	}
}

// A file whose name is not UTF-8 travels escaped in Path and exactly in
// RawPath: the parser opens the exact name, and lists the escape as an
// issue.
func TestAFileNameThatIsNotUTF8IsOpenedExactlyAndReported(t *testing.T) {
	f := newFixture(t, 0, nil)
	name := "latin1-caf\xe9.csv"
	fd := f.drop(t, name, csvRows(2))
	fd.SetPath(name)
	if got := f.handle(t, fd); got != "done" {
		t.Fatalf("delivery settled %q, want ack", got)
	}
	p := trailer(t, f.scope(t, fd.Version))
	if p.Status != bus.StatusOK || len(p.Tables) != 1 || p.Tables[0].Rows != 2 {
		t.Fatalf("trailer %+v, want the file's 2 rows", p)
	}
	if p.Path != `latin1-caf\xe9.csv` || len(p.Problems) != 1 || !strings.Contains(p.Problems[0].Message, "not valid UTF-8") {
		t.Fatalf("trailer names %q with problems %+v, want the escaped name and the issue", p.Path, p.Problems)
	}
}

func TestBatchesAreSplitToFitTheBusLimitAndNumberedInOrder(t *testing.T) {
	f := newFixture(t, 64<<10, nil)
	fd := f.drop(t, "big.csv", csvRows(20000))
	f.handle(t, fd)
	msgs := f.scope(t, fd.Version)
	p := trailer(t, msgs)
	if p.Tables[0].Rows != 20000 {
		t.Fatalf("rows %d, want 20000", p.Tables[0].Rows)
	}
	batches := msgs[:len(msgs)-1]
	if len(batches) < 10 || len(batches) != p.Tables[0].Batches {
		t.Fatalf("%d batches published, trailer says %d; want many", len(batches), p.Tables[0].Batches)
	}
	var rows int64
	for i, m := range batches {
		if len(m.Data) > 64<<10 {
			t.Errorf("batch %d is %d bytes, over the 64 KiB limit", i, len(m.Data))
		}
		if seq, _ := strconv.Atoi(m.Header[bus.HeaderSeq]); seq != i {
			t.Errorf("batch %d has seq %d", i, seq)
		}
		rec, err := record.DecodeIPC(m.Data, nil)
		if err != nil {
			t.Fatal(err)
		}
		rows += rec.NumRows()
		rec.Release()
	}
	if rows != 20000 {
		t.Fatalf("batches hold %d rows, want 20000", rows)
	}
}

func TestTheSameBytesGiveTheSameBatches(t *testing.T) {
	content := csvRows(5000)
	var first []*bus.Message
	for i := 0; i < 2; i++ {
		f := newFixture(t, 64<<10, nil)
		fd := f.drop(t, "a.csv", content)
		f.handle(t, fd)
		msgs := f.scope(t, fd.Version)
		msgs = msgs[:len(msgs)-1]
		if i == 0 {
			first = msgs
			continue
		}
		if len(msgs) != len(first) {
			t.Fatalf("%d batches, then %d", len(first), len(msgs))
		}
		for j := range msgs {
			if !bytes.Equal(msgs[j].Data, first[j].Data) || msgs[j].Header[bus.HeaderSeq] != first[j].Header[bus.HeaderSeq] {
				t.Fatalf("batch %d differs between two parses of the same bytes", j)
			}
		}
	}
}

func TestABadRowFailsTheFileWithItsLineUnderOnErrorFail(t *testing.T) {
	f := newFixture(t, 0, nil)
	fd := f.drop(t, "bad.csv", "id,name\n1,a\n2,b,c\n")
	if got := f.handle(t, fd); got != "done" {
		t.Fatalf("a bad file is settled for good (ack), got %q", got)
	}
	p := trailer(t, f.scope(t, fd.Version))
	if p.Status != bus.StatusFailed || p.Error == nil || p.Error.Line != 3 {
		t.Fatalf("trailer %+v, error %+v; want failed at line 3", p, p.Error)
	}
}

func TestBadRowsAreSkippedAndReportedUnderOnErrorSkip(t *testing.T) {
	f := newFixture(t, 0, func(p *config.Pipeline) { p.OnError = config.Skip })
	fd := f.drop(t, "bad.csv", "id,name\n1,a\n2,b,c\n3,d\n")
	f.handle(t, fd)
	p := trailer(t, f.scope(t, fd.Version))
	if p.Status != bus.StatusOK || p.SkippedRows != 1 || p.Tables[0].Rows != 2 || len(p.Problems) != 1 || p.Problems[0].Line != 3 {
		t.Fatalf("trailer %+v", p)
	}
}

func TestRequiredAndDeclaredColumnsApply(t *testing.T) {
	f := newFixture(t, 0, func(p *config.Pipeline) {
		p.OnError = config.Skip
		p.Columns = []config.Column{
			{Source: "Order ID", Dest: "order_id", Type: record.Integer, Required: true},
			{Source: "zip", Type: record.String},
		}
	})
	fd := f.drop(t, "a.csv", "Order ID,zip\n1,12345\n,23456\n3,34567\n")
	f.handle(t, fd)
	p := trailer(t, f.scope(t, fd.Version))
	cols := p.Tables[0].Columns
	if cols[0].Name != "order_id" || cols[0].Type != record.Integer || cols[1].Type != record.String {
		t.Fatalf("columns %+v", cols)
	}
	if p.Tables[0].Rows != 2 || p.SkippedRows != 1 || p.Problems[0].Line != 3 {
		t.Fatalf("the row without a required value must be skipped: %+v", p)
	}
}

func TestAFileChangedSinceDiscoveryIsSuperseded(t *testing.T) {
	f := newFixture(t, 0, nil)
	fd := f.drop(t, "a.csv", csvRows(3))
	f.drop(t, "a.csv", csvRows(4))
	f.handle(t, fd)
	if p := trailer(t, f.scope(t, fd.Version)); p.Status != bus.StatusSuperseded {
		t.Fatalf("status %q, want superseded", p.Status)
	}
}

func TestAnUnsupportedFileFailsWithAClearReason(t *testing.T) {
	f := newFixture(t, 0, nil)
	fd := f.drop(t, "notes.xyz", "hello")
	f.handle(t, fd)
	p := trailer(t, f.scope(t, fd.Version))
	if p.Status != bus.StatusFailed || !strings.Contains(p.Error.Message, "file_type") {
		t.Fatalf("trailer %+v", p.Error)
	}
}

func TestParseReleasesEveryBuffer(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	p := config.Defaults()
	p.Table = "t"
	_, err := Parse(t.Context(), p, File{Path: "a.csv", Open: func(context.Context) (io.ReadCloser, error) {
		return io.NopCloser(strings.NewReader(csvRows(1000))), nil
	}}, func(_ context.Context, _ string, rec arrow.RecordBatch) error { rec.Release(); return nil }, Options{Alloc: mem, MaxBatchBytes: 4096})
	if err != nil {
		t.Fatal(err)
	}
}
