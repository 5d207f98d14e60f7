package decode

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

const testPassphrase = "s3cret-Passphrase-9"

// testKeys are OpenPGP keys made once per test binary: EdDSA and
// Curve25519 (v4 keys, SEIPDv1 with MDC) and Ed25519 and X25519 (v6 keys,
// SEIPDv2 with AEAD), fast to make.
type testKeys struct {
	recipient, v6, signer, stranger *openpgp.Entity
	// Armored forms, as pipeline.yaml gets them from the environment.
	recipientPriv, recipientLocked, v6Priv, signerPub, strangerPub string
}

var keysOnce = sync.OnceValues(func() (*testKeys, error) {
	v4 := &packet.Config{Algorithm: packet.PubKeyAlgoEdDSA, Curve: packet.Curve25519}
	v6 := &packet.Config{Algorithm: packet.PubKeyAlgoEd25519, V6Keys: true, AEADConfig: &packet.AEADConfig{}}
	k := &testKeys{}
	var err error
	if k.recipient, err = openpgp.NewEntity("recipient", "", "recipient@filedge.invalid", v4); err != nil {
		return nil, err
	}
	if k.v6, err = openpgp.NewEntity("v6", "", "v6@filedge.invalid", v6); err != nil {
		return nil, err
	}
	if k.signer, err = openpgp.NewEntity("signer", "", "signer@filedge.invalid", v4); err != nil {
		return nil, err
	}
	if k.stranger, err = openpgp.NewEntity("stranger", "", "stranger@filedge.invalid", v4); err != nil {
		return nil, err
	}
	if k.recipientPriv, err = armored(openpgp.PrivateKeyType, func(w io.Writer) error { return k.recipient.SerializePrivate(w, nil) }); err != nil {
		return nil, err
	}
	if k.v6Priv, err = armored(openpgp.PrivateKeyType, func(w io.Writer) error { return k.v6.SerializePrivate(w, nil) }); err != nil {
		return nil, err
	}
	if k.signerPub, err = armored(openpgp.PublicKeyType, k.signer.Serialize); err != nil {
		return nil, err
	}
	if k.strangerPub, err = armored(openpgp.PublicKeyType, k.stranger.Serialize); err != nil {
		return nil, err
	}
	locked, err := openpgp.ReadArmoredKeyRing(strings.NewReader(k.recipientPriv))
	if err != nil {
		return nil, err
	}
	if err := locked[0].EncryptPrivateKeys([]byte(testPassphrase), nil); err != nil {
		return nil, err
	}
	k.recipientLocked, err = armored(openpgp.PrivateKeyType, func(w io.Writer) error { return locked[0].SerializePrivateWithoutSigning(w, nil) })
	return k, err
})

