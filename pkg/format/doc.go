// Package format is the contract between file formats and the parser: a
// Reader turns a file's bytes into rows that it writes to a Writer, first
// declaring each table's columns, then writing its rows. Formats register
// themselves by code and extension (see Register); pkg/format/all imports
// every one of them.
//
// The package also holds what every format shares: header handling, row
// errors and the guard that turns a reader's panic into an error naming the
// file.
package format
