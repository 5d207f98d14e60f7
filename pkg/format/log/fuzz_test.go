package log_test

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/filedge/filedge/pkg/format"
	"github.com/filedge/filedge/pkg/format/formattest"
)

// FuzzLog proves that reading any bytes with a small or default line cap
// neither panics nor hangs, keeps the Writer contract, fails only with row
// or file errors naming the file, and writes one row or row error per
// line.
func FuzzLog(f *testing.F) {
	for i, s := range formattest.Seeds(f, filepath.Join("testdata", "*")) {
		f.Add(s, uint8(i))
	}
	caps := []int{0, 1, 16, 100}
	f.Fuzz(func(t *testing.T, data []byte, setting uint8) {
		opts := format.Options{MaxLineBytes: caps[int(setting)%len(caps)]}
		formattest.Fuzz(t, "log", "fuzz.log", opts, data, false)
		rec, err := formattest.Read(t.Context(), "log", "fuzz.log", opts, data, false)
		if err != nil {
			t.Fatal(err)
		}
		lines := len(splitLines(data))
		if got := len(rec.Result.Tables[0].Rows) + len(rec.Result.RowErrors); got != lines {
			t.Fatalf("%q: %d rows and row errors, %d lines", data, got, lines)
		}
	})
}

// splitLines splits data, less a byte order mark, at "\n", the final line
// end starting no line.
func splitLines(data []byte) [][]byte {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	var out [][]byte
	for len(data) > 0 {
		i := 0
		for i < len(data) && data[i] != '\n' {
			i++
		}
		out = append(out, data[:i])
		if i == len(data) {
			break
		}
		data = data[i+1:]
	}
	return out
}
