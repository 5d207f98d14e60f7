package parser

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"strings"
	"testing"

	"github.com/filedge/filedge/pkg/bus"
	"github.com/filedge/filedge/pkg/config"
	"github.com/filedge/filedge/pkg/record"
)

func gzipped(t *testing.T, s string) string {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write([]byte(s))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func zipped(t *testing.T, members ...string) string {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for i := 0; i < len(members); i += 2 {
		w, err := zw.Create(members[i])
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(members[i+1]))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// batchFiles returns the _file values of the version's batches ("" for a
// batch without the column) and their row counts.
func batchFiles(t *testing.T, msgs []*bus.Message) (files []string, rows []int64) {
	t.Helper()
	for _, m := range msgs[:len(msgs)-1] {
		rec, err := record.DecodeIPC(m.Data, nil)
		if err != nil {
			t.Fatal(err)
		}
		file := ""
		if idx := rec.Schema().FieldIndices(record.FileColumn); len(idx) == 1 {
			if idx[0] != 1 {
				t.Errorf("_file is column %d, want 1 (right after _line)", idx[0])
			}
			file = rec.Column(idx[0]).ValueStr(0)
		}
		files, rows = append(files, file), append(rows, rec.NumRows())
		rec.Release()
	}
	return files, rows
}

func TestAGzippedFileIsReadAsTheFileInsideWithoutAFileColumn(t *testing.T) {
	f := newFixture(t, 0, nil)
	fd := f.drop(t, "a.csv.gz", gzipped(t, csvRows(5)))
	f.handle(t, fd)
	msgs := f.scope(t, fd.Version)
	p := trailer(t, msgs)
	if p.Status != bus.StatusOK || p.Format != "csv" || p.Tables[0].Rows != 5 {
		t.Fatalf("trailer %+v %v", p, p.Error)
	}
	if files, _ := batchFiles(t, msgs); files[0] != "" {
		t.Fatalf("a compressed file is one file: its batches must not carry _file, got %q", files[0])
	}
}

func TestArchiveMembersMergeByColumnNameAndCarryTheirFile(t *testing.T) {
	f := newFixture(t, 0, nil)
	fd := f.drop(t, "batch.zip", zipped(t,
		"2026/a.csv", "id,name\n1,x\n2,y\n",
		"2026/b.csv", "name,id,extra\nz,3,true\n",
		"README.md", "not data",
	))
	f.handle(t, fd)
	msgs := f.scope(t, fd.Version)
	p := trailer(t, msgs)
	if p.Status != bus.StatusOK {
		t.Fatalf("trailer %+v %v", p, p.Error)
	}
	if len(p.Tables) != 1 || p.Tables[0].Rows != 3 {
		t.Fatalf("tables %+v; want the members merged into one table of 3 rows", p.Tables)
	}
	var names []string
	for _, c := range p.Tables[0].Columns {
		names = append(names, c.Name+":"+c.Type.String())
	}
	if got := strings.Join(names, " "); got != "id:integer name:string extra:boolean" {
		t.Fatalf("columns %s", got)
	}
	files, rows := batchFiles(t, msgs)
	if strings.Join(files, ",") != "batch.zip!/2026/a.csv,batch.zip!/2026/b.csv" || rows[0] != 2 || rows[1] != 1 {
		t.Fatalf("batches by file %v rows %v", files, rows)
	}
	// The second member's columns are mapped by name: its id 3 is in column id.
	rec, err := record.DecodeIPC(msgs[1].Data, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Release()
	if id := rec.Column(rec.Schema().FieldIndices("id")[0]).ValueStr(0); id != "3" {
		t.Fatalf("b.csv's id came out as %q", id)
	}
	var skipped bool
	for _, pr := range p.Problems {
		skipped = skipped || strings.Contains(pr.Message, "README.md")
	}
	if !skipped {
		t.Fatalf("the unsupported member must be reported: %+v", p.Problems)
	}
}

func TestInMagicFolderModeEachArchiveMemberIsItsOwnTable(t *testing.T) {
	f := newFixture(t, 0, func(p *config.Pipeline) { p.Mode = config.MagicFolder })
	fd := f.drop(t, "export.zip", zipped(t, "clients.csv", "id\n1\n", "orders.jsonl", `{"n": 1}`+"\n"+`{"n": 2}`+"\n"))
	f.handle(t, fd)
	p := trailer(t, f.scope(t, fd.Version))
	if len(p.Tables) != 2 || p.Tables[0].Name != "clients" || p.Tables[1].Name != "orders" || p.Tables[1].Rows != 2 {
		t.Fatalf("tables %+v %v", p.Tables, p.Error)
	}
}

func TestACorruptArchiveFailsTheFileForGood(t *testing.T) {
	f := newFixture(t, 0, nil)
	good := zipped(t, "a.csv", "id\n1\n")
	fd := f.drop(t, "broken.zip", good[:len(good)/2])
	if settled := f.handle(t, fd); settled != "done" {
		t.Fatalf("outcome %q", settled)
	}
	if p := trailer(t, f.scope(t, fd.Version)); p.Status != bus.StatusFailed || !strings.Contains(p.Error.Message, "broken.zip") && !strings.Contains(p.Error.Message, "zip") {
		t.Fatalf("trailer %+v %+v", p, p.Error)
	}
}
