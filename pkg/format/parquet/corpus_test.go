package parquet_test

import (
	"encoding/csv"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/filedge/filedge/pkg/format"
	"github.com/filedge/filedge/pkg/format/formattest"
)

// corpusGoldenRows is how many rows a corpus golden file keeps.
const corpusGoldenRows = 5

// corpusGolden lists the corpus files whose schema and first rows have a
// golden file under testdata/corpus (named after the corpus file): one of
// each family of types, encodings, codecs and failures.
var corpusGolden = []string{
	"alltypes_plain.parquet",
	"alltypes_dictionary.parquet",
	"binary.parquet",
	"byte_array_decimal.parquet",
	"byte_stream_split.zstd.parquet",
	"concatenated_gzip_members.parquet",
	"datapage_v1-corrupt-checksum.parquet",
	"datapage_v2.snappy.parquet",
	"datapage_v2_empty_datapage.snappy.parquet",
	"delta_length_byte_array.parquet",
	"encrypt_columns_and_footer.parquet.encrypted",
	"encrypt_columns_plaintext_footer.parquet.encrypted",
	"fixed_length_decimal.parquet",
	"fixed_length_decimal_legacy.parquet",
	"float16_nonzeros_and_nans.parquet",
	"hadoop_lz4_compressed.parquet",
	"incorrect_map_schema.parquet",
	"int32_decimal.parquet",
	"int64_decimal.parquet",
	"int96_from_spark.parquet",
	"large_string_map.brotli.parquet",
	"list_columns.parquet",
	"lz4_raw_compressed.parquet",
	"map_no_value.parquet",
	"nation.dict-malformed.parquet",
	"nested_lists.snappy.parquet",
	"nested_maps.snappy.parquet",
	"non_hadoop_lz4_compressed.parquet",
	"nonnullable.impala.parquet",
	"null_list.parquet",
	"nullable.impala.parquet",
	"nulls.snappy.parquet",
	"old_list_structure.parquet",
	"repeated_no_annotation.parquet",
	"repeated_primitive_no_list.parquet",
	"rle-dict-uncompressed-corrupt-checksum.parquet",
	"rle_boolean_encoding.parquet",
	"single_nan.parquet",
	"unknown-logical-type.parquet",
}

// corpusFiles lists the Parquet files of the corpus (encrypted ones too).
func corpusFiles(t testing.TB, dir string) []string {
	t.Helper()
	var paths []string
	for _, pattern := range []string{"*.parquet", "*.parquet.encrypted", "*/*.parquet", "*/*.parquet.encrypted"} {
		p, err := filepath.Glob(filepath.Join(dir, pattern))
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p...)
	}
	if len(paths) == 0 {
		t.Fatalf("no Parquet files under %s", dir)
	}
	return paths
}

// TestCorpusReadsCleanly reads every Parquet file of the corpus, each of
// which must come out as rows or as a *format.FileError naming it, never a
// panic, a hang or another error; files with an _expect.csv beside them
// must hold exactly its values.
func TestCorpusReadsCleanly(t *testing.T) {
	dir := corpusDir(t)
	for _, p := range corpusFiles(t, dir) {
		rel, _ := filepath.Rel(dir, p)
		t.Run(rel, func(t *testing.T) {
			input, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			name := filepath.Base(p)
			rec, err := read(t.Context(), t, name, input, format.Options{})
			checkRead(t, name, rec, err)
			var fe *format.FileError
			if err != nil && !errors.As(err, &fe) {
				t.Errorf("error %v is not a file error", err)
			}
			if strings.HasSuffix(name, ".encrypted") && (err == nil || !strings.Contains(err.Error(), "encrypted Parquet is not supported")) {
				t.Errorf("encrypted file read with error %v", err)
			}
			expect := strings.TrimSuffix(p, ".parquet") + "_expect.csv"
			if _, serr := os.Stat(expect); serr == nil {
				if err != nil {
					t.Fatal(err)
				}
				compareExpect(t, expect, &rec.Result)
			}
		})
	}
}

// compareExpect compares the rows read with a corpus _expect.csv: a header
// of column names, then one record per row, an empty unquoted field for a
// null.
func compareExpect(t *testing.T, path string, res *formattest.Result) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	records, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	tbl := res.Tables[0]
	header := records[0]
	if len(header) != len(tbl.Columns) {
		t.Fatalf("%d columns, %s has %d", len(tbl.Columns), path, len(header))
	}
	// The expected files spell some names differently from the Parquet
	// schema (" c_customer_id", "c_customer_sk:"): compare them trimmed.
	for i, h := range header {
		if strings.Trim(tbl.Columns[i].Name, " :") != strings.Trim(h, " :") {
			t.Errorf("column %d is %q, want %q", i, tbl.Columns[i].Name, h)
		}
	}
	if len(tbl.Rows) != len(records)-1 {
		t.Fatalf("%d rows, want %d", len(tbl.Rows), len(records)-1)
	}
	bad := 0
	for r, want := range records[1:] {
		for c, w := range want {
			if got := tbl.Rows[r].Cells[c].Text; got != w && bad < 10 {
				bad++
				t.Errorf("row %d, %s = %q, want %q", r+1, header[c], got, w)
			}
		}
	}
}

// TestCorpusGolden compares the schema and first rows read from a
// representative subset of the corpus with golden files under
// testdata/corpus, named after the corpus files (which are not copied).
func TestCorpusGolden(t *testing.T) {
	dir := corpusDir(t)
	for _, name := range corpusGolden {
		t.Run(name, func(t *testing.T) {
			input, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			rec, err := read(t.Context(), t, name, input, format.Options{})
			checkRead(t, name, rec, err)
			res := rec.Result
			for i := range res.Tables {
				if len(res.Tables[i].Rows) > corpusGoldenRows {
					res.Tables[i].Rows = res.Tables[i].Rows[:corpusGoldenRows]
				}
			}
			checkGolden(t, filepath.Join("testdata", "corpus", name+".golden.json"), &res)
		})
	}
}
