package natsbus_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/filedge/filedge/internal/tmpfs"
	"github.com/filedge/filedge/pkg/bus"
	"github.com/filedge/filedge/pkg/bus/natsbus"
)

// syncBuffer is a bytes.Buffer safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestEmbeddedRecoversByItselfOnceAFullDiskHasSpaceAgain(t *testing.T) {
	mnt := tmpfs.Mount(t, 48<<20)
	var logs syncBuffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	health := make(chan error, 16)
	e := embedded(t, natsbus.EmbeddedOptions{
		DataDir: filepath.Join(mnt, "data"), Logger: log, MinFreeSpace: 8 << 20,
		OnHealth: func(err error) { health <- err },
	})
	b := connect(t, natsbus.Options{Server: e})
	publish := func(id string) error {
		ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
		defer cancel()
		return b.Publish(ctx, &bus.Message{Topic: bus.Files, Pipeline: "p", ID: id, Data: bytes.Repeat([]byte("x"), 4<<10)})
	}
	if err := publish("before"); err != nil {
		t.Fatal(err)
	}

	filler := tmpfs.Fill(t, mnt)
	failed := false
	for i := 0; i < 10 && !failed; i++ {
		failed = publish(fmt.Sprint("full-", i)) != nil
	}
	if !failed {
		t.Fatal("publishes still succeed on a full disk: the test did not fill it")
	}
	select {
	case err := <-health:
		if err == nil {
			t.Fatal("OnHealth(nil) before any OnHealth(error)")
		}
		if e.Err() == nil {
			t.Fatal("Err() = nil while the store is broken")
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("no OnHealth(error) within 30s of a publish failing on the full disk; log:\n%s", logs.String())
	}

	// Space comes back: the store works again without anyone restarting it.
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	freed := time.Now()
	deadline := freed.Add(90 * time.Second)
	for publish("after") != nil {
		if time.Now().After(deadline) {
			t.Fatalf("publishes still fail 90s after the disk has space again; log:\n%s", logs.String())
		}
	}
	t.Logf("publishing works again %v after space was freed", time.Since(freed).Round(time.Millisecond))
	select {
	case err := <-health:
		if err != nil {
			t.Fatalf("OnHealth(%v) after recovering, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no OnHealth(nil) after the store recovered")
	}
	if err := e.Err(); err != nil {
		t.Fatalf("Err() = %v after recovering", err)
	}

	// Nothing acknowledged before the disk filled was lost.
	if m := follow(t, b, bus.Files, "p", "", 1)[0]; m.ID != "before" {
		t.Fatalf("the first message after recovery is %v; want the one published before the disk filled", m)
	}

	// The log says it once each way, and the server's own complaints about
	// every failing write stay at debug level.
	out := logs.String()
	if n := strings.Count(out, "embedded bus stopped"); n != 1 {
		t.Errorf("%d lines say the bus stopped, want 1:\n%s", n, out)
	}
	if n := strings.Count(out, "embedded bus recovered"); n != 1 {
		t.Errorf("%d lines say the bus recovered, want 1:\n%s", n, out)
	}
	if !strings.Contains(out, "after=") {
		t.Errorf("the recovery line does not say after how long:\n%s", out)
	}
	if n := strings.Count(out, "level=ERROR"); n != 0 {
		t.Errorf("%d error lines; the broken store is reported by one warning:\n%s", n, out)
	}
}

func TestEmbeddedShutdownWhileWaitingForSpaceReturns(t *testing.T) {
	mnt := tmpfs.Mount(t, 32<<20)
	health := make(chan error, 16)
	e, err := natsbus.StartEmbedded(t.Context(), natsbus.EmbeddedOptions{
		DataDir: filepath.Join(mnt, "data"), MinFreeSpace: 1 << 40, // never enough
		OnHealth: func(err error) { health <- err },
	})
	if err != nil {
		t.Fatal(err)
	}
	b := connect(t, natsbus.Options{Server: e})
	tmpfs.Fill(t, mnt)
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
	defer cancel()
	if err := b.Publish(ctx, &bus.Message{Topic: bus.Files, Pipeline: "p", Data: make([]byte, 4<<10)}); err == nil {
		t.Fatal("publish succeeded on a full disk")
	}
	select {
	case err := <-health:
		if err == nil {
			t.Fatal("OnHealth(nil) before any OnHealth(error)")
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the store did not report itself broken")
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { e.Shutdown(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("Shutdown hangs while the store waits for disk space")
	}
}
