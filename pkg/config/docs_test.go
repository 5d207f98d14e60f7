package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/filedge/filedge/pkg/config"
)

// TestDocsCompleteExampleLoads keeps docs/configuration.md honest: its
// complete example, with every key, loads.
func TestDocsCompleteExampleLoads(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "configuration.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(doc), "## Complete example")
	if !ok {
		t.Fatal("docs/configuration.md has no Complete example section")
	}
	_, rest, _ = strings.Cut(rest, "```yaml\n")
	example, _, _ := strings.Cut(rest, "```")
	src := t.TempDir()
	example = strings.ReplaceAll(example, "/srv/drop/orders", src)
	p, _ := mustParse(t, example, map[string]string{
		"PGPASSWORD":      "x",
		"PGP_PRIVATE_KEY": testPrivateKey,
		"PGP_PASSPHRASE":  testPassphrase,
		"PGP_PARTNER_KEY": testPublicKey,
	})
	if len(p.Destinations) != 2 || p.Source.Settings.String() != src || p.Bus.Type != "nats" || p.Bus.Settings.(natsSettings).URL != "nats://127.0.0.1:4222" {
		t.Errorf("example loaded as %+v", p)
	}
	f := p.Format
	if f.QuoteChar != `"` || f.EscapeChar != `\` || f.NullSequence != `\N` || f.LineSeparator != "\n" || f.XMLRecordPath != "orders/order" {
		t.Errorf("format keys loaded as %+v", f)
	}
	if p.Layers.Compression != "gzip" || p.Layers.ArchivePattern == nil || p.Layers.PGP == nil || len(p.Layers.PGP.TrustedSigners) != 1 {
		t.Errorf("layer keys loaded as %+v", p.Layers)
	}
	if p.Limits != config.DefaultLimits() || p.Parser.MaxLineBytes != config.DefaultMaxLineBytes {
		t.Errorf("limits loaded as %+v, parser.max_line_bytes %d; the example gives the defaults", p.Limits, p.Parser.MaxLineBytes)
	}
}

// TestDocsMentionEveryKey keeps docs/configuration.md complete: every key
// pipeline.yaml has appears in it, as `key`.
func TestDocsMentionEveryKey(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "configuration.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{
		"quote_char", "escape_char", "null_sequence", "skip_header_lines", "skip_footer_lines",
		"headerless", "line_separator", "xml_record_path", "compression", "archive_pattern", "pgp",
		"private_key", "passphrase", "trusted_signers", "limits", "max_decompressed_bytes", "max_ratio",
		"max_members", "max_line_bytes", "max_field_bytes", "max_spool_bytes",
		"write_mode", "cdc", "keys", "sequence_by", "operation_column", "operations.insert",
	} {
		if !strings.Contains(string(doc), "`"+key+"`") {
			t.Errorf("docs/configuration.md does not document `%s`", key)
		}
	}
}

// TestDocsSnippetsOfTheNewKeysLoad proves that each YAML example of the
// format, layer and limits sections loads when added to a minimal pipeline.
func TestDocsSnippetsOfTheNewKeysLoad(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "configuration.md"))
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"PGP_PRIVATE_KEY": testPrivateKey, "PGP_PASSPHRASE": testPassphrase, "PGP_PARTNER_KEY": testPublicKey}
	n := 0
	for _, section := range []string{"## Format keys", "## Layer keys", "## limits"} {
		_, rest, ok := strings.Cut(string(doc), "\n"+section)
		if !ok {
			t.Fatalf("docs/configuration.md has no %q section", section)
		}
		rest, _, _ = strings.Cut(rest, "\n## ")
		for {
			var snippet string
			var found bool
			if _, rest, found = strings.Cut(rest, "```yaml\n"); !found {
				break
			}
			snippet, rest, _ = strings.Cut(rest, "```")
			n++
			t.Run(section+"/"+strings.SplitN(snippet, "\n", 2)[0], func(t *testing.T) {
				mustParse(t, base+snippet, vars)
			})
		}
	}
	if n < 5 {
		t.Errorf("found %d examples, want at least 5", n)
	}
}
