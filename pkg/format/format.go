package format

import (
	"context"
	"io"

	"github.com/filedge/filedge/pkg/record"
)

// Reader reads one file. A Reader is made per file (see Factory) and is not
// safe for concurrent use.
type Reader interface {
	// Read reads the whole of in, declaring each table to w with Begin
	// before writing its rows. It returns the first error that stops the
	// file: a read failure, a *FileError, or an error returned by w.
	Read(ctx context.Context, in *Input, w Writer) error
}

// Input is the file a Reader reads, after the decode layers (decompression,
// decryption, text encoding) have been peeled.
type Input struct {
	// Path names the file in messages and errors.
	Path string
	// R streams the file's bytes, UTF-8 for text formats.
	R io.Reader
}

// Writer receives what a Reader reads.
type Writer interface {
	// Begin declares a table and its columns, in file order. Single-table
	// formats use table "". Column names are as in the file; the writer
	// makes them safe identifiers. A reader that meets new columns while it
	// streams (JSON) calls Begin again for the same table with the earlier
	// columns first, in the same order, and the new ones appended; rows
	// written before have nulls in the new columns.
	Begin(table string, cols []Column) error
	// Row writes one row of the table last begun. cells holds one cell per
	// declared column; the writer copies what it keeps, so the reader may
	// reuse the slice and the memory behind the cells' text after Row
	// returns. line is the
	// row's line (or record) number in the file, from 1.
	Row(line int64, cells []record.Cell) error
	// RowError reports a row the reader could not read. A non-nil return
	// (on_error: fail) stops the reader, which returns that error.
	RowError(err *RowError) error
	// Issue reports a problem that loses no row, such as a column left out
	// because its type cannot be represented.
	Issue(msg string)
}

// Column is a column as a reader declares it.
type Column struct {
	Name string
	// Type is the column's declared type, or record.Unknown to infer it
	// from the values.
	Type record.Type
}

// Options are the format settings of a pipeline (pipeline.yaml keys of the
// same names). A format ignores the ones that do not apply to it.
type Options struct {
	// Delimiter separates fields of delimited text; "" infers it.
	Delimiter string
	// JSONDelivery is "unpacked" (one level of objects flattened into
	// columns, the default) or "packed" (each record in one _data column).
	JSONDelivery string
	// MaxLineBytes caps one line or record; 0 means DefaultMaxLineBytes.
	MaxLineBytes int
}

// DefaultMaxLineBytes is the default cap on one line or record.
const DefaultMaxLineBytes = 16 << 20

// Factory makes a Reader with the given options, or reports options that do
// not fit the format.
type Factory func(opts Options) (Reader, error)

// Info describes a registered format.
type Info struct {
	Code       string   // short code used in pipeline.yaml (file_type: csv)
	Label      string   // human-readable name
	Extensions []string // lower case, with the dot: ".csv"
	Sheets     bool     // files may hold several tables
}
