// Package avro reads Avro object container files (.avro) as format "avro".
//
// The reader streams: it reads the header, then one block at a time,
// decompressed in memory (codecs null, deflate, snappy, zstandard and
// bzip2), and decodes each record straight into cells, with its own
// decoder compiled from the file's schema. It does not use a general Avro
// library for reading because the ones available trust the counts and
// lengths a file declares (a block or an array declaring 2^31 items
// allocates for them) and build a map per record. Every count and length
// here is checked against the bytes that hold it before it is used, so
// that no input allocates more than one block (capped by max spool bytes)
// plus the cell text of one record (capped by max field bytes).
//
// Columns are the fields of the top-level record (a schema of any other
// type is one column, "value"), typed from the schema:
//
//	boolean                          Boolean
//	int, long                        Integer
//	float, double                    Float (NaN and infinities are null, counted in an issue)
//	string, enum                     String
//	bytes, fixed                     String, base64 (standard, padded)
//	decimal(p,s), bytes or fixed     decimal(p,s), exactly (a value beyond p digits
//	                                   fails its row); beyond 76 digits String, the
//	                                   exact text, with an issue
//	date                             Date
//	time-millis, time-micros         String 15:04:05.000, 15:04:05.000000
//	timestamp-millis/micros/nanos,   Timestamp (UTC, to the microsecond;
//	local-timestamp-*                  local timestamps read as UTC)
//	uuid                             String
//	duration                         String, ISO 8601: P1M2DT3.004S
//	null                             inferred (only nulls)
//	union of null and T              T, nullable
//	union of branches of one type    that type (int and double: Float)
//	other unions                     JSON, the branch's value
//	record, array, map               JSON
//
// Nested values are JSON documents: records and maps as objects (map keys
// in file order), arrays as arrays, a union as its branch's value, and the
// other types as above (decimals as exact JSON numbers, bytes as base64
// strings). An invalid logical type is ignored, as the specification says.
package avro
