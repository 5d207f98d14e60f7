// Package json reads JSON lines (one object a line, .jsonl, .ndjson) and
// JSON arrays of objects as format "json".
//
// The reader streams: it holds one record at a time, whether the file is
// JSON lines or one large array, and never more than the record cap. It
// validates each record with its own scanner and copies only what it
// keeps, so that a record's scalars reach the writer without allocation.
//
// Columns are found as the file is read. Unpacked (the default), each
// top-level key is a column and each nested object or array stays JSON
// text in its cell; since a later record may bring a key no earlier one
// had, the reader calls Writer.Begin again for the same table with the new
// columns appended after the earlier ones (see Reader.Read). Packed, each
// record is one JSON cell of column _data.
package json
