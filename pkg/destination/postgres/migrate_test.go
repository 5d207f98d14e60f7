package postgres

import (
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/filedge/filedge/pkg/destination"
	"github.com/filedge/filedge/pkg/destination/destinationtest"
	"github.com/filedge/filedge/pkg/settings"
)

func TestNewMigratesALedgerWrittenBeforeSequences(t *testing.T) {
	schema := newSchema(t)
	old := sqlDB(t, schema)
	q := pgx.Identifier{schema}.Sanitize()
	for _, stmt := range []string{
		`CREATE SCHEMA ` + q,
		// The ledger as filedge created it before discovery sequences.
		`CREATE TABLE ` + q + `._filedge_ledger (
			pipeline text NOT NULL,
			version text NOT NULL,
			path text NOT NULL,
			size bigint,
			modified timestamptz,
			sha256 text,
			tables text,
			rows bigint,
			committed timestamptz NOT NULL,
			PRIMARY KEY (pipeline, version))`,
		`CREATE INDEX _filedge_ledger_path ON ` + q + `._filedge_ledger (pipeline, path)`,
		`CREATE TABLE ` + q + `._filedge_tables (pipeline text, table_name text PRIMARY KEY, owner text, created timestamptz)`,
	} {
		if _, err := old.Exec(stmt); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := old.Exec(`INSERT INTO _filedge_ledger VALUES ($1, 'legacy', 'a.csv', 10, $2, NULL, '[]', 0, $3)`,
		destinationtest.Pipeline, destinationtest.LegacyModified, time.Now()); err != nil {
		t.Fatal(err)
	}

	// Several sinks upgraded at once open the schema together.
	var wg sync.WaitGroup
	dbs := make([]*DB, 4)
	errs := make([]error, len(dbs))
	for i := range dbs {
		wg.Go(func() {
			dbs[i], errs[i] = New(t.Context(), Config{URL: settings.Secret(testURL()), Schema: schema}, destination.Env{Name: "d"})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("New %d: %v", i, err)
		}
		t.Cleanup(func() { dbs[i].Close() })
	}

	indexes := query(t, old, `SELECT indexname FROM pg_indexes WHERE schemaname = $1 AND tablename = '_filedge_ledger' ORDER BY indexname`, schema)
	if len(indexes) != 2 || indexes[0][0] != "_filedge_ledger_path_seq" || indexes[1][0] != "_filedge_ledger_pkey" {
		t.Errorf("the ledger's indexes are %v, want the primary key and _filedge_ledger_path_seq (which serves every lookup the old one did)", indexes)
	}
	destinationtest.AssertMigratedLedger(t, dbs[2], reader(old))
}
