package integration

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/filedge/filedge/pkg/destination/files"
	"github.com/filedge/filedge/pkg/record"
)

// copyTree copies the files under src into dst.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, e os.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		writeFile(t, filepath.Join(dst, rel), data)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// outputRows previews every file in paths, as a user would read them, and
// returns the rows of each, failing t on a file that does not read.
func outputRows(t *testing.T, paths ...string) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for _, p := range paths {
		pv := previewFile(t, p)
		if pv.Status != "ok" || len(pv.Tables) == 0 {
			t.Fatalf("%s does not read: %+v", p, pv)
		}
		for _, tb := range pv.Tables {
			out[p] += tb.Rows
		}
	}
	return out
}

// TestRunOnceLoadsTheExamplePipelineIntoFilesOfEveryFormat runs the
// example pipeline (examples/pipeline.yaml and its data) with a files
// destination in each format: table orders is a folder with a file per
// source file, each reading back with its source's rows, and a second run
// finds every version in the destination's ledger.
func TestRunOnceLoadsTheExamplePipelineIntoFilesOfEveryFormat(t *testing.T) {
	example, err := os.ReadFile("../examples/pipeline.yaml")
	if err != nil {
		t.Fatal(err)
	}
	connector := regexp.MustCompile(`(?s)connector:.*`)
	for _, tc := range []struct{ format, ext string }{
		{"parquet", ".parquet"}, {"csv", ".csv"}, {"json", ".jsonl"}, {"excel", ".xlsx"},
	} {
		t.Run(tc.format, func(t *testing.T) {
			dir := t.TempDir()
			copyTree(t, "../examples/data", filepath.Join(dir, "data"))
			config := filepath.Join(dir, "pipeline.yaml")
			pipeline := connector.ReplaceAllString(string(example), fmt.Sprintf("watcher: {settle: 50ms}\nconnector:\n  type: files\n  path: ./out\n  format: %s\n", tc.format))
			writeFile(t, config, []byte(pipeline))

			out, code := runOnce(t, config)
			if code != 0 || !strings.Contains(out, "3 files, 1 destinations: 3 committed; 9 rows committed") {
				t.Fatalf("run --once exited %d:\n%s", code, out)
			}
			want := map[string]int64{}
			for source, rows := range map[string]int64{"orders-2026-11-01.csv": 4, "2026/11/orders-2026-11-02.csv": 3, "2026/11/orders-2026-11-03.jsonl": 2} {
				want[filepath.Join(dir, "out", "orders", files.FileName(source)+tc.ext)] = rows
			}
			got, err := filepath.Glob(filepath.Join(dir, "out", "orders", "*"))
			if err != nil {
				t.Fatal(err)
			}
			slices.Sort(got)
			wantFiles := slices.Sorted(mapKeys(want))
			if !slices.Equal(got, wantFiles) {
				t.Fatalf("table orders holds\n%q\nwant\n%q", got, wantFiles)
			}
			for p, n := range outputRows(t, got...) {
				if n != want[p] {
					t.Errorf("%s holds %d rows, want %d", filepath.Base(p), n, want[p])
				}
			}

			out, code = runOnce(t, config)
			if code != 0 || !strings.Contains(out, "3 unchanged") {
				t.Errorf("a second run over the same files exited %d, want every file unchanged:\n%s", code, out)
			}
		})
	}
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// TestTheWholeCorpusLoadsIntoParquetFilesWithTheParsersTypesAndCounts loads
// every corpus file (Avro, Parquet, CSV, Excel) in magic folder mode into a
// files destination writing Parquet: each table of each file is one
// Parquet file, which reads back with the rows and the column types
// `filedge preview` reports for the source.
func TestTheWholeCorpusLoadsIntoParquetFilesWithTheParsersTypesAndCounts(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	for f, p := range loadCorpus(t, fmt.Sprintf(`{type: files, path: %q, format: parquet}`, out), "files") {
		for _, tb := range p.Tables {
			file := filepath.Join(out, files.FileName(tb.Name)+".parquet")
			got := previewFile(t, file)
			if got.Status != "ok" || len(got.Tables) != 1 {
				t.Errorf("%s: table %s: %s does not read back: %+v", f, tb.Name, file, got)
				continue
			}
			if got.Tables[0].Rows != tb.Rows {
				t.Errorf("%s: table %s holds %d rows, preview says %d", f, tb.Name, got.Tables[0].Rows, tb.Rows)
			}
			types := map[string]record.Type{}
			for _, c := range got.Tables[0].Columns {
				types[c.Name] = c.Type
			}
			for _, c := range tb.Columns {
				if typ, ok := types[c.Name]; !ok || typ != c.Type.Stored() {
					t.Errorf("%s: table %s column %s is %v in the file, %v in the source", f, tb.Name, c.Name, typ, c.Type.Stored())
				}
			}
		}
	}
}

// csvTable reads every file of a files destination's table folder, in CSV,
// with encoding/csv: each file's rows as maps from column to text.
func csvTable(folder string) (map[string][]map[string]string, error) {
	paths, err := filepath.Glob(filepath.Join(folder, "*"))
	if err != nil {
		return nil, err
	}
	out := map[string][]map[string]string{}
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return nil, err
		}
		recs, err := csv.NewReader(f).ReadAll()
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		var rows []map[string]string
		for _, rec := range recs[1:] {
			row := map[string]string{}
			for i, name := range recs[0] {
				row[name] = rec[i]
			}
			rows = append(rows, row)
		}
		out[filepath.Base(p)] = rows
	}
	return out, nil
}

