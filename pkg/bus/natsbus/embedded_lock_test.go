package natsbus_test

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/filedge/filedge/pkg/bus"
	"github.com/filedge/filedge/pkg/bus/natsbus"
)

func TestStartEmbeddedRefusesADataDirAnotherServerHoldsAndTakesItOnceFree(t *testing.T) {
	dir := t.TempDir()
	opts := natsbus.EmbeddedOptions{DataDir: dir}
	first, err := natsbus.StartEmbedded(t.Context(), opts)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Shutdown()
	b := connect(t, natsbus.Options{Server: first})
	if err := b.Publish(t.Context(), &bus.Message{Topic: bus.Files, Pipeline: "p", ID: "1", Data: []byte("kept")}); err != nil {
		t.Fatal(err)
	}

	second, err := natsbus.StartEmbedded(t.Context(), opts)
	if err == nil {
		second.Shutdown()
		t.Fatal("a second embedded server started on a data dir the first one holds")
	}
	var locked *natsbus.LockedError
	if !errors.Is(err, natsbus.ErrDataDirLocked) || !errors.As(err, &locked) {
		t.Fatalf("second StartEmbedded = %v, want a *LockedError", err)
	}
	host, _ := os.Hostname()
	if locked.Holder.PID != os.Getpid() || locked.Holder.Host != host || locked.Holder.Started.IsZero() || locked.Holder.Command == "" {
		t.Errorf("holder = %+v, want this process (pid %d on %s) with its command and start time", locked.Holder, os.Getpid(), host)
	}
	for _, want := range []string{dir, fmt.Sprintf("process %d", os.Getpid()), host} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %q", err, want)
		}
	}
	// The refused server left the store alone: the first one still works.
	if err := b.Publish(t.Context(), &bus.Message{Topic: bus.Files, Pipeline: "p", ID: "2", Data: []byte("also kept")}); err != nil {
		t.Fatalf("publish to the first server after the refused start: %v", err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}

	first.Shutdown()
	third := embedded(t, opts)
	got := follow(t, connect(t, natsbus.Options{Server: third}), bus.Files, "p", "", 2)
	for i, want := range []string{"kept", "also kept"} {
		if string(got[i].Data) != want {
			t.Fatalf("after the first server stopped, the next one reads %q; want %q", got[i].Data, want)
		}
	}
}
