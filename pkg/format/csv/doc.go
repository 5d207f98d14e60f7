// Package csv reads delimited text (CSV, TSV, pipe- and semicolon-separated
// files, and any other delimiter) as format "csv".
//
// The reader follows RFC 4180 as users need it: the first row that is not
// blank is the header (a row of delimiters only is a header without names,
// its columns named column_0 ... column_n, with an issue); fields may be
// quoted, with doubled quotes and line ends inside; a quote that does not
// open a field (x"y) is data, as in DuckDB's and PostgreSQL's readers; a
// UTF-8 byte order mark is dropped; the delimiter is the one
// set (one character or several, such as "||"), or the one the extension
// implies (.tsv tab, .psv pipe), or inferred from the first records among
// comma, semicolon, tab, pipe and the unit separator (0x1F). Nothing else
// depends on the file's name: a .txt file, or one without an extension
// read through file_type, is read the same way. Every field is a
// record.Text cell, but an empty one: an empty field that is not quoted is
// null, and a quoted one ("") is a record.Empty cell, the empty string, as
// PostgreSQL's COPY reads it. Blank lines are rows of nulls; short rows
// are padded with nulls; longer rows, malformed quoting and records or
// fields over their size caps are row errors, after which reading goes on
// with the next record. A quoted field still open at the end of the file
// is a *format.FileError.
//
// The settings (format.Options, the pipeline keys of the same names):
//
//   - quote_char (default "): the quote character; format.NoQuote (none)
//     for none, all quotes being data.
//   - escape_char (none by default; typically \): as in Python's csv
//     module and MySQL's LOAD DATA, the byte after an escape character is
//     data, inside quoted fields and out: \" is a quote, \\ a backslash,
//     \, a comma that does not end the field, and an escape before a line
//     end keeps the line end in the field and the record going on the next
//     line. A doubled quote inside a quoted field still stands for one
//     quote. An escape that ends the file is itself.
//   - null_sequence (such as \N): an unquoted field equal to it, as
//     written (before escapes are applied, so \N is null even with escape
//     character \, while \\N is the text \N), is null. A quoted field is
//     never null: "\N" is the text \N, as in PostgreSQL's COPY. An empty
//     unquoted field stays null.
//   - skip_header_lines: lines skipped, as they are (quotes mean nothing
//     in them), before the header, or before the first row of a headerless
//     file. Delimiter inference looks at the text after them. Line numbers
//     still count them.
//   - skip_footer_lines (at most 10000): the last records of the file are
//     dropped, rows and row errors alike. The reader holds that many
//     records back, never more, so the file still streams.
//   - headerless: the file has no header; its columns are column_0 ...
//     column_n, as many as the fields of its first row that is not blank,
//     which is the first row. A later row with more fields is a row error.
//   - line_separator: the end of a line instead of LF or CRLF ("\n" and
//     "\r\n" mean the default), such as "~" or "|\n", taken exactly: a
//     line end before a separator is data. A line end after the last
//     separator of the file is not a line. Line numbers count separators.
//     A separator inside a quoted field is data.
//   - max_field_bytes: a field longer than that (once unquoted) is a row
//     error; max_line_bytes caps a record the same way.
//
// The parser is written for this package rather than built on encoding/csv,
// which skips blank lines, cannot tell "" from an empty field, folds CRLF
// inside quotes to LF, knows no escape character, multi-character
// delimiter or line separator, and holds a whole line in memory however
// long it is. It reads through one buffer and reuses its record buffers: it
// allocates nothing per row. A line with no quote and no escape character
// is split in place, in the read buffer. So is, with the default dialect
// (one ASCII delimiter, no escape character, null sequence or line
// separator), a record on one line whose quotes are all in place: its
// delimiters and quotes are found 64 bytes at a time, and only a field
// with a doubled quote is rewritten, in a copy of the line.
package csv
