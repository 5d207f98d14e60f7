package decode

import (
	"bufio"
	"errors"
	"io"
)

// peekSize is the buffer size of the readers layers peek through.
const peekSize = 64 << 10

// peek returns a buffered reader over r (r itself when it is already a
// *bufio.Reader large enough) and up to n bytes from its start, without
// consuming them. Fewer than n bytes come back only when r has no more; a
// read error other than io.EOF is returned.
func peek(r io.Reader, n int) (*bufio.Reader, []byte, error) {
	br := bufio.NewReaderSize(r, max(n, peekSize))
	head, err := br.Peek(n)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, nil, err
	}
	return br, head, nil
}
