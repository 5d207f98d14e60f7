package format

import (
	"fmt"
	"io"
	"sort"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
)

// RecordWriter writes the record batches of one table to a file, in a
// format. Close flushes what is buffered and writes any footer; it does not
// close the underlying io.Writer.
type RecordWriter interface {
	Write(rec arrow.RecordBatch) error
	Close() error
}

// WriterFactory starts a file of one table with the given schema (columns
// typed as pkg/record makes them: see record.Field).
type WriterFactory func(w io.Writer, schema *arrow.Schema, opts Options) (RecordWriter, error)

var writers = struct {
	sync.RWMutex
	m map[string]WriterFactory
}{m: map[string]WriterFactory{}}

// RegisterWriter makes a format's writer available by code. It panics on a
// duplicate, or on a code no reader registered, so that a mistake fails at
// start-up. Formats call it from init, after Register.
func RegisterWriter(code string, f WriterFactory) {
	if _, _, ok := Lookup(code); !ok {
		panic(fmt.Sprintf("format: writer for unregistered format %q", code))
	}
	writers.Lock()
	defer writers.Unlock()
	if _, dup := writers.m[code]; dup || f == nil {
		panic(fmt.Sprintf("format: writer %q registered twice", code))
	}
	writers.m[code] = f
}

// LookupWriter returns the writer of the format registered under code.
func LookupWriter(code string) (WriterFactory, bool) {
	writers.RLock()
	defer writers.RUnlock()
	f, ok := writers.m[code]
	return f, ok
}

// Writers lists the codes of the formats that have a writer.
func Writers() []string {
	writers.RLock()
	defer writers.RUnlock()
	var out []string
	for c := range writers.m {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}
