package sqlledger_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/filedge/filedge/pkg/destination"
	"github.com/filedge/filedge/pkg/destination/sqlledger"
)

// recorder is a Conn that records the statements it is given and runs
// none.
type recorder struct{ stmts []string }

func (r *recorder) Exec(_ context.Context, query string, _ ...any) error {
	r.stmts = append(r.stmts, strings.Join(strings.Fields(query), " "))
	return nil
}

func (r *recorder) Query(_ context.Context, query string, _ []any, _ func(func(...any) error) error) error {
	r.stmts = append(r.stmts, strings.Join(strings.Fields(query), " "))
	return errors.New("recorder runs no query")
}

// dialect is a MySQL-like dialect (? placeholders, backquotes, its own
// conflict clause) whose catalog is cat.
func dialect(cat sqlledger.Catalog) sqlledger.Dialect {
	return sqlledger.Dialect{
		Quote:             func(name string) string { return "`" + strings.ReplaceAll(name, "`", "``") + "`" },
		Schema:            "db",
		Types:             sqlledger.Types{Key: "VARCHAR(255)", Text: "LONGTEXT", BigInt: "BIGINT", Timestamp: "DATETIME(6)", JSON: "LONGTEXT"},
		IsUniqueViolation: func(error) bool { return false },
		IgnoreConflict:    func(key string) string { return "ON DUPLICATE KEY UPDATE `" + key + "` = `" + key + "`" },
		TableExists: func(name string) string {
			return "EXISTS (SELECT 1 FROM information_schema.tables WHERE table_name = " + name + ")"
		},
		Catalog: func(context.Context, sqlledger.Conn) (sqlledger.Catalog, error) { return cat, nil },
	}
}

