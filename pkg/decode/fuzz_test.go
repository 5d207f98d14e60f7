package decode

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/ulikunitz/xz"
)

// fuzzNames are the names the fuzzer's bytes are given: every layer by
// name, and names that leave the layers to the bytes.
var fuzzNames = []string{
	"f.csv.gz", "f.csv.bz2", "f.csv.zst", "f.csv.xz", "f.zip", "f.tar", "f.tgz", "f.tar.xz",
	"f.csv.pgp", "f.zip.gz", "f.csv", "f",
}

// FuzzWalk feeds arbitrary bytes to Walk under every layer's name: no input
// may panic, hang, take memory beyond the limits, or fail other than with
// a permanent error.
func FuzzWalk(f *testing.F) {
	k := keys(f)
	text := []byte("id,name\n1,x\n2,y\n")
	inner := makeZip(f, entry{name: "c.csv", data: text})
	seeds := map[string][]byte{
		"f.csv.gz":  gz(f, text),
		"f.csv.bz2": fixture(f, "hello.csv.bz2"),
		"f.csv.zst": zst(f, text),
		"f.csv.xz":  fixture(f, "seq-blocks.txt.xz"),
		"f.zip": makeZip(f, entry{name: "a.csv", data: text}, entry{name: "d/", stored: true},
			entry{name: "b.csv", data: text, stored: true}, entry{name: "in.zip", data: inner}, entry{name: "z.csv", data: text, method: zipZstd}),
		"f.tar":     makeTar(f, entry{name: "a.csv", data: text}, entry{name: "x.csv.gz", data: gz(f, text)}),
		"f.tgz":     gz(f, makeTar(f, entry{name: "a.csv", data: text})),
		"f.tar.xz":  xzc(f, makeTar(f, entry{name: "a.csv", data: text})),
		"f.csv.pgp": encryptTo(f, text, k.recipient, k.signer, false, nil),
		"f.zip.gz":  gz(f, inner),
		"f":         fixture(f, "hello.csv.gpg"),
	}
	for i, name := range fuzzNames {
		if data, ok := seeds[name]; ok {
			f.Add(data, uint8(i))
		}
	}
	f.Add(fixture(f, "hello.tar.bz2"), uint8(2))
	f.Add(fixture(f, "seq-streams.txt.xz"), uint8(3))
	f.Add(encryptTo(f, gz(f, text), k.v6, nil, true, nil), uint8(8))
	f.Add(fixture(f, "hello.csv.asc"), uint8(8))
	opts := Options{
		Limits: Limits{MaxBytes: 64 << 20, MaxSpoolBytes: 16 << 20, MaxMembers: 1000},
		PGP:    &PGP{PrivateKey: k.recipientPriv + string(fixture(f, "gnupg-secret.asc")) + k.v6Priv},
	}
	f.Fuzz(func(t *testing.T, data []byte, which uint8) {
		name := fuzzNames[int(which)%len(fuzzNames)]
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		start := time.Now()
		err := Walk(ctx, name, opener(data, which%2 == 0), opts, func(ctx context.Context, l *Leaf) error {
			if _, err := io.Copy(io.Discard, l.R); err != nil && !IsPermanent(err) {
				t.Fatalf("%s: reading %s: %v, want a permanent error", name, l.Path, err)
			}
			if l.ReaderAt != nil {
				l.ReaderAt.ReadAt(make([]byte, min(l.Size, 1<<20)), 0)
			}
			return nil
		})
		if took := time.Since(start); errors.Is(err, context.DeadlineExceeded) || took > 10*time.Second {
			t.Fatalf("%s: Walk took %v", name, took)
		}
		if err != nil && !IsPermanent(err) {
			t.Fatalf("%s: %v, want nil or a permanent error", name, err)
		}
	})
}

// FuzzXzGuard proves the xz guard follows every stream the xz library
// reads: whatever the bytes, when the library reads them to the end
// without error, the guard never lost its way in them.
func FuzzXzGuard(f *testing.F) {
	for _, name := range []string{"seq-none.txt.xz", "seq-crc32.txt.xz", "seq-crc64.txt.xz", "seq-sha256.txt.xz", "seq-blocks.txt.xz", "seq-streams.txt.xz"} {
		f.Add(fixture(f, name))
	}
	f.Add(xzc(f, []byte("a,b\n1,2\n")))
	f.Add(xzc(f, nil))
	f.Fuzz(func(t *testing.T, data []byte) {
		g := &xzGuard{r: bytes.NewReader(data), max: 16 << 20, observe: true}
		r, err := xz.NewReader(bufio.NewReader(g))
		if err != nil {
			return
		}
		if _, err := io.Copy(io.Discard, io.LimitReader(r, 16<<20)); err != nil {
			return
		}
		if g.lost != nil {
			t.Fatalf("the library read the stream whole; the guard lost its way: %v", g.lost)
		}
	})
}
