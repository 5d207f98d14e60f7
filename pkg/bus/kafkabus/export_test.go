package kafkabus

import "github.com/filedge/filedge/pkg/bus"

// Skipped returns how many bytes of other versions' records a Read cursor
// has read past.
func Skipped(c bus.Cursor) int64 { return c.(*cursor).skipped }

// Partition is partition, for tests.
var Partition = partition
