package integration

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/filedge/filedge/pkg/record"
)

// corpusDir is the public test corpus (FILEDGE_CORPUS), which tests copy
// from at run time and never into the repository.
func corpusDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("FILEDGE_CORPUS")
	if dir == "" {
		t.Skip("FILEDGE_CORPUS is not set")
	}
	return dir
}

// pgType is the PostgreSQL type a destination column of type typ has.
var pgType = map[record.Type]string{
	record.Boolean: "boolean", record.Integer: "bigint", record.Float: "double precision",
	record.Date: "date", record.Timestamp: "timestamp with time zone", record.String: "text",
	record.JSON: "jsonb", record.Unknown: "text",
}

// pgTypeOf is pgType, and numeric(p,s) for a decimal.
func pgTypeOf(typ record.Type) string {
	if typ.IsDecimal() {
		return fmt.Sprintf("numeric(%d,%d)", typ.Precision(), typ.Scale())
	}
	return pgType[typ]
}

type previewed struct {
	Status string `json:"status"`
	Tables []struct {
		Name    string          `json:"name"`
		Columns []record.Column `json:"columns"`
		Rows    int64           `json:"rows"`
	} `json:"tables"`
}

// TestTheWholeCorpusLoadsIntoPostgreSQLWithTheParsersTypesAndCounts copies
// every corpus file (Avro, Parquet, CSV, Excel) into a folder under a name of
// its own, loads the folder with `filedge run --once` in magic folder mode
// (a table per file and sheet) into PostgreSQL, and checks, for every file
// the parser reads, that each table has the rows and column types `filedge
// preview` reports, and for some files the counts their publishers document.
// corpusFailures are the corpus files (by their names in the test folder)
// that must fail, and why.
var corpusFailures = map[string]bool{
	// Two 1 GiB strings in one map column: refused by the decoding memory
	// cap (max_spool_bytes, 512 MiB by default) with a clear error.
	"parquet_large_string_map_brotli.parquet": true,
	// Workbooks whose one sheet is empty: nothing to load, said so.
	"excel_sample.xlsx":         true,
	"excel_picture_in_cell.xls": true,
}

func TestTheWholeCorpusLoadsIntoPostgreSQLWithTheParsersTypesAndCounts(t *testing.T) {
	corpus := corpusDir(t)
	dbURL, db := newDatabase(t)
	committed := loadCorpus(t, fmt.Sprintf(`{type: postgres, url: "%s"}`, dbURL), "postgres")
	for f, p := range committed {
		for _, tb := range p.Tables {
			if n := queryInt(t, db, fmt.Sprintf(`SELECT count(*) FROM %q`, tb.Name)); n != tb.Rows {
				t.Errorf("%s: table %s holds %d rows, preview says %d", f, tb.Name, n, tb.Rows)
			}
			for _, c := range tb.Columns {
				var got string
				err := db.QueryRow(`SELECT format_type(a.atttypid, a.atttypmod) FROM pg_attribute a
					WHERE a.attrelid = $1::regclass AND a.attname = $2 AND NOT a.attisdropped`, fmt.Sprintf("%q", tb.Name), c.Name).Scan(&got)
				if err != nil {
					t.Errorf("%s: table %s column %s: %v", f, tb.Name, c.Name, err)
				} else if want := pgTypeOf(c.Type); got != want {
					t.Errorf("%s: table %s column %s is %s, want %s (%v)", f, tb.Name, c.Name, got, want, c.Type)
				}
			}
		}
	}
	// Counts their publishers document.
	for table, want := range map[string]int64{"avro_weather": 5, "avro_weather_snappy": 5, "avro_weather_zstd": 5, "parquet_alltypes_plain": 8, "parquet_int96_from_spark": 6, "parquet_datapage_v2_snappy": 5} {
		if n := queryInt(t, db, fmt.Sprintf(`SELECT count(*) FROM %q`, table)); n != want {
			t.Errorf("table %s holds %d rows, want %d", table, n, want)
		}
	}
	// Every csv-spectrum file's rows equal its expected JSON's records.
	exp, _ := filepath.Glob(filepath.Join(corpus, "csv-spectrum", "json", "*.json"))
	for _, e := range exp {
		var rows []map[string]any
		data, _ := os.ReadFile(e)
		if json.Unmarshal(data, &rows) != nil {
			continue
		}
		table := record.TableName("csv-spectrum_" + strings.NewReplacer(".", "_", "-", "_").Replace(strings.TrimSuffix(filepath.Base(e), ".json")))
		if n := queryInt(t, db, fmt.Sprintf(`SELECT count(*) FROM %q`, table)); n != int64(len(rows)) {
			t.Errorf("table %s holds %d rows, its expected JSON has %d", table, n, len(rows))
		}
	}
}

