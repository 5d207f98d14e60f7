package config_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/filedge/filedge/pkg/bus"
	"github.com/filedge/filedge/pkg/destination"
	"github.com/filedge/filedge/pkg/format"
	"github.com/filedge/filedge/pkg/settings"
	"github.com/filedge/filedge/pkg/source"
)

// The source and destination types (and formats) these tests name. pkg/config knows no
// component: it reads a block's pipeline keys (a destination's name, type
// and write_mode; the source's type and pattern), finds the type in the
// registry and hands the rest of the block to the type's Decode. These
// stand-ins take the keys of their namesakes (path; url; schema), without
// the rules each real type adds to them (pkg/source/local,
// pkg/destination/sqlite and pkg/destination/postgres test those), so that
// the pipelines of these tests read like real ones.
func init() {
	// The formats filedge ships, by code and extension, and one that only
	// these tests know: a file_type is any registered format.
	for code, extensions := range map[string][]string{
		"avro": {".avro"}, "csv": {".csv", ".tsv", ".txt", ".psv"}, "excel": {".xlsx", ".xlsm", ".xls"},
		"json": {".json", ".jsonl", ".ndjson"}, "log": {".log"}, "parquet": {".parquet", ".parq"}, "xml": {".xml"},
		"orc": {".orc"},
	} {
		format.Register(format.Info{Code: code, Extensions: extensions}, func(format.Options) (format.Reader, error) {
			return nil, errStandIn
		})
	}
	source.Register(source.Info{
		Type: "local",
		Decode: func(b *settings.Block) source.Config {
			var c folderSettings
			b.Decode(&c)
			switch {
			case !b.Has("path") && !b.Failed("path"):
				b.Errorf("path", "required")
			case b.Has("path") && c.Path == "":
				b.Errorf("path", "must not be empty")
			}
			return c
		},
	})
	bus.Register(bus.Info{
		Type: "nats",
		Decode: func(b *settings.Block) bus.Config {
			c := natsSettings{SyncAlways: true, BatchRetention: 72 * time.Hour}
			b.Decode(&c)
			return c
		},
	})
	bus.Register(bus.Info{
		Type: "kafka",
		Decode: func(b *settings.Block) bus.Config {
			var c kafkaSettings
			b.Decode(&c)
			return c
		},
	})
	destination.Register(destination.Info{
		Type: "sqlite", Aliases: []string{"sqlite3"}, Atomicity: destination.AllTables, CDC: true,
		Decode: func(b *settings.Block) destination.Config {
			var c liteSettings
			b.Decode(&c)
			return c
		},
	})
	destination.Register(destination.Info{
		Type: "postgres", Aliases: []string{"postgresql"}, Atomicity: destination.AllTables, CDC: true,
		Decode: func(b *settings.Block) destination.Config {
			var c pgSettings
			b.Decode(&c)
			return c
		},
	})
}

// folderSettings stands in for the settings of a local source.
type folderSettings struct {
	Path string `yaml:"path"`
}

func (folderSettings) Open(context.Context, source.Env) (source.Source, error) {
	return nil, errStandIn
}

func (c folderSettings) String() string { return c.Path }

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

// natsSettings stands in for the settings of a nats bus.
type natsSettings struct {
	URL            string        `yaml:"url"`
	DataDir        string        `yaml:"data_dir"`
	SyncAlways     bool          `yaml:"sync_always"`
	BatchRetention time.Duration `yaml:"batch_retention"`
}

func (natsSettings) Open(context.Context, bus.Env) (bus.Bus, error) { return nil, errStandIn }

func (c natsSettings) String() string { return "nats " + c.URL }

// kafkaSettings stands in for the settings of a kafka bus: a password
// from the environment, and the credentials of a broker list besides.
type kafkaSettings struct {
	Brokers []string `yaml:"brokers"`
	SASL    struct {
		Password settings.Secret `yaml:"password"`
	} `yaml:"sasl"`
}

func (kafkaSettings) Open(context.Context, bus.Env) (bus.Bus, error) { return nil, errStandIn }

func (c kafkaSettings) String() string { return "kafka password " + c.SASL.Password.String() }

// Credentials returns what a broker list with a user and password per
// broker would hold.
func (c kafkaSettings) Credentials() []string {
	var out []string
	for _, b := range c.Brokers {
		if u, ok := strings.CutPrefix(b, "secret@"); ok {
			out = append(out, u)
		}
	}
	return out
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
