package json_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/filedge/filedge/pkg/format"
	"github.com/filedge/filedge/pkg/record"
)

// benchLines is about 8 MB of JSON lines of 10 keys each, one nested.
var benchLines = func() []byte {
	var b bytes.Buffer
	for i := 0; b.Len() < 8<<20; i++ {
		fmt.Fprintf(&b, `{"id":%d,"name":"Person %d","email":"p%d@example.com","amount":%d.%02d,"active":true,"created":"2024-01-%02dT10:11:12Z","city":"Zürich","note":"said \"hi\"","tags":["a","b"],"score":null}`+"\n",
			i, i, i, i*7, i%100, i%28+1)
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

func BenchmarkJSONRead(b *testing.B) {
	for _, delivery := range []string{"unpacked", "packed"} {
		b.Run(delivery, func(b *testing.B) {
			_, factory, _ := format.Lookup("json")
			r, err := factory(format.Options{JSONDelivery: delivery})
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(benchLines)))
			b.ReportAllocs()
			for b.Loop() {
				if err := r.Read(b.Context(), &format.Input{Path: "bench.jsonl", R: bytes.NewReader(benchLines)}, &discard{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkEncodingJSON decodes the same lines with encoding/json into
// maps, for comparison.
func BenchmarkEncodingJSON(b *testing.B) {
	b.SetBytes(int64(len(benchLines)))
	b.ReportAllocs()
	for b.Loop() {
		dec := json.NewDecoder(bytes.NewReader(benchLines))
		dec.UseNumber()
		for {
			var m map[string]any
			if err := dec.Decode(&m); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				b.Fatal(err)
			}
		}
	}
}
