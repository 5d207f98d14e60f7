package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/filedge/filedge/pkg/destination"
	"github.com/filedge/filedge/pkg/settings"
)

// TestOpenTellsSettingsNoRetryFixesFromADatabaseNotReachedYet: a sink waits
// for a database that is down, but fails at once on settings that cannot
// work.
func TestOpenTellsSettingsNoRetryFixesFromADatabaseNotReachedYet(t *testing.T) {
	for _, tc := range []struct {
		name, url, schema string
		invalid           bool
	}{
		{"bad escape", "postgres://u:pw%zz@127.0.0.1/test", "", true},
		{"bad port", "postgres://u@127.0.0.1:99999x/test", "", true},
		{"bad parameter value", "postgres://u@127.0.0.1/test?sslmode=sometimes", "", true},
		{"wrong scheme", "mysql://u@127.0.0.1/test", "", true},
		{"schema name too long", testURL(), "s_" + string(make([]byte, 70)), true},
		{"closed port", "postgres://u@127.0.0.1:1/test?connect_timeout=2", "", false},
		{"unknown user", "postgres://nosuchuser@127.0.0.1:5432/test?sslmode=disable&connect_timeout=5", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			db, err := Config{URL: settings.Secret(tc.url), Schema: tc.schema}.Open(ctx, destination.Env{Name: "d"})
			if err == nil {
				db.Close()
				t.Fatal("Open succeeded, want an error")
			}
			if got := destination.IsInvalidConfig(err); got != tc.invalid {
				t.Errorf("IsInvalidConfig(%v) = %v, want %v", err, got, tc.invalid)
			}
		})
	}
}

func TestPingAnswersWhileTheDatabaseDoes(t *testing.T) {
	db := openDB(t, newSchema(t))
	if err := db.Ping(t.Context()); err != nil {
		t.Fatalf("Ping = %v", err)
	}
	db.Close()
	if err := db.Ping(t.Context()); err == nil {
		t.Fatal("Ping of a closed destination succeeded")
	}
}
