package excel_test

import (
	"archive/zip"
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/filedge/filedge/pkg/format"
	fx "github.com/filedge/filedge/pkg/format/excel/internal/fixture"
	"github.com/filedge/filedge/pkg/record"
)

// benchDir holds the generated benchmark workbooks for the whole run.
var benchDir = struct {
	sync.Mutex
	dir   string
	files map[int]string
}{files: map[int]string{}}

func TestMain(m *testing.M) {
	code := m.Run()
	if benchDir.dir != "" {
		os.RemoveAll(benchDir.dir)
	}
	os.Exit(code)
}

// benchXLSX returns the path of a generated workbook of rows rows of 10
// columns, as Excel writes them: a shared string table (of a few thousand
// distinct strings, as names and cities repeat), integers, decimals,
// dates and timestamps in date formats, and booleans.
func benchXLSX(tb testing.TB, rows int) string {
	benchDir.Lock()
	defer benchDir.Unlock()
	if p, ok := benchDir.files[rows]; ok {
		return p
	}
	if benchDir.dir == "" {
		dir, err := os.MkdirTemp("", "excel-bench-")
		if err != nil {
			tb.Fatal(err)
		}
		benchDir.dir = dir
	}
	p := filepath.Join(benchDir.dir, fmt.Sprintf("bench-%d.xlsx", rows))
	f, err := os.Create(p)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	zw := zip.NewWriter(f)
	part := func(name, body string) {
		w, err := zw.Create(name)
		if err != nil {
			tb.Fatal(err)
		}
		if _, err := w.Write([]byte(body)); err != nil {
			tb.Fatal(err)
		}
	}
	part("[Content_Types].xml", `<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>`)
	part("_rels/.rels", `<Relationships xmlns="`+fx.NSPkg+`"><Relationship Id="r1" Type="`+fx.NSRel+`/officeDocument" Target="xl/workbook.xml"/></Relationships>`)
	part("xl/workbook.xml", `<workbook xmlns="`+fx.NSMain+`" xmlns:r="`+fx.NSRel+`"><sheets><sheet name="Sheet1" sheetId="1" r:id="s1"/></sheets></workbook>`)
	part("xl/_rels/workbook.xml.rels", `<Relationships xmlns="`+fx.NSPkg+`"><Relationship Id="s1" Type="`+fx.NSRel+`/worksheet" Target="worksheets/sheet1.xml"/>`+
		`<Relationship Id="s2" Type="`+fx.NSRel+`/sharedStrings" Target="sharedStrings.xml"/><Relationship Id="s3" Type="`+fx.NSRel+`/styles" Target="styles.xml"/></Relationships>`)
	part("xl/styles.xml", `<styleSheet xmlns="`+fx.NSMain+`"><numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd hh:mm:ss"/></numFmts><cellXfs count="4"><xf numFmtId="0"/><xf numFmtId="14"/><xf numFmtId="164"/><xf numFmtId="4"/></cellXfs></styleSheet>`)
	const names, cities = 5000, 100
	var sst []byte
	sst = append(sst, `<sst xmlns="`+fx.NSMain+`">`...)
	sst = append(sst, `<si><t>id</t></si><si><t>name</t></si><si><t>city</t></si><si><t>amount</t></si><si><t>quantity</t></si><si><t>day</t></si><si><t>at</t></si><si><t>active</t></si><si><t>note</t></si><si><t>score</t></si>`...)
	for i := range names {
		sst = fmt.Appendf(sst, `<si><t>Person %d</t></si>`, i)
	}
	for i := range cities {
		sst = fmt.Appendf(sst, `<si><t>City %d</t></si>`, i)
	}
	part("xl/sharedStrings.xml", string(append(sst, `</sst>`...)))
	w, err := zw.Create("xl/worksheets/sheet1.xml")
	if err != nil {
		tb.Fatal(err)
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	fmt.Fprintf(bw, `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="%s"><dimension ref="A1:J%d"/><sheetData><row r="1">`, fx.NSMain, rows+1)
	for c := range 10 {
		fmt.Fprintf(bw, `<c r="%c1" t="s"><v>%d</v></c>`, 'A'+c, c)
	}
	bw.WriteString(`</row>`)
	for i := 1; i <= rows; i++ {
		r := i + 1
		fmt.Fprintf(bw, `<row r="%d" spans="1:10">`+
			`<c r="A%d"><v>%d</v></c>`+
			`<c r="B%d" t="s"><v>%d</v></c>`+
			`<c r="C%d" t="s"><v>%d</v></c>`+
			`<c r="D%d" s="3"><v>%d.%02d</v></c>`+
			`<c r="E%d"><v>%d</v></c>`+
			`<c r="F%d" s="1"><v>%d</v></c>`+
			`<c r="G%d" s="2"><v>%d.%d</v></c>`+
			`<c r="H%d" t="b"><v>%d</v></c>`+
			`<c r="I%d" t="s"><v>%d</v></c>`+
			`<c r="J%d"><v>%d.%03d</v></c></row>`,
			r, r, i, r, 10+i%names, r, 10+names+i%cities, r, i*7%100000, i%100, r, i%50, r, 40000+i%3000, r, 40000+i%3000, i%1000, r, i%2, r, 10+(i*31)%names, r, i%977, i%1000)
	}
	bw.WriteString(`</sheetData></worksheet>`)
	if err := bw.Flush(); err != nil {
		tb.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	benchDir.files[rows] = p
	return p
}

// discard is a writer that looks at every cell and keeps nothing; every
// sampleEvery rows it samples the heap in use.
type discard struct {
	rows, n  int
	peakHeap uint64
	ms       runtime.MemStats
}

const sampleEvery = 4096

func (d *discard) Begin(string, []format.Column) error { return nil }
func (d *discard) RowError(*format.RowError) error     { return nil }
func (d *discard) Issue(string)                        {}
func (d *discard) Row(_ int64, cells []record.Cell) error {
	for _, c := range cells {
		d.n += len(c.Text)
	}
	d.rows++
	if d.rows%sampleEvery == 0 {
		d.sample()
	}
	return nil
}

func (d *discard) sample() {
	runtime.ReadMemStats(&d.ms)
	d.peakHeap = max(d.peakHeap, d.ms.HeapInuse)
}

// readFile reads the workbook at path with our reader, from the file
// (random access, as for a local file).
func readFile(tb testing.TB, path string, w format.Writer) {
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		tb.Fatal(err)
	}
	_, factory, _ := format.Lookup("excel")
	r, err := factory(format.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	if err := r.Read(tb.Context(), &format.Input{Path: path, R: f, ReaderAt: f, Size: fi.Size()}, w); err != nil {
		tb.Fatal(err)
	}
}

// excelizeRows reads the same workbook with excelize's row iterator (the
// streaming read of the library), sampling the heap like discard.
func excelizeRows(tb testing.TB, path string, d *discard) {
	f, err := excelize.OpenFile(path, excelize.Options{UnzipXMLSizeLimit: 16 << 20})
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	rows, err := f.Rows("Sheet1")
	if err != nil {
		tb.Fatal(err)
	}
	for rows.Next() {
		cols, err := rows.Columns()
		if err != nil {
			tb.Fatal(err)
		}
		for _, c := range cols {
			d.n += len(c)
		}
		d.rows++
		if d.rows%sampleEvery == 0 {
			d.sample()
		}
	}
	if err := rows.Close(); err != nil {
		tb.Fatal(err)
	}
}

func fileSize(tb testing.TB, path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		tb.Fatal(err)
	}
	return fi.Size()
}

// BenchmarkXLSXRead reads the generated workbooks with our reader and,
// in the same run, with excelize's Rows iterator; it reports MB/s (of the
// .xlsx file), rows/s and the peak heap in use.
func BenchmarkXLSXRead(b *testing.B) {
	for _, rows := range []int{50_000, 200_000} {
		path := benchXLSX(b, rows)
		for _, lib := range []string{"filedge", "excelize"} {
			b.Run(fmt.Sprintf("%s/rows=%d", lib, rows), func(b *testing.B) {
				b.SetBytes(fileSize(b, path))
				b.ReportAllocs()
				var peak uint64
				for b.Loop() {
					runtime.GC()
					d := &discard{}
					if lib == "filedge" {
						readFile(b, path, d)
					} else {
						excelizeRows(b, path, d)
					}
					if d.rows < rows {
						b.Fatalf("%d rows, want %d", d.rows, rows)
					}
					peak = max(peak, d.peakHeap)
				}
				b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
				b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
			})
		}
	}
}

// TestXLSXReadMemoryIsFlat reads workbooks of 50,000 and 200,000 rows and
// checks that the peak heap in use does not grow with the sheet: the
// sheet streams, only the shared strings (the same here) stay in memory.
// BenchmarkXLSXRead measures excelize's Rows iterator on the same files.
func TestXLSXReadMemoryIsFlat(t *testing.T) {
	peak := map[int]uint64{}
	for _, rows := range []int{50_000, 200_000} {
		path := benchXLSX(t, rows)
		runtime.GC()
		d := &discard{}
		readFile(t, path, d)
		if d.rows != rows {
			t.Fatalf("%d rows, want %d", d.rows, rows)
		}
		peak[rows] = d.peakHeap
		t.Logf("%d rows (%.1f MB file): peak heap in use %.1f MB", rows, float64(fileSize(t, path))/(1<<20), float64(d.peakHeap)/(1<<20))
	}
	// Four times the rows may not cost more than a few MB (GC timing).
	if grow := int64(peak[200_000]) - int64(peak[50_000]); grow > 4<<20 {
		t.Errorf("peak heap grew by %.1f MB from 50,000 to 200,000 rows: the sheet is not streamed", float64(grow)/(1<<20))
	}
}