// loadCorpus copies every corpus file into a new folder, loads it with
// `filedge run --once` in magic folder mode (a table per file and sheet)
// into the destination connector (a YAML mapping, whose type names it in
// the summary), and checks each file's outcome against `filedge preview`:
// committed when preview reads the file; failed when it does not, and
// then only for the corpusFailures. It returns the preview of each
// committed file, by its name in the folder.
func loadCorpus(t *testing.T, connector, typ string) map[string]previewed {
	t.Helper()
	return loadCorpusWith(t, "connector: "+connector+"\n", typ, func(t *testing.T, config string) string {
		out, _ := runOnce(t, config)
		return out
	})
}

// loadCorpusWith is loadCorpus with the whole connector: block as YAML, and
// run running `filedge run --once` of a config and returning its output.
func loadCorpusWith(t *testing.T, connector, typ string, run func(t *testing.T, config string) string) map[string]previewed {
	t.Helper()
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	files := copyCorpus(t, in)
	config := filepath.Join(dir, "pipeline.yaml")
	writeFile(t, config, []byte(`name: corpus
source: {path: ./in}
mode: magic_folder
on_error: skip
watcher: {settle: 50ms}
`+connector))
	out := run(t, config)

	outcome := map[string]string{}
	line := regexp.MustCompile(`(?m)^(\S+)\s+` + regexp.QuoteMeta(typ) + `\s+(committed|failed|superseded|duplicate)\b`)
	for _, m := range line.FindAllStringSubmatch(out, -1) {
		outcome[m[1]] = m[2]
	}
	committed := map[string]previewed{}
	for _, f := range files {
		p := previewFile(t, filepath.Join(in, f))
		switch {
		case outcome[f] == "":
			t.Errorf("%s: no outcome in the summary", f)
		case p.Status != "ok":
			if outcome[f] != "failed" {
				t.Errorf("%s: preview fails it (%s) but the load says %s", f, p.Status, outcome[f])
			}
			if !corpusFailures[f] {
				t.Errorf("%s: fails (%s), and it is not one of the corpus files known to fail", f, p.Status)
			}
		case corpusFailures[f]:
			t.Errorf("%s: loads, but it is listed as known to fail", f)
		case outcome[f] != "committed":
			t.Errorf("%s: preview reads it but the load says %s", f, outcome[f])
		default:
			committed[f] = p
		}
	}
	t.Logf("%d corpus files, %d committed", len(files), len(committed))
	return committed
}

// copyCorpus copies every corpus file (Avro, Parquet, CSV, Excel) into the
// folder in, each under a name of its own whose stem is unique (magic
// folder mode names tables after it), and returns those names.
func copyCorpus(t *testing.T, in string) []string {
	t.Helper()
	corpus := corpusDir(t)
	var files []string
	for _, sub := range []string{"avro", "parquet", "csv-spectrum/csvs", "excel"} {
		entries, err := os.ReadDir(filepath.Join(corpus, sub))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			name := e.Name()
			ext := filepath.Ext(name)
			if e.IsDir() || !slices.Contains([]string{".avro", ".parquet", ".csv", ".xls", ".xlsx"}, ext) {
				continue
			}
			stem := strings.NewReplacer(".", "_", "-", "_").Replace(strings.TrimSuffix(name, ext))
			dst := fmt.Sprintf("%s_%s%s", strings.Split(sub, "/")[0], stem, ext)
			data, err := os.ReadFile(filepath.Join(corpus, sub, name))
			if err != nil {
				t.Fatal(err)
			}
			writeFile(t, filepath.Join(in, dst), data)
			files = append(files, dst)
		}
	}
	if len(files) < 50 {
		t.Fatalf("only %d corpus files found under %s", len(files), corpus)
	}
	return files
}

func previewFile(t *testing.T, path string) previewed {
	t.Helper()
	cmd := exec.Command(binary, "preview", path, "--json", "--rows", "0", "--mode", "magic_folder", "--on-error", "skip")
	var out bytes.Buffer
	cmd.Stdout = &out
	_ = cmd.Run() // exit 1 for a failed file; the JSON says so
	var p previewed
	if err := json.Unmarshal(out.Bytes(), &p); err != nil {
		t.Fatalf("preview %s: %v\n%s", path, err, out.String())
	}
	return p
}
