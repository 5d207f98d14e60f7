package parser

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/filedge/filedge/pkg/bus"
)

// shutdownBus calls stop (the process's shutdown) as soon as a message of
// topic and type has been published: the shutdown then begins between
// that message and the next.
type shutdownBus struct {
	bus.Bus
	topic bus.Topic
	typ   string
	stop  context.CancelFunc
}

func (b *shutdownBus) Publish(ctx context.Context, m *bus.Message) error {
	err := b.Bus.Publish(ctx, m)
	if err == nil && m.Topic == b.topic && m.Header[bus.HeaderType] == b.typ {
		b.stop()
	}
	return err
}

// A shutdown that begins once a file is parsed, between the trailer on
// its batches and the marker on the parsed topic (as `run --once` stops
// its stages the moment the last commit is reported), is not a failure:
// the outcome is still published, the delivery acknowledged, and nothing
// is logged above Info.
func TestAShutdownAfterTheParseStillPublishesTheOutcomeAndLogsNoWarning(t *testing.T) {
	f := newFixture(t, 0, nil)
	fd := f.drop(t, "a.csv", csvRows(3))
	ctx, stop := context.WithCancel(t.Context())
	defer stop()
	var logs bytes.Buffer // Handle logs from its own goroutine only
	svc, err := New(Config{
		Pipeline: f.p, Source: f.src,
		Bus:    &shutdownBus{Bus: f.b, topic: bus.Batches, typ: bus.TypeFileParsed, stop: stop},
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err != nil {
		t.Fatal(err)
	}
	m, err := bus.FileDiscoveredMessage(fd)
	if err != nil {
		t.Fatal(err)
	}
	outcome := svc.Handle(ctx, &bus.Delivery{Message: m, Attempt: 1})
	if ctx.Err() == nil {
		t.Fatal("the shutdown did not begin: the trailer was never published")
	}
	for line := range strings.Lines(logs.String()) {
		if strings.Contains(line, "level=WARN") || strings.Contains(line, "level=ERROR") {
			t.Errorf("logged at shutdown: %s", line)
		}
	}
	if outcome.Verdict != bus.VerdictDone {
		t.Errorf("outcome %v, want done: the parsed file would be parsed again", outcome)
	}
	if mk := f.marker(t); mk.ID != fd.Version {
		t.Errorf("marker %s, want %s", mk.ID, fd.Version)
	}
}
