package format

import (
	"bufio"
	"errors"
	"io"
	"strings"

	"github.com/filedge/filedge/pkg/record"
)

// HeaderColumns makes a header row into columns, one per cell in file
// order, each of type record.Unknown (inferred from the values). Names are
// kept exactly as written, empty and duplicate ones included: the writer
// makes them safe and unique. The names are copied, so cells may be reused.
func HeaderColumns(cells []record.Cell) []Column {
	cols := make([]Column, len(cells))
	for i, c := range cells {
		cols[i] = Column{Name: strings.Clone(c.Text)}
	}
	return cols
}

// utf8BOM is the byte order mark some tools write at the start of UTF-8
// text.
const utf8BOM = "\xef\xbb\xbf"

// SkipBOM discards a UTF-8 byte order mark at the start of br, if there is
// one. It returns read errors other than io.EOF.
func SkipBOM(br *bufio.Reader) error {
	b, err := br.Peek(len(utf8BOM))
	if string(b) == utf8BOM {
		_, err = br.Discard(len(utf8BOM))
		return err
	}
	if errors.Is(err, io.EOF) {
		return nil
	}
	return err
}
