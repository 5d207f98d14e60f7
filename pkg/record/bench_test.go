package record

import (
	"fmt"
	"strconv"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/filedge/filedge/internal/benchkit"
)

// benchRows returns n rows of 12 mixed columns (integers, floats, dates,
// timestamps, strings, booleans, zip codes, sparse notes), about 10 bytes a
// cell as in a typical 120 MB, 1M-row CSV, and their size as CSV.
func benchRows(n int) (rows [][]Cell, csvBytes int64) {
	cities := []string{"Paris", "Lyon", "Berlin", "São Paulo", "New York", "Zürich", "Osaka"}
	rows = make([][]Cell, n)
	for i := range n {
		note := ""
		if i%3 == 0 {
			note = "lorem ipsum " + strconv.Itoa(i%100)
		}
		r := texts(
			strconv.Itoa(1_000_000+i),
			strconv.Itoa(i%500),
			fmt.Sprintf("%d.%02d", i%10000, i%100),
			fmt.Sprintf("0.%04d", i%10000),
			fmt.Sprintf("2024-%02d-%02d", i%12+1, i%28+1),
			fmt.Sprintf("2024-%02d-%02dT%02d:%02d:%02dZ", i%12+1, i%28+1, i%24, i%60, (i*7)%60),
			fmt.Sprintf("2024-%02d-%02d %02d:%02d:%02d.%06d", i%12+1, i%28+1, i%24, i%60, (i*7)%60, i%1000000),
			"Customer "+strconv.Itoa(i),
			cities[i%len(cities)],
			strconv.FormatBool(i%2 == 0),
			fmt.Sprintf("%05d", i%100000),
			note,
		)
		rows[i] = r
		for _, c := range r {
			csvBytes += int64(len(c.Text)) + 1 // the delimiter or newline
		}
	}
	return rows, csvBytes
}

// rowSource hands out rows the way a reader does: one reused cell slice
// whose texts point into one buffer. Benchmarks use it rather than a slice
// of rows so that the garbage collector does not scan millions of input
// strings, which no real reader keeps.
type rowSource struct {
	data  string
	ends  []int32 // end of each cell in data, row after row
	kinds []Kind
	width int
	cells []Cell
}

func newRowSource(rows [][]Cell) *rowSource {
	src := &rowSource{width: len(rows[0]), cells: make([]Cell, len(rows[0]))}
	var buf []byte
	for _, r := range rows {
		for _, c := range r {
			buf = append(buf, c.Text...)
			src.ends = append(src.ends, int32(len(buf)))
			src.kinds = append(src.kinds, c.Kind)
		}
	}
	src.data = string(buf)
	return src
}

func (s *rowSource) rows() int { return len(s.ends) / s.width }

// row returns row i, valid until the next call.
func (s *rowSource) row(i int) []Cell {
	k := i * s.width
	start := int32(0)
	if k > 0 {
		start = s.ends[k-1]
	}
	for j := range s.cells {
		end := s.ends[k+j]
		s.cells[j] = Cell{Text: s.data[start:end], Kind: s.kinds[k+j]}
		start = end
	}
	return s.cells
}

var benchColumns = []string{"id", "qty", "price", "rate", "day", "created", "updated", "name", "city", "active", "zip", "note"}

// runBuilder appends every row of src to a new Builder, flushing and
// releasing batches as a parser does.
func runBuilder(b *testing.B, src *rowSource, columns []Column) {
	bl := NewBuilder(BuilderOptions{Columns: columns, Alloc: memory.DefaultAllocator})
	for i := range src.rows() {
		if err := bl.Append(int64(i+2), src.row(i)); err != nil {
			b.Fatal(err)
		}
		if bl.Full() {
			rec, err := bl.Flush()
			if err != nil {
				b.Fatal(err)
			}
			rec.Release()
		}
	}
	rec, err := bl.Flush()
	if err != nil {
		b.Fatal(err)
	}
	rec.Release()
}

// BenchmarkBuilder measures Append, Flush and Release over 12 mixed
// columns, all inferred; its MB/s counts the bytes the rows take as CSV.
func BenchmarkBuilder(b *testing.B) {
	rows, size := benchRows(200_000)
	src := newRowSource(rows)
	rows = nil
	b.SetBytes(size)
	b.ReportAllocs()
	defer benchkit.ReportCPU(b, size)()
	for b.Loop() {
		runBuilder(b, src, cols(benchColumns...))
	}
}

// BenchmarkBuilderDeclared is BenchmarkBuilder with every type declared.
func BenchmarkBuilderDeclared(b *testing.B) {
	rows, size := benchRows(200_000)
	src := newRowSource(rows)
	rows = nil
	columns := cols(benchColumns...)
	for i, t := range []Type{Integer, Integer, Float, Float, Date, Timestamp, Timestamp, String, String, Boolean, String, String} {
		columns[i].Type = t
	}
	b.SetBytes(size)
	b.ReportAllocs()
	defer benchkit.ReportCPU(b, size)()
	for b.Loop() {
		runBuilder(b, src, columns)
	}
}

func BenchmarkInfer(b *testing.B) {
	rows, size := benchRows(10_000)
	b.SetBytes(size)
	defer benchkit.ReportCPU(b, size)()
	for b.Loop() {
		for _, r := range rows {
			for _, c := range r {
				Infer(c)
			}
		}
	}
}

func BenchmarkNames(b *testing.B) {
	raw := []string{"Customer ID", "Prénom", "Nom", "Straße", "Ærø", "Date de naissance", "E-mail", "Téléphone", "id", "ID", "", "2nd"}
	for b.Loop() {
		Names(raw)
	}
}

// BenchmarkBuilderDecimals is BenchmarkBuilderDeclared with the price and
// rate columns declared decimal(12,2) and decimal(10,4) instead of float:
// the cost of exact decimals over floats.
func BenchmarkBuilderDecimals(b *testing.B) {
	rows, size := benchRows(200_000)
	src := newRowSource(rows)
	rows = nil
	columns := cols(benchColumns...)
	for i, t := range []Type{Integer, Integer, DecimalOf(12, 2), DecimalOf(10, 4), Date, Timestamp, Timestamp, String, String, Boolean, String, String} {
		columns[i].Type = t
	}
	b.SetBytes(size)
	b.ReportAllocs()
	defer benchkit.ReportCPU(b, size)()
	for b.Loop() {
		runBuilder(b, src, columns)
	}
}
