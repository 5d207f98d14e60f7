package decode

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	pgperrors "github.com/ProtonMail/go-crypto/openpgp/errors"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// pgpSuffixes are the names of PGP files; Leaf.Name drops them.
var pgpSuffixes = []string{".pgp", ".gpg", ".asc"}

// pgpByName returns name without its PGP suffix, and whether it had one.
func pgpByName(name string) (string, bool) {
	lower := strings.ToLower(name)
	for _, s := range pgpSuffixes {
		if strings.HasSuffix(lower, s) && len(name) > len(s) {
			return name[:len(name)-len(s)], true
		}
	}
	return name, false
}

// armorStart opens an ASCII-armored PGP message.
var armorStart = []byte("-----BEGIN PGP ")

// isPGP reports whether the file n is a PGP message: by its name, or, with
// pgp settings, by its first bytes.
func (w *walker) isPGP(n *node) (bool, error) {
	if _, ok := pgpByName(n.name); ok {
		return true, nil
	}
	if w.keys == nil {
		return false, nil
	}
	head, err := w.sniff(n, 64)
	if err != nil {
		return false, err
	}
	return pgpMagic(head), nil
}

// pgpMagic reports whether head starts an OpenPGP message: an armor line,
// or a packet that opens a message (encrypted session key, one-pass
// signature, signature, compressed or literal data, encrypted data,
// marker) whose body starts with a version or kind byte it can have.
// Plain text rarely passes: the first byte must have its top bit set and
// the packet's first body byte must fit.
func pgpMagic(head []byte) bool {
	if bytes.HasPrefix(bytes.TrimLeft(head, " \t\r\n"), armorStart) {
		return true
	}
	if len(head) < 3 || head[0]&0x80 == 0 {
		return false
	}
	// The packet's tag, and the offset of its first body byte.
	var tag byte
	var body int
	if head[0]&0x40 != 0 { // new format
		tag = head[0] & 0x3f
		switch l := head[1]; {
		case l < 192, l >= 224 && l < 255: // one byte, or a partial length
			body = 2
		case l < 224:
			body = 3
		default:
			body = 6
		}
	} else { // old format
		tag = head[0] >> 2 & 0x0f
		body = 1 + [4]int{1, 2, 4, 0}[head[0]&3]
	}
	if body >= len(head) {
		return false
	}
	v := head[body]
	switch tag {
	case 1: // public-key encrypted session key
		return v == 3 || v == 6
	case 2: // signature
		return v >= 3 && v <= 6
	case 3: // symmetric-key encrypted session key
		return v >= 4 && v <= 6
	case 4: // one-pass signature
		return v == 3 || v == 6
	case 8: // compressed data
		return v <= 3
	case 10: // marker
		return v == 'P'
	case 11: // literal data
		return bytes.IndexByte([]byte("btu1lm"), v) >= 0
	case 18: // symmetrically encrypted, integrity protected
		return v == 1 || v == 2
	case 20: // AEAD encrypted
		return v == 1
	}
	return false
}

// walkPGP decrypts the PGP file n and walks its plaintext. With trusted
// signers, it first reads the whole plaintext to check the signature and
// integrity, then opens the file again to stream it: no byte reaches fn
// before the whole message is verified.
func (w *walker) walkPGP(n node) error {
	if w.keys == nil {
		return &FileError{File: w.path, Err: ErrPGPNotConfigured}
	}
	if len(w.keys.trusted) > 0 {
		plain, err := w.decrypt(n)
		if err != nil {
			return err
		}
		if err := drain(plain); err != nil {
			return err
		}
		if n, err = w.start(); err != nil {
			return err
		}
	}
	plain, err := w.decrypt(n)
	if err != nil {
		return err
	}
	n.r, n.ra, n.size = plain, nil, 0
	n.name, _ = pgpByName(n.name)
	if err := w.visit(n, w.opts.Compression); err != nil {
		return err
	}
	return drain(plain)
}

// drain reads r to its end: the end of a PGP message is where go-crypto
// checks the signature and integrity.
func drain(r io.Reader) error {
	_, err := io.CopyBuffer(io.Discard, r, make([]byte, 32<<10))
	return err
}

