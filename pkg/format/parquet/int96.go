package parquet

import (
	"encoding/binary"
	"fmt"

	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
)

// julianUnixEpoch is 1970-01-01 as a Julian day number.
const julianUnixEpoch = 2_440_588

// int96Column reads a top-level INT96 column (Spark's and Impala's
// timestamps) beside pqarrow, which converts INT96 through nanoseconds and
// so wraps instants outside 1677 to 2262 without notice. It decodes the
// Julian day and the nanoseconds of the day itself, to the microsecond.
type int96Column struct {
	leaf   int
	maxDef int16
	rdr    *file.Int96ColumnChunkReader

	vals []parquet.Int96
	defs []int16
	// The current batch, by row: microseconds since the Unix epoch, and
	// whether each row has a value (1), is null (0) or is out of range (2).
	us    []int64
	state []uint8
}

// Row states of an int96Column batch.
const (
	int96Null       = 0
	int96Value      = 1
	int96OutOfRange = 2
)

// start points the column at row group rg.
func (c *int96Column) start(rg *file.RowGroupReader) error {
	cr, err := rg.Column(c.leaf)
	if err != nil {
		return err
	}
	r, ok := cr.(*file.Int96ColumnChunkReader)
	if !ok {
		return fmt.Errorf("column %d: INT96 column read as %T", c.leaf, cr)
	}
	c.rdr = r
	c.maxDef = cr.Descriptor().MaxDefinitionLevel()
	return nil
}

// read reads the next n rows into c.us and c.state.
func (c *int96Column) read(n int) error {
	if cap(c.vals) < n {
		c.vals = make([]parquet.Int96, n)
		c.defs = make([]int16, n)
		c.us = make([]int64, n)
		c.state = make([]uint8, n)
	}
	c.vals, c.defs, c.us, c.state = c.vals[:n], c.defs[:n], c.us[:n], c.state[:n]
	levels, values := 0, 0
	for levels < n {
		total, got, err := c.rdr.ReadBatch(int64(n-levels), c.vals[values:], c.defs[levels:], nil)
		if err != nil {
			return err
		}
		if total == 0 {
			return fmt.Errorf("INT96 column %d ends %d rows early", c.leaf, n-levels)
		}
		levels += int(total)
		values += got
	}
	v := 0
	for i := 0; i < n; i++ {
		if c.maxDef > 0 && c.defs[i] < c.maxDef {
			c.state[i] = int96Null
			continue
		}
		if v >= values {
			return fmt.Errorf("INT96 column %d has fewer values than its levels say", c.leaf)
		}
		us, ok := int96Micros(c.vals[v])
		v++
		c.us[i] = us
		if ok {
			c.state[i] = int96Value
		} else {
			c.state[i] = int96OutOfRange
		}
	}
	return nil
}

// int96Micros converts an INT96 timestamp (nanoseconds of the day as a
// signed integer, then a Julian day, little-endian) to microseconds since
// the Unix epoch, as Spark reads it, reporting false for a day far outside
// years 1 to 9999 (appendTimestamp checks the exact range).
func int96Micros(v parquet.Int96) (int64, bool) {
	nanos := int64(binary.LittleEndian.Uint64(v[:8]))
	days := int64(binary.LittleEndian.Uint32(v[8:])) - julianUnixEpoch
	if days < minDay-1 || days > maxDay+1 {
		return 0, false
	}
	us := nanos / 1000
	if nanos%1000 < 0 {
		us--
	}
	return days*usPerDay + us, true
}
