package config

import (
	"time"

	"github.com/filedge/filedge/pkg/bus"
	"github.com/filedge/filedge/pkg/destination"
	"github.com/filedge/filedge/pkg/record"
	"github.com/filedge/filedge/pkg/settings"
	"github.com/filedge/filedge/pkg/source"
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
	// Layers are the settings of the layers under the format: compression,
	// archives, PGP (top-level keys of the pipeline).
	Layers Layers `json:"layers"`
	// Limits cap what one file may expand to (the limits: block).
	Limits Limits `json:"limits"`
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
	Type string `json:"type"` // a registered type (source.Lookup); default local
	// Pattern is a regular expression matched against a file's path
	// relative to the source's root ('/'-separated); nil matches every
	// file. file_pattern (a glob, `*.csv`, `**/*.json`) is compiled into the
	// same regular expression.
	Pattern *Regexp `json:"pattern,omitempty"`
	// Settings are the type's own settings, which its Decode read from the
	// rest of the block (a local folder's path, absolute after Load);
	// Settings.Open opens the source.
	Settings source.Config `json:"settings"`
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

	// QuoteChar is the one character that quotes fields of delimited
	// text; "" means the reader's default ('"'), and NoQuote turns
	// quoting off.
	QuoteChar string `json:"quote_char,omitempty"`
	// EscapeChar, when set (typically a backslash), is the one character
	// that escapes the quote character inside quoted fields.
	EscapeChar string `json:"escape_char,omitempty"`
	// NullSequence is a field value read as null (such as `\N`); "" means
	// none.
	NullSequence string `json:"null_sequence,omitempty"`
	// SkipHeaderLines and SkipFooterLines are lines dropped at the start
	// (before the header) and at the end of a file; 0 or more.
	SkipHeaderLines int `json:"skip_header_lines,omitempty"`
	SkipFooterLines int `json:"skip_footer_lines,omitempty"`
	// Headerless files have no header row: columns are column_0 ...
	Headerless bool `json:"headerless,omitempty"`
	// LineSeparator ends records instead of LF or CRLF, escapes decoded;
	// "" means LF or CRLF.
	LineSeparator string `json:"line_separator,omitempty"`
	// XMLRecordPath, when set, is the element path (a/b/c, no leading or
	// empty segment) whose every element is one record.
	XMLRecordPath string `json:"xml_record_path,omitempty"`
}

// Layers holds the settings of the layers under the format (top-level
// keys of the pipeline): compression, archives and PGP.
type Layers struct {
	// Compression forces a codec: gzip, bzip2, zstd, xz, or none (read
	// files as stored); "" infers it from the extension or magic bytes.
	Compression string `json:"compression,omitempty"`
	// ArchivePattern selects archive members by their path inside the
	// archive ('/'-separated); nil reads every member.
	ArchivePattern *Regexp `json:"archive_pattern,omitempty"`
	// PGP decrypts OpenPGP files; nil when the pipeline has no pgp: block.
	PGP *PGP `json:"pgp,omitempty"`
}

// PGP is the pgp: block. Each key comes from the environment (the file
// holds only ${VAR} references); the values are ASCII-armored.
type PGP struct {
	// PrivateKey decrypts the files; always set.
	PrivateKey settings.Secret `json:"private_key"`
	// Passphrase unlocks PrivateKey; "" when it has none.
	Passphrase settings.Secret `json:"passphrase,omitempty"`
	// TrustedSigners are public keys (each may hold several). When any is
	// set, a file must carry a valid signature by one of them.
	TrustedSigners []settings.Secret `json:"trusted_signers,omitempty"`
}

// Limits is the limits: block: caps that keep a worker alive whatever the
// file. Every field is positive after Load.
type Limits struct {
	// MaxDecompressedBytes caps the bytes one file expands to, all its
	// archive members together (default 64 GiB).
	MaxDecompressedBytes int64 `json:"max_decompressed_bytes"`
	// MaxRatio caps decompressed bytes per stored byte (default 1000).
	MaxRatio int64 `json:"max_ratio"`
	// MaxMembers caps the members of one archive (default 100000).
	MaxMembers int `json:"max_members"`
	// MaxLineBytes caps one line or record (default 16 MiB); the same
	// value as Parser.MaxLineBytes, of which it is a synonym.
	MaxLineBytes int `json:"max_line_bytes"`
	// MaxFieldBytes caps one field (default 16 MiB).
	MaxFieldBytes int `json:"max_field_bytes"`
	// MaxSpoolBytes caps how much of a streamed file a format that needs
	// random access (Parquet, Excel) may hold in memory (default 512 MiB).
	MaxSpoolBytes int64 `json:"max_spool_bytes"`
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
	Name string `json:"name"` // [a-z0-9_-]+
	Type string `json:"type"` // a registered type (destination.Lookup)
	// WriteMode is append (default), truncate or cdc: the block's
	// write_mode, or the top-level one (the Python Filedge's shape).
	WriteMode string `json:"write_mode"`
	// CDC is how a cdc destination applies the rows as changes: the
	// block's cdc:, or the top-level one; nil unless WriteMode is cdc.
	// The sink sets its SkipInvalid from OnError.
	CDC *destination.CDCSpec `json:"cdc,omitempty"`
	// Settings are the type's own settings, which its Decode read from the
	// rest of the block; Settings.Open opens the destination.
	Settings destination.Config `json:"settings"`
}

// Bus is the bus: block.
type Bus struct {
	Type string `json:"type"` // a registered type (bus.Lookup); default nats
	// Settings are the type's own settings, which its Decode read from the
	// rest of the block (nats: url, data_dir, sync_always,
	// batch_retention; kafka: brokers, partitions ...); Settings.Open
	// connects to the bus.
	Settings bus.Config `json:"settings"`
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
	MaxLineBytes int           `json:"max_line_bytes"` // default 16 MiB; the same as Limits.MaxLineBytes
	// MaxAttempts is how many times a file that cannot be read (or parsed,
	// for any reason but the bus) is tried before it fails for good
	// (default 5). Failures to publish on the bus do not count.
	MaxAttempts int `json:"max_attempts"`
}

// Sink is the sink: block.
type Sink struct {
	Workers int           `json:"workers"`  // concurrent files per destination and process, default 2
	AckWait time.Duration `json:"ack_wait"` // default 30s
	// BatchIdle is how long a sink waits for the next batch of a file
	// before it gives the file back for a later attempt (default 2m).
	BatchIdle time.Duration `json:"batch_idle"`
}
