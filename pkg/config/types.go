package config

import (
	"time"

	"github.com/filedge/filedge/pkg/record"
)

// Pipeline is one pipeline.yaml, validated, with defaults applied and
// relative paths resolved against Dir.
type Pipeline struct {
	// File is the path the pipeline was loaded from; Dir its folder.
	File string `json:"-"`
	Dir  string `json:"-"`

	Name   string `json:"name"` // [a-z0-9_-]+, used in bus subjects
	Source Source `json:"source"`
	Mode   Mode   `json:"mode"`
	// Table is the destination table in merge mode (key table, or the
	// Python Filedge's dest_table); default: the pipeline name.
	Table string `json:"table"`
	// OnError is fail (default) or skip.
	OnError OnError `json:"on_error"`
	// ModifiedFileMerge is upsert_file (default) or append_file.
	ModifiedFileMerge string `json:"modified_file_merge"`

	Format Format `json:"format"`
	// Columns declares columns (the Python Filedge's columns: list).
	Columns []Column `json:"columns,omitempty"`

	// Destinations holds the connector: block (named after its type unless
	// it has a name) or the destinations: list. At least one.
	Destinations []Destination `json:"destinations"`

	Bus     Bus     `json:"bus"`
	Watcher Watcher `json:"watcher"`
	Parser  Parser  `json:"parser"`
	Sink    Sink    `json:"sink"`
}

// Source is the source: block.
type Source struct {
	Type string `json:"type"` // local
	Path string `json:"path"` // absolute after Load
	// Pattern is a regular expression matched against the path relative to
	// Path ('/'-separated); nil matches every file. file_pattern (a glob,
	// `*.csv`, `**/*.json`) is compiled into the same regular expression.
	Pattern *Regexp `json:"pattern,omitempty"`
}

// Mode is merge or magic_folder.
type Mode string

const (
	Merge       Mode = "merge"
	MagicFolder Mode = "magic_folder"
)

// OnError is fail or skip.
type OnError string

const (
	Fail OnError = "fail"
	Skip OnError = "skip"
)

// Format holds the format settings (top-level keys of the pipeline).
type Format struct {
	// FileType forces a format code (file_type:, or format: as the Python
	// Filedge spells it); "" picks by extension.
	FileType     string `json:"file_type,omitempty"`
	Delimiter    string `json:"delimiter,omitempty"`
	Encoding     string `json:"encoding,omitempty"`
	JSONDelivery string `json:"json_delivery,omitempty"`
}

// Column is one entry of columns:.
type Column struct {
	Source   string      `json:"source"`
	Dest     string      `json:"dest,omitempty"` // default: Source, normalised
	Type     record.Type `json:"type,omitempty"` // Unknown: inferred
	Required bool        `json:"required,omitempty"`
}

// Destination is one destination: a connector: block or an entry of
// destinations:.
type Destination struct {
	Name      string `json:"name"` // [a-z0-9_-]+
	Type      string `json:"type"` // sqlite, postgres
	URL       Secret `json:"url"`  // expanded; for sqlite, made absolute against Dir
	Schema    string `json:"schema,omitempty"`
	WriteMode string `json:"write_mode"` // append (default) or truncate
}

// Bus is the bus: block.
type Bus struct {
	// URL of an external NATS server for split stages; FILEDGE_NATS_URL
	// overrides it. `filedge run` ignores it and embeds a server.
	URL string `json:"url,omitempty"`
	// DataDir holds the embedded server's state; default .filedge beside
	// the pipeline file.
	DataDir string `json:"data_dir"`
	// SyncAlways makes the embedded server fsync every write before it
	// acknowledges (default true). See docs/adr/0002-embedded-durability.md.
	SyncAlways bool `json:"sync_always"`
	// BatchRetention is how long record batches stay on the bus for replay
	// (default 72h).
	BatchRetention time.Duration `json:"batch_retention"`
}

// Watcher is the watcher: block.
type Watcher struct {
	Settle time.Duration `json:"settle"` // default 2s
	Rescan time.Duration `json:"rescan"` // default 30s
}

// Parser is the parser: block.
type Parser struct {
	Workers      int           `json:"workers"`        // concurrent files per process, default 2
	AckWait      time.Duration `json:"ack_wait"`       // default 30s
	MaxLineBytes int           `json:"max_line_bytes"` // default 16 MiB
}

// Sink is the sink: block.
type Sink struct {
	Workers int           `json:"workers"`  // concurrent files per destination and process, default 2
	AckWait time.Duration `json:"ack_wait"` // default 30s
	// BatchIdle is how long a sink waits for the next batch of a file
	// before it gives the file back for a later attempt (default 2m).
	BatchIdle time.Duration `json:"batch_idle"`
}
