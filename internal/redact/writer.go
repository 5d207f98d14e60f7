package redact

import (
	"bytes"
	"io"
	"sync"
)

// Writer writes to another writer what it is given, line by line, with
// the secrets its Scrubber knows removed. A line is held until its newline
// arrives (a secret split across two writes is still found); Flush writes
// what is held. Until its Scrubber knows a secret, writes pass straight
// through. It is safe for concurrent use.
type Writer struct {
	s   *Scrubber
	w   io.Writer
	mu  sync.Mutex
	buf []byte
}

// Writer returns a Writer onto w.
func (s *Scrubber) Writer(w io.Writer) *Writer {
	return &Writer{s: s, w: w}
}

// Write holds p and writes every line it completes, scrubbed. It reports
// len(p) unless writing to the underlying writer fails.
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.buf) == 0 && w.s.r.Load() == nil {
		// No secret known yet: nothing to hold back.
		return w.w.Write(p)
	}
	w.buf = append(w.buf, p...)
	end := bytes.LastIndexByte(w.buf, '\n')
	if end < 0 {
		return len(p), nil
	}
	lines := string(w.buf[:end+1])
	w.buf = append(w.buf[:0], w.buf[end+1:]...)
	if _, err := io.WriteString(w.w, w.s.String(lines)); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Flush writes what is held, scrubbed.
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.buf) == 0 {
		return nil
	}
	rest := string(w.buf)
	w.buf = w.buf[:0]
	_, err := io.WriteString(w.w, w.s.String(rest))
	return err
}
