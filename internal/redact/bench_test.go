package redact

import (
	"errors"
	"io"
	"log/slog"
	"testing"
)

// BenchmarkHandler logs a typical warning (a message, a file, a line and an
// error) through the text handler, bare and behind a Scrubber that knows a
// pipeline's secrets.
func BenchmarkHandler(b *testing.B) {
	err := errors.New("commit orders-2026-11-01.csv: connection reset by peer")
	s := New("postgresql://loader:"+pieceB+"/"+pieceA+"@db:5432/sales", "nats://filedge:"+pieceC+"@bus:4222", "passphrase-"+pieceA)
	for name, h := range map[string]slog.Handler{
		"bare":     slog.NewTextHandler(io.Discard, nil),
		"scrubbed": s.Handler(slog.NewTextHandler(io.Discard, nil)),
	} {
		b.Run(name, func(b *testing.B) {
			log := slog.New(h)
			b.ReportAllocs()
			for b.Loop() {
				log.Warn("file failed, retrying", "file", "incoming/orders-2026-11-01.csv", "line", 1234, "err", err)
			}
		})
	}
}
