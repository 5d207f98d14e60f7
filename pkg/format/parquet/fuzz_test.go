package parquet_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/filedge/filedge/pkg/format"
	"github.com/filedge/filedge/pkg/format/formattest"
)

// fuzzSpool caps memory per fuzz input, so that inputs declaring huge
// pages fail quickly with a file error.
const fuzzSpool = 64 << 20

// FuzzParquet proves that reading any bytes as Parquet neither panics nor
// hangs (arrow-go's panics, in its goroutines too, must come back as file
// errors), keeps the Writer contract and fails only with row or file
// errors naming the file.
func FuzzParquet(f *testing.F) {
	seeds := formattest.Seeds(f, filepath.Join("testdata", "*.parquet"))
	if dir := os.Getenv("FILEDGE_CORPUS"); dir != "" {
		seeds = append(seeds, formattest.Seeds(f,
			filepath.Join(dir, "parquet", "*.parquet"),
			filepath.Join(dir, "parquet", "*.parquet.encrypted"))...)
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		formattest.Fuzz(t, "parquet", "fuzz.parquet", format.Options{MaxSpoolBytes: fuzzSpool}, data, false)
	})
}
