package log

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"unsafe"

	"github.com/filedge/filedge/pkg/format"
	"github.com/filedge/filedge/pkg/record"
)

func init() {
	format.Register(format.Info{
		Code:       "log",
		Label:      "Log lines",
		Extensions: []string{".log"},
	}, New)
}

const (
	// dataColumn is the one column of a log table.
	dataColumn = record.DataColumn
	// bufferSize is the size of the reader's read buffer; a longer line is
	// gathered in a second buffer, up to the cap.
	bufferSize = 64 << 10
	// checkEvery is how many lines the reader reads between two looks at
	// its context.
	checkEvery = 1024
)

// Reader reads log lines. Make one with New.
type Reader struct {
	max int
}

// New returns a Reader for opts. opts.MaxLineBytes caps one line (0 means
// format.DefaultMaxLineBytes); the other options do not apply to logs.
func New(opts format.Options) (format.Reader, error) {
	r := &Reader{max: opts.MaxLineBytes}
	switch {
	case r.max < 0:
		return nil, fmt.Errorf("log: max line bytes %d is negative", r.max)
	case r.max == 0:
		r.max = format.DefaultMaxLineBytes
	}
	return r, nil
}

// Read writes each line of in as a row of table "", whose one column,
// _data, is a string. A row's line is its line number, from 1.
//
// Cells' text shares the reader's buffers: it is valid until Row returns.
func (r *Reader) Read(ctx context.Context, in *format.Input, w format.Writer) error {
	br := bufio.NewReaderSize(in.R, bufferSize)
	if err := format.SkipBOM(br); err != nil {
		return fmt.Errorf("%s: %w", in.Path, err)
	}
	if err := w.Begin("", []format.Column{{Name: dataColumn, Type: record.String}}); err != nil {
		return err
	}
	cells := make([]record.Cell, 1)
	var long []byte
	for n := int64(1); ; n++ {
		if n%checkEvery == 1 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		line, err := br.ReadSlice('\n')
		tooLong := false
		if err != nil {
			if errors.Is(err, bufio.ErrBufferFull) {
				long = append(long[:0], line...)
				for errors.Is(err, bufio.ErrBufferFull) {
					line, err = br.ReadSlice('\n')
					if len(long) <= r.max+2 {
						long = append(long, line...)
					} else {
						tooLong = true
					}
				}
				line = long
			}
			switch {
			case err == nil:
			case errors.Is(err, io.EOF):
				if len(line) == 0 && !tooLong {
					return nil
				}
			default:
				return fmt.Errorf("%s: line %d: %w", in.Path, n, err)
			}
		}
		line = trimEOL(line)
		if tooLong || len(line) > r.max {
			rerr := &format.RowError{File: in.Path, Line: n, Err: fmt.Errorf("line is longer than %d bytes (max line bytes)", r.max)}
			if err := w.RowError(rerr); err != nil {
				return err
			}
		} else {
			cells[0] = format.StringCell(unsafe.String(unsafe.SliceData(line), len(line)))
			if err := w.Row(n, cells); err != nil {
				return err
			}
		}
		if err != nil {
			return nil // the last line, without a line end
		}
	}
}

// trimEOL cuts a line end ("\n" or "\r\n", or "\r" at the end of the input)
// off a line.
func trimEOL(line []byte) []byte {
	n := len(line)
	if n > 0 && line[n-1] == '\n' {
		n--
	}
	if n > 0 && line[n-1] == '\r' {
		n--
	}
	return line[:n]
}