// decrypt opens the PGP message n and returns its plaintext, counted as a
// layer, whose last read fails when the message's integrity or signature
// does not hold.
func (w *walker) decrypt(n node) (io.Reader, error) {
	in := &counter{ctx: w.ctx, r: n.r}
	br := bufio.NewReaderSize(in, peekSize)
	var msg io.Reader = br
	if head, _ := br.Peek(peekSize); bytes.HasPrefix(bytes.TrimLeft(head, " \t\r\n"), armorStart) {
		if !armorHeaderFits(head) {
			return nil, &FileError{File: w.path, Err: fmt.Errorf("%w: the armor header does not end within its first %s", ErrPGPCorrupt, sizeText(peekSize))}
		}
		block, err := armor.Decode(br)
		if err != nil {
			return nil, w.fault(w.path, "PGP message", err)
		}
		if block.Type != openpgp.MessageType {
			return nil, &FileError{File: w.path, Err: fmt.Errorf("%w: armor holds a %q, not a %q", ErrPGPCorrupt, block.Type, openpgp.MessageType)}
		}
		msg = block.Body
	}
	md, err := w.keys.read(msg, w.lim.MaxBytes)
	if err != nil {
		return nil, w.fault(w.path, "PGP message", err)
	}
	body := &pgpBody{w: w, md: md}
	return &layer{w: w, path: w.path, what: "PGP message", r: body, in: func() int64 { return in.n - int64(br.Buffered()) }}, nil
}

// armorHeaderFits reports whether the armor header lines that follow the
// BEGIN line end (with a blank line) within head, or head is the whole
// file. go-crypto gathers a header line by appending to a string a
// hundred bytes at a time: a header of megabytes would take it hours.
func armorHeaderFits(head []byte) bool {
	if len(head) < peekSize {
		return true
	}
	lines := bytes.Split(bytes.TrimLeft(head, " \t\r\n"), []byte("\n"))
	for _, l := range lines[1 : len(lines)-1] { // the BEGIN line, and the last one, maybe cut
		if len(bytes.TrimSpace(l)) == 0 {
			return true
		}
	}
	return false
}

// pgpBody is a message's plaintext: at its end, it checks what go-crypto
// found and fails instead of returning io.EOF when the message does not
// hold.
type pgpBody struct {
	w   *walker
	md  *openpgp.MessageDetails
	eof bool // the end was reached and judged good
}

func (b *pgpBody) Read(p []byte) (int, error) {
	if b.eof {
		// go-crypto checks the end again on each read after it, and fails
		// the second time: it was checked once.
		return 0, io.EOF
	}
	n, err := b.md.UnverifiedBody.Read(p)
	if errors.Is(err, io.EOF) {
		if verr := b.w.keys.verdict(b.md); verr != nil {
			return n, &FileError{File: b.w.path, Err: verr}
		}
		b.eof = true
	}
	return n, err
}

// pgpFault turns a go-crypto error into a *FileError that says what went
// wrong in terms a user can act on.
func pgpFault(path string, err error) error {
	var (
		structural pgperrors.StructuralError
		sig        pgperrors.SignatureError
		session    pgperrors.DecryptWithSessionKeyError
		sessionPtr *pgperrors.DecryptWithSessionKeyError
	)
	var kind error
	switch {
	case errors.Is(err, pgperrors.ErrKeyIncorrect):
		kind = ErrPGPWrongKey
	case errors.As(err, &session), errors.As(err, &sessionPtr), errors.As(err, &sig),
		errors.Is(err, pgperrors.ErrMDCHashMismatch), errors.Is(err, pgperrors.ErrMDCMissing):
		kind = ErrPGPIntegrity
	case errors.As(err, &structural):
		kind = ErrPGPCorrupt
	default:
		kind = ErrPGPCorrupt
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
	}
	return &FileError{File: path, Err: fmt.Errorf("%w: %w", kind, err)}
}

// keyring holds the keys of one PGP setting, parsed and unlocked. It is
// safe for concurrent use: go-crypto reads the keys and never changes
// them, and mu serialises the session key decryption all the same.
type keyring struct {
	mu      sync.Mutex
	all     openpgp.EntityList // private keys, then signers
	trusted map[string]bool    // primary key fingerprints of the signers, hex
}

// read starts reading a message with the keys.
func (k *keyring) read(r io.Reader, maxBytes int64) (*openpgp.MessageDetails, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return openpgp.ReadMessage(r, k.all, nil, &packet.Config{MaxDecompressedMessageSize: &maxBytes})
}

// verdict judges a message whose plaintext has been read to its end.
func (k *keyring) verdict(md *openpgp.MessageDetails) error {
	if md.IsSigned && md.SignatureError != nil && (md.SignedBy != nil || len(k.trusted) > 0) {
		return fmt.Errorf("%w: %w", ErrPGPBadSignature, md.SignatureError)
	}
	if len(k.trusted) == 0 {
		return nil
	}
	switch {
	case !md.IsSigned:
		return ErrPGPUnsigned
	case md.SignedBy == nil:
		return fmt.Errorf("%w (key ID %016X, unknown)", ErrPGPUntrusted, md.SignedByKeyId)
	case !k.trusted[hex.EncodeToString(md.SignedBy.Entity.PrimaryKey.Fingerprint)]:
		return fmt.Errorf("%w (key %X)", ErrPGPUntrusted, md.SignedBy.Entity.PrimaryKey.Fingerprint)
	case md.Signature == nil:
		return fmt.Errorf("%w: no signature packet follows the data", ErrPGPBadSignature)
	}
	return nil
}

