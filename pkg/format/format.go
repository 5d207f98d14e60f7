package format

import (
	"bytes"
	"context"
	"fmt"
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

// Input is the file a Reader reads, after the decode layers (decryption,
// decompression, archives and, for text formats, the text encoding) have
// been peeled: a text format reads UTF-8.
type Input struct {
	// Path names the file in messages and errors.
	Path string
	// R streams the file's bytes.
	R io.Reader
	// ReaderAt and Size give random access to the same bytes when the
	// file is stored whole (a local file without layers); nil otherwise.
	ReaderAt io.ReaderAt
	Size     int64
}

// RandomAccess returns random access to the input's bytes: its ReaderAt
// when it has one, else the stream read into memory, up to max bytes (0
// means DefaultMaxSpoolBytes); a larger stream is a *FileError.
func (in *Input) RandomAccess(max int64) (io.ReaderAt, int64, error) {
	if in.ReaderAt != nil {
		return in.ReaderAt, in.Size, nil
	}
	if max <= 0 {
		max = DefaultMaxSpoolBytes
	}
	data, err := io.ReadAll(io.LimitReader(in.R, max+1))
	if err != nil {
		return nil, 0, err
	}
	if int64(len(data)) > max {
		return nil, 0, &FileError{File: in.Path, Err: fmt.Errorf("needs random access and is a stream over %d bytes: store it uncompressed, outside an archive, or raise max_spool_bytes", max)}
	}
	r := bytes.NewReader(data)
	in.ReaderAt, in.Size = r, int64(len(data))
	return r, in.Size, nil
}

// SheetLister is a Reader of a format whose files hold several tables
// (worksheets): it lists them without reading their rows.
type SheetLister interface {
	Sheets(ctx context.Context, in *Input) ([]string, error)
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
	// Delimiter separates fields of delimited text: one character or
	// several ("||"); "" infers it.
	Delimiter string
	// QuoteChar quotes fields of delimited text; "" means '"', and NoQuote
	// turns quoting off: quotes are then data like any other byte. A
	// quote that does not open a field (x"y) is data either way.
	QuoteChar string
	// EscapeChar, when set (typically `\`), escapes the quote character
	// and itself inside quoted fields instead of doubling the quote.
	EscapeChar string
	// NullSequence is a field value read as null (such as `\N`).
	NullSequence string
	// SkipHeaderLines skips lines before the header (or the first row).
	SkipHeaderLines int
	// SkipFooterLines drops the last lines of the file, without holding
	// more than that many lines in memory.
	SkipFooterLines int
	// Headerless files have no header: columns are column_0 ... column_n.
	Headerless bool
	// LineSeparator ends records instead of LF or CRLF.
	LineSeparator string
	// JSONDelivery is "unpacked" (one level of objects flattened into
	// columns, the default) or "packed" (each record in one _data column).
	JSONDelivery string
	// XMLRecordPath, when set (a/b/c), loads each element at that path as
	// one record instead of the whole document.
	XMLRecordPath string
	// MaxLineBytes caps one line or record; 0 means DefaultMaxLineBytes.
	MaxLineBytes int
	// MaxFieldBytes caps one field; 0 means DefaultMaxFieldBytes.
	MaxFieldBytes int
	// MaxSpoolBytes caps how much of a file a format that needs random
	// access (Parquet, XLSX) may hold in memory when its input is a stream
	// (decompressed, decrypted, an archive member); 0 means
	// DefaultMaxSpoolBytes.
	MaxSpoolBytes int64
}

// NoQuote is the QuoteChar that turns quoting off (quote_char: none).
const NoQuote = "none"

// DefaultMaxFieldBytes is the default cap on one field.
const DefaultMaxFieldBytes = 16 << 20

// DefaultMaxSpoolBytes is the default cap on a stream held in memory for
// random access.
const DefaultMaxSpoolBytes = 512 << 20

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
	// Binary formats (Avro, Parquet, Excel) get their bytes as stored; the
	// others get text decoded to UTF-8 (see pkg/decode.Text).
	Binary bool
}
