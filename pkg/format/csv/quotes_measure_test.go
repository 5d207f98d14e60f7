package csv

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/filedge/filedge/pkg/format"
	"github.com/filedge/filedge/pkg/record"
)

// quoteRule is one way of reading quotes, as measured in docs/formats.md.
type quoteRule struct {
	name string
	opts format.Options
	// strict sets dialect.strict, which no setting reaches.
	strict bool
}

var quoteRules = []quoteRule{
	{name: "strict (RFC 4180)", strict: true},
	{name: "default (quote opens a field only at its start)"},
	{name: "quote_char: none", opts: format.Options{QuoteChar: format.NoQuote}},
}

// fileRead is what one rule made of one file.
type fileRead struct {
	err       error
	rows      [][]string // header first; nulls as "\x00null"
	rowErrors int
}

// readWithRule reads data as the file name with rule.
func readWithRule(t *testing.T, name string, data []byte, rule quoteRule) fileRead {
	t.Helper()
	r, err := New(rule.opts)
	if err != nil {
		t.Fatal(err)
	}
	rd := r.(*Reader)
	rd.d.strict = rule.strict
	w := &tableWriter{}
	err = rd.Read(t.Context(), &format.Input{Path: name, R: bytes.NewReader(data)}, w)
	return fileRead{err: err, rows: w.rows, rowErrors: w.rowErrors}
}

// tableWriter keeps the header and rows a reader writes, and counts its
// row errors (as on_error: skip would).
type tableWriter struct {
	rows      [][]string
	rowErrors int
}

func (w *tableWriter) Begin(_ string, cols []format.Column) error {
	var h []string
	for _, c := range cols {
		h = append(h, c.Name)
	}
	w.rows = append(w.rows, h)
	return nil
}

func (w *tableWriter) Row(_ int64, cells []record.Cell) error {
	var r []string
	for _, c := range cells {
		if c.Kind == record.Null {
			r = append(r, "\x00null")
		} else {
			r = append(r, strings.Clone(c.Text))
		}
	}
	w.rows = append(w.rows, r)
	return nil
}

func (w *tableWriter) RowError(*format.RowError) error { w.rowErrors++; return nil }
func (w *tableWriter) Issue(string)                    {}

// TestTheDefaultQuoteRuleLoadsEveryFileTheStrictOneLoads reads the
// delimited files of the corpus (csv-spectrum under FILEDGE_CORPUS, and
// every folder listed in FILEDGE_CSV_DIRS) with each quote rule, logs a
// table of what each loads (docs/formats.md shows it for a larger set of
// real files, one table per folder), and proves what the choice of the
// default rests on: every file that strict quoting reads without an error
// the default rule reads to the same header and rows.
func TestTheDefaultQuoteRuleLoadsEveryFileTheStrictOneLoads(t *testing.T) {
	var dirs []string
	if dir := os.Getenv("FILEDGE_CORPUS"); dir != "" {
		dirs = append(dirs, filepath.Join(dir, "csv-spectrum", "csvs"))
	}
	if extra := os.Getenv("FILEDGE_CSV_DIRS"); extra != "" {
		dirs = append(dirs, filepath.SplitList(extra)...)
	}
	if len(dirs) == 0 {
		t.Skip("neither FILEDGE_CORPUS nor FILEDGE_CSV_DIRS is set")
	}
	type tally struct{ files, clean, readable, rows, rowErrors int }
	var b strings.Builder
	for _, dir := range dirs {
		tallies := make([]tally, len(quoteRules))
		err := filepath.WalkDir(dir, func(path string, e os.DirEntry, err error) error {
			if err != nil || e.IsDir() || !slices.Contains([]string{".csv", ".tsv", ".txt", ".psv", ".dat", ".tbl"}, strings.ToLower(filepath.Ext(path))) {
				return err
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			reads := make([]fileRead, len(quoteRules))
			for i, rule := range quoteRules {
				reads[i] = readWithRule(t, path, data, rule)
				tl := &tallies[i]
				tl.files++
				tl.rowErrors += reads[i].rowErrors
				if reads[i].err == nil {
					tl.readable++
					tl.rows += max(len(reads[i].rows)-1, 0)
					if reads[i].rowErrors == 0 {
						tl.clean++
					}
				}
			}
			strict, def := reads[0], reads[1]
			if strict.err == nil && strict.rowErrors == 0 && (def.err != nil || def.rowErrors > 0 || !slices.EqualFunc(strict.rows, def.rows, slices.Equal)) {
				t.Errorf("%s: strict quoting reads it cleanly, the default rule does not read it the same (%v, %d row errors)", path, def.err, def.rowErrors)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "\n%s\n| rule | files | load under on_error: fail | load under on_error: skip | rows | row errors |\n|---|---|---|---|---|---|\n", dir)
		for i, rule := range quoteRules {
			tl := tallies[i]
			fmt.Fprintf(&b, "| %s | %d | %d | %d | %d | %d |\n", rule.name, tl.files, tl.clean, tl.readable, tl.rows, tl.rowErrors)
		}
	}
	t.Log(b.String())
}
