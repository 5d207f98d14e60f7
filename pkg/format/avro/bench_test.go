package avro_test

import (
	"bytes"
	"fmt"
	"sync"
	"testing"

	"github.com/filedge/filedge/pkg/format"
	"github.com/filedge/filedge/pkg/record"
	"github.com/linkedin/goavro/v2"
)

// benchSchema is a flat record of 10 fields of the common types.
const benchSchema = `{"type":"record","name":"Sale","fields":[
	{"name":"id","type":"long"},
	{"name":"name","type":"string"},
	{"name":"email","type":"string"},
	{"name":"amount","type":"double"},
	{"name":"qty","type":"int"},
	{"name":"active","type":"boolean"},
	{"name":"created","type":{"type":"long","logicalType":"timestamp-micros"}},
	{"name":"day","type":{"type":"int","logicalType":"date"}},
	{"name":"city","type":"string"},
	{"name":"score","type":["null","float"]}]}`

const benchRows = 200_000

// benchFiles are benchRows records of benchSchema written by goavro, by
// codec, made once.
var benchFiles = sync.OnceValues(func() (map[string][]byte, error) {
	files := map[string][]byte{}
	for _, codec := range []string{"null", "deflate", "snappy"} {
		var b bytes.Buffer
		w, err := goavro.NewOCFWriter(goavro.OCFConfig{W: &b, Schema: benchSchema, CompressionName: codec})
		if err != nil {
			return nil, err
		}
		batch := make([]any, 0, 4000)
		for i := range benchRows {
			var score any
			if i%3 != 0 {
				score = goavro.Union("float", float32(i%1000)/8)
			}
			batch = append(batch, map[string]any{
				"id": int64(i), "name": fmt.Sprintf("Person %d", i), "email": fmt.Sprintf("p%d@example.com", i),
				"amount": float64(i*7) + float64(i%100)/100, "qty": int32(i % 50), "active": i%2 == 0,
				"created": int64(1704067200000000 + int64(i)*1_000_123), "day": int32(19723 + i%365),
				"city": "Zürich", "score": score,
			})
			if len(batch) == cap(batch) || i == benchRows-1 {
				if err := w.Append(batch); err != nil {
					return nil, err
				}
				batch = batch[:0]
			}
		}
		files[codec] = b.Bytes()
	}
	return files, nil
})

// count is a writer that looks at every cell and keeps nothing.
type count struct{ rows, n int }

func (c *count) Begin(string, []format.Column) error { return nil }
func (c *count) RowError(*format.RowError) error     { return nil }
func (c *count) Issue(string)                        {}
func (c *count) Row(_ int64, cells []record.Cell) error {
	c.rows++
	for _, cell := range cells {
		c.n += len(cell.Text)
	}
	return nil
}

// BenchmarkAvroRead reads the bench files into a writer that keeps
// nothing; BenchmarkGoavroOCF reads the same files with goavro, for
// comparison.
func BenchmarkAvroRead(b *testing.B) {
	files, err := benchFiles()
	if err != nil {
		b.Fatal(err)
	}
	_, factory, _ := format.Lookup("avro")
	r, err := factory(format.Options{})
	if err != nil {
		b.Fatal(err)
	}
	for _, codec := range []string{"null", "deflate", "snappy"} {
		b.Run(codec, func(b *testing.B) {
			file := files[codec]
			b.SetBytes(int64(len(file)))
			b.ReportAllocs()
			for b.Loop() {
				w := &count{}
				if err := r.Read(b.Context(), &format.Input{Path: "bench.avro", R: bytes.NewReader(file)}, w); err != nil {
					b.Fatal(err)
				}
				if w.rows != benchRows {
					b.Fatalf("%d rows, want %d", w.rows, benchRows)
				}
			}
			b.ReportMetric(float64(benchRows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

func BenchmarkGoavroOCF(b *testing.B) {
	files, err := benchFiles()
	if err != nil {
		b.Fatal(err)
	}
	for _, codec := range []string{"null", "deflate", "snappy"} {
		b.Run(codec, func(b *testing.B) {
			file := files[codec]
			b.SetBytes(int64(len(file)))
			b.ReportAllocs()
			for b.Loop() {
				r, err := goavro.NewOCFReader(bytes.NewReader(file))
				if err != nil {
					b.Fatal(err)
				}
				n := 0
				for r.Scan() {
					if _, err := r.Read(); err != nil {
						b.Fatal(err)
					}
					n++
				}
				if err := r.Err(); err != nil || n != benchRows {
					b.Fatalf("%d rows, %v", n, err)
				}
			}
			b.ReportMetric(float64(benchRows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
