package config_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/filedge/filedge/pkg/config"
	"github.com/filedge/filedge/pkg/decode"
	"github.com/filedge/filedge/pkg/settings"
)

// Armored keys for tests: config checks their armor header only.
const (
	testPrivateKey = "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nxcLYBGVprivateSECRETbody0000\n=abcd\n-----END PGP PRIVATE KEY BLOCK-----\n"
	testPublicKey  = "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nxsBNBGVpublicbody1111\n=efgh\n-----END PGP PUBLIC KEY BLOCK-----\n"
	testPublicKey2 = "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nxsBNBGVpublicbody2222\n=ijkl\n-----END PGP PUBLIC KEY BLOCK-----\n"
	testPassphrase = "correct-horse-Passphrase-42"
)

// pgpVars is an environment with PGP keys.
var pgpVars = map[string]string{
	"PGP_KEY":     testPrivateKey,
	"PGP_PASS":    testPassphrase,
	"PGP_SIGNER":  testPublicKey,
	"PGP_SIGNER2": testPublicKey2,
	"EMPTY":       "",
	"JUNK":        "not-a-key-SECRETjunk",
}

func TestFormatKeysAreRead(t *testing.T) {
	tests := []struct {
		name, yaml string
		got        func(config.Format) any
		want       any
	}{
		{"quote_char", `quote_char: "'"`, func(f config.Format) any { return f.QuoteChar }, "'"},
		{"quote_char double quote", `quote_char: '"'`, func(f config.Format) any { return f.QuoteChar }, `"`},
		{"quote_char non-ASCII", `quote_char: «`, func(f config.Format) any { return f.QuoteChar }, "«"},
		{"quote_char none", `quote_char: none`, func(f config.Format) any { return f.QuoteChar }, config.NoQuote},
		{"quote_char None", `quote_char: None`, func(f config.Format) any { return f.QuoteChar }, config.NoQuote},
		{"quote_char empty", `quote_char: ''`, func(f config.Format) any { return f.QuoteChar }, config.NoQuote},
		{"quote_char none with a quote as delimiter", "delimiter: '\"'\nquote_char: none", func(f config.Format) any { return f.QuoteChar + f.Delimiter }, config.NoQuote + `"`},
		{"escape_char plain backslash", `escape_char: \`, func(f config.Format) any { return f.EscapeChar }, `\`},
		{"escape_char escaped backslash", `escape_char: '\\'`, func(f config.Format) any { return f.EscapeChar }, `\`},
		{"escape_char YAML-escaped backslash", `escape_char: "\\"`, func(f config.Format) any { return f.EscapeChar }, `\`},
		{"null_sequence keeps backslashes", `null_sequence: \N`, func(f config.Format) any { return f.NullSequence }, `\N`},
		{"null_sequence NULL is text, not YAML null", `null_sequence: NULL`, func(f config.Format) any { return f.NullSequence }, "NULL"},
		{"null_sequence ~ is text", `null_sequence: ~`, func(f config.Format) any { return f.NullSequence }, "~"},
		{"null_sequence quoted", `null_sequence: 'n/a'`, func(f config.Format) any { return f.NullSequence }, "n/a"},
		{"skip_header_lines", `skip_header_lines: 2`, func(f config.Format) any { return f.SkipHeaderLines }, 2},
		{"skip_header_lines zero", `skip_header_lines: 0`, func(f config.Format) any { return f.SkipHeaderLines }, 0},
		{"skip_footer_lines", `skip_footer_lines: 1_000`, func(f config.Format) any { return f.SkipFooterLines }, 1000},
		{"headerless", `headerless: true`, func(f config.Format) any { return f.Headerless }, true},
		{"headerless yes", `headerless: yes`, func(f config.Format) any { return f.Headerless }, true},
		{"line_separator escaped", `line_separator: '\r\n'`, func(f config.Format) any { return f.LineSeparator }, "\r\n"},
		{"line_separator YAML-escaped", `line_separator: "\r"`, func(f config.Format) any { return f.LineSeparator }, "\r"},
		{"line_separator text", `line_separator: '~~'`, func(f config.Format) any { return f.LineSeparator }, "~~"},
		{"line_separator tab", `line_separator: '\t'`, func(f config.Format) any { return f.LineSeparator }, "\t"},
		{"xml_record_path", `xml_record_path: catalog/book`, func(f config.Format) any { return f.XMLRecordPath }, "catalog/book"},
		{"xml_record_path leading slash dropped", `xml_record_path: /catalog/book`, func(f config.Format) any { return f.XMLRecordPath }, "catalog/book"},
		{"xml_record_path one element", `xml_record_path: item`, func(f config.Format) any { return f.XMLRecordPath }, "item"},
		{"xml_record_path namespaced", `xml_record_path: feed/atom:entry`, func(f config.Format) any { return f.XMLRecordPath }, "feed/atom:entry"},
		{"delimiter two characters", `delimiter: '||'`, func(f config.Format) any { return f.Delimiter }, "||"},
		{"delimiter \\s", `delimiter: '\s'`, func(f config.Format) any { return f.Delimiter }, " "},
		{"delimiter \\t", `delimiter: '\t'`, func(f config.Format) any { return f.Delimiter }, "\t"},
		{"delimiter unit separator", "delimiter: \"\\x1F\"", func(f config.Format) any { return f.Delimiter }, "\x1f"},
		{"json_delivery packed", `json_delivery: packed`, func(f config.Format) any { return f.JSONDelivery }, "packed"},
		{"encoding latin-1", `encoding: latin-1`, func(f config.Format) any { return f.Encoding }, "latin-1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, _ := mustParse(t, base+tt.yaml+"\n", nil)
			if got := tt.got(p.Format); got != tt.want {
				t.Errorf("%s read as %#v, want %#v", tt.yaml, got, tt.want)
			}
		})
	}
}

func TestFormatKeysDefaultToTheReadersChoice(t *testing.T) {
	p, _ := mustParse(t, base, nil)
	want := config.Format{JSONDelivery: "unpacked"}
	if p.Format != want {
		t.Errorf("format = %+v, want %+v", p.Format, want)
	}
}

func TestFileTypes(t *testing.T) {
	tests := []struct{ yaml, code, delimiter string }{
		{"file_type: csv", "csv", ""},
		{"file_type: json", "json", ""},
		{"file_type: avro", "avro", ""},
		{"file_type: parquet", "parquet", ""},
		{"file_type: excel", "excel", ""},
		{"file_type: xml", "xml", ""},
		{"file_type: log", "log", ""},
		{"file_type: .CSV", "csv", ""},
		{"format: parquet", "parquet", ""},
		{"format: csv\nfile_type: csv", "csv", ""},
		{"file_type: tsv", "csv", "\t"},
		{"file_type: psv", "csv", "|"},
		{"file_type: tsv\ndelimiter: ';'", "csv", ";"},
		{"file_type: txt", "csv", ""},
		{"file_type: jsonl", "json", ""},
		{"format: ndjson", "json", ""},
		{"file_type: xlsx", "excel", ""},
		{"file_type: xls", "excel", ""},
	}
	for _, tt := range tests {
		t.Run(tt.yaml, func(t *testing.T) {
			p, _ := mustParse(t, base+tt.yaml+"\n", nil)
			if p.Format.FileType != tt.code || p.Format.Delimiter != tt.delimiter {
				t.Errorf("file_type %q delimiter %q, want %q %q", p.Format.FileType, p.Format.Delimiter, tt.code, tt.delimiter)
			}
		})
	}
	t.Run("a format only these tests register", func(t *testing.T) {
		p, _ := mustParse(t, base+"file_type: ORC\n", nil)
		if p.Format.FileType != "orc" {
			t.Errorf("file_type = %q", p.Format.FileType)
		}
	})
	t.Run("an extension of a registered format", func(t *testing.T) {
		p, _ := mustParse(t, base+"file_type: parq\n", nil)
		if p.Format.FileType != "parquet" {
			t.Errorf("file_type = %q", p.Format.FileType)
		}
	})
	t.Run("an unknown type lists the registered formats", func(t *testing.T) {
		_, _, err := parse(t, base+"file_type: orcc\n", nil)
		wantErrs(t, err, `pipeline.yaml:4: file_type: "orcc" is not a known file type (known: avro, csv, excel, json, log, orc, parquet, xml); did you mean orc?`)
	})
}

func TestInvalidFormatKeysAreReportedWithTheirLine(t *testing.T) {
	tests := []struct {
		name, yaml string
		want       []string
	}{
		{"file_type unknown", "file_type: yaml", []string{`pipeline.yaml:4: file_type: "yaml" is not a known file type (known: avro, csv, excel, json, log, orc, parquet, xml)`}},
		{"file_type misspelt", "file_type: parquett", []string{`pipeline.yaml:4: file_type: "parquett" is not a known file type`, "did you mean parquet?"}},
		{"format unknown", "\nformat: docx", []string{`pipeline.yaml:5: format: "docx" is not a known file type`}},
		{"file_type and format differ after aliasing", "file_type: tsv\nformat: json", []string{"pipeline.yaml:5: format: file_type and format differ"}},
		{"quote_char two characters", `quote_char: "''"`, []string{`pipeline.yaml:4: quote_char: "''": not one character`}},
		{"quote_char line break", `quote_char: '\n'`, []string{`pipeline.yaml:4: quote_char: "\\n": a line break cannot quote or escape`}},
		{"escape_char unknown escape", `escape_char: '\q'`, []string{`pipeline.yaml:4: escape_char: "\\q": unknown escape \q`}},
		{"escape_char a list", `escape_char: ['\']`, []string{"pipeline.yaml:4: escape_char: want a single value, not a list"}},
		{"null_sequence empty", `null_sequence: ''`, []string{"pipeline.yaml:4: null_sequence: must not be empty"}},
		{"skip_header_lines negative", "skip_header_lines: -1", []string{"pipeline.yaml:4: skip_header_lines: must be 0 or more, not -1"}},
		{"skip_header_lines not a number", "skip_header_lines: two", []string{`pipeline.yaml:4: skip_header_lines: "two" is not a whole number`}},
		{"skip_footer_lines fraction", "skip_footer_lines: 1.5", []string{`pipeline.yaml:4: skip_footer_lines: "1.5" is not a whole number`}},
		{"headerless not a bool", "headerless: sometimes", []string{`pipeline.yaml:4: headerless: "sometimes" is not true or false`}},
		{"line_separator empty", "line_separator: ''", []string{"pipeline.yaml:4: line_separator: empty line separator"}},
		{"line_separator unknown escape", `line_separator: '\x'`, []string{`pipeline.yaml:4: line_separator: unknown escape \x`}},
		{"xml_record_path empty segment", "xml_record_path: catalog//book", []string{`pipeline.yaml:4: xml_record_path: "catalog//book": empty segment`}},
		{"xml_record_path trailing slash", "xml_record_path: catalog/", []string{`pipeline.yaml:4: xml_record_path: "catalog/": empty segment`}},
		{"xml_record_path only a slash", "xml_record_path: /", []string{`pipeline.yaml:4: xml_record_path: "/": empty path`}},
		{"xml_record_path wildcard", "xml_record_path: 'catalog/*'", []string{`pipeline.yaml:4: xml_record_path: "catalog/*": "*" is not an element name`}},
		{"xml_record_path attribute", "xml_record_path: 'book/@id'", []string{`"@id" is not an element name`}},
		{"xml_record_path parent", "xml_record_path: 'a/../b'", []string{`pipeline.yaml:4: xml_record_path: "a/../b": ".." is not an element name`}},
		{"encoding unknown", "encoding: klingon", []string{`pipeline.yaml:4: encoding: unknown text encoding "klingon" (known: auto, utf-8, ascii, us-ascii, utf8, utf-16, utf-16le`}},
		{"encoding misspelt", "\nencoding: windows-1525", []string{`pipeline.yaml:5: encoding: unknown text encoding "windows-1525"`, "did you mean windows-1252?"}},
		{"encoding misspelt in case", "encoding: Shift-JlS", []string{`pipeline.yaml:4: encoding: unknown text encoding "Shift-JlS"`, "did you mean shift_jis?"}},
		{"delimiter with an unknown escape", `delimiter: '|\q'`, []string{`pipeline.yaml:4: delimiter: unknown escape \q`}},
		{"quote_char inside the delimiter", "delimiter: '\"|'\nquote_char: '\"'", []string{`pipeline.yaml:5: quote_char: "\"" is part of the delimiter "\"|"`}},
		{"escape_char is the delimiter", "escape_char: '|'\ndelimiter: '|'", []string{`pipeline.yaml:4: escape_char: "|" is part of the delimiter "|"`}},
		{"line_separator is the delimiter", "delimiter: ';'\nline_separator: ';'", []string{`pipeline.yaml:5: line_separator: ";" is part of the delimiter ";"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, _, err := parse(t, base+tt.yaml+"\n", nil)
			wantErrs(t, err, tt.want...)
			if p != nil {
				t.Error("got a pipeline with errors")
			}
		})
	}
}

// TestEncodingNamesAndAliasesAreAccepted loads every spelling of an
// encoding that decode.Text reads, and keeps it as written in lower case.
func TestEncodingNamesAndAliasesAreAccepted(t *testing.T) {
	for _, name := range []string{"latin1", "Latin-1", "ISO_8859_1", "l1", "utf-16le", "UTF-16LE", "UTF8", "utf-8", "us-ascii", "cp1252", "Windows-1252", "utf_32be", " utf-16 "} {
		t.Run(name, func(t *testing.T) {
			p, _ := mustParse(t, base+"encoding: '"+name+"'\n", nil)
			if want := strings.ToLower(strings.TrimSpace(name)); p.Format.Encoding != want {
				t.Errorf("encoding = %q, want %q", p.Format.Encoding, want)
			}
			if _, err := decode.Text(strings.NewReader("x"), p.Format.Encoding); err != nil {
				t.Errorf("the loaded encoding does not read: %v", err)
			}
		})
	}
	t.Run("every name decode knows", func(t *testing.T) {
		for _, name := range decode.EncodingNames() {
			mustParse(t, base+"encoding: '"+name+"'\n", nil)
		}
	})
}

func TestLayerKeys(t *testing.T) {
	for _, tt := range []struct{ yaml, want string }{
		{"compression: gzip", "gzip"},
		{"compression: GZ", "gzip"},
		{"compression: bzip2", "bzip2"},
		{"compression: .bz2", "bzip2"},
		{"compression: zstd", "zstd"},
		{"compression: zst", "zstd"},
		{"compression: xz", "xz"},
		{"compression: none", "none"},
		{"compression:", ""},
	} {
		t.Run(tt.yaml, func(t *testing.T) {
			p, _ := mustParse(t, base+tt.yaml+"\n", nil)
			if p.Layers.Compression != tt.want {
				t.Errorf("compression = %q, want %q", p.Layers.Compression, tt.want)
			}
		})
	}
	t.Run("archive_pattern matches member paths", func(t *testing.T) {
		p, _ := mustParse(t, base+`archive_pattern: '(?i)^reports/.*\.json$'`+"\n", nil)
		for member, want := range map[string]bool{"reports/a.json": true, "reports/2024/B.JSON": true, "a.json": false, "reports/a.csv": false} {
			if got := p.Layers.ArchivePattern.MatchString(member); got != want {
				t.Errorf("archive_pattern matches %q = %v, want %v", member, got, want)
			}
		}
	})
	for _, tt := range []struct{ name, yaml, want string }{
		{"compression unknown", "compression: lz4", `pipeline.yaml:4: compression: "lz4" is not one of gzip, bzip2, zstd, xz, none`},
		{"compression misspelt", "compression: gzp", "did you mean gzip?"},
		{"compression empty", "compression: ''", `pipeline.yaml:4: compression: "" is not one of`},
		{"archive_pattern invalid", "\narchive_pattern: '(['", "pipeline.yaml:5: archive_pattern: invalid regular expression"},
		{"archive_pattern empty", "archive_pattern: ''", "pipeline.yaml:4: archive_pattern: empty pattern: omit the key to take every member"},
		{"archive_pattern in source", "name: p\nsource: {path: ./in, archive_pattern: x}\nconnector: {type: sqlite, url: x.db}\n", "pipeline.yaml:2: source.archive_pattern: unknown key; archive_pattern is a top-level key"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			doc := base + tt.yaml + "\n"
			if strings.HasPrefix(tt.yaml, "name:") {
				doc = tt.yaml
			}
			_, _, err := parse(t, doc, nil)
			wantErrs(t, err, tt.want)
		})
	}
}

func TestPGPKeysComeFromTheEnvironment(t *testing.T) {
	tests := []struct {
		name, yaml string
		vars       map[string]string
		want       config.PGP
	}{
		{"private key only", "pgp:\n  private_key: ${PGP_KEY}", pgpVars,
			config.PGP{PrivateKey: settings.Secret(testPrivateKey)}},
		{"quoted reference in a flow mapping", "pgp: {private_key: '${PGP_KEY}', passphrase: \"${PGP_PASS}\"}", pgpVars,
			config.PGP{PrivateKey: settings.Secret(testPrivateKey), Passphrase: testPassphrase}},
		{"every key", "pgp:\n  private_key: ${PGP_KEY}\n  passphrase: ${PGP_PASS}\n  trusted_signers:\n    - ${PGP_SIGNER}\n    - ${PGP_SIGNER2}", pgpVars,
			config.PGP{PrivateKey: settings.Secret(testPrivateKey), Passphrase: testPassphrase, TrustedSigners: []settings.Secret{testPublicKey, testPublicKey2}}},
		{"one signer as a single value", "pgp:\n  private_key: ${PGP_KEY}\n  trusted_signers: ${PGP_SIGNER}", pgpVars,
			config.PGP{PrivateKey: settings.Secret(testPrivateKey), TrustedSigners: []settings.Secret{testPublicKey}}},
		{"empty passphrase is no passphrase", "pgp:\n  private_key: ${PGP_KEY}\n  passphrase: ${EMPTY}", pgpVars,
			config.PGP{PrivateKey: settings.Secret(testPrivateKey)}},
		{"escaped line breaks of an env file", "pgp:\n  private_key: ${ONE_LINE}", map[string]string{"ONE_LINE": strings.ReplaceAll(testPrivateKey, "\n", `\n`)},
			config.PGP{PrivateKey: settings.Secret(testPrivateKey)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, _ := mustParse(t, base+tt.yaml+"\n", tt.vars)
			g := p.Layers.PGP
			if g == nil {
				t.Fatal("no PGP settings")
			}
			if g.PrivateKey.Reveal() != tt.want.PrivateKey.Reveal() || g.Passphrase.Reveal() != tt.want.Passphrase.Reveal() || !slices.Equal(g.TrustedSigners, tt.want.TrustedSigners) {
				t.Errorf("pgp = {%q %q %q}, want {%q %q %q}", g.PrivateKey.Reveal(), g.Passphrase.Reveal(), g.TrustedSigners, tt.want.PrivateKey.Reveal(), tt.want.Passphrase.Reveal(), tt.want.TrustedSigners)
			}
		})
	}
}

// TestPGPKeyWrittenInTheFileIsRefused proves that a PGP key or passphrase
// is accepted only as exactly one ${VAR} reference, and that the refusal
// never quotes what is written.
func TestPGPKeyWrittenInTheFileIsRefused(t *testing.T) {
	armored := "    -----BEGIN PGP PRIVATE KEY BLOCK-----\n\n    xcLYBGVwrittenINtheFILE9999\n    -----END PGP PRIVATE KEY BLOCK-----\n"
	tests := []struct {
		name, yaml, want string
		secret           string
	}{
		{"armored private key as a block scalar", "pgp:\n  private_key: |\n" + armored, "pipeline.yaml:5: pgp.private_key: a private key is written in the file; put it in the environment and write private_key: ${PGP_PRIVATE_KEY}", "xcLYBGVwrittenINtheFILE9999"},
		{"literal passphrase", "pgp:\n  private_key: ${PGP_KEY}\n  passphrase: hunter2-Passphrase", "pipeline.yaml:6: pgp.passphrase: a passphrase is written in the file; put it in the environment", "hunter2-Passphrase"},
		{"passphrase with a default", "pgp:\n  private_key: ${PGP_KEY}\n  passphrase: ${PGP_PASS:-fallback-Secret-pw}", "pipeline.yaml:6: pgp.passphrase: a passphrase is written in the file", "fallback-Secret-pw"},
		{"private key with a default", "pgp:\n  private_key: ${PGP_KEY:-inline-SECRET-key}", "pipeline.yaml:5: pgp.private_key: a private key is written in the file", "inline-SECRET-key"},
		{"half a reference", "pgp:\n  private_key: x-SECRET${PGP_KEY}", "pipeline.yaml:5: pgp.private_key: a private key is written in the file", "x-SECRET"},
		{"literal signer key", "pgp:\n  private_key: ${PGP_KEY}\n  trusted_signers:\n    - ${PGP_SIGNER}\n    - xsBNBGVinline-SIGNER-key", "pipeline.yaml:8: pgp.trusted_signers[1]: a public key is written in the file; put it in the environment and write - ${PGP_SIGNER}", "xsBNBGVinline-SIGNER-key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := parse(t, base+tt.yaml+"\n", pgpVars)
			wantErrs(t, err, tt.want)
			if !errors.Is(err, settings.ErrCredentialInFile) {
				t.Errorf("errors.Is(ErrCredentialInFile) false for %v", err)
			}
			for _, s := range []string{tt.secret, testPrivateKey[40:60], testPassphrase} {
				if strings.Contains(err.Error(), s) {
					t.Errorf("error shows %q:\n%v", s, err)
				}
			}
		})
	}
}

func TestPGPProblemsNameTheVariableNotTheValue(t *testing.T) {
	tests := []struct{ name, yaml, want string }{
		{"private_key missing", "pgp:\n  passphrase: ${PGP_PASS}", "pipeline.yaml:4: pgp.private_key: required"},
		{"pgp empty", "pgp: {}", "pipeline.yaml:4: pgp.private_key: required"},
		{"pgp not a mapping", "pgp: '${PGP_KEY}'", "pipeline.yaml:4: pgp: want a mapping"},
		{"variable unset", "pgp:\n  private_key: ${NO_SUCH_KEY}", "pipeline.yaml:5: pgp.private_key: environment variable not set: NO_SUCH_KEY"},
		{"variable empty", "pgp:\n  private_key: ${EMPTY}", "pipeline.yaml:5: pgp.private_key: ${EMPTY} is empty: it must hold a private key, ASCII-armored"},
		{"not armored", "pgp:\n  private_key: ${JUNK}", "pipeline.yaml:5: pgp.private_key: ${JUNK} does not hold an ASCII-armored private key (-----BEGIN PGP PRIVATE KEY BLOCK-----)"},
		{"a public key as the private key", "pgp:\n  private_key: ${PGP_SIGNER}", "pipeline.yaml:5: pgp.private_key: ${PGP_SIGNER} does not hold an ASCII-armored private key"},
		{"signer not armored", "pgp:\n  private_key: ${PGP_KEY}\n  trusted_signers: [${JUNK}]", "pipeline.yaml:6: invalid YAML: did not find expected ',' or ']' (inside [ ] put a value that holds ${VAR} in quotes"},
		{"signer not armored, quoted", "pgp:\n  private_key: ${PGP_KEY}\n  trusted_signers: ['${JUNK}']", "pipeline.yaml:6: pgp.trusted_signers[0]: ${JUNK} does not hold an ASCII-armored public key"},
		{"private key as a signer", "pgp:\n  private_key: ${PGP_KEY}\n  trusted_signers:\n    - ${PGP_KEY}", "pipeline.yaml:7: pgp.trusted_signers[0]: ${PGP_KEY} holds a private key: give the signer's public key"},
		{"signers empty", "pgp:\n  private_key: ${PGP_KEY}\n  trusted_signers: []", "pipeline.yaml:6: pgp.trusted_signers: the list is empty"},
		{"signer a mapping", "pgp:\n  private_key: ${PGP_KEY}\n  trusted_signers:\n    - {key: x}", "pipeline.yaml:7: pgp.trusted_signers[0]: want a single ${VAR} reference, not a mapping"},
		{"unknown key in pgp", "pgp:\n  private_key: ${PGP_KEY}\n  password: ${PGP_PASS}", "pipeline.yaml:6: pgp.password: unknown key; the pgp: block has private_key, passphrase, trusted_signers"},
		{"misspelt key in pgp", "pgp:\n  private_key: ${PGP_KEY}\n  passphrse: ${PGP_PASS}", "pipeline.yaml:6: pgp.passphrse: unknown key; did you mean passphrase?"},
		{"pgp key at the top level", "passphrase: ${PGP_PASS}", "pipeline.yaml:4: passphrase: unknown key; it belongs in the pgp: block"},
		{"the issue's flow spelling", "pgp: {private_key: ${PGP_KEY}, passphrase: ${PGP_PASS}}", "pipeline.yaml:4: invalid YAML: did not find expected ',' or '}' (inside { } put a value that holds ${VAR} in quotes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := parse(t, base+tt.yaml+"\n", pgpVars)
			wantErrs(t, err, tt.want)
			for _, s := range []string{"SECRETjunk", "privateSECRETbody", "publicbody", testPassphrase} {
				if strings.Contains(err.Error(), s) {
					t.Errorf("error shows %q:\n%v", s, err)
				}
			}
		})
	}
}

func TestPGPSecretsNeverPrint(t *testing.T) {
	doc := base + "pgp:\n  private_key: ${PGP_KEY}\n  passphrase: ${PGP_PASS}\n  trusted_signers: ['${PGP_SIGNER}']\n"
	p, _ := mustParse(t, doc, pgpVars)
	js, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var text, jsonLog bytes.Buffer
	slog.New(slog.NewTextHandler(&text, nil)).Info("loaded", "pipeline", p, "layers", p.Layers, "pgp", p.Layers.PGP, "value", *p.Layers.PGP)
	slog.New(slog.NewJSONHandler(&jsonLog, nil)).Info("loaded", "pipeline", p, "layers", p.Layers, "pgp", p.Layers.PGP)
	outputs := map[string]string{
		"%v":        fmt.Sprintf("%v", *p),
		"%+v pgp":   fmt.Sprintf("%+v", *p.Layers.PGP),
		"%#v pgp":   fmt.Sprintf("%#v", *p.Layers.PGP),
		"%s pgp":    fmt.Sprintf("%s", *p.Layers.PGP),
		"json":      string(js),
		"slog text": text.String(),
		"slog json": jsonLog.String(),
	}
	for name, out := range outputs {
		t.Run(name, func(t *testing.T) {
			for _, s := range []string{"privateSECRETbody", "publicbody", testPassphrase, "BEGIN PGP"} {
				if strings.Contains(out, s) {
					t.Errorf("output holds %q:\n%s", s, out)
				}
			}
		})
	}
	if !strings.Contains(string(js), `"pgp":{"private_key":"REDACTED","passphrase":"REDACTED","trusted_signers":["REDACTED"]}`) {
		t.Errorf("pgp in JSON is not redacted key by key: %s", js)
	}
}

func TestLimits(t *testing.T) {
	tests := []struct {
		name, yaml string
		want       config.Limits
		parser     int
	}{
		{"defaults", "", config.DefaultLimits(), 16 << 20},
		{"human sizes", "limits:\n  max_decompressed_bytes: 64GiB\n  max_spool_bytes: 512MiB\n  max_field_bytes: 100MB\n  max_line_bytes: 1.5MiB",
			config.Limits{MaxDecompressedBytes: 64 << 30, MaxRatio: 1000, MaxMembers: 100000, MaxLineBytes: 1572864, MaxFieldBytes: 100_000_000, MaxSpoolBytes: 512 << 20}, 1572864},
		{"plain numbers", "limits: {max_ratio: 20, max_members: 1_000, max_decompressed_bytes: 1048576}",
			config.Limits{MaxDecompressedBytes: 1 << 20, MaxRatio: 20, MaxMembers: 1000, MaxLineBytes: 16 << 20, MaxFieldBytes: 16 << 20, MaxSpoolBytes: 512 << 20}, 16 << 20},
		{"parser.max_line_bytes sets both", "parser: {max_line_bytes: 1KiB}",
			limitsWith(func(l *config.Limits) { l.MaxLineBytes = 1024 }), 1024},
		{"limits.max_line_bytes sets both", "limits: {max_line_bytes: 2048}",
			limitsWith(func(l *config.Limits) { l.MaxLineBytes = 2048 }), 2048},
		{"both equal", "parser: {max_line_bytes: 4KiB}\nlimits: {max_line_bytes: 4096}",
			limitsWith(func(l *config.Limits) { l.MaxLineBytes = 4096 }), 4096},
		{"sizes from the environment", "limits: {max_spool_bytes: '${SPOOL:-1GiB}'}",
			limitsWith(func(l *config.Limits) { l.MaxSpoolBytes = 1 << 30 }), 16 << 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, _ := mustParse(t, base+tt.yaml+"\n", nil)
			if p.Limits != tt.want || p.Parser.MaxLineBytes != tt.parser {
				t.Errorf("limits = %+v parser.max_line_bytes %d\nwant     %+v %d", p.Limits, p.Parser.MaxLineBytes, tt.want, tt.parser)
			}
		})
	}
}

// limitsWith returns the default limits changed by f.
func limitsWith(f func(*config.Limits)) config.Limits {
	l := config.DefaultLimits()
	f(&l)
	return l
}

func TestInvalidLimitsAreReportedWithTheirLine(t *testing.T) {
	tests := []struct{ name, yaml, want string }{
		{"limits not a mapping", "limits: 1GiB", "pipeline.yaml:4: limits: want a mapping"},
		{"unknown key", "limits:\n  max_bytes: 1GiB", "pipeline.yaml:5: limits.max_bytes: unknown key"},
		{"misspelt key", "limits:\n  max_raito: 10", "pipeline.yaml:5: limits.max_raito: unknown key; did you mean max_ratio?"},
		{"limit at the top level", "max_ratio: 10", "pipeline.yaml:4: max_ratio: unknown key; it belongs in the limits: block"},
		{"max_line_bytes at the top level", "max_line_bytes: 10", "pipeline.yaml:4: max_line_bytes: unknown key; it belongs in one of the parser:, limits: blocks"},
		{"size zero", "limits:\n  max_decompressed_bytes: 0", "pipeline.yaml:5: limits.max_decompressed_bytes: must be at least 1 byte, not 0"},
		{"size negative", "limits:\n  max_spool_bytes: -1MiB", `pipeline.yaml:5: limits.max_spool_bytes: "-1MiB": not a size`},
		{"ambiguous unit", "limits:\n  max_field_bytes: 16M", `pipeline.yaml:5: limits.max_field_bytes: "16M": M is ambiguous: write MB (powers of 1000) or MiB (powers of 1024)`},
		{"unknown unit", "limits:\n  max_field_bytes: 16 MiBs", `pipeline.yaml:5: limits.max_field_bytes: "16 MiBs": unknown unit "MiBs"`},
		{"not whole bytes", "limits:\n  max_field_bytes: 0.5B", `pipeline.yaml:5: limits.max_field_bytes: "0.5B": not a whole number of bytes`},
		{"too large", "limits:\n  max_decompressed_bytes: 9000PiB", `pipeline.yaml:5: limits.max_decompressed_bytes: "9000PiB": too large`},
		{"ratio zero", "limits:\n  max_ratio: 0", "pipeline.yaml:5: limits.max_ratio: must be at least 1, not 0"},
		{"ratio with a unit", "limits:\n  max_ratio: 10x", `pipeline.yaml:5: limits.max_ratio: "10x" is not a whole number`},
		{"members negative", "limits:\n  max_members: -3", "pipeline.yaml:5: limits.max_members: must be at least 1, not -3"},
		{"synonyms differ, limits later", "parser:\n  max_line_bytes: 1MiB\nlimits:\n  max_line_bytes: 2MiB",
			"pipeline.yaml:7: limits.max_line_bytes: parser.max_line_bytes (line 5) and limits.max_line_bytes differ: they are the same setting; give one"},
		{"synonyms differ, parser later", "limits:\n  max_line_bytes: 2MiB\nparser:\n  max_line_bytes: 1MiB",
			"pipeline.yaml:7: parser.max_line_bytes: limits.max_line_bytes (line 5) and parser.max_line_bytes differ"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, _, err := parse(t, base+tt.yaml+"\n", nil)
			wantErrs(t, err, tt.want)
			if p != nil {
				t.Error("got a pipeline with errors")
			}
		})
	}
	t.Run("an invalid synonym is one problem, not two", func(t *testing.T) {
		_, _, err := parse(t, base+"parser: {max_line_bytes: lots}\nlimits: {max_line_bytes: 2MiB}\n", nil)
		var errs *settings.Errors
		if !errors.As(err, &errs) || len(*errs) != 1 {
			t.Fatalf("want exactly one problem, got %v", err)
		}
	})
}

func TestSetAppliesAFlagLikeAKeyOfTheFile(t *testing.T) {
	for k, v := range pgpVars {
		t.Setenv(k, v)
	}
	tests := []struct {
		key, value string
		got        func(*config.Pipeline) any
		want       any
	}{
		{"file_type", "Parquet", func(p *config.Pipeline) any { return p.Format.FileType }, "parquet"},
		{"format", "tsv", func(p *config.Pipeline) any { return p.Format.FileType + " " + p.Format.Delimiter }, "csv \t"},
		{"delimiter", `||`, func(p *config.Pipeline) any { return p.Format.Delimiter }, "||"},
		{"delimiter", `\t`, func(p *config.Pipeline) any { return p.Format.Delimiter }, "\t"},
		{"encoding", "Latin-1", func(p *config.Pipeline) any { return p.Format.Encoding }, "latin-1"},
		{"json_delivery", "packed", func(p *config.Pipeline) any { return p.Format.JSONDelivery }, "packed"},
		{"on_error", "skip", func(p *config.Pipeline) any { return p.OnError }, config.Skip},
		{"quote_char", "'", func(p *config.Pipeline) any { return p.Format.QuoteChar }, "'"},
		{"quote_char", "none", func(p *config.Pipeline) any { return p.Format.QuoteChar }, config.NoQuote},
		{"escape_char", `\`, func(p *config.Pipeline) any { return p.Format.EscapeChar }, `\`},
		{"null_sequence", `\N`, func(p *config.Pipeline) any { return p.Format.NullSequence }, `\N`},
		{"null_sequence", "$$", func(p *config.Pipeline) any { return p.Format.NullSequence }, "$$"},
		{"skip_header_lines", "3", func(p *config.Pipeline) any { return p.Format.SkipHeaderLines }, 3},
		{"skip_footer_lines", "2", func(p *config.Pipeline) any { return p.Format.SkipFooterLines }, 2},
		{"headerless", "true", func(p *config.Pipeline) any { return p.Format.Headerless }, true},
		{"line_separator", `\r\n`, func(p *config.Pipeline) any { return p.Format.LineSeparator }, "\r\n"},
		{"xml_record_path", "/rss/channel/item", func(p *config.Pipeline) any { return p.Format.XMLRecordPath }, "rss/channel/item"},
		{"compression", "gz", func(p *config.Pipeline) any { return p.Layers.Compression }, "gzip"},
		{"archive_pattern", `\.json$`, func(p *config.Pipeline) any { return p.Layers.ArchivePattern.MatchString("a/b.json") }, true},
		{"pgp.private_key", "${PGP_KEY}", func(p *config.Pipeline) any { return p.Layers.PGP.PrivateKey.Reveal() }, testPrivateKey},
		{"limits.max_decompressed_bytes", "1GiB", func(p *config.Pipeline) any { return p.Limits.MaxDecompressedBytes }, int64(1 << 30)},
		{"limits.max_ratio", "10", func(p *config.Pipeline) any { return p.Limits.MaxRatio }, int64(10)},
		{"limits.max_members", "5", func(p *config.Pipeline) any { return p.Limits.MaxMembers }, 5},
		{"limits.max_field_bytes", "1KiB", func(p *config.Pipeline) any { return p.Limits.MaxFieldBytes }, 1024},
		{"limits.max_spool_bytes", "1MB", func(p *config.Pipeline) any { return p.Limits.MaxSpoolBytes }, int64(1_000_000)},
		{"limits.max_line_bytes", "2KiB", func(p *config.Pipeline) any { return [2]int{p.Limits.MaxLineBytes, p.Parser.MaxLineBytes} }, [2]int{2048, 2048}},
		{"parser.max_line_bytes", "4KiB", func(p *config.Pipeline) any { return [2]int{p.Limits.MaxLineBytes, p.Parser.MaxLineBytes} }, [2]int{4096, 4096}},
	}
	for _, tt := range tests {
		t.Run(tt.key+"="+tt.value, func(t *testing.T) {
			p := config.Defaults()
			if err := p.Set(tt.key, tt.value); err != nil {
				t.Fatal(err)
			}
			if got := tt.got(p); got != tt.want {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
		})
	}
	t.Run("pgp keys in order", func(t *testing.T) {
		p := config.Defaults()
		for _, kv := range [][2]string{{"pgp.private_key", "${PGP_KEY}"}, {"pgp.passphrase", "${PGP_PASS}"}, {"pgp.trusted_signers", "${PGP_SIGNER}, ${PGP_SIGNER2}"}} {
			if err := p.Set(kv[0], kv[1]); err != nil {
				t.Fatal(err)
			}
		}
		g := p.Layers.PGP
		if g.Passphrase.Reveal() != testPassphrase || !slices.Equal(g.TrustedSigners, []settings.Secret{testPublicKey, testPublicKey2}) {
			t.Errorf("pgp = %q %q", g.Passphrase.Reveal(), g.TrustedSigners)
		}
	})
}

func TestSetRefusesWhatTheFileRefusesAndChangesNothing(t *testing.T) {
	t.Setenv("PGP_KEY", testPrivateKey)
	t.Setenv("JUNK", "not-a-key-SECRETjunk")
	tests := []struct{ key, value, want string }{
		{"file_type", "docx", `file_type: "docx" is not a known file type`},
		{"delimiter", "", "delimiter: empty delimiter"},
		{"quote_char", "ab", `quote_char: "ab": not one character`},
		{"skip_header_lines", "-1", "skip_header_lines: must be 0 or more"},
		{"headerless", "maybe", `headerless: "maybe" is not true or false`},
		{"xml_record_path", "a//b", "xml_record_path: \"a//b\": empty segment"},
		{"compression", "rar", `compression: "rar" is not one of`},
		{"encoding", "klingon", `encoding: unknown text encoding "klingon"`},
		{"archive_pattern", "([", "archive_pattern: invalid regular expression"},
		{"limits.max_ratio", "0", "limits.max_ratio: must be at least 1"},
		{"limits.max_spool_bytes", "1G", "limits.max_spool_bytes: \"1G\": G is ambiguous"},
		{"parser.max_line_bytes", "lots", `parser.max_line_bytes: "lots": not a size`},
		{"pgp.private_key", "-----BEGIN PGP PRIVATE KEY BLOCK-----inline-SECRET", "pgp.private_key: a private key is written in the file"},
		{"pgp.private_key", "${JUNK}", "pgp.private_key: ${JUNK} does not hold an ASCII-armored private key"},
		{"pgp.passphrase", "${PGP_KEY}", "pgp.passphrase: set pgp.private_key first"},
		{"delimeter", ",", "delimeter: unknown key; did you mean delimiter?"},
		{"name", "x", "name: unknown key, or not one Set changes"},
	}
	for _, tt := range tests {
		t.Run(tt.key+"="+tt.value, func(t *testing.T) {
			p := config.Defaults()
			before, _ := json.Marshal(p)
			err := p.Set(tt.key, tt.value)
			if err == nil || err.Error() != tt.want && !strings.HasPrefix(err.Error(), tt.want) {
				t.Fatalf("Set(%q, %q) = %v, want %q", tt.key, tt.value, err, tt.want)
			}
			var errs *settings.Errors
			if !errors.As(err, &errs) {
				t.Errorf("error %T is not *settings.Errors", err)
			}
			for _, s := range []string{"SECRETjunk", "inline-SECRET", "privateSECRETbody"} {
				if strings.Contains(err.Error(), s) {
					t.Errorf("error shows %q: %v", s, err)
				}
			}
			if after, _ := json.Marshal(p); string(after) != string(before) {
				t.Errorf("a refused Set changed the pipeline:\n%s\n%s", before, after)
			}
		})
	}
}

func TestALineSeparatorMayContainTheDelimiter(t *testing.T) {
	p, err := config.ParseWithEnv([]byte("name: x\nsource: {path: .}\nconnector: {type: sqlite, url: sqlite:///x.db}\ndelimiter: '|'\nline_separator: '|\\n'\n"), "p.yaml", t.TempDir(), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	if p.Format.LineSeparator != "|\n" || p.Format.Delimiter != "|" {
		t.Fatalf("delimiter %q, line separator %q", p.Format.Delimiter, p.Format.LineSeparator)
	}
}
