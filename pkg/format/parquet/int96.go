package parquet

import (
	"encoding/binary"

	"github.com/apache/arrow-go/v18/parquet"
)

// julianUnixEpoch is 1970-01-01 as a Julian day number.
const julianUnixEpoch = 2_440_588

// int96Micros converts an INT96 timestamp (Spark's and Impala's:
// nanoseconds of the day as a signed integer, then a Julian day,
// little-endian) to microseconds since the Unix epoch, as Spark reads it,
// reporting false for a day far outside years 1 to 9999 (appendTimestamp
// checks the exact range). The reader reads INT96 columns, top-level and
// nested, as their 12 bytes (see sanitizeFooter) and converts them here:
// arrow-go converts through nanoseconds, which fails outside the years
// 1677 to 2262.
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
