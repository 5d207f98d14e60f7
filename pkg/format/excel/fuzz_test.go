package excel_test

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/filedge/filedge/pkg/format"
	"github.com/filedge/filedge/pkg/format/formattest"
)

// maxSeed leaves out the largest corpus files, which slow the fuzzing
// engine down to a few runs a second; the corpus test reads them.
const maxSeed = 128 << 10

// seeds returns the testdata inputs matching pattern and, when
// FILEDGE_CORPUS is set, the corpus's, up to maxSeed bytes each.
func seeds(f *testing.F, pattern string) [][]byte {
	s := formattest.Seeds(f, filepath.Join("testdata", pattern))
	if dir := os.Getenv("FILEDGE_CORPUS"); dir != "" {
		s = append(s, formattest.Seeds(f, filepath.Join(dir, "excel", pattern))...)
	}
	return slices.DeleteFunc(s, func(b []byte) bool { return len(b) > maxSeed })
}

// fuzzOptions picks options from a fuzzed byte: spool caps from tiny
// (every part over its cap) to the default, and a skipped row or not.
func fuzzOptions(setting uint8) format.Options {
	spools := []int64{0, 4 << 10, 64 << 10, 1 << 20}
	return format.Options{MaxSpoolBytes: spools[int(setting)%len(spools)], SkipHeaderLines: int(setting>>4) % 2}
}

// FuzzXLSX proves that reading any bytes as an .xlsx file (zip members
// and XML mutated, zip bombs capped) neither panics nor hangs, keeps the
// Writer contract, and fails only with row or file errors naming the
// file.
func FuzzXLSX(f *testing.F) {
	for i, s := range seeds(f, "*.xlsx") {
		f.Add(s, uint8(i))
	}
	f.Fuzz(func(t *testing.T, data []byte, setting uint8) {
		formattest.Fuzz(t, "excel", "fuzz.xlsx", fuzzOptions(setting), data, setting&0x20 != 0)
	})
}

// FuzzXLS does the same for legacy .xls files: compound files and BIFF
// record streams.
func FuzzXLS(f *testing.F) {
	for i, s := range seeds(f, "*.xls") {
		f.Add(s, uint8(i))
	}
	f.Fuzz(func(t *testing.T, data []byte, setting uint8) {
		formattest.Fuzz(t, "excel", "fuzz.xls", fuzzOptions(setting), data, setting&0x20 != 0)
	})
}
