package databricks

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/filedge/filedge/pkg/destination"
	"github.com/filedge/filedge/pkg/destination/destinationtest"
	"github.com/filedge/filedge/pkg/settings"
)

// liveConfig returns the settings of a real workspace from the
// environment, or skips the test: live tests run only with
// FILEDGE_DATABRICKS_INTEGRATION=1 (see docs/destinations.md).
func liveConfig(t *testing.T) Config {
	t.Helper()
	if os.Getenv("FILEDGE_DATABRICKS_INTEGRATION") != "1" {
		t.Skip("live Databricks tests run with FILEDGE_DATABRICKS_INTEGRATION=1 and the DATABRICKS_* variables")
	}
	c := Config{
		ServerHostname: os.Getenv("DATABRICKS_SERVER_HOSTNAME"),
		HTTPPath:       os.Getenv("DATABRICKS_HTTP_PATH"),
		Catalog:        os.Getenv("DATABRICKS_CATALOG"),
		Staging:        os.Getenv("DATABRICKS_STAGING"),
		Token:          settings.Secret(os.Getenv("DATABRICKS_TOKEN")),
	}
	if c.ServerHostname == "" || c.HTTPPath == "" || c.Catalog == "" || c.Staging == "" || c.Token == "" {
		t.Fatal("FILEDGE_DATABRICKS_INTEGRATION=1 needs DATABRICKS_SERVER_HOSTNAME, DATABRICKS_HTTP_PATH, DATABRICKS_CATALOG, DATABRICKS_STAGING and DATABRICKS_TOKEN")
	}
	return c
}

// TestLiveConformance runs the conformance suite against a real
// workspace, each case in a schema of its own, dropped after.
func TestLiveConformance(t *testing.T) {
	base := liveConfig(t)
	var last Config
	open := func(t *testing.T, c Config) *DB {
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
		defer cancel()
		d, err := New(ctx, c, destination.Env{Name: "live"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { d.Close() })
		return d
	}
	destinationtest.Run(t, destinationtest.Harness{
		Type: "databricks",
		Open: func(t *testing.T) (destination.Destination, destinationtest.Reader) {
			c := base
			c.Schema = "filedge_test_" + time.Now().UTC().Format("20060102150405") + "_" + randomHex(4)
			base, err := c.baseURL()
			if err != nil {
				t.Fatal(err)
			}
			connector, err := c.connector(base)
			if err != nil {
				t.Fatal(err)
			}
			admin := sql.OpenDB(connector)
			t.Cleanup(func() { admin.Close() })
			if _, err := admin.ExecContext(t.Context(), `CREATE SCHEMA `+quote(c.Catalog)+`.`+quote(c.Schema)); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
				defer cancel()
				if _, err := admin.ExecContext(ctx, `DROP SCHEMA IF EXISTS `+quote(c.Catalog)+`.`+quote(c.Schema)+` CASCADE`); err != nil {
					t.Logf("drop schema %s: %v", c.Schema, err)
				}
			})
			last = c
			d := open(t, c)
			return d, reader{d}
		},
		Reopen: func(t *testing.T) destination.Destination { return open(t, last) },
	})
}

// randomHex returns n random bytes in hex.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
