package config_test

import (
	"context"
	"errors"
	"testing"

	"github.com/filedge/filedge/pkg/destination"
	"github.com/filedge/filedge/pkg/settings"
)

// The destination types these tests name. pkg/config knows no destination:
// it reads a block's name, type and write_mode, finds the type in the
// registry and hands the rest of the block to the type's Decode. These
// stand-ins take the keys of their namesakes (url; schema), without the
// rules each real type adds to them (pkg/destination/sqlite and
// pkg/destination/postgres test those), so that the pipelines of these
// tests read like real ones.
func init() {
	destination.Register(destination.Info{
		Type: "sqlite", Aliases: []string{"sqlite3"}, Atomicity: destination.AllTables,
		Decode: func(b *settings.Block) destination.Config {
			var c liteSettings
			b.Decode(&c)
			return c
		},
	})
	destination.Register(destination.Info{
		Type: "postgres", Aliases: []string{"postgresql"}, Atomicity: destination.AllTables,
		Decode: func(b *settings.Block) destination.Config {
			var c pgSettings
			b.Decode(&c)
			return c
		},
	})
}

// liteSettings stands in for the settings of a sqlite destination.
type liteSettings struct {
	URL string `yaml:"url"`
}

func (liteSettings) Open(context.Context, destination.Env) (destination.Destination, error) {
	return nil, errStandIn
}

// pgSettings stands in for the settings of a postgres destination.
type pgSettings struct {
	URL    settings.Secret `yaml:"url" credential:"${PGPASSWORD} or DATABASE_URL"`
	Schema string          `yaml:"schema"`
}

func (pgSettings) Open(context.Context, destination.Env) (destination.Destination, error) {
	return nil, errStandIn
}

var errStandIn = errors.New("a stand-in opens nothing")

// pg returns the settings of the stand-in postgres destination d.
func pg(t *testing.T, d destination.Config) pgSettings {
	t.Helper()
	c, ok := d.(pgSettings)
	if !ok {
		t.Fatalf("settings %T, want a postgres stand-in's", d)
	}
	return c
}
