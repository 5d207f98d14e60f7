package record

import (
	"bytes"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// EncodeIPC encodes rec as a self-contained, LZ4-compressed Arrow IPC stream
// (schema, then the one record batch): the payload of a batch message.
func EncodeIPC(rec arrow.RecordBatch) ([]byte, error) {
	var buf bytes.Buffer
	w := ipc.NewWriter(&buf, ipc.WithSchema(rec.Schema()), ipc.WithLZ4())
	if err := w.Write(rec); err != nil {
		return nil, fmt.Errorf("record: encode batch: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("record: encode batch: %w", err)
	}
	return buf.Bytes(), nil
}

// DecodeIPC decodes a payload made by EncodeIPC. The caller releases the
// returned batch.
func DecodeIPC(data []byte, mem memory.Allocator) (arrow.RecordBatch, error) {
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	r, err := ipc.NewReader(bytes.NewReader(data), ipc.WithAllocator(mem))
	if err != nil {
		return nil, fmt.Errorf("record: decode batch: %w", err)
	}
	defer r.Release()
	if !r.Next() {
		if err := r.Err(); err != nil {
			return nil, fmt.Errorf("record: decode batch: %w", err)
		}
		return nil, fmt.Errorf("record: decode batch: no record in payload")
	}
	rec := r.RecordBatch()
	rec.Retain()
	return rec, nil
}
