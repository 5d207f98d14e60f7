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

// optionSets are the settings FuzzCSVOptions reads its inputs with.
var optionSets = []format.Options{
	{Delimiter: "||"},
	{Delimiter: " ", QuoteChar: "'"},
	{EscapeChar: `\`, NullSequence: `\N`},
	{Delimiter: "\t", EscapeChar: `\`, NullSequence: `\N`, MaxFieldBytes: 8},
	{SkipHeaderLines: 1, SkipFooterLines: 2},
	{Headerless: true, SkipFooterLines: 1},
	{LineSeparator: "~"},
	{LineSeparator: "|\n", Delimiter: "|", EscapeChar: `\`},
	{Delimiter: "::", LineSeparator: "~~", EscapeChar: `\`, NullSequence: "NULL", Headerless: true},
	{QuoteChar: "'", EscapeChar: `\`, SkipHeaderLines: 2, MaxLineBytes: 24},
	{QuoteChar: format.NoQuote, Delimiter: "\t", MaxLineBytes: 40},
	{QuoteChar: format.NoQuote, EscapeChar: `\`, NullSequence: `\N`, LineSeparator: "|\n"},
}

// FuzzCSVOptions proves that reading any bytes with any of a set of
// settings that covers every option (multi-character delimiters, quote and
// escape characters, no quote character, null sequence, header and footer lines, headerless
// files, custom line separators, field and record caps) neither panics nor
// hangs, keeps the Writer contract and fails only with row or file errors
// naming the file.
func FuzzCSVOptions(f *testing.F) {
	seeds := formattest.Seeds(f, filepath.Join("testdata", "*"))
	if dir := os.Getenv("FILEDGE_CORPUS"); dir != "" {
		seeds = append(seeds, formattest.Seeds(f, filepath.Join(dir, "csv-spectrum", "csvs", "*.csv"))...)
	}
	for i, s := range seeds {
		f.Add(s, uint8(i))
	}
	f.Fuzz(func(t *testing.T, data []byte, setting uint8) {
		opts := optionSets[int(setting)%len(optionSets)]
		formattest.Fuzz(t, "csv", "fuzz.txt", opts, data, setting&0x80 != 0)
	})
}
