package postgres

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/filedge/filedge/pkg/destination"
	"github.com/filedge/filedge/pkg/destination/destinationtest"
	"github.com/filedge/filedge/pkg/record"
)

func TestMemberPatternEscapesWildcardsAndTheEscapeCharacter(t *testing.T) {
	for _, tc := range []struct{ path, want string }{
		{"in/batch.zip", `in/batch.zip!/%`},
		{`in/100%_done\x.zip`, `in/100\%\_done\\x.zip!/%`},
		{"in/ü ñ.tar", "in/ü ñ.tar!/%"},
		{`%%__\\`, `\%\%\_\_\\\\!/%`},
	} {
		t.Run(tc.path, func(t *testing.T) {
			if got := memberPattern(tc.path); got != tc.want {
				t.Errorf("memberPattern(%q) = %q, want %q", tc.path, got, tc.want)
			}
		})
	}
}

// fileTable makes table ix the way filedge does (a first commit creates it,
// a second Append builds the index on _file), then adds rows of 2,000
// plain files and 200 archives of 10 members (100 rows each) and analyzes
// it, as autovacuum would.
func fileTable(t *testing.T) (*DB, string) {
	t.Helper()
	db, sq, schema := open(t)
	cols := []record.Column{{Name: "n", Type: record.Integer}}
	for i, path := range []string{"a.csv", "b.csv"} {
		f, _ := file(t, fmt.Sprintf("v%d", i), path, t2024, tableData{name: "ix", cols: cols, batches: [][][]any{{{int64(i)}}}})
		commitOK(t, db, f, destination.Committed)
	}
	for _, q := range []string{
		`INSERT INTO ix (n, _file) SELECT g, 'in/file' || (g / 100) || '.csv' FROM generate_series(0, 199999) g`,
		`INSERT INTO ix (n, _file) SELECT g, 'in/batch' || (g / 1000) || '.zip!/m' || ((g / 100) % 10) || '.csv' FROM generate_series(0, 199999) g`,
		`ANALYZE ix`,
	} {
		if _, err := sq.ExecContext(t.Context(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	return db, schema
}

func TestAppendDeleteOfAPathAndItsArchiveMembersUsesTheFileIndex(t *testing.T) {
	db, schema := fileTable(t)
	quoted := quote(schema) + `.` + quote("ix")
	for _, tc := range []struct {
		name, where string
		args        []any
	}{
		{"UpsertFileOfAnArchive", fileMatch, []any{"in/batch7.zip", memberPattern("in/batch7.zip")}},
		{"UpsertFileOfAPlainFile", fileMatch, []any{"in/file7.csv", memberPattern("in/file7.csv")}},
		{"AppendFile", fileMatch + ` AND ` + quote(record.HashColumn) + ` = $3`, []any{"in/batch7.zip", memberPattern("in/batch7.zip"), "h"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Through the destination's pool: the statement is sent as
			// Commit sends it, and planned with its parameters' values.
			rows, err := db.pool.Query(t.Context(), `EXPLAIN DELETE FROM `+quoted+` WHERE `+tc.where, tc.args...)
			if err != nil {
				t.Fatal(err)
			}
			var plan []string
			for rows.Next() {
				var line string
				if err := rows.Scan(&line); err != nil {
					t.Fatal(err)
				}
				plan = append(plan, line)
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			text := strings.Join(plan, "\n")
			if strings.Contains(text, "Seq Scan") || strings.Count(text, "Index Scan") < 2 || !strings.Contains(text, "~>=~") {
				t.Errorf("the delete does not use the index on _file for both the path and its members:\n%s", text)
			}
		})
	}
}

func TestAppendCommitAddsAPatternIndexBesideADefaultOne(t *testing.T) {
	db, sq, _ := open(t)
	cols := []record.Column{{Name: "n", Type: record.Integer}}
	f, _ := file(t, "v1", "a.csv", t2024, tableData{name: "ix", cols: cols, batches: [][][]any{{{int64(1)}}}})
	commitOK(t, db, f, destination.Committed)
	// An index of the default operator class, as filedge made before
	// archives (or a user might), cannot serve LIKE 'prefix%' unless the
	// collation is C.
	if _, err := sq.ExecContext(t.Context(), `CREATE INDEX ix_file_default ON ix (_file)`); err != nil {
		t.Fatal(err)
	}
	defs := func() []string {
		var out []string
		for _, r := range query(t, sq, `SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'ix' ORDER BY indexname`) {
			out = append(out, r[0].(string))
		}
		return out
	}
	for i, path := range []string{"b.csv", "a.csv"} {
		f, _ := file(t, fmt.Sprintf("v%d", i+2), path, t2024.Add(time.Hour), tableData{name: "ix", cols: cols, batches: [][][]any{{{int64(i)}}}})
		commitOK(t, db, f, destination.Committed)
		got := defs()
		if len(got) != 2 || !strings.Contains(strings.Join(got, "\n"), "text_pattern_ops") {
			t.Errorf("after commit %d, indexes %q; want the default one and one text_pattern_ops", i+2, got)
		}
	}
}

func TestArchiveMemberBatchesShareOneCopy(t *testing.T) {
	db, sq, _ := open(t)
	const archive = "in/batch.zip"
	cols := destinationtest.Cols("x", record.Integer)
	var tb destinationtest.TableBatches
	tb.Table = "m"
	for i := range 6 {
		if i == 4 {
			// A batch with no member name between them takes the
			// archive's path.
			tb.Batches = append(tb.Batches, destinationtest.Batch{Columns: cols, Rows: [][]any{{9}}})
		}
		tb.Batches = append(tb.Batches, destinationtest.Batch{
			Columns: cols, Rows: [][]any{{i}, {i}}, FirstLine: 1,
			File: destinationtest.Member(archive, fmt.Sprintf("m%d.csv", i/2)), // two batches per member
		})
	}
	f := destinationtest.File(t, "v1", archive, t2024, tb)
	before := db.copies.Load()
	commitOK(t, db, f, destination.Committed)
	if n := db.copies.Load() - before; n != 1 {
		t.Errorf("%d COPY statements for one table's batches, want 1", n)
	}
	got := query(t, sq, `SELECT _file, count(*) FROM m GROUP BY _file ORDER BY _file COLLATE "C"`)
	want := [][]any{{"in/batch.zip", int64(1)}, {"in/batch.zip!/m0.csv", int64(4)}, {"in/batch.zip!/m1.csv", int64(4)}, {"in/batch.zip!/m2.csv", int64(4)}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("rows per _file %v, want %v", got, want)
	}
}

// BenchmarkBatchFile measures the check of a 10,000-row member batch's
// _file column, which Commit runs once per batch.
func BenchmarkBatchFile(b *testing.B) {
	recs := benchBatches(10_000, 10_000, "bench.zip", record.Float)
	defer recs[0].Release()
	for b.Loop() {
		if _, err := destination.BatchFile(recs[0], "bench.zip"); err != nil {
			b.Fatal(err)
		}
	}
}
