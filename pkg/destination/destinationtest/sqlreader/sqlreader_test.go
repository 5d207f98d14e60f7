package sqlreader_test

import (
	"database/sql"
	"errors"
	"path/filepath"
	"testing"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"github.com/filedge/filedge/pkg/destination/destinationtest"
	"github.com/filedge/filedge/pkg/destination/destinationtest/sqlreader"
	"github.com/filedge/filedge/pkg/record"
)

func TestStandardTypeMapsCatalogNamesAndRefusesOthers(t *testing.T) {
	for declared, want := range map[string]record.Type{
		"bigint": record.Integer, "INTEGER": record.Integer, "double precision": record.Float, "DOUBLE": record.Float,
		"boolean": record.Boolean, "date": record.Date, "timestamp with time zone": record.Timestamp,
		"TIMESTAMP": record.Timestamp, "datetime(6)": record.Timestamp, "text": record.String,
		"character varying(20)": record.String, "jsonb": record.JSON, "JSON": record.JSON,
		"numeric(12,2)": record.DecimalOf(12, 2), "DECIMAL(38, 0)": record.DecimalOf(38, 0), "numeric": record.Decimal,
	} {
		if got, err := sqlreader.StandardType(declared); err != nil || got != want {
			t.Errorf("StandardType(%q) = %v, %v; want %v", declared, got, err, want)
		}
	}
	for _, declared := range []string{"blob", "interval", "JSONTEXT", ""} {
		if got, err := sqlreader.StandardType(declared); err == nil {
			t.Errorf("StandardType(%q) = %v, want an error: a guess would hide a wrong column type", declared, got)
		}
	}
}

// ledgerDB returns a SQLite database holding a ledger with the given rows'
// pipeline, version and seq.
func ledgerDB(t *testing.T, rows ...[]any) *sqlreader.Reader {
	db, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "l.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Exec(`CREATE TABLE "_filedge_ledger" ("pipeline" TEXT, "version" TEXT, "path" TEXT, "size" BIGINT,
		"modified" TEXT, "seq" BIGINT, "sha256" TEXT, "tables" TEXT, "rows" BIGINT, "committed" TEXT)`); err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if _, err := db.Exec(`INSERT INTO "_filedge_ledger" VALUES (?, ?, 'a.csv', 1, '2024-01-02T03:04:05.000006Z', ?, NULL, '["t"]', 2, '2024-01-02T03:04:05Z')`, r...); err != nil {
			t.Fatal(err)
		}
	}
	return sqlreader.New(db, sqlreader.Dialect{
		Tables:  `SELECT "name" FROM "sqlite_schema" WHERE "type" = 'table'`,
		Columns: `SELECT "name", "type" FROM pragma_table_info(?) ORDER BY "cid"`,
	})
}

func TestLedgerReadsOnePipelineAndTellsNoSequenceFromZero(t *testing.T) {
	r := ledgerDB(t, []any{"p", "v1", nil}, []any{"p", "v2", int64(7)}, []any{"other", "v3", nil})
	rows, err := r.Ledger(t.Context(), "p")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].Version != "v1" || rows[0].Seq != 0 || rows[1].Seq != 7 ||
		rows[0].Modified.Nanosecond() != 6000 || len(rows[0].Tables) != 1 || rows[0].Rows != 2 || rows[0].SHA256 != "" {
		t.Errorf("Ledger(p) = %+v", rows)
	}
	if tables, err := r.Tables(t.Context()); err != nil || len(tables) != 0 {
		t.Errorf("Tables = %q, %v; want none: the ledger is bookkeeping", tables, err)
	}
	if _, err := r.Rows(t.Context(), "missing"); !errors.Is(err, destinationtest.ErrNoTable) {
		t.Errorf("Rows of a missing table: %v, want ErrNoTable", err)
	}

	zero := ledgerDB(t, []any{"p", "v1", int64(0)})
	if rows, err := zero.Ledger(t.Context(), "p"); err == nil {
		t.Errorf("a stored seq of 0 read as %+v: want an error, a version without a sequence is NULL", rows)
	}
}