func keys(t testing.TB) *testKeys {
	t.Helper()
	k, err := keysOnce()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func armored(blockType string, write func(io.Writer) error) (string, error) {
	var b bytes.Buffer
	w, err := armor.Encode(&b, blockType, nil)
	if err != nil {
		return "", err
	}
	if err := write(w); err != nil {
		return "", err
	}
	if err := w.Close(); err != nil {
		return "", err
	}
	return b.String(), nil
}

// encryptTo encrypts plain to the recipient, signed by signer when it is
// not nil, armored or not.
func encryptTo(t testing.TB, plain []byte, to, signer *openpgp.Entity, armor bool, cfg *packet.Config) []byte {
	t.Helper()
	var b bytes.Buffer
	var out io.Writer = &b
	var aw io.WriteCloser
	if armor {
		var err error
		if aw, err = armorEncode(&b); err != nil {
			t.Fatal(err)
		}
		out = aw
	}
	w, err := openpgp.Encrypt(out, []*openpgp.Entity{to}, signer, nil, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(plain); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if aw != nil {
		aw.Close()
	}
	return b.Bytes()
}

func armorEncode(w io.Writer) (io.WriteCloser, error) {
	return armor.Encode(w, openpgp.MessageType, nil)
}

// signOnly makes a signed message that is not encrypted.
func signOnly(t testing.TB, plain []byte, signer *openpgp.Entity) []byte {
	t.Helper()
	var b bytes.Buffer
	w, err := openpgp.Sign(&b, signer, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(plain)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestWalkDecryptsPGP(t *testing.T) {
	k := keys(t)
	text := csvText(200 << 10)
	recipient := &PGP{PrivateKey: k.recipientPriv}
	zlib := &packet.Config{DefaultCompressionAlgo: packet.CompressionZLIB}
	tests := []struct {
		name, wantName string
		data           []byte
		pgp            *PGP
	}{
		{"a.csv.pgp", "a.csv", encryptTo(t, text, k.recipient, nil, false, nil), recipient},
		{"a.csv.gpg", "a.csv", encryptTo(t, text, k.recipient, nil, false, nil), recipient},
		{"a.csv.asc", "a.csv", encryptTo(t, text, k.recipient, nil, true, nil), recipient},
		{"A.CSV.PGP", "A.CSV", encryptTo(t, text, k.recipient, nil, true, nil), recipient},
		{"found by its first packet.csv", "found by its first packet.csv", encryptTo(t, text, k.recipient, nil, false, nil), recipient},
		{"found by its armor.csv", "found by its armor.csv", encryptTo(t, text, k.recipient, nil, true, nil), recipient},
		{"compressed inside.csv.pgp", "compressed inside.csv", encryptTo(t, text, k.recipient, nil, false, zlib), recipient},
		{"v6 key, AEAD.csv.pgp", "v6 key, AEAD.csv", encryptTo(t, text, k.v6, nil, false, nil), &PGP{PrivateKey: k.v6Priv}},
		{"key with a passphrase.csv.pgp", "key with a passphrase.csv", encryptTo(t, text, k.recipient, nil, false, nil), &PGP{PrivateKey: k.recipientLocked, Passphrase: testPassphrase}},
		{"signed by a trusted key.csv.pgp", "signed by a trusted key.csv", encryptTo(t, text, k.recipient, k.signer, false, nil),
			&PGP{PrivateKey: k.recipientPriv, TrustedSigners: []string{k.strangerPub + k.signerPub}}},
		{"signed, not encrypted.csv.pgp", "signed, not encrypted.csv", signOnly(t, text, k.signer), &PGP{TrustedSigners: []string{k.signerPub}}},
		{"signed, no signers set.csv.pgp", "signed, no signers set.csv", encryptTo(t, text, k.recipient, k.stranger, false, nil), recipient},
		{"gzip inside.csv.gz.pgp", "gzip inside.csv", encryptTo(t, gz(t, text), k.recipient, nil, false, nil), recipient},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := walk(t, tt.name, tt.data, true, Options{PGP: tt.pgp}).only(t)
			if !bytes.Equal(l.Data, text) {
				t.Errorf("got %d bytes, want the %d of the plaintext", len(l.Data), len(text))
			}
			if l.Path != tt.name || l.Name != tt.wantName || l.HasAt {
				t.Errorf("path %q name %q ReaderAt %v; want %q, %q and none", l.Path, l.Name, l.HasAt, tt.name, tt.wantName)
			}
		})
	}
}

func TestWalkReadsArchivesInsidePGP(t *testing.T) {
	k := keys(t)
	a := []byte("a,b\n1,2\n")
	archive := makeZip(t, entry{name: "x.csv", data: a}, entry{name: "y.csv", data: a, stored: true})
	for _, signers := range [][]string{nil, {k.signerPub}} {
		res := walk(t, "in/bundle.zip.pgp", encryptTo(t, archive, k.recipient, k.signer, false, nil), true,
			Options{PGP: &PGP{PrivateKey: k.recipientPriv, TrustedSigners: signers}})
		if want := []string{"in/bundle.zip.pgp!/x.csv", "in/bundle.zip.pgp!/y.csv"}; res.Err != nil || strings.Join(res.paths(), " ") != strings.Join(want, " ") {
			t.Fatalf("leaves %q (%v), want %q", res.paths(), res.Err, want)
		}
	}
}

func TestWalkDecryptsFilesMadeByGnuPG(t *testing.T) {
	hello := fixture(t, "hello.csv")
	secret, public := string(fixture(t, "gnupg-secret.asc")), string(fixture(t, "gnupg-public.asc"))
	// Signed and encrypted, then encrypted only and armored.
	l := walk(t, "hello.csv.gpg", fixture(t, "hello.csv.gpg"), true, Options{PGP: &PGP{PrivateKey: secret, TrustedSigners: []string{public}}}).only(t)
	if !bytes.Equal(l.Data, hello) {
		t.Errorf("hello.csv.gpg: %q", l.Data)
	}
	l = walk(t, "hello.csv.asc", fixture(t, "hello.csv.asc"), true, Options{PGP: &PGP{PrivateKey: secret}}).only(t)
	if !bytes.Equal(l.Data, hello) || l.Name != "hello.csv" {
		t.Errorf("hello.csv.asc: %q named %q", l.Data, l.Name)
	}
	err := walk(t, "hello.csv.asc", fixture(t, "hello.csv.asc"), true, Options{PGP: &PGP{PrivateKey: secret, TrustedSigners: []string{public}}}).firstErr()
	if !errors.Is(err, ErrPGPUnsigned) {
		t.Errorf("an unsigned GnuPG file with trusted signers: %v, want ErrPGPUnsigned", err)
	}
}

// tamper flips bytes of a binary message at offset from its end: in the
// MDC or AEAD tag near the end, the plaintext reads well until its end.
func tamper(msg []byte, fromEnd int) []byte {
	c := bytes.Clone(msg)
	c[len(c)-fromEnd] ^= 0x01
	return c
}

func TestWalkPGPFailures(t *testing.T) {
	k := keys(t)
	text := csvText(100 << 10)
	recipient := &PGP{PrivateKey: k.recipientPriv}
	trusting := &PGP{PrivateKey: k.recipientPriv, TrustedSigners: []string{k.signerPub}}
	signedMsg := signOnly(t, text, k.recipient)
	// The literal data of a signed message starts after its one-pass
	// signature packet: flip a byte of the text itself.
	badSig := bytes.Clone(signedMsg)
	badSig[bytes.Index(badSig, []byte("customer 7"))] ^= 0x01
	tests := []struct {
		name string
		data []byte
		pgp  *PGP
		want error
	}{
		{"no pgp settings", encryptTo(t, text, k.recipient, nil, false, nil), nil, ErrPGPNotConfigured},
		{"encrypted to another key", encryptTo(t, text, k.stranger, nil, false, nil), recipient, ErrPGPWrongKey},
		{"wrong passphrase", encryptTo(t, text, k.recipient, nil, false, nil), &PGP{PrivateKey: k.recipientLocked, Passphrase: "not it"}, ErrPGPPassphrase},
		{"no passphrase for a locked key", encryptTo(t, text, k.recipient, nil, false, nil), &PGP{PrivateKey: k.recipientLocked}, ErrPGPPassphrase},
		{"not a key", encryptTo(t, text, k.recipient, nil, false, nil), &PGP{PrivateKey: "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nnope\n-----END PGP PRIVATE KEY BLOCK-----\n"}, ErrPGPKey},
		{"a public key as the private key", encryptTo(t, text, k.recipient, nil, false, nil), &PGP{PrivateKey: k.signerPub}, ErrPGPKey},
		{"garbage", []byte("\x85\x01\x0c\x03garbage that is no OpenPGP packet at all"), recipient, ErrPGPCorrupt},
		{"cut in half", func() []byte { m := encryptTo(t, text, k.recipient, nil, false, nil); return m[:len(m)/2] }(), recipient, ErrPGPIntegrity},
		{"a key block in armor", []byte(k.signerPub), recipient, ErrPGPCorrupt},
		{"MDC tampered", tamper(encryptTo(t, text, k.recipient, nil, false, nil), 5), recipient, ErrPGPIntegrity},
		{"ciphertext tampered", tamper(encryptTo(t, text, k.recipient, nil, false, nil), 5000), recipient, ErrPGPIntegrity},
		{"AEAD tag tampered", tamper(encryptTo(t, text, k.v6, nil, false, nil), 5), &PGP{PrivateKey: k.v6Priv}, ErrPGPIntegrity},
		{"bad signature by a known key", badSig, recipient, ErrPGPBadSignature},
		// With trusted signers, none of these may reach fn.
		{"trusted: MDC tampered", tamper(encryptTo(t, text, k.recipient, k.signer, false, nil), 5), trusting, ErrPGPIntegrity},
		{"trusted: not signed", encryptTo(t, text, k.recipient, nil, false, nil), trusting, ErrPGPUnsigned},
		{"trusted: not PGP at all", text, trusting, ErrPGPUnsigned},
		{"trusted: signed by an unknown key", encryptTo(t, text, k.recipient, k.stranger, false, nil), trusting, ErrPGPUntrusted},
		{"trusted: signed by the decryption key", encryptTo(t, text, k.recipient, k.recipient, false, nil), trusting, ErrPGPUntrusted},
		{"trusted: bad signature", badSig, &PGP{TrustedSigners: []string{k.signerPub, k.recipientPriv}}, ErrPGPBadSignature},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			const name = "in/data.csv.pgp"
			file := name
			if tt.name == "trusted: not PGP at all" {
				file = "in/data.csv"
			}
			res := walk(t, file, tt.data, true, Options{PGP: tt.pgp})
			err := res.firstErr()
			var fe *FileError
			if !errors.Is(err, tt.want) || !errors.As(err, &fe) || !IsPermanent(err) {
				t.Fatalf("error %v, want a permanent *FileError wrapping %v", err, tt.want)
			}
			if fe.File != file {
				t.Errorf("error names %q, want %q", fe.File, file)
			}
			if strings.Contains(err.Error(), testPassphrase) || strings.Contains(err.Error(), "PRIVATE KEY") {
				t.Errorf("error %q shows a secret", err)
			}
			if res.Err == nil {
				t.Errorf("Walk returned nil though a leaf failed: the drain at the end should report it")
			}
			if strings.HasPrefix(tt.name, "trusted") && len(res.Leaves) > 0 {
				t.Errorf("fn got %d leaves of a file that does not verify", len(res.Leaves))
			}
		})
	}
}

