// Package csv reads delimited text (CSV, TSV, pipe- and semicolon-separated
// files) as format "csv".
//
// The reader follows RFC 4180 as users need it: the first row that is not
// blank is the header; fields may be quoted, with doubled quotes and line
// ends inside; a UTF-8 byte order mark is dropped; the delimiter is the one
// set, or the one the extension implies (.tsv tab, .psv pipe), or inferred
// from the first records among comma, semicolon, tab, pipe and the unit
// separator (0x1F). Every field is a record.Text cell, and an empty field
// that is not quoted is null. Blank lines are rows of nulls; short rows are
// padded with nulls; longer rows, malformed quoting and records over the
// size cap are row errors, after which reading goes on with the next
// record. A quoted field still open at the end of the file is a
// *format.FileError.
//
// The parser is written for this package rather than built on encoding/csv,
// which skips blank lines, cannot tell "" from an empty field, folds CRLF
// inside quotes to LF and holds a whole line in memory however long it is.
// It reads through one buffer and reuses its record buffers: it allocates
// nothing per row.
package csv
