package decode

import (
	"archive/zip"
	"bytes"
	stdgzip "compress/gzip"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/klauspost/compress/gzip"
)

// Each benchmark reads the same generated file through Walk and through
// the bare library doing the same work, in the same run; b.SetBytes is
// the plaintext size, so MB/s compare directly.

const benchSize = 16 << 20

// drainLeaf reads a leaf as a format reader does, 32 KiB at a time.
func drainLeaf(b *testing.B, r io.Reader, buf []byte) int64 {
	n, err := io.CopyBuffer(io.Discard, struct{ io.Reader }{r}, buf)
	if err != nil {
		b.Fatal(err)
	}
	return n
}

func benchWalk(b *testing.B, name string, data []byte, inPlace bool, opts Options, want int) {
	buf := make([]byte, 32<<10)
	b.SetBytes(int64(want))
	b.ReportAllocs()
	for b.Loop() {
		var n int64
		err := Walk(context.Background(), name, opener(data, inPlace), opts, func(ctx context.Context, l *Leaf) error {
			n += drainLeaf(b, l.R, buf)
			return nil
		})
		if err != nil || n != int64(want) {
			b.Fatalf("read %d bytes, %v", n, err)
		}
	}
}

func BenchmarkGzip(b *testing.B) {
	text := csvText(benchSize)
	data := gz(b, text)
	b.Run("walk", func(b *testing.B) { benchWalk(b, "a.csv.gz", data, false, Options{}, len(text)) })
	b.Run("library=klauspost-gzip", func(b *testing.B) {
		buf := make([]byte, 32<<10)
		b.SetBytes(int64(len(text)))
		b.ReportAllocs()
		for b.Loop() {
			r, err := gzip.NewReader(bytes.NewReader(data))
			if err != nil {
				b.Fatal(err)
			}
			drainLeaf(b, r, buf)
		}
	})
	b.Run("library=compress-gzip", func(b *testing.B) {
		buf := make([]byte, 32<<10)
		b.SetBytes(int64(len(text)))
		b.ReportAllocs()
		for b.Loop() {
			r, err := stdgzip.NewReader(bytes.NewReader(data))
			if err != nil {
				b.Fatal(err)
			}
			drainLeaf(b, r, buf)
		}
	})
}

func BenchmarkZipMember(b *testing.B) {
	text := csvText(benchSize)
	data := makeZip(b, entry{name: "a.csv", data: text})
	b.Run("walk", func(b *testing.B) { benchWalk(b, "a.zip", data, true, Options{}, len(text)) })
	b.Run("library=archive-zip", func(b *testing.B) {
		buf := make([]byte, 32<<10)
		b.SetBytes(int64(len(text)))
		b.ReportAllocs()
		for b.Loop() {
			zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
			if err != nil {
				b.Fatal(err)
			}
			rc, err := zr.File[0].Open()
			if err != nil {
				b.Fatal(err)
			}
			drainLeaf(b, rc, buf)
		}
	})
}

func BenchmarkPGP(b *testing.B) {
	k := keys(b)
	text := csvText(benchSize)
	data := encryptTo(b, text, k.recipient, k.signer, false, nil)
	b.Run("walk", func(b *testing.B) {
		benchWalk(b, "a.csv.pgp", data, false, Options{PGP: &PGP{PrivateKey: k.recipientPriv}}, len(text))
	})
	b.Run("walk-trusted-signers", func(b *testing.B) {
		// Reads the message twice: once to verify, once to stream.
		benchWalk(b, "a.csv.pgp", data, false, Options{PGP: &PGP{PrivateKey: k.recipientPriv, TrustedSigners: []string{k.signerPub}}}, len(text))
	})
	b.Run("library=go-crypto", func(b *testing.B) {
		ring, err := openpgp.ReadArmoredKeyRing(strings.NewReader(k.recipientPriv + k.signerPub))
		if err != nil {
			b.Fatal(err)
		}
		signer, _ := openpgp.ReadArmoredKeyRing(strings.NewReader(k.signerPub))
		ring = append(ring, signer...)
		buf := make([]byte, 32<<10)
		b.SetBytes(int64(len(text)))
		b.ReportAllocs()
		for b.Loop() {
			md, err := openpgp.ReadMessage(bytes.NewReader(data), ring, nil, nil)
			if err != nil {
				b.Fatal(err)
			}
			drainLeaf(b, md.UnverifiedBody, buf)
			if md.SignatureError != nil {
				b.Fatal(md.SignatureError)
			}
		}
	})
}

func BenchmarkTarGz(b *testing.B) {
	text := csvText(benchSize)
	data := gz(b, makeTar(b, entry{name: "a.csv", data: text[:benchSize/2]}, entry{name: "b.csv", data: text[benchSize/2:]}))
	b.Run("walk", func(b *testing.B) { benchWalk(b, "a.tgz", data, false, Options{}, len(text)) })
}