// TestWalkVerifiesBeforeStreaming proves that with trusted signers the file
// is read twice, the first time to the end before fn gets a byte, and that
// a file swapped between the two reads still fails.
func TestWalkVerifiesBeforeStreaming(t *testing.T) {
	k := keys(t)
	text := csvText(100 << 10)
	good := encryptTo(t, text, k.recipient, k.signer, false, nil)
	opts := Options{PGP: &PGP{PrivateKey: k.recipientPriv, TrustedSigners: []string{k.signerPub}}}
	for name, second := range map[string][]byte{
		"same file":                good,
		"swapped for an unsigned":  encryptTo(t, text, k.recipient, nil, false, nil),
		"swapped for a stranger's": encryptTo(t, text, k.recipient, k.stranger, false, nil),
	} {
		t.Run(name, func(t *testing.T) {
			opens := 0
			open := func(ctx context.Context) (io.ReadCloser, error) {
				opens++
				if opens == 1 {
					return io.NopCloser(bytes.NewReader(good)), nil
				}
				return io.NopCloser(bytes.NewReader(second)), nil
			}
			var readErr error
			err := Walk(t.Context(), "x.csv.pgp", open, opts, func(ctx context.Context, l *Leaf) error {
				_, readErr = io.ReadAll(l.R)
				return readErr
			})
			if opens != 2 {
				t.Errorf("opened %d times, want 2", opens)
			}
			if name == "same file" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, ErrPGPUnsigned) && !errors.Is(err, ErrPGPUntrusted) || readErr == nil {
				t.Errorf("Walk %v, read %v; want the swapped file to fail at its end", err, readErr)
			}
		})
	}
}

