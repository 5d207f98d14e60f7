package csv_test

import (
	"bytes"
	stdcsv "encoding/csv"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/filedge/filedge/pkg/format"
	"github.com/filedge/filedge/pkg/record"
)

// benchData is a 12-column file of about 8 MB in which some fields are
// quoted (with delimiters and doubled quotes inside).
var benchData = func() []byte {
	var b bytes.Buffer
	b.WriteString("id,name,email,amount,ratio,active,created,updated,city,note,code,score\n")
	for i := 0; b.Len() < 8<<20; i++ {
		fmt.Fprintf(&b, "%d,\"Person %d, Jr.\",person%d@example.com,%d.%02d,0.%d,true,2024-01-%02d,2024-01-%02dT10:11:12Z,\"Zürich\",\"said \"\"hi\"\" twice\",C%05d,%d\n",
			i, i, i, i*7, i%100, i%1000, i%28+1, i%28+1, i, i%100)
	}
	return b.Bytes()
}()

// discard is a writer that looks at every cell and keeps nothing.
type discard struct{ n int }

func (d *discard) Begin(string, []format.Column) error { return nil }
func (d *discard) RowError(*format.RowError) error     { return nil }
func (d *discard) Issue(string)                        {}
func (d *discard) Row(_ int64, cells []record.Cell) error {
	for _, c := range cells {
		d.n += len(c.Text)
	}
	return nil
}

func BenchmarkCSVRead(b *testing.B) {
	_, factory, _ := format.Lookup("csv")
	r, err := factory(format.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(benchData)))
	b.ReportAllocs()
	for b.Loop() {
		if err := r.Read(b.Context(), &format.Input{Path: "bench.csv", R: bytes.NewReader(benchData)}, &discard{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodingCSV(b *testing.B) {
	b.SetBytes(int64(len(benchData)))
	b.ReportAllocs()
	for b.Loop() {
		r := stdcsv.NewReader(bytes.NewReader(benchData))
		r.ReuseRecord = true
		n := 0
		for {
			rec, err := r.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			for _, s := range rec {
				n += len(s)
			}
		}
	}
}

// BenchmarkCSVReadOptions reads benchData rewritten for settings that take
// the parser's general path, for comparison with BenchmarkCSVRead.
func BenchmarkCSVReadOptions(b *testing.B) {
	cases := []struct {
		name string
		opts format.Options
		data []byte
	}{
		{"delimiter_||", format.Options{Delimiter: "||"}, bytes.ReplaceAll(benchData, []byte(","), []byte("||"))},
		{"escape_and_null", format.Options{Delimiter: ",", EscapeChar: `\`, NullSequence: `\N`}, bytes.ReplaceAll(benchData, []byte(",true,"), []byte(`,\N,`))},
		{"line_separator_~", format.Options{Delimiter: ",", LineSeparator: "~"}, bytes.ReplaceAll(benchData, []byte("\n"), []byte("~"))},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			_, factory, _ := format.Lookup("csv")
			r, err := factory(c.opts)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(c.data)))
			b.ReportAllocs()
			for b.Loop() {
				if err := r.Read(b.Context(), &format.Input{Path: "bench.csv", R: bytes.NewReader(c.data)}, &discard{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
