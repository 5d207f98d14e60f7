package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
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
	p, _ := mustParse(t, example, map[string]string{"PGPASSWORD": "x"})
	if len(p.Destinations) != 2 || p.Source.Path != src || p.Bus.URL != "nats://127.0.0.1:4222" {
		t.Errorf("example loaded as %+v", p)
	}
}