// TestWalkChecksPGPIntegrityWhenTheFormatStopsEarly proves the end of a
// message is checked even when fn reads only its start.
func TestWalkChecksPGPIntegrityWhenTheFormatStopsEarly(t *testing.T) {
	k := keys(t)
	msg := tamper(encryptTo(t, csvText(100<<10), k.recipient, nil, false, nil), 5)
	err := Walk(t.Context(), "x.csv.pgp", opener(msg, false), Options{PGP: &PGP{PrivateKey: k.recipientPriv}}, func(ctx context.Context, l *Leaf) error {
		_, err := io.ReadFull(l.R, make([]byte, 10))
		return err
	})
	if !errors.Is(err, ErrPGPIntegrity) {
		t.Fatalf("error %v, want ErrPGPIntegrity", err)
	}
}

func TestWalkCapsWhatPGPDecompresses(t *testing.T) {
	k := keys(t)
	msg := encryptTo(t, make([]byte, 64<<20), k.recipient, nil, false, &packet.Config{DefaultCompressionAlgo: packet.CompressionZLIB})
	err := walk(t, "zeros.csv.pgp", msg, false, Options{PGP: &PGP{PrivateKey: k.recipientPriv}, Limits: Limits{MaxBytes: 16 << 20}}).firstErr()
	var le *LimitError
	if !errors.As(err, &le) || le.File != "zeros.csv.pgp" {
		t.Fatalf("error %v, want a *LimitError naming the file", err)
	}
}

