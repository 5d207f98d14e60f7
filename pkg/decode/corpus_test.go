package decode

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// TestCorpusThroughEveryLayer puts every file of the public test corpus
// (FILEDGE_CORPUS) under each layer, and checks that Walk gives its bytes
// back unchanged and under the right names.
func TestCorpusThroughEveryLayer(t *testing.T) {
	root := os.Getenv("FILEDGE_CORPUS")
	if root == "" {
		t.Skip("FILEDGE_CORPUS is not set")
	}
	k := keys(t)
	files := map[string][]byte{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if info, err := d.Info(); err != nil || info.Size() > 8<<20 {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		data, err := os.ReadFile(path)
		files[filepath.ToSlash(rel)] = data
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no files under %s", root)
	}
	var zipped, tarred, small []entry
	for name, data := range files {
		zipped = append(zipped, entry{name: name, data: data, stored: len(zipped)%2 == 0})
		tarred = append(tarred, entry{name: name, data: data})
		if len(data) < 256<<10 {
			small = append(small, entry{name: name, data: data})
		}
	}
	check := func(t *testing.T, res walkResult, prefix string, want int) {
		t.Helper()
		if res.Err != nil {
			t.Fatal(res.Err)
		}
		if len(res.Leaves) != want {
			t.Fatalf("%d leaves, want %d", len(res.Leaves), want)
		}
		for _, l := range res.Leaves {
			name := l.Path[len(prefix):]
			if l.ReadErr != nil || !bytes.Equal(l.Data, files[name]) {
				t.Errorf("%s: %d bytes (%v), want the %d of %s", l.Path, len(l.Data), l.ReadErr, len(files[name]), name)
			}
		}
	}
	t.Run("zip", func(t *testing.T) {
		check(t, walk(t, "corpus.zip", makeZip(t, zipped...), true, Options{}), "corpus.zip!/", len(files))
	})
	t.Run("tar.zst", func(t *testing.T) {
		check(t, walk(t, "corpus.tar.zst", zst(t, makeTar(t, tarred...)), false, Options{}), "corpus.tar.zst!/", len(files))
	})
	t.Run("tar.xz", func(t *testing.T) { // the xz writer is slow: the smaller files
		check(t, walk(t, "corpus.tar.xz", xzc(t, makeTar(t, small...)), false, Options{}), "corpus.tar.xz!/", len(small))
	})
	t.Run("zip in tar.gz", func(t *testing.T) {
		data := gz(t, makeTar(t, entry{name: "corpus.zip", data: makeZip(t, zipped...)}))
		check(t, walk(t, "c.tgz", data, false, Options{}), "c.tgz!/corpus.zip!/", len(files))
	})
	t.Run("each file as stored, with pgp set: not taken for a PGP message", func(t *testing.T) {
		opts := Options{PGP: &PGP{PrivateKey: k.recipientPriv}}
		for name, data := range files {
			l := walk(t, name, data, true, opts).only(t)
			if !bytes.Equal(l.Data, data) || !l.HasAt {
				t.Errorf("%s: %d bytes, ReaderAt %v; want it as stored", name, len(l.Data), l.HasAt)
			}
		}
	})
	t.Run("each file gzipped, zstd, encrypted", func(t *testing.T) {
		for name, data := range files {
			for suffix, stored := range map[string][]byte{
				".gz":  gz(t, data),
				".zst": zst(t, data),
				".pgp": encryptTo(t, data, k.recipient, k.signer, false, nil),
			} {
				var opts Options
				if suffix == ".pgp" {
					opts.PGP = &PGP{PrivateKey: k.recipientPriv, TrustedSigners: []string{k.signerPub}}
				}
				l := walk(t, name+suffix, stored, false, opts).only(t)
				if !bytes.Equal(l.Data, data) || l.Name != name {
					t.Errorf("%s: %d bytes named %q, want %d named %q", name+suffix, len(l.Data), l.Name, len(data), name)
				}
			}
		}
	})
}