// keyCache keeps the keyrings of the PGP settings in use, so that a
// passphrase's key derivation (deliberately slow) runs once per setting,
// not once per file. It holds a few entries: a process has few settings.
var keyCache = struct {
	sync.Mutex
	m map[[32]byte]*keyring
}{m: map[[32]byte]*keyring{}}

const keyCacheMax = 16

// loadKeys parses and unlocks the keys of p, or returns them from the
// cache.
func loadKeys(p *PGP) (*keyring, error) {
	h := sha256.New()
	for _, s := range append([]string{p.PrivateKey, p.Passphrase}, p.TrustedSigners...) {
		fmt.Fprintf(h, "%d:%s", len(s), s)
	}
	var id [32]byte
	h.Sum(id[:0])
	keyCache.Lock()
	k, ok := keyCache.m[id]
	keyCache.Unlock()
	if ok {
		return k, nil
	}
	k, err := parseKeys(p)
	if err != nil {
		return nil, err
	}
	keyCache.Lock()
	if len(keyCache.m) >= keyCacheMax {
		clear(keyCache.m)
	}
	keyCache.m[id] = k
	keyCache.Unlock()
	return k, nil
}

func parseKeys(p *PGP) (*keyring, error) {
	k := &keyring{trusted: map[string]bool{}}
	if strings.TrimSpace(p.PrivateKey) != "" {
		priv, err := readArmoredKeys(p.PrivateKey)
		if err != nil {
			return nil, fmt.Errorf("%w: private_key is not an ASCII-armored OpenPGP key: %w", ErrPGPKey, err)
		}
		for _, e := range priv {
			if e.PrivateKey == nil {
				return nil, fmt.Errorf("%w: private_key holds a public key (%X), not a private one", ErrPGPKey, e.PrimaryKey.Fingerprint)
			}
			if !locked(e) {
				continue
			}
			if p.Passphrase == "" {
				return nil, fmt.Errorf("%w: the private key %X is protected by a passphrase and pgp passphrase is not set", ErrPGPPassphrase, e.PrimaryKey.Fingerprint)
			}
			if err := e.DecryptPrivateKeys([]byte(p.Passphrase)); err != nil {
				return nil, fmt.Errorf("%w (key %X)", ErrPGPPassphrase, e.PrimaryKey.Fingerprint)
			}
		}
		k.all = priv
	}
	for i, s := range p.TrustedSigners {
		signers, err := readArmoredKeys(s)
		if err != nil {
			return nil, fmt.Errorf("%w: trusted_signers[%d] is not an ASCII-armored OpenPGP key: %w", ErrPGPKey, i, err)
		}
		for _, e := range signers {
			k.trusted[hex.EncodeToString(e.PrimaryKey.Fingerprint)] = true
		}
		k.all = append(k.all, signers...)
	}
	if len(k.all) == 0 {
		return nil, fmt.Errorf("%w: pgp has neither a private_key nor trusted_signers", ErrPGPKey)
	}
	return k, nil
}

// readArmoredKeys reads every armored key block in s: a setting may hold
// several, one after the other.
func readArmoredKeys(s string) (openpgp.EntityList, error) {
	var all openpgp.EntityList
	for {
		start := strings.Index(s, string(armorStart))
		if start < 0 {
			break
		}
		s = s[start:]
		next := strings.Index(s[len(armorStart):], string(armorStart))
		block := s
		if next >= 0 {
			block, s = s[:len(armorStart)+next], s[len(armorStart)+next:]
		} else {
			s = ""
		}
		keys, err := openpgp.ReadArmoredKeyRing(strings.NewReader(block))
		if err != nil {
			return nil, err
		}
		all = append(all, keys...)
	}
	if len(all) == 0 {
		return nil, errors.New("no armored key block")
	}
	return all, nil
}

// locked reports whether any private key of e is protected by a
// passphrase.
func locked(e *openpgp.Entity) bool {
	if e.PrivateKey != nil && e.PrivateKey.Encrypted {
		return true
	}
	for _, s := range e.Subkeys {
		if s.PrivateKey != nil && s.PrivateKey.Encrypted {
			return true
		}
	}
	return false
}
