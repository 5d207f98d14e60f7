package formattest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/filedge/filedge/pkg/format"
)

// fuzzTimeout is how long one fuzz input may take to read.
const fuzzTimeout = 20 * time.Second

// Fuzz reads input with the format registered as code and fails t if the
// reader panics, hangs, breaks the Writer contract, or returns an error
// other than a *format.RowError or *format.FileError naming the file.
func Fuzz(t *testing.T, code, name string, opts format.Options, input []byte, failRowErrors bool) {
	t.Helper()
	var rec *Recorder
	err := readWithin(t, fuzzTimeout, func() error {
		var err error
		rec, err = Read(t.Context(), code, name, opts, input, failRowErrors)
		return err
	})
	checkRead(t, name, rec, err)
}

// Seeds returns the contents of the regular files that match the patterns
// (filepath.Glob), leaving out golden and options files, for fuzz targets
// to seed their corpus with.
func Seeds(t testing.TB, patterns ...string) [][]byte {
	t.Helper()
	var seeds [][]byte
	for _, pattern := range patterns {
		paths, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range paths {
			if strings.HasSuffix(p, goldenSuffix) || strings.HasSuffix(p, optionsSuffix) {
				continue
			}
			if fi, err := os.Stat(p); err != nil || !fi.Mode().IsRegular() {
				continue
			}
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			seeds = append(seeds, b)
		}
	}
	return seeds
}
