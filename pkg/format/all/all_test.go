package all_test

import (
	"testing"

	"github.com/filedge/filedge/pkg/format"
	_ "github.com/filedge/filedge/pkg/format/all"
)

func TestAllRegistersEveryFormat(t *testing.T) {
	for _, code := range []string{"avro", "csv", "excel", "json", "log", "parquet", "xml"} {
		if _, _, ok := format.Lookup(code); !ok {
			t.Errorf("format %q is not registered", code)
		}
	}
	for _, p := range []string{"a.csv", "a.tsv", "a.txt", "a.psv", "a.json", "a.jsonl", "a.ndjson", "a.avro", "a.parquet", "a.parq", "a.xml", "a.log", "a.xlsx", "a.xlsm", "a.xls"} {
		if _, _, ok := format.ForPath(p); !ok {
			t.Errorf("no format reads %s", p)
		}
	}
	for _, code := range []string{"csv", "excel", "json", "parquet"} {
		if _, ok := format.LookupWriter(code); !ok {
			t.Errorf("format %q has no writer", code)
		}
	}
}
