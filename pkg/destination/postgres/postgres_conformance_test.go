package postgres

import (
	"database/sql"
	"strings"
	"sync"
	"testing"

	"github.com/filedge/filedge/pkg/destination"
	"github.com/filedge/filedge/pkg/destination/destinationtest"
)

func TestConformance(t *testing.T) {
	// The schema of each test's last Open, for Reopen.
	var (
		mu      sync.Mutex
		schemas = map[string]string{}
	)
	destinationtest.Run(t, destinationtest.Harness{
		Open: func(t *testing.T) (destination.Destination, *sql.DB) {
			schema := newSchema(t)
			db := openDB(t, schema)
			mu.Lock()
			schemas[t.Name()] = schema
			mu.Unlock()
			return db, sqlDB(t, schema)
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
