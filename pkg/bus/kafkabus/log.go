package kafkabus

import (
	"context"
	"log/slog"

	"github.com/twmb/franz-go/pkg/kgo"
)

// logger writes franz-go's log to slog: its errors and warnings as such,
// its info and debug lines at debug level (they narrate the client's work:
// joins, assignments, metadata). franz-go logs no credential.
type logger struct{ l *slog.Logger }

func newLogger(l *slog.Logger) kgo.Logger { return logger{l.With("component", "franz-go")} }

// Level returns the most verbose level slog would write.
func (g logger) Level() kgo.LogLevel {
	switch ctx := context.Background(); {
	case g.l.Enabled(ctx, slog.LevelDebug):
		return kgo.LogLevelDebug
	case g.l.Enabled(ctx, slog.LevelWarn):
		return kgo.LogLevelWarn
	case g.l.Enabled(ctx, slog.LevelError):
		return kgo.LogLevelError
	}
	return kgo.LogLevelNone
}

// Log writes one line; franz-go's keys (err, broker, group, ...) stay as
// they are.
func (g logger) Log(level kgo.LogLevel, msg string, keyvals ...any) {
	l := slog.LevelDebug
	switch level {
	case kgo.LogLevelError:
		l = slog.LevelError
	case kgo.LogLevelWarn:
		l = slog.LevelWarn
	}
	g.l.Log(context.Background(), l, msg, keyvals...)
}