func TestSetupChangesOnlyWhatTheCatalogLacks(t *testing.T) {
	createLedger := "CREATE TABLE IF NOT EXISTS `db`.`_filedge_ledger` ( `pipeline` VARCHAR(255) NOT NULL, `version` VARCHAR(255) NOT NULL, `path` VARCHAR(255) NOT NULL, `size` BIGINT, `modified` DATETIME(6), `seq` BIGINT, `sha256` LONGTEXT, `tables` LONGTEXT, `rows` BIGINT, `committed` DATETIME(6) NOT NULL, PRIMARY KEY (`pipeline`, `version`))"
	addSeq := "ALTER TABLE `db`.`_filedge_ledger` ADD COLUMN `seq` BIGINT"
	createIndex := "CREATE INDEX `_filedge_ledger_path_seq` ON `db`.`_filedge_ledger` (`pipeline`, `path`, `seq`)"
	dropOld := "DROP INDEX IF EXISTS `db`.`_filedge_ledger_path`"
	createTables := "CREATE TABLE IF NOT EXISTS `db`.`_filedge_tables` ( `pipeline` LONGTEXT, `table_name` VARCHAR(255) PRIMARY KEY, `owner` LONGTEXT, `created` DATETIME(6))"
	for _, tc := range []struct {
		name string
		cat  sqlledger.Catalog
		want []string
	}{
		{"NewDatabase", sqlledger.Catalog{}, []string{createLedger, createIndex, createTables}},
		{"LedgerBeforeSequences", sqlledger.Catalog{Ledger: true, OldPathIndex: true, Tables: true}, []string{addSeq, createIndex, dropOld}},
		{"UpToDate", sqlledger.Catalog{Ledger: true, Seq: true, PathSeqIndex: true, Tables: true}, nil},
		{"UpToDateBesideAnOldIndex", sqlledger.Catalog{Ledger: true, Seq: true, PathSeqIndex: true, OldPathIndex: true, Tables: true}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var r recorder
			if err := sqlledger.New(dialect(tc.cat)).Setup(t.Context(), &r); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(r.stmts, tc.want) {
				t.Errorf("Setup ran\n%s\nwant\n%s", strings.Join(r.stmts, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

func TestNewRefusesADialectWithoutItsRequiredParts(t *testing.T) {
	full := dialect(sqlledger.Catalog{})
	for name, cut := range map[string]func(*sqlledger.Dialect){
		"Types":             func(d *sqlledger.Dialect) { d.Types = sqlledger.Types{} },
		"IsUniqueViolation": func(d *sqlledger.Dialect) { d.IsUniqueViolation = nil },
		"TableExists":       func(d *sqlledger.Dialect) { d.TableExists = nil },
		"Catalog":           func(d *sqlledger.Dialect) { d.Catalog = nil },
	} {
		t.Run(name, func(t *testing.T) {
			d := full
			cut(&d)
			defer func() {
				if p := recover(); p == nil || !strings.Contains(fmt.Sprint(p), name) {
					t.Errorf("New panicked with %v, want a panic naming %s", p, name)
				}
			}()
			sqlledger.New(d)
		})
	}
}

func TestStatementsQuoteEachNameOnceAndNumberTheirParameters(t *testing.T) {
	d := dialect(sqlledger.Catalog{})
	d.Schema = "we\"ird`s"
	d.Param = sqlledger.Dollar
	var r recorder
	l := sqlledger.New(d)
	if err := l.Setup(t.Context(), &r); err != nil {
		t.Fatal(err)
	}
	if _, _, err := l.Lookup(t.Context(), &r, "p", "v"); err == nil {
		t.Fatal("Lookup through a recorder succeeded")
	}
	ledger := "`we\"ird``s`.`_filedge_ledger`"
	for _, want := range []string{
		"CREATE TABLE IF NOT EXISTS " + ledger + " ( `pipeline` VARCHAR(255) NOT NULL,",
		"CREATE INDEX `_filedge_ledger_path_seq` ON " + ledger + " (`pipeline`, `path`, `seq`)",
		"SELECT `tables`, `rows`, `committed` FROM " + ledger + " WHERE `pipeline` = $1 AND `version` = $2",
	} {
		if !slices.ContainsFunc(r.stmts, func(s string) bool { return strings.HasPrefix(s, want) }) {
			t.Errorf("no statement starts with\n%s\nin\n%s", want, strings.Join(r.stmts, "\n"))
		}
	}
}

// appendOnly is a Writer of a destination that has not learnt CDC.
type appendOnly struct{}

func (appendOnly) Write(context.Context, *fakeTx, destination.Batches, time.Time) (*destination.Result, error) {
	return nil, errors.New("an append-only writer was asked to write a CDC file")
}

func (appendOnly) Empty(context.Context, *fakeTx, string) error { return nil }

// fakeTx is a transaction that is never opened.
type fakeTx struct{ recorder }

func (*fakeTx) Commit(context.Context) error   { return nil }
func (*fakeTx) Rollback(context.Context) error { return nil }

func TestCommitRefusesACDCFileTheWriterCannotApply(t *testing.T) {
	l := sqlledger.New(dialect(sqlledger.Catalog{}))
	spec := &destination.CDCSpec{Keys: []string{"id"}, OperationColumn: "op", SequenceBy: "seq", Insert: []string{"I"}}
	for name, f := range map[string]*destination.File{
		"AWriterWithoutCDC": {Pipeline: "p", Version: "v", Path: "a.csv", WriteMode: destination.CDC, CDC: spec, Batches: noBatches{}},
		"NoSpec":            {Pipeline: "p", Version: "v", Path: "a.csv", WriteMode: destination.CDC, Batches: noBatches{}},
		"MagicFolder":       {Pipeline: "p", Version: "v", Path: "a.csv", WriteMode: destination.CDC, CDC: spec, Owner: "a.csv", Batches: noBatches{}},
	} {
		t.Run(name, func(t *testing.T) {
			// The database is never reached: the file is refused first.
			_, err := sqlledger.Commit[*fakeTx](t.Context(), l, nil, f, appendOnly{})
			if !destination.IsPermanent(err) || !strings.Contains(err.Error(), "cdc") {
				t.Errorf("Commit = %v, want a permanent error about write mode cdc", err)
			}
		})
	}
}

// noBatches has no batch.
type noBatches struct{}

func (noBatches) Next(context.Context) (string, arrow.RecordBatch, error) { return "", nil, io.EOF }
