package config

import (
	"fmt"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/filedge/filedge/pkg/settings"
)

// compressions lists the values of compression.
var compressions = []string{"gzip", "bzip2", "zstd", "xz", "none"}

// compressionAliases are names users write for a codec of compressions.
var compressionAliases = map[string]string{"gz": "gzip", "bz2": "bzip2", "zst": "zstd", "zstandard": "zstd"}

// Armor headers of the PGP keys.
const (
	armorPrivate = "-----BEGIN PGP PRIVATE KEY BLOCK-----"
	armorPublic  = "-----BEGIN PGP PUBLIC KEY BLOCK-----"
)

// layers reads the top-level keys of the layers under the format.
func (p *parser) layers(m settings.Fields) Layers {
	var l Layers
	l.Compression, _ = p.compression(m.Val("compression"), "compression")
	if n := m.Val("archive_pattern"); settings.Present(n) {
		if v, ok := p.Str(n, "archive_pattern"); ok {
			l.ArchivePattern = p.compile(n, "archive_pattern", v, "member")
		}
	}
	l.PGP = p.pgp(m["pgp"])
	return l
}

// compression reads compression: one of compressions or an alias.
func (p *parser) compression(n *yaml.Node, key string) (string, bool) {
	v, ok := p.Str(n, key)
	if !ok {
		return "", false
	}
	lv := strings.TrimPrefix(strings.ToLower(strings.TrimSpace(v)), ".")
	if a, ok := compressionAliases[lv]; ok {
		lv = a
	}
	if slices.Contains(compressions, lv) {
		return lv, true
	}
	msg := fmt.Sprintf("%s is not one of %s (omit the key to infer it from the extension or the content)", settings.Quote(n, v), strings.Join(compressions, ", "))
	if s := settings.Suggest(lv, compressions); s != "" {
		msg += "; did you mean " + s + "?"
	}
	p.Add(n, key, nil, "%s", msg)
	return "", false
}

// pgp reads the pgp: block f; nil when it is absent.
func (p *parser) pgp(f settings.Field) *PGP {
	if !settings.Present(f.Val) {
		return nil
	}
	m, ok := p.Mapping(f.Val, "pgp", pgpKeys)
	if !ok {
		return nil
	}
	g := &PGP{}
	if n := m.Val("private_key"); settings.Present(n) {
		g.PrivateKey, _ = p.pgpKey(n, "pgp.private_key", true)
	} else {
		p.Add(f.Key, "pgp.private_key", nil, "required: the ASCII-armored private key that decrypts the files, from the environment: private_key: %s", "${PGP_PRIVATE_KEY}")
	}
	if n := m.Val("passphrase"); settings.Present(n) {
		g.Passphrase, _ = p.secretRef(n, "pgp.passphrase", "a passphrase", "passphrase: ${PGP_PASSPHRASE}")
	}
	if n := settings.Resolve(m.Val("trusted_signers")); settings.Present(n) {
		items, keys := listItems(n, "pgp.trusted_signers")
		if len(items) == 0 {
			p.Add(n, "pgp.trusted_signers", nil, "the list is empty: give the signers' public keys, or omit the key to accept unsigned files")
		}
		for i, item := range items {
			if s, ok := p.pgpKey(item, keys[i], false); ok {
				g.TrustedSigners = append(g.TrustedSigners, s)
			}
		}
	}
	return g
}

// pgpKey reads an ASCII-armored private key (private) or public key from a
// ${VAR} reference. Its messages name the variable, never the value.
func (p *parser) pgpKey(n *yaml.Node, key string, private bool) (settings.Secret, bool) {
	what, example := "a public key", "- ${PGP_SIGNER}"
	if private {
		what, example = "a private key", "private_key: ${PGP_PRIVATE_KEY}"
	}
	s, ok := p.secretRef(n, key, what, example)
	if !ok {
		return "", false
	}
	ref := settings.Resolve(n).Value
	v := s.Reveal()
	// An armored key holds no backslash: \n in one is an escaped line
	// break, as environment files that cannot hold line breaks write it.
	if !strings.Contains(v, "\n") && strings.Contains(v, `\n`) {
		v = strings.ReplaceAll(v, `\n`, "\n")
	}
	switch {
	case strings.TrimSpace(v) == "":
		p.Add(n, key, nil, "%s is empty: it must hold %s, ASCII-armored", ref, what)
		return "", false
	case private && !strings.Contains(v, armorPrivate):
		p.Add(n, key, nil, "%s does not hold an ASCII-armored private key (%s)", ref, armorPrivate)
		return "", false
	case !private && strings.Contains(v, armorPrivate):
		p.Add(n, key, settings.ErrCredentialInFile, "%s holds a private key: give the signer's public key (%s), never its private key", ref, armorPublic)
		return "", false
	case !private && !strings.Contains(v, armorPublic):
		p.Add(n, key, nil, "%s does not hold an ASCII-armored public key (%s)", ref, armorPublic)
		return "", false
	}
	return settings.Secret(v), true
}

// secretRef reads a value that must come from the environment: its text as
// written must be exactly one ${VAR} reference, which is then expanded.
// what names the value in messages ("a passphrase") and example shows the
// key as it should be written. No message quotes the value.
func (p *parser) secretRef(n *yaml.Node, key, what, example string) (settings.Secret, bool) {
	n = settings.Resolve(n)
	if n.Kind != yaml.ScalarNode {
		p.Add(n, key, nil, "want a single ${VAR} reference, not %s", settings.KindName(n))
		return "", false
	}
	if !settings.IsRef(n.Value) {
		p.Add(n, key, settings.ErrCredentialInFile, "%s is written in the file; put it in the environment and write %s", what, example)
		return "", false
	}
	v, err := settings.Expand(n.Value, p.Lookup)
	if err != nil {
		p.Add(n, key, err, "%s", err.Error())
		return "", false
	}
	return settings.Secret(v), true
}
