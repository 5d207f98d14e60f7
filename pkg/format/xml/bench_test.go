package xml_test

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/filedge/filedge/pkg/format"
	"github.com/filedge/filedge/pkg/record"
)

// benchRecords is the number of records of benchDoc.
const benchRecords = 20000

// benchDoc is a catalog of book elements (about 8 MB) with attributes,
// repeated children and escaped text.
var benchDoc = func() []byte {
	var b bytes.Buffer
	b.WriteString("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<catalog>\n")
	for i := range benchRecords {
		fmt.Fprintf(&b, `  <book id="bk%d" lang="en">
    <author>Person %d, Jr.</author>
    <title>Title &amp; subtitle %d</title>
    <genre>Computer</genre>
    <price currency="USD">%d.%02d</price>
    <publish_date>2024-01-%02d</publish_date>
    <tag>xml</tag><tag>go</tag><tag>data</tag>
    <description>An in-depth look at creating applications with XML, book number %d, in Zürich. %s</description>
  </book>
`, i, i, i, i%100, i%100, i%28+1, i, bytes.Repeat([]byte("Lorem ipsum dolor sit amet. "), 8))
	}
	b.WriteString("</catalog>\n")
	return b.Bytes()
}()

// discard is a writer that looks at every cell and keeps nothing.
type discard struct{ rows int }

func (d *discard) Begin(string, []format.Column) error { return nil }
func (d *discard) RowError(*format.RowError) error     { return nil }
func (d *discard) Issue(string)                        {}
func (d *discard) Row(_ int64, cells []record.Cell) error {
	d.rows++
	return nil
}

// BenchmarkXMLRead reads benchDoc one book a row and reports records/s.
func BenchmarkXMLRead(b *testing.B) {
	_, factory, _ := format.Lookup("xml")
	r, err := factory(format.Options{XMLRecordPath: "catalog/book"})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(benchDoc)))
	b.ReportAllocs()
	for b.Loop() {
		d := &discard{}
		if err := r.Read(b.Context(), &format.Input{Path: "bench.xml", R: bytes.NewReader(benchDoc)}, d); err != nil {
			b.Fatal(err)
		}
		if d.rows != benchRecords {
			b.Fatalf("%d rows, want %d", d.rows, benchRecords)
		}
	}
	b.ReportMetric(float64(benchRecords*b.N)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkEncodingXMLTokens reads the same document with encoding/xml's
// Decoder.Token alone, building nothing, for comparison.
func BenchmarkEncodingXMLTokens(b *testing.B) {
	b.SetBytes(int64(len(benchDoc)))
	b.ReportAllocs()
	for b.Loop() {
		d := xml.NewDecoder(bytes.NewReader(benchDoc))
		for {
			_, err := d.Token()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(benchRecords*b.N)/b.Elapsed().Seconds(), "records/s")
}
