package postgres

import (
	"database/sql"
	"strings"
	"sync"
	"testing"

	"github.com/filedge/filedge/pkg/destination"
	"github.com/filedge/filedge/pkg/destination/destinationtest"
	"github.com/filedge/filedge/pkg/destination/destinationtest/sqlreader"
)

func TestConformance(t *testing.T) {
	// The schema of each test's last Open, for Reopen.
	var (
		mu      sync.Mutex
		schemas = map[string]string{}
	)
	destinationtest.Run(t, destinationtest.Harness{
		Type: "postgres",
		Open: func(t *testing.T) (destination.Destination, destinationtest.Reader) {
			schema := newSchema(t)
			db := openDB(t, schema)
			mu.Lock()
			schemas[t.Name()] = schema
			mu.Unlock()
			return db, reader(sqlDB(t, schema))
		},
		Reopen: func(t *testing.T) destination.Destination {
			mu.Lock()
			defer mu.Unlock()
			// The test, or the test whose subtest t is.
			for name := t.Name(); ; {
				if schema, ok := schemas[name]; ok {
					return openDB(t, schema)
				}
				i := strings.LastIndexByte(name, '/')
				if i < 0 {
					t.Fatal("Reopen before Open")
				}
				name = name[:i]
			}
		},
	})
}

// reader reads a destination's schema back for the conformance suite,
// through db, whose search_path is the schema.
func reader(db *sql.DB) destinationtest.Reader {
	return sqlreader.New(db, sqlreader.Dialect{
		Tables: `SELECT tablename FROM pg_catalog.pg_tables WHERE schemaname = current_schema()`,
		Columns: `SELECT attname, format_type(atttypid, atttypmod) FROM pg_catalog.pg_attribute
			WHERE attrelid = to_regclass(quote_ident(current_schema()) || '.' || quote_ident($1)) AND attnum > 0 AND NOT attisdropped
			ORDER BY attnum`,
	})
}
