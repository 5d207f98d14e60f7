package filedge

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"

	_ "github.com/filedge/filedge/pkg/bus/all" // the component types the docs' pipelines name
	"github.com/filedge/filedge/pkg/config"
	_ "github.com/filedge/filedge/pkg/destination/all"
	_ "github.com/filedge/filedge/pkg/format/all"
	_ "github.com/filedge/filedge/pkg/source/all"
)

// yamlBlock is a fenced YAML example of a Markdown file.
var yamlBlock = regexp.MustCompile("(?s)```yaml\n(.*?)```")

// pipelineBase holds the keys every pipeline needs, for the examples that
// show only the keys they are about.
var pipelineBase = map[string]string{
	"name":   "name: docs",
	"source": "source: {path: ./in}",
	"dest":   `connector: {type: sqlite, url: "sqlite:///docs.db"}`,
}

// absolutePath is a path: key whose value is an absolute path.
var absolutePath = regexp.MustCompile(`(?m)(\bpath: *)/[^\s,}]+`)

// armoredKeys returns an ASCII-armored private key and its public key.
func armoredKeys(t *testing.T) (private, public string) {
	t.Helper()
	e, err := openpgp.NewEntity("docs", "", "docs@example.com", &packet.Config{Algorithm: packet.PubKeyAlgoEdDSA})
	if err != nil {
		t.Fatal(err)
	}
	enc := func(typ string, write func(io.Writer) error) string {
		var b bytes.Buffer
		w, err := armor.Encode(&b, typ, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := write(w); err != nil {
			t.Fatal(err)
		}
		w.Close()
		return b.String()
	}
	return enc(openpgp.PrivateKeyType, func(w io.Writer) error { return e.SerializePrivate(w, nil) }),
		enc(openpgp.PublicKeyType, e.Serialize)
}

// TestDocsYAMLExamplesAreValidPipelines checks that every YAML example of
// the docs is a valid pipeline, or part of one once the keys it leaves out
// (name, source, a destination) are added: an example that names a key
// filedge does not know, or a value it refuses, fails here with the
// example's first line.
func TestDocsYAMLExamplesAreValidPipelines(t *testing.T) {
	private, public := armoredKeys(t)
	env := map[string]string{
		"PGPASSWORD": "x", "DATABASE_URL": "postgres://u@localhost/db", "DATA_DIR": ".",
		"PGP_PRIVATE_KEY": private, "PGP_KEY": private, "PGP_PASS": "",
		"PGP_SIGNER": public, "PGP_PARTNER_KEY": public,
	}
	lookup := func(k string) (string, bool) {
		if v, ok := env[k]; ok {
			return v, true
		}
		return "value-of-" + k, true
	}
	for _, doc := range []string{"docs/formats.md", "docs/configuration.md", "docs/destinations.md"} {
		data, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		blocks := yamlBlock.FindAllStringSubmatch(string(data), -1)
		if len(blocks) == 0 {
			t.Fatalf("%s: no YAML examples", doc)
		}
		for _, m := range blocks {
			example := m[1]
			first, _, _ := strings.Cut(strings.TrimSpace(example), "\n")
			if strings.Contains(example, "# refused") {
				continue // an example of what filedge refuses, said so in the block
			}
			full := example
			if !regexp.MustCompile(`(?m)^name:`).MatchString(example) {
				full = pipelineBase["name"] + "\n" + full
			}
			if !regexp.MustCompile(`(?m)^source:`).MatchString(example) {
				full = pipelineBase["source"] + "\n" + full
			}
			if !regexp.MustCompile(`(?m)^(connector|destinations):`).MatchString(example) {
				full += "\n" + pipelineBase["dest"] + "\n"
			}
			// The folders examples read: ./in, or an absolute path, made
			// relative.
			full = absolutePath.ReplaceAllString(full, "${1}./in")
			dir := t.TempDir()
			if err := os.Mkdir(filepath.Join(dir, "in"), 0o755); err != nil {
				t.Fatal(err)
			}
			if _, err := config.ParseWithEnv([]byte(full), doc, dir, lookup); err != nil {
				t.Errorf("%s: the example starting %q is not a valid pipeline: %v", doc, first, err)
			}
		}
	}
}
