// Package parser is the parser stage: workers share the FileDiscovered
// events of a pipeline, and for each file version they hash the file, read
// it with its format under the decode layers, infer and widen column types,
// and publish the rows as Arrow record batches on the version's batch
// subject, closed by a FileParsed trailer, then the FileParsed marker on the
// parsed topic. Only then do they acknowledge the event.
//
// Parse, the part that turns a file into batches, needs no bus: `filedge
// preview` uses it directly.
package parser
