package postgres

import (
	"fmt"
	"testing"

	"github.com/filedge/filedge/pkg/destination"
	"github.com/filedge/filedge/pkg/destination/destinationtest"
	"github.com/filedge/filedge/pkg/record"
)

// The conformance suite's CDC cases run in the test database, whose
// collation orders text by its bytes (C.UTF-8 on the test machine); a
// table made with a linguistic collation must order CDC changes by their
// bytes all the same (ADR 0005), or two databases would disagree on which
// change of a key is the newest.
func TestCDCOrdersTextByItsBytesWhateverTheColumnsCollation(t *testing.T) {
	db, sq, _ := open(t)
	var icu bool
	if err := sq.QueryRow(`SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_collation WHERE collname = 'en-x-icu')`).Scan(&icu); err != nil {
		t.Fatal(err)
	}
	collation := `"en-x-icu"`
	if !icu {
		collation = `"en_US"` // libc's, where ICU is missing
	}
	// In English order "a" comes before "B"; by bytes, after it.
	if _, err := sq.Exec(`CREATE TABLE customers (id bigint, seq text COLLATE ` + collation + `, name text,
		_file text COLLATE ` + collation + `, _line bigint, _modified timestamptz, _filedge_synced timestamptz, _source_file_hash text)`); err != nil {
		t.Fatal(err)
	}
	cols := destinationtest.Cols("op", record.String, "id", record.Integer, "seq", record.String, "name", record.String)
	file := func(version, path string, rows ...[]any) *destination.File {
		f := destinationtest.File(t, version, path, t2024, destinationtest.Table("customers", cols, rows...))
		f.WriteMode, f.CDC = destination.CDC, destinationtest.CDCSpec()
		return f
	}
	commitOK(t, db, file("v1", "x.csv", []any{"u", 1, "a", "newer sequence"}, []any{"u", 1, "B", "older sequence"}), destination.Committed)
	commitOK(t, db, file("v2", "y.csv", []any{"u", 1, "B", "older, later path"}), destination.Committed)
	// Equal sequences: the path that sorts last by its bytes wins.
	commitOK(t, db, file("v3", "b.csv", []any{"u", 2, "s", "b.csv"}), destination.Committed)
	commitOK(t, db, file("v4", "C.csv", []any{"u", 2, "s", "C.csv"}), destination.Committed)
	got := query(t, sq, `SELECT id, name FROM customers ORDER BY id`)
	if want := [][]any{{int64(1), "newer sequence"}, {int64(2), "b.csv"}}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

// A table made by hand keeps its own column types: the merge converts the
// stage's values into them, and a key index is added to it.
func TestCDCMergesIntoATableMadeByHand(t *testing.T) {
	db, sq, _ := open(t)
	if _, err := sq.Exec(`CREATE TABLE customers (id integer, seq numeric, name varchar(20),
		_file text, _line bigint, _modified timestamptz, _filedge_synced timestamptz, _source_file_hash text)`); err != nil {
		t.Fatal(err)
	}
	if _, err := sq.Exec(`INSERT INTO customers (id, seq, name) VALUES (1, 1, 'one'), (2, 1, 'two')`); err != nil {
		t.Fatal(err)
	}
	f := destinationtest.CDCFile(t, "v1", "a.csv", []any{"u", 1, 2, "uno"}, []any{"d", 2, 2, nil}, []any{"c", 3, 1, "tres"})
	res := commitOK(t, db, f, destination.Committed)
	if len(res.Widened) != 0 || len(res.Added) != 0 {
		t.Errorf("Widened %v, Added %v: want none", res.Widened, res.Added)
	}
	got := query(t, sq, `SELECT id, seq::text, name FROM customers ORDER BY id`)
	if want := [][]any{{int64(1), "2", "uno"}, {int64(3), "1", "tres"}}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %v, want %v", got, want)
	}
	var types string
	if err := sq.QueryRow(`SELECT string_agg(format_type(atttypid, atttypmod), ',' ORDER BY attnum) FROM pg_attribute
		WHERE attrelid = 'customers'::regclass AND attnum > 0 AND attname IN ('id', 'seq', 'name')`).Scan(&types); err != nil {
		t.Fatal(err)
	}
	if types != "integer,numeric,character varying(20)" {
		t.Errorf("column types %s, want the table's own", types)
	}
}
