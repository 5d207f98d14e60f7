// Package parquet reads and writes Apache Parquet files (format code
// "parquet", extensions .parquet and .parq) with arrow-go.
//
// # Reading
//
// The reader needs random access: it reads a stored file in place and
// holds a stream (decompressed, decrypted, an archive member) in memory up
// to max_spool_bytes. It checks the footer itself before arrow-go decodes
// it (magic bytes, lengths, Thrift container sizes against the bytes
// left), then streams the file row group by row group, in batches of at
// most 64Ki rows (about 8 MiB of data), through pqarrow without parallel
// column reads. Each top-level field of the schema is one column of table
// "", its type declared from the schema so that nothing is inferred:
//
//	BOOLEAN                                 boolean
//	INT8 to INT64, UINT8 to UINT32          integer
//	UINT64                                  integer when the statistics of every row group
//	                                        prove its values fit an int64, else string
//	                                        (exact digits)
//	FLOAT16, FLOAT, DOUBLE                  float (NaN and infinities load as null)
//	DECIMAL(p,s) (INT32, INT64, FIXED_LEN_BYTE_ARRAY or BYTE_ARRAY)
//	                                        decimal(p,s), exactly; beyond 76 digits
//	                                        string, the exact decimal text, with an issue
//	DATE                                    date
//	TIMESTAMP (millis, micros, nanos)       timestamp, to the microsecond (nanoseconds
//	                                        are truncated); a timestamp not adjusted to
//	                                        UTC keeps its wall-clock time as UTC
//	INT96 (Spark, Impala)                   timestamp, decoded to the microsecond over the
//	                                        whole range of years 1 to 9999, inside lists,
//	                                        structs and maps too (the reader declares INT96
//	                                        columns 12-byte FIXED_LEN_BYTE_ARRAY to arrow-go,
//	                                        which converts INT96 through nanoseconds, and
//	                                        decodes the bytes itself)
//	TIME                                    string "15:04:05.000000"
//	STRING, ENUM                            string
//	BYTE_ARRAY annotated JSON               json
//	BYTE_ARRAY without annotation           string: the bytes as text when they are valid
//	                                        UTF-8 (Impala and Hive write text this way),
//	                                        else base64
//	BSON, FIXED_LEN_BYTE_ARRAY, INTERVAL    string, base64
//	UUID                                    string, 8-4-4-4-12 hex
//	LIST, MAP, groups, VARIANT              json: lists as arrays, groups as objects,
//	                                        maps as objects (keys as text)
//
// A date or instant outside the years 1 to 9999, which pkg/record cannot
// hold, loads as null with one issue per column, inside nested values
// too. A column whose logical type arrow-go cannot read (GEOMETRY,
// GEOGRAPHY, a newer one) is read as its physical type, with an issue; a
// field pqarrow cannot map is left out with an issue such as
// `Column "perf" has an unsupported type "..."`.
// Encrypted files (Parquet modular encryption) fail with
// "encrypted Parquet is not supported".
//
// # Safety
//
// arrow-go reports much corrupt input by panicking, and pqarrow makes its
// column readers, and decodes the children of struct columns, in
// goroutines of its own, where no recover reaches. The reader runs
// everything it can in its own goroutine under a recover that turns a
// panic into a *format.FileError naming the file and the first row of the
// batch, and does first, in its own goroutine, what pqarrow would do in
// another: it opens every column chunk of a row group, and fully decodes
// the leaves of fields that hold structs, before handing the row group to
// pqarrow. All decoding memory comes from an allocator capped at
// max_spool_bytes: a page that claims to inflate beyond it fails the file
// instead of the worker.
//
// The package adds to arrow-go's process-wide codec registry: the
// deprecated LZ4 codec (Hadoop framing, or a bare block), which arrow-go
// lacks, an empty-page fix for Snappy, and Snappy and Zstd decoders that
// decode into the page's declared size only (arrow-go's allocate whatever
// the compressed data declares, outside the capped allocator).
//
// # Writing
//
// RecordWriter (registered as the "parquet" writer) writes the batches of
// one table as pkg/record types them: see RecordWriter for the mapping.
// Row groups are buffered in memory up to 1Mi rows or 128 MiB, and
// compressed with Snappy (or Zstd, see WriterOptions).
package parquet
