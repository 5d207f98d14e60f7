package all_test

import (
	"testing"

	"github.com/filedge/filedge/pkg/format"
	_ "github.com/filedge/filedge/pkg/format/all"
)

func TestAllRegistersEveryFormat(t *testing.T) {
	for _, code := range []string{"csv", "json"} {
		if _, _, ok := format.Lookup(code); !ok {
			t.Errorf("format %q is not registered", code)
		}
	}
	for _, p := range []string{"a.csv", "a.tsv", "a.txt", "a.psv", "a.json", "a.jsonl", "a.ndjson"} {
		if _, _, ok := format.ForPath(p); !ok {
			t.Errorf("no format reads %s", p)
		}
	}
}
