package config

import "testing"

func TestDefaultsMatchWhatParseAppliesToAMinimalFile(t *testing.T) {
	p, err := ParseWithEnv([]byte("name: x\nsource: {path: .}\nconnector: {type: sqlite, url: sqlite:///x.db}\n"), "p.yaml", t.TempDir(), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	d := Defaults()
	if d.Mode != p.Mode || d.OnError != p.OnError || d.ModifiedFileMerge != p.ModifiedFileMerge ||
		d.Format != p.Format || d.Watcher != p.Watcher || d.Parser != p.Parser ||
		d.Sink != p.Sink || d.Bus.Type != p.Bus.Type ||
		d.Limits != p.Limits || d.Layers != p.Layers {
		t.Fatalf("Defaults() = %+v\nParse applied %+v", d, p)
	}
}

func TestDefaultLimitsAreTheDocumentedValues(t *testing.T) {
	want := Limits{
		MaxDecompressedBytes: 64 << 30,
		MaxRatio:             1000,
		MaxMembers:           100_000,
		MaxLineBytes:         16 << 20,
		MaxFieldBytes:        16 << 20,
		MaxSpoolBytes:        512 << 20,
	}
	if got := DefaultLimits(); got != want {
		t.Errorf("DefaultLimits() = %+v, want %+v", got, want)
	}
	if d := Defaults(); d.Limits != want || d.Parser.MaxLineBytes != want.MaxLineBytes {
		t.Errorf("Defaults() limits %+v, parser.max_line_bytes %d", d.Limits, d.Parser.MaxLineBytes)
	}
}

func TestDelimiterDecodesEscapes(t *testing.T) {
	for in, want := range map[string]string{`\t`: "\t", `\s`: " ", ";": ";", "||": "||", `\t\t`: "\t\t", "~|~": "~|~"} {
		if got, err := Delimiter(in); err != nil || got != want {
			t.Errorf("Delimiter(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", `\n`, "a\nb", `\q`} {
		if got, err := Delimiter(in); err == nil {
			t.Errorf("Delimiter(%q) = %q, want an error", in, got)
		}
	}
}