func TestValidateChecksPGPKeys(t *testing.T) {
	k := keys(t)
	tests := []struct {
		name string
		pgp  *PGP
		want error
	}{
		{"a private key", &PGP{PrivateKey: k.recipientPriv}, nil},
		{"a locked key and its passphrase", &PGP{PrivateKey: k.recipientLocked, Passphrase: testPassphrase}, nil},
		{"signers only", &PGP{TrustedSigners: []string{k.signerPub}}, nil},
		{"nothing", &PGP{}, ErrPGPKey},
		{"not armored", &PGP{PrivateKey: "hunter2"}, ErrPGPKey},
		{"a bad signer", &PGP{PrivateKey: k.recipientPriv, TrustedSigners: []string{"nope"}}, ErrPGPKey},
		{"a wrong passphrase", &PGP{PrivateKey: k.recipientLocked, Passphrase: "hunter2"}, ErrPGPPassphrase},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Options{PGP: tt.pgp}.Validate()
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("Validate: %v, want %v", err, tt.want)
			}
			if err != nil && strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error %q shows the secret", err)
			}
		})
	}
}

func TestPGPMagic(t *testing.T) {
	k := keys(t)
	yes := [][]byte{
		encryptTo(t, []byte("x"), k.recipient, nil, false, nil),
		encryptTo(t, []byte("x"), k.v6, nil, false, nil),
		encryptTo(t, []byte("x"), k.recipient, nil, true, nil),
		signOnly(t, []byte("x"), k.signer),
		fixture(t, "hello.csv.gpg"),
		[]byte("\n  -----BEGIN PGP MESSAGE-----\n"),
	}
	for i, h := range yes {
		if !pgpMagic(h[:min(len(h), 64)]) {
			t.Errorf("message %d (%x...) not sniffed as PGP", i, h[:8])
		}
	}
	no := []string{"id,name\n", "\xef\xbb\xbfid", "\xff\xfei\x00d\x00", "Été,prix\n", "\xc8tat,x\n", "PAR1", "PK\x03\x04", "\x1f\x8b\x08", "\xd0\xcf\x11\xe0", "Obj\x01", ""}
	for _, h := range no {
		if pgpMagic([]byte(h)) {
			t.Errorf("%q sniffed as PGP", h)
		}
	}
}

func TestKeysAreCachedPerSetting(t *testing.T) {
	k := keys(t)
	p := &PGP{PrivateKey: k.recipientLocked, Passphrase: testPassphrase}
	a, err := loadKeys(p)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := loadKeys(&PGP{PrivateKey: k.recipientLocked, Passphrase: testPassphrase})
	c, _ := loadKeys(&PGP{PrivateKey: k.recipientPriv})
	if a != b || a == c {
		t.Errorf("same setting gave %p and %p; another gave %p", a, b, c)
	}
}

// TestWalkDecryptsConcurrentlyWithOneSetting proves one PGP setting (one
// cached keyring) serves walks on many goroutines (run it with -race).
func TestWalkDecryptsConcurrentlyWithOneSetting(t *testing.T) {
	k := keys(t)
	text := csvText(64 << 10)
	msg := encryptTo(t, text, k.recipient, k.signer, false, nil)
	opts := Options{PGP: &PGP{PrivateKey: k.recipientLocked, Passphrase: testPassphrase, TrustedSigners: []string{k.signerPub}}}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			errs <- Walk(t.Context(), "x.csv.pgp", opener(msg, false), opts, func(ctx context.Context, l *Leaf) error {
				got, err := io.ReadAll(l.R)
				if err == nil && !bytes.Equal(got, text) {
					err = errors.New("plaintext differs")
				}
				return err
			})
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}
