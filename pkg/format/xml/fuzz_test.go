package xml_test

import (
	"path/filepath"
	"testing"

	"github.com/filedge/filedge/pkg/format"
	"github.com/filedge/filedge/pkg/format/formattest"
)

// FuzzXML proves that reading any bytes, as a whole document or with a
// record path, with a small or default cap, neither panics nor hangs,
// keeps the Writer contract and fails only with row or file errors naming
// the file.
func FuzzXML(f *testing.F) {
	for i, s := range formattest.Seeds(f, filepath.Join("testdata", "*")) {
		f.Add(s, uint8(i))
	}
	paths := []string{"", "catalog/book", "a/b", "list/item", "feed/entry", "r"}
	caps := []int{0, 16, 200}
	f.Fuzz(func(t *testing.T, data []byte, setting uint8) {
		opts := format.Options{
			XMLRecordPath: paths[int(setting)%len(paths)],
			MaxLineBytes:  caps[int(setting>>3)%len(caps)],
		}
		formattest.Fuzz(t, "xml", "fuzz.xml", opts, data, setting&0x80 != 0)
	})
}
