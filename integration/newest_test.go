package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A file replaced by new content with an older modification time (cp -p,
// rsync -t, unzip, tar x) is a newer version: the one discovered last wins,
// whatever the file's own clock says, also when the watcher's state was lost
// in between while the destinations kept their ledgers.
func TestRunOnceLoadsAFileReplacedByContentWithAnOlderModificationTime(t *testing.T) {
	for _, tc := range []struct {
		name      string
		loseState bool
	}{
		{"WatcherStateKept", false},
		{"WatcherStateLost", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := newOncePipeline(t, "upsert_file", "")
			o.write(t, "a.csv", threeRows)
			o.mustRun(t)
			if pg, lite := o.counts(t, "a.csv"); pg != 3 || lite != 3 {
				t.Fatalf("a.csv: %d rows in PostgreSQL, %d in SQLite, want 3", pg, lite)
			}

			path := filepath.Join(o.in, "a.csv")
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			writeFile(t, path, []byte(twoRows))
			older := fi.ModTime().Add(-24 * time.Hour)
			if err := os.Chtimes(path, older, older); err != nil {
				t.Fatal(err)
			}
			if tc.loseState {
				// The embedded bus's data dir, watcher state included.
				dataDir := filepath.Join(o.dir, ".filedge")
				if _, err := os.Stat(dataDir); err != nil {
					t.Fatalf("no data dir to lose: %v", err)
				}
				if err := os.RemoveAll(dataDir); err != nil {
					t.Fatal(err)
				}
			}

			out := o.mustRun(t)
			if strings.Contains(out, "superseded") || !strings.Contains(out, "2 committed") {
				t.Fatalf("the replaced file must be committed in both destinations, not superseded:\n%s", out)
			}
			if pg, lite := o.counts(t, "a.csv"); pg != 2 || lite != 2 {
				t.Fatalf("a.csv after the replace: %d rows in PostgreSQL, %d in SQLite, want the new 2", pg, lite)
			}
			for name, n := range map[string]int64{
				"PostgreSQL": queryInt(t, o.pg, `SELECT count(*) FROM sales WHERE _file = 'a.csv' AND id IN (4, 5)`),
				"SQLite":     queryInt(t, o.openLite(t), `SELECT count(*) FROM sales WHERE _file = 'a.csv' AND id IN (4, 5)`),
			} {
				if n != 2 {
					t.Errorf("%s holds %d of the new rows (ids 4 and 5), want 2", name, n)
				}
			}
		})
	}
}
