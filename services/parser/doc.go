// Package parser is the parser stage: workers share the FileDiscovered
// events of a pipeline, and for each file version they hash the file, read
// it with its format under the decode layers, infer and widen column types,
// and publish the rows as Arrow record batches on the version's batch
// subject, closed by a FileParsed trailer, then the FileParsed marker on the
// parsed topic. Only then do they acknowledge the event.
//
// A file that cannot be loaded fails for good with its reason, in a failed
// FileParsed: bad data, a row or a column list too large for one bus
// message, or parser.max_attempts failed attempts to read it. Each failed
// attempt before the last is announced on the version's batches by a
// FileParseRetry, so that the sinks give the file back until the next one.
// A failure of the bus is retried for as long as it lasts.
//
// Parse, the part that turns a file into batches, needs no bus: `filedge
// preview` uses it directly.
package parser