// csvTotals counts the rows of a table folder and sums their ids.
func csvTotals(folder string) (rows, idSum int64) {
	table, err := csvTable(folder)
	if err != nil {
		return -1, -1
	}
	for _, fileRows := range table {
		for _, row := range fileRows {
			id, _ := strconv.ParseInt(row["id"], 10, 64)
			rows, idSum = rows+1, idSum+id
		}
	}
	return rows, idSum
}

// TestCrashTestFilesDestinationHoldsEveryFileOnceWhileProcessesAreKilled is
// the crash test with a files destination writing CSV: while processes are
// SIGKILLed and restarted, the table's folder ends with one file per source
// file, holding exactly the rows of its newest version, read with
// encoding/csv; no temporary file is left among them; and the ledger files
// agree.
func TestCrashTestFilesDestinationHoldsEveryFileOnceWhileProcessesAreKilled(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	folder := filepath.Join(out, "events")
	pipeline, expect := crashRun(t, dir, fmt.Sprintf(`{name: warehouse, type: files, path: %q, format: csv}`, out), natsCrashBus(120, 15, 1),
		func() (int64, int64) { return csvTotals(folder) })

	table, err := csvTable(folder)
	if err != nil {
		t.Fatal(err)
	}
	if len(table) != len(expect) {
		t.Errorf("the table's folder holds %d files, want one per source file, %d", len(table), len(expect))
	}
	for source, w := range expect {
		name := files.FileName(source) + ".csv"
		rows, ok := table[name]
		if !ok {
			t.Errorf("%s: no file %s", source, name)
			continue
		}
		var sum int64
		versions := map[string]bool{}
		for _, row := range rows {
			id, _ := strconv.ParseInt(row["id"], 10, 64)
			sum += id
			versions[row["version"]] = true
			if row["_file"] != source {
				t.Errorf("%s: a row of %s says _file %q", name, source, row["_file"])
				break
			}
		}
		if len(rows) != w.rows || sum != w.idSum || len(versions) != 1 {
			t.Errorf("%s: %d rows (id sum %d, %d versions), want %d rows (id sum %d) of one version", source, len(rows), sum, len(versions), w.rows, w.idSum)
		}
	}

	ledger, err := filepath.Glob(filepath.Join(out, "_filedge", "ledger", files.FileName(pipeline), "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	type entry struct {
		Path string `json:"path"`
		Seq  int64  `json:"seq"`
		Rows int    `json:"rows"`
	}
	newest := map[string]entry{}
	for _, p := range ledger {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var e entry
		if err := json.Unmarshal(data, &e); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if e.Seq > newest[e.Path].Seq {
			newest[e.Path] = e
		}
	}
	if len(newest) != len(expect) {
		t.Errorf("the ledger covers %d paths, want %d", len(newest), len(expect))
	}
	for source, e := range newest {
		if w := expect[source]; e.Rows != w.rows {
			t.Errorf("%s: the newest ledger file says %d rows, the file holds %d", source, e.Rows, w.rows)
		}
	}
}
