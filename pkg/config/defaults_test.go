package config

import "testing"

func TestDefaultsMatchWhatParseAppliesToAMinimalFile(t *testing.T) {
	p, err := ParseWithEnv([]byte("name: x\nsource: {path: .}\nconnector: {type: sqlite, url: sqlite:///x.db}\n"), "p.yaml", t.TempDir(), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	d := Defaults()
	if d.Mode != p.Mode || d.OnError != p.OnError || d.ModifiedFileMerge != p.ModifiedFileMerge ||
		d.Format.JSONDelivery != p.Format.JSONDelivery || d.Watcher != p.Watcher || d.Parser != p.Parser ||
		d.Sink != p.Sink || d.Bus.SyncAlways != p.Bus.SyncAlways || d.Bus.BatchRetention != p.Bus.BatchRetention {
		t.Fatalf("Defaults() = %+v\nParse applied %+v", d, p)
	}
}

func TestDelimiterDecodesEscapes(t *testing.T) {
	for in, want := range map[string]string{`\t`: "\t", `\s`: " ", ";": ";", "||": "||"} {
		if got, err := Delimiter(in); err != nil || got != want {
			t.Errorf("Delimiter(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}
