package parquet

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
)

// predecodeBatch is how many levels predecode reads at a time.
const predecodeBatch = 4096

// hasStruct reports whether values of type t hold a struct (maps hold
// structs of key and value): pqarrow decodes the leaves of such a field in
// goroutines of its own.
func hasStruct(t arrow.DataType) bool {
	switch t := t.(type) {
	case *arrow.StructType, *arrow.MapType:
		return true
	case arrow.ListLikeType:
		return hasStruct(t.Elem())
	case arrow.ExtensionType:
		return hasStruct(t.StorageType())
	}
	return false
}

// predecode decodes every page of leaf column leaf of a row group,
// keeping nothing, in the caller's goroutine. Corrupt data makes arrow-go
// panic while it decodes, and pqarrow decodes the leaves of struct columns
// in goroutines of its own, where a panic ends the process: decoding them
// here first, under the reader's recover, turns such a panic into an error
// before pqarrow decodes the same pages. It returns the first error of
// the column, so that a corrupt row group fails at its first bad leaf.
func predecode(rgr *file.RowGroupReader, leaf int) error {
	cr, err := rgr.Column(leaf)
	if err != nil {
		return err
	}
	defs := make([]int16, predecodeBatch)
	reps := make([]int16, predecodeBatch)
	switch r := cr.(type) {
	case *file.BooleanColumnChunkReader:
		err = drain(r.ReadBatch, make([]bool, predecodeBatch), defs, reps)
	case *file.Int32ColumnChunkReader:
		err = drain(r.ReadBatch, make([]int32, predecodeBatch), defs, reps)
	case *file.Int64ColumnChunkReader:
		err = drain(r.ReadBatch, make([]int64, predecodeBatch), defs, reps)
	case *file.Int96ColumnChunkReader:
		err = drain(r.ReadBatch, make([]parquet.Int96, predecodeBatch), defs, reps)
	case *file.Float32ColumnChunkReader:
		err = drain(r.ReadBatch, make([]float32, predecodeBatch), defs, reps)
	case *file.Float64ColumnChunkReader:
		err = drain(r.ReadBatch, make([]float64, predecodeBatch), defs, reps)
	case *file.ByteArrayColumnChunkReader:
		err = drain(r.ReadBatch, make([]parquet.ByteArray, predecodeBatch), defs, reps)
	case *file.FixedLenByteArrayColumnChunkReader:
		err = drain(r.ReadBatch, make([]parquet.FixedLenByteArray, predecodeBatch), defs, reps)
	default:
		return fmt.Errorf("column %d: no reader for %T", leaf, cr)
	}
	if err != nil {
		return err
	}
	// ReadBatch reports the end of the column, not an error, when its
	// next page fails to read (a page header that does not decode, a page
	// that does not decompress): the error is the column reader's. Missed,
	// it let every leaf of a struct fail in turn, each after arrow-go had
	// allocated about 8 MiB of page header buffers, outside the capped
	// allocator (16 GiB and seconds for a 94 KB file of 1000 leaves).
	return cr.Err()
}

// drain calls read until it reads nothing more.
func drain[T any](read func(int64, []T, []int16, []int16) (int64, int, error), vals []T, defs, reps []int16) error {
	for {
		total, _, err := read(int64(len(vals)), vals, defs, reps)
		if err != nil {
			return err
		}
		if total == 0 {
			return nil
		}
	}
}
