package decode

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
)

func TestWalkStopsWhenTheContextEnds(t *testing.T) {
	text := csvText(1 << 20)
	t.Run("before it starts", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		called := false
		err := Walk(ctx, "a.csv.gz", opener(gz(t, text), false), Options{}, func(context.Context, *Leaf) error { called = true; return nil })
		if !errors.Is(err, context.Canceled) || IsPermanent(err) || called {
			t.Fatalf("error %v (fn called %v), want context.Canceled before any leaf", err, called)
		}
	})
	for _, tt := range []struct {
		name string
		data []byte
	}{
		{"a.csv.gz", gz(t, text)},
		{"a.tar.gz", gz(t, makeTar(t, entry{name: "a.csv", data: text}, entry{name: "b.csv", data: text}))},
		{"a.zip", makeZip(t, entry{name: "a.csv", data: text}, entry{name: "b.csv", data: text})},
	} {
		t.Run("while a leaf is read: "+tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			var readErr error
			leaves := 0
			err := Walk(ctx, tt.name, opener(tt.data, true), Options{}, func(ctx context.Context, l *Leaf) error {
				leaves++
				if _, err := io.ReadFull(l.R, make([]byte, 1000)); err != nil {
					return err
				}
				cancel()
				_, readErr = io.ReadAll(l.R)
				return readErr
			})
			if !errors.Is(readErr, context.Canceled) || !errors.Is(err, context.Canceled) || IsPermanent(err) {
				t.Fatalf("read %v, Walk %v; want context.Canceled from both", readErr, err)
			}
			if leaves != 1 {
				t.Errorf("fn called %d times, want the walk to stop after the first", leaves)
			}
		})
	}
}

// TestWalkPassesStorageErrorsOn proves a failure of the stored bytes is
// not blamed on the file (which would fail it for good) even when a
// decoder or go-crypto wraps or disguises it.
func TestWalkPassesStorageErrorsOn(t *testing.T) {
	k := keys(t)
	text := csvText(1 << 20)
	boom := errors.New("connection reset by peer")
	tests := []struct {
		name string
		data []byte
		opts Options
	}{
		{"a.csv", text, Options{}},
		{"a.csv.gz", gz(t, text), Options{}},
		{"a.csv.xz", xzc(t, text), Options{}},
		{"a.tar.zst", zst(t, makeTar(t, entry{name: "a.csv", data: text})), Options{}},
		{"a.zip.gz", gz(t, makeZip(t, entry{name: "a.csv", data: text})), Options{}},
		{"a.csv.pgp", encryptTo(t, text, k.recipient, nil, false, nil), Options{PGP: &PGP{PrivateKey: k.recipientPriv}}},
		{"a.csv.gz.pgp", encryptTo(t, gz(t, text), k.recipient, k.signer, false, nil), Options{PGP: &PGP{PrivateKey: k.recipientPriv, TrustedSigners: []string{k.signerPub}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			open := func(ctx context.Context) (io.ReadCloser, error) {
				half := io.LimitReader(bytes.NewReader(tt.data), int64(len(tt.data)/2))
				return io.NopCloser(io.MultiReader(half, iotest.ErrReader(boom))), nil
			}
			var readErr error
			err := Walk(t.Context(), tt.name, open, tt.opts, func(ctx context.Context, l *Leaf) error {
				_, readErr = io.ReadAll(l.R)
				return readErr
			})
			if !errors.Is(err, boom) || IsPermanent(err) {
				t.Fatalf("error %v, want the storage's error, not permanent", err)
			}
			if !strings.Contains(err.Error(), tt.name) {
				t.Errorf("error %q should name the file", err)
			}
		})
	}
	t.Run("open fails", func(t *testing.T) {
		err := Walk(t.Context(), "a.csv", func(context.Context) (io.ReadCloser, error) { return nil, boom }, Options{}, nil)
		if !errors.Is(err, boom) || IsPermanent(err) || !strings.Contains(err.Error(), "a.csv") {
			t.Fatalf("error %v, want the open error naming the file, not permanent", err)
		}
	})
}

func TestWalkReturnsErrorsOfFnAsTheyAre(t *testing.T) {
	stop := errors.New("stop here")
	calls := 0
	data := makeZip(t, entry{name: "a.csv", data: []byte("x")}, entry{name: "b.csv", data: []byte("y")})
	err := Walk(t.Context(), "a.zip", opener(data, true), Options{}, func(context.Context, *Leaf) error {
		calls++
		return stop
	})
	if err != stop { //nolint:errorlint // the very error, unwrapped, is the point
		t.Fatalf("error %v, want fn's error itself", err)
	}
	if calls != 1 {
		t.Errorf("fn called %d times after it failed, want 1", calls)
	}
}

func TestWalkLetsPanicsOfFnThrough(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("a panic in fn was swallowed")
		}
	}()
	Walk(t.Context(), "a.csv", opener([]byte("x"), false), Options{}, func(context.Context, *Leaf) error { panic("fn's own bug") })
}

