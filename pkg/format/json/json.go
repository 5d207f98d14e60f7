package json

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/filedge/filedge/pkg/format"
)

func init() {
	format.Register(format.Info{
		Code:       "json",
		Label:      "JSON",
		Extensions: []string{".json", ".jsonl", ".ndjson"},
	}, New)
}

const (
	// bufferSize is the size of the reader's read buffer.
	bufferSize = 64 << 10
	// checkEvery is how many records the reader reads between two looks
	// at its context.
	checkEvery = 1024
)

// Reader reads JSON lines and JSON arrays of objects. Make one with New.
type Reader struct {
	packed bool
	max    int
}

// New returns a Reader for opts. opts.JSONDelivery is "unpacked" (the
// default: each top-level key a column) or "packed" (each record whole in
// column _data); opts.MaxLineBytes caps one record (0 means
// format.DefaultMaxLineBytes).
func New(opts format.Options) (format.Reader, error) {
	r := &Reader{max: opts.MaxLineBytes}
	switch strings.ToLower(opts.JSONDelivery) {
	case "", "unpacked":
	case "packed":
		r.packed = true
	default:
		return nil, fmt.Errorf("json: json_delivery %q: want unpacked or packed", opts.JSONDelivery)
	}
	switch {
	case r.max < 0:
		return nil, fmt.Errorf("json: max line bytes %d is negative", r.max)
	case r.max == 0:
		r.max = format.DefaultMaxLineBytes
	}
	return r, nil
}

// Read reads the records of in into table "" of w. A file whose first
// byte that is not white space is '[' is one JSON array of records, read
// one element at a time. Any other file is JSON lines, one record a line
// (blank lines skipped), when its first value ends on the line where it
// starts; when that value spans lines and is valid JSON, the file is
// JSON documents, one after another (a single pretty-printed object, or
// objects concatenated as jq writes them), each value a record at the
// line where it starts. Each record must be an object; a file that is a
// single value of another kind (a number, a string) is a
// *format.FileError. See shape.go for how the shapes are told apart.
//
// Unpacked, each top-level key of a record is a column, in the order keys
// are first seen; a string value is a record.Quoted cell, a number a
// record.Number cell holding the number as written, true and false
// record.Bool cells, null a null cell, and an object or array a
// record.Document cell holding it as compact JSON. A later key in one
// object wins over an earlier one of the same name. As the reader streams,
// it cannot know every key before the first row: when a record brings new
// keys, it calls w.Begin again for table "" with the columns so far, the
// earlier ones first and in the same order; rows written before have no
// cells for the new columns, which are null in them. Packed, table "" has
// one column, _data, of type record.JSON, and each record is one
// record.Document cell holding the record as compact JSON.
//
// A record that is not valid JSON, not an object, or longer than the cap
// is a row error; in JSON lines reading goes on with the next line, in an
// array or documents with the next value when the value's end can be
// found, and a broken array, or a file that ends inside a document, is a
// *format.FileError; so is a document that is valid as far as the cap
// and longer than it. An empty file, or an empty array, declares table ""
// with no columns (unpacked) and writes no rows.
//
// Cells' text shares the reader's buffers: it is valid until Row returns.
func (r *Reader) Read(ctx context.Context, in *format.Input, w format.Writer) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	br := bufio.NewReaderSize(in.R, bufferSize)
	if err := format.SkipBOM(br); err != nil {
		return fmt.Errorf("%s: %w", in.Path, err)
	}
	s := &stream{path: in.Path, br: br, max: r.max, line: 1, t: newTable(w, r.packed)}
	first, err := s.skipSpace()
	switch {
	case errors.Is(err, io.EOF):
		return s.t.end()
	case err != nil:
		return s.readError(err)
	case first == '[':
		err = s.array(ctx)
	default:
		err = s.values(ctx, s.indent)
	}
	if err != nil {
		return err
	}
	return s.t.end()
}

// stream reads the records of one file.
type stream struct {
	path string
	br   *bufio.Reader
	max  int
	line int64 // line of the next byte of br
	// indent counts the bytes of white space that skipSpace consumed
	// since the start of the line of the next byte.
	indent int
	buf    []byte
	t      *table
}

// skipSpace consumes white space and returns the next byte without
// consuming it.
func (s *stream) skipSpace() (byte, error) {
	s.indent = 0
	for {
		c, err := s.br.ReadByte()
		if err != nil {
			return 0, err
		}
		if !isSpace(c) {
			return c, s.br.UnreadByte()
		}
		s.indent++
		if c == '\n' {
			s.line++
			s.indent = 0
		}
	}
}

// lines reads JSON lines.
func (s *stream) lines(ctx context.Context) error {
	for n := 0; ; n++ {
		if n%checkEvery == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		line := s.line
		b, err := s.readLine()
		switch {
		case errors.Is(err, io.EOF):
			return nil
		case errors.Is(err, errTooLong):
			if err := s.tooLong(line); err != nil {
				return err
			}
			continue
		case err != nil:
			return s.readError(err)
		}
		b = bytes.TrimSuffix(bytes.TrimSuffix(b, newline), carriageReturn)
		if skipSpace(b, 0) == len(b) {
			continue
		}
		if err := s.record(line, b); err != nil {
			return err
		}
	}
}

// record writes the record b, found at line, as a row, or reports it as
// a row error when it is not a JSON object.
func (s *stream) record(line int64, b []byte) error {
	err := s.t.row(line, b)
	if err == nil || !isRecordError(err) {
		return err
	}
	return s.rowError(line, describeError(b, line, err))
}

// tooLong reports the record at line as longer than the cap.
func (s *stream) tooLong(line int64) error {
	return s.rowError(line, fmt.Errorf("record is longer than %d bytes (max line bytes)", s.max))
}

// errTooLong is a record longer than the cap, which the reader has
// stepped over.
var errTooLong = errors.New("record too long")

// readLine reads the next line, with its line end. A line longer than the
// cap is consumed and returns errTooLong.
func (s *stream) readLine() ([]byte, error) {
	chunk, err := s.br.ReadSlice('\n')
	line := chunk
	if errors.Is(err, bufio.ErrBufferFull) {
		s.buf = append(s.buf[:0], chunk...)
		for errors.Is(err, bufio.ErrBufferFull) {
			chunk, err = s.br.ReadSlice('\n')
			if len(s.buf) <= s.max+1 {
				s.buf = append(s.buf, chunk...)
			}
		}
		line = s.buf
	}
	if len(chunk) > 0 && chunk[len(chunk)-1] == '\n' {
		s.line++
	}
	switch {
	case errors.Is(err, io.EOF) && len(line) > 0:
	case err != nil:
		return nil, err
	}
	if n := len(bytes.TrimSuffix(line, newline)); n > s.max {
		return nil, errTooLong
	}
	return line, nil
}

var newline, carriageReturn = []byte{'\n'}, []byte{'\r'}

func (s *stream) rowError(line int64, err error) error {
	if err := s.t.end(); err != nil {
		return err
	}
	return s.t.w.RowError(&format.RowError{File: s.path, Line: line, Err: err})
}

func (s *stream) fileError(line int64, err error) error {
	return &format.FileError{File: s.path, Line: line, Err: err}
}

// readError wraps a failure to read the file (not the file's fault).
func (s *stream) readError(err error) error {
	return fmt.Errorf("%s: line %d: %w", s.path, s.line, err)
}
