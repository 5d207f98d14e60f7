// Package log reads log files as format "log" (extension .log): each line
// is one row of table "", in one column, _data, declared record.String so
// that nothing is inferred from it.
//
// A line ends at "\n"; a "\r" before it is part of the line end, so CRLF
// files read as LF ones. Every line is a row, blank lines included (as
// empty strings); the file's final line end does not start another line.
// A UTF-8 byte order mark at the start is dropped; other encodings are
// decoded by the parser before the reader sees the text. A line longer
// than max line bytes (format.Options.MaxLineBytes) is a row error and
// reading goes on with the next line, holding no more than the cap in
// memory.
package log
