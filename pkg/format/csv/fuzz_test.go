package csv_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/filedge/filedge/pkg/format"
	"github.com/filedge/filedge/pkg/format/formattest"
)

// FuzzCSV proves that reading any bytes, with any delimiter setting and a
// small or default record cap, neither panics nor hangs, keeps the Writer
// contract and fails only with row or file errors naming the file.
func FuzzCSV(f *testing.F) {
	seeds := formattest.Seeds(f, filepath.Join("testdata", "*"))
	if dir := os.Getenv("FILEDGE_CORPUS"); dir != "" {
		seeds = append(seeds, formattest.Seeds(f, filepath.Join(dir, "csv-spectrum", "csvs", "*.csv"))...)
	}
	for i, s := range seeds {
		f.Add(s, uint8(i))
	}
	delimiters := []string{"", ",", ";", "\t", "|", "\x1f"}
	caps := []int{0, 16, 100}
	f.Fuzz(func(t *testing.T, data []byte, setting uint8) {
		opts := format.Options{
			Delimiter:    delimiters[int(setting)%len(delimiters)],
			MaxLineBytes: caps[int(setting>>3)%len(caps)],
		}
		name := "fuzz.csv"
		if setting&0x80 != 0 {
			name = "fuzz.tsv"
		}
		formattest.Fuzz(t, "csv", name, opts, data, setting&0x40 != 0)
	})
}