func TestWalkReadsLocalFilesInPlace(t *testing.T) {
	dir := t.TempDir()
	a := csvText(64 << 10)
	path := filepath.Join(dir, "b.zip")
	if err := os.WriteFile(path, makeZip(t, entry{name: "a.csv", data: a, stored: true}), 0o600); err != nil {
		t.Fatal(err)
	}
	open := func(ctx context.Context) (io.ReadCloser, error) { return os.Open(path) }
	err := Walk(t.Context(), "b.zip", open, Options{}, func(ctx context.Context, l *Leaf) error {
		if l.ReaderAt == nil || l.Size != int64(len(a)) {
			t.Errorf("a stored member of a local zip: ReaderAt %v, size %d", l.ReaderAt != nil, l.Size)
		}
		got, err := io.ReadAll(l.R)
		if !bytes.Equal(got, a) {
			t.Errorf("read %d bytes (%v), want %d", len(got), err, len(a))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestWalkWritesNothingToDisk proves that reading archives of every kind
// leaves the temporary folder and the working folder as they were.
func TestWalkWritesNothingToDisk(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	wd, _ := os.Getwd()
	before, _ := os.ReadDir(wd)
	inner := makeZip(t, entry{name: "c.csv", data: []byte("x")}, entry{name: "../../escape.csv", data: []byte("x")})
	for name, data := range map[string][]byte{
		"a.zip.gz": gz(t, makeZip(t, entry{name: "b.zip", data: inner}, entry{name: "/etc/x.csv", data: []byte("y")})),
		"a.tar.xz": xzc(t, makeTar(t, entry{name: "b.zip", data: inner}, entry{name: "../up.csv", data: []byte("y")})),
	} {
		if res := walk(t, name, data, false, Options{}); res.Err != nil || len(res.Leaves) != 3 {
			t.Fatalf("%s: %q, %v", name, res.paths(), res.Err)
		}
	}
	if entries, _ := os.ReadDir(tmp); len(entries) != 0 {
		t.Errorf("the temporary folder has %d entries", len(entries))
	}
	if after, _ := os.ReadDir(wd); len(after) != len(before) {
		t.Errorf("the working folder went from %d to %d entries", len(before), len(after))
	}
}

func TestLimitErrorAndFileErrorMessages(t *testing.T) {
	le := &LimitError{File: "a.zip!/b.csv", Limit: "max_decompressed_bytes", Max: 64 << 30, Detail: "too much"}
	if got, want := le.Error(), "a.zip!/b.csv: over the max_decompressed_bytes limit of 64 GiB: too much"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	le = &LimitError{File: "a.gz", Limit: "max_ratio", Max: 1000, Detail: "x"}
	if got, want := le.Error(), "a.gz: over the max_ratio limit of 1000: x"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	fe := &FileError{File: "a.gz", Err: ErrCorrupt}
	if got := fe.Error(); got != "a.gz: corrupt" || !errors.Is(fe, ErrCorrupt) {
		t.Errorf("got %q", got)
	}
	if IsPermanent(errors.New("x")) || IsPermanent(context.Canceled) || !IsPermanent(le) || !IsPermanent(fe) {
		t.Error("IsPermanent misjudges")
	}
}
