package config_test

import (
	"errors"
	"testing"

	"github.com/filedge/filedge/pkg/config"
	"github.com/filedge/filedge/pkg/settings"
)

// FuzzParse proves that no input makes Parse panic, and that it returns
// either a pipeline or a *settings.Errors with at least one problem.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		base,
		"name: p\nsource: {path: ./in}\nfile_pattern: '[a-'\nconnector: {type: postgres, url: 'postgres://u:${P}@h/d?password=x'}\n",
		"name: p\nsource: ./in\ndestinations:\n  - &d {name: a, type: sqlite, url: a.db}\n  - <<: *d\n    name: b\n",
		"a: &x [*x]\n",
		"<<: {name: p}\n",
		"name: p\nsource: {path: ./in}\ncolumns: [{source: a, type: int}, {source: a}]\nbus: {url: 'nats://${T}@h'}\n",
		"name: p\nsource: ./in\nconnector: {type: sqlite, url: x.db}\nfile_type: tsv\ndelimiter: '||'\nquote_char: '\\'\nnull_sequence: NULL\nline_separator: '\\r\\n'\nxml_record_path: /a//b\ncompression: gz\narchive_pattern: '.*\\.json$'\n",
		"name: p\nsource: ./in\nconnector: {type: sqlite, url: x.db}\npgp:\n  private_key: ${P}\n  passphrase: pw\n  trusted_signers: ['${T}', x]\nlimits: {max_line_bytes: 1.5MiB, max_ratio: 0, max_spool_bytes: 16M}\nparser: {max_line_bytes: 2KiB}\n",
		"---\n---\n",
		"",
	} {
		f.Add([]byte(seed))
	}
	dir := f.TempDir()
	lookup := env(map[string]string{"P": "pw", "T": "tok"})
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := config.ParseWithEnv(data, "pipeline.yaml", dir, lookup)
		if err == nil {
			if p == nil {
				t.Fatal("nil pipeline and nil error")
			}
			return
		}
		var errs *settings.Errors
		if !errors.As(err, &errs) || len(*errs) == 0 {
			t.Fatalf("error %T is not a non-empty *settings.Errors: %v", err, err)
		}
	})
}
