package log_test

import (
	"bufio"
	"bytes"
	"fmt"
	"testing"

	"github.com/filedge/filedge/pkg/format"
	"github.com/filedge/filedge/pkg/record"
)

// benchLog is about 8 MB of log lines.
var benchLog = func() []byte {
	var b bytes.Buffer
	for i := 0; b.Len() < 8<<20; i++ {
		fmt.Fprintf(&b, "2024-01-%02dT10:11:%02d.%06dZ INFO  [worker-%d] request id=%08x path=/api/v1/items/%d status=200 duration=%dms user=\"person%d@example.com\"\n",
			i%28+1, i%60, i, i%8, i, i, i%500, i)
	}
	return b.Bytes()
}()

// discard is a writer that looks at every cell and keeps nothing.
type discard struct{ n int }

func (d *discard) Begin(string, []format.Column) error { return nil }
func (d *discard) RowError(*format.RowError) error     { return nil }
func (d *discard) Issue(string)                        {}
func (d *discard) Row(_ int64, cells []record.Cell) error {
	d.n += len(cells[0].Text)
	return nil
}

func BenchmarkLogRead(b *testing.B) {
	_, factory, _ := format.Lookup("log")
	r, err := factory(format.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(benchLog)))
	b.ReportAllocs()
	for b.Loop() {
		if err := r.Read(b.Context(), &format.Input{Path: "bench.log", R: bytes.NewReader(benchLog)}, &discard{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBufioLines reads the same lines with a bufio.Scanner, for
// comparison.
func BenchmarkBufioLines(b *testing.B) {
	b.SetBytes(int64(len(benchLog)))
	b.ReportAllocs()
	for b.Loop() {
		s := bufio.NewScanner(bytes.NewReader(benchLog))
		n := 0
		for s.Scan() {
			n += len(s.Bytes())
		}
		if err := s.Err(); err != nil {
			b.Fatal(err)
		}
	}
}
