package sqlite

import (
	"database/sql"
	"slices"
	"testing"
)

func TestFileMatchHoldsThePathAndExactlyItsMembers(t *testing.T) {
	db, err := sql.Open("sqlite", ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(t.Context(), `CREATE TABLE "t" ("_file" TEXT)`); err != nil {
		t.Fatal(err)
	}
	const path = "in/b.zip"
	match := []string{path, path + "!/", path + "!/a.csv", path + "!/ü/ñ.csv", path + "!/\xff\xfe", path + "!/x!/inner.csv", path + "!/%_"}
	other := []string{"in/b.zi", "in/b.zip!", path + "!", path + "!0", path + "!.", path + "!x/a.csv", path + "x!/a.csv", path + ".bak", "IN/B.ZIP", "IN/B.ZIP!/a.csv", "in/B.zip!/a.csv", "in/b.zip/a.csv", "", "in/c.zip!/a.csv"}
	for _, v := range append(slices.Clone(match), other...) {
		if _, err := db.ExecContext(t.Context(), `INSERT INTO "t" VALUES (?)`, v); err != nil {
			t.Fatal(err)
		}
	}
	rows, err := db.QueryContext(t.Context(), `SELECT "_file" FROM "t" WHERE `+fileMatch, fileMatchArgs(path)...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		got = append(got, v)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	slices.Sort(match)
	if !slices.Equal(got, match) {
		t.Errorf("fileMatch(%q) holds\n%q\nwant\n%q", path, got, match)
	}
}
