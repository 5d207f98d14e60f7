package config_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/filedge/filedge/pkg/config"
	"github.com/filedge/filedge/pkg/destination"
	"github.com/filedge/filedge/pkg/record"
	"github.com/filedge/filedge/pkg/settings"
)

// env returns a lookup function over m, in place of os.LookupEnv.
func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

// workdir makes a folder with the subfolders in and data, where test
// pipelines live.
func workdir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, d := range []string{"in", "data"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "afile"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// parse parses doc as pipeline.yaml in a fresh workdir.
func parse(t *testing.T, doc string, vars map[string]string) (*config.Pipeline, string, error) {
	t.Helper()
	dir := workdir(t)
	p, err := config.ParseWithEnv([]byte(doc), "pipeline.yaml", dir, env(vars))
	return p, dir, err
}

// mustParse parses doc and fails the test on any error.
func mustParse(t *testing.T, doc string, vars map[string]string) (*config.Pipeline, string) {
	t.Helper()
	p, dir, err := parse(t, doc, vars)
	if err != nil {
		t.Fatalf("parse: %v\n--- pipeline.yaml\n%s", err, doc)
	}
	return p, dir
}

// base is a minimal valid pipeline; tests append keys to it from line 4.
const base = `name: p
source: {path: ./in}
connector: {type: sqlite, url: sqlite:///out.db}
`

func TestMinimalPipelineGetsEveryDefault(t *testing.T) {
	p, dir := mustParse(t, base, nil)
	want := config.Pipeline{
		File:              "pipeline.yaml",
		Dir:               dir,
		Name:              "p",
		Source:            config.Source{Type: "local", Settings: folderSettings{Path: "./in"}},
		Mode:              config.Merge,
		Table:             "p",
		OnError:           config.Fail,
		ModifiedFileMerge: "upsert_file",
		Format:            config.Format{JSONDelivery: "unpacked"},
		Limits: config.Limits{
			MaxDecompressedBytes: 64 << 30, MaxRatio: 1000, MaxMembers: 100000,
			MaxLineBytes: 16 << 20, MaxFieldBytes: 16 << 20, MaxSpoolBytes: 512 << 20,
		},
		Destinations: []config.Destination{{
			Name: "sqlite", Type: "sqlite", WriteMode: "append", Settings: liteSettings{URL: "sqlite:///out.db"},
		}},
		Bus:     config.Bus{Type: "nats", Settings: natsSettings{SyncAlways: true, BatchRetention: 72 * time.Hour}},
		Watcher: config.Watcher{Settle: 2 * time.Second, Rescan: 30 * time.Second},
		Parser:  config.Parser{Workers: 2, AckWait: 30 * time.Second, MaxLineBytes: 16777216, MaxAttempts: 5},
		Sink:    config.Sink{Workers: 2, AckWait: 30 * time.Second, BatchIdle: 2 * time.Minute},
	}
	got, _ := json.Marshal(p)
	wantJSON, _ := json.Marshal(want)
	if string(got) != string(wantJSON) || p.Destinations[0] != want.Destinations[0] || p.File != want.File || p.Dir != want.Dir {
		t.Errorf("got  %s\nwant %s\ndestination %+v", got, wantJSON, p.Destinations[0])
	}
	if p.Source.Pattern != nil {
		t.Errorf("pattern = %v, want nil (every file)", p.Source.Pattern)
	}
	if p.Layers.ArchivePattern != nil || p.Layers.PGP != nil || p.Layers.Compression != "" {
		t.Errorf("layers = %+v, want none (every member, no PGP, compression inferred)", p.Layers)
	}
}

func TestEveryKeyIsRead(t *testing.T) {
	doc := `name: orders-2024
source:
  type: local
  path: data
  pattern: '(?i)\.csv$'
mode: merge
table: orders
on_error: skip
modified_file_merge: append_file
file_type: CSV
delimiter: '\t'
encoding: UTF-8
json_delivery: packed
quote_char: "'"
escape_char: '\\'
null_sequence: \N
skip_header_lines: 2
skip_footer_lines: 1
headerless: true
line_separator: '\r\n'
xml_record_path: catalog/book
compression: zstd
archive_pattern: '\.csv$'
pgp:
  private_key: ${PGP_KEY}
  passphrase: ${PGP_PASS}
  trusted_signers:
    - ${PGP_SIGNER}
limits:
  max_decompressed_bytes: 1GiB
  max_ratio: 50
  max_members: 10
  max_line_bytes: 1_048_576
  max_field_bytes: 64KiB
  max_spool_bytes: 100MB
columns:
  - {source: id, dest: order_id, type: int, required: yes}
destinations:
  - name: lake
    type: sqlite
    url: lake.db
    write_mode: truncate
  - name: warehouse
    type: postgres
    url: postgres://loader@db:5432/sales
    schema: raw
bus:
  url: nats://bus:4222
  data_dir: /var/lib/filedge
  sync_always: false
  batch_retention: 30m
watcher: {settle: 500ms, rescan: 1m}
parser: {workers: 8, ack_wait: 45s, max_line_bytes: 1_048_576, max_attempts: 3}
sink: {workers: 3, ack_wait: 1m, batch_idle: 5m}
`
	p, _ := mustParse(t, doc, pgpVars)
	checks := []struct {
		name      string
		got, want any
	}{
		{"name", p.Name, "orders-2024"},
		{"source.type", p.Source.Type, "local"},
		{"source.path", p.Source.Settings, folderSettings{Path: "data"}},
		{"source.pattern", p.Source.Pattern.String(), `(?i)\.csv$`},
		{"mode", p.Mode, config.Merge},
		{"table", p.Table, "orders"},
		{"on_error", p.OnError, config.Skip},
		{"modified_file_merge", p.ModifiedFileMerge, "append_file"},
		{"file_type", p.Format.FileType, "csv"},
		{"delimiter", p.Format.Delimiter, "\t"},
		{"encoding", p.Format.Encoding, "utf-8"},
		{"json_delivery", p.Format.JSONDelivery, "packed"},
		{"quote_char", p.Format.QuoteChar, "'"},
		{"escape_char", p.Format.EscapeChar, `\`},
		{"null_sequence", p.Format.NullSequence, `\N`},
		{"skip_header_lines", p.Format.SkipHeaderLines, 2},
		{"skip_footer_lines", p.Format.SkipFooterLines, 1},
		{"headerless", p.Format.Headerless, true},
		{"line_separator", p.Format.LineSeparator, "\r\n"},
		{"xml_record_path", p.Format.XMLRecordPath, "catalog/book"},
		{"compression", p.Layers.Compression, "zstd"},
		{"archive_pattern", p.Layers.ArchivePattern.String(), `\.csv$`},
		{"pgp.private_key", p.Layers.PGP.PrivateKey.Reveal(), pgpVars["PGP_KEY"]},
		{"pgp.passphrase", p.Layers.PGP.Passphrase.Reveal(), pgpVars["PGP_PASS"]},
		{"pgp.trusted_signers", fmt.Sprint(len(p.Layers.PGP.TrustedSigners), p.Layers.PGP.TrustedSigners[0].Reveal() == pgpVars["PGP_SIGNER"]), "1 true"},
		{"limits.max_decompressed_bytes", p.Limits.MaxDecompressedBytes, int64(1 << 30)},
		{"limits.max_ratio", p.Limits.MaxRatio, int64(50)},
		{"limits.max_members", p.Limits.MaxMembers, 10},
		{"limits.max_line_bytes", p.Limits.MaxLineBytes, 1 << 20},
		{"limits.max_field_bytes", p.Limits.MaxFieldBytes, 64 << 10},
		{"limits.max_spool_bytes", p.Limits.MaxSpoolBytes, int64(100_000_000)},
		{"columns", fmt.Sprint(p.Columns), fmt.Sprint([]config.Column{{Source: "id", Dest: "order_id", Type: record.Integer, Required: true}})},
		{"destinations[0].name", p.Destinations[0].Name, "lake"},
		{"destinations[0].url", p.Destinations[0].Settings, liteSettings{URL: "lake.db"}},
		{"destinations[0].write_mode", p.Destinations[0].WriteMode, "truncate"},
		{"destinations[1].type", p.Destinations[1].Type, "postgres"},
		{"destinations[1].url", pg(t, p.Destinations[1].Settings).URL.Reveal(), "postgres://loader@db:5432/sales"},
		{"destinations[1].schema", pg(t, p.Destinations[1].Settings).Schema, "raw"},
		{"destinations[1].write_mode", p.Destinations[1].WriteMode, "append"},
		{"bus", p.Bus, config.Bus{Type: "nats", Settings: natsSettings{URL: "nats://bus:4222", DataDir: "/var/lib/filedge", BatchRetention: 30 * time.Minute}}},
		{"watcher.settle", p.Watcher.Settle, 500 * time.Millisecond},
		{"watcher.rescan", p.Watcher.Rescan, time.Minute},
		{"parser.workers", p.Parser.Workers, 8},
		{"parser.ack_wait", p.Parser.AckWait, 45 * time.Second},
		{"parser.max_line_bytes", p.Parser.MaxLineBytes, 1 << 20},
		{"parser.max_attempts", p.Parser.MaxAttempts, 3},
		{"sink.workers", p.Sink.Workers, 3},
		{"sink.ack_wait", p.Sink.AckWait, time.Minute},
		{"sink.batch_idle", p.Sink.BatchIdle, 5 * time.Minute},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			if c.got != c.want {
				t.Errorf("got %v, want %v", c.got, c.want)
			}
		})
	}
	d, ok := p.Destination("warehouse")
	if !ok || d.Type != "postgres" {
		t.Errorf("Destination(warehouse) = %v, %v", d, ok)
	}
	if _, ok := p.Destination("nope"); ok {
		t.Error("Destination(nope) found")
	}
}

func TestConnectorBlocksAsWritten(t *testing.T) {
	tests := []struct {
		name, connector string
		wantType        string
		wantSettings    destination.Config
	}{
		{"sqlite", `connector: {type: sqlite, url: sqlite:///path/to/dest.db}`, "sqlite", liteSettings{URL: "sqlite:///path/to/dest.db"}},
		{"postgres", `connector: {type: postgres, url: postgresql://user@host:5432/dbname}`, "postgres", pgSettings{URL: "postgresql://user@host:5432/dbname"}},
		{"type alias", `connector: {type: PostgreSQL, schema: raw}`, "postgres", pgSettings{Schema: "raw"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, _ := mustParse(t, "name: p\nsource: {path: ./in}\n"+tt.connector+"\n", nil)
			if len(p.Destinations) != 1 {
				t.Fatalf("destinations = %d", len(p.Destinations))
			}
			d := p.Destinations[0]
			if d.Name != tt.wantType || d.Type != tt.wantType || d.Settings != tt.wantSettings || d.WriteMode != "append" {
				t.Errorf("got %+v, want name and type %q, settings %+v", d, tt.wantType, tt.wantSettings)
			}
		})
	}
}

func TestPythonFiledgeStyleFile(t *testing.T) {
	doc := `name: sales
source: {path: ./in}
file_pattern: "*.csv"
dest_table: sales_raw
format: csv
encoding: utf-8
columns:
  - {source: "Order ID", dest: order_id, type: integer, required: true}
  - {source: Amount, type: float}
connector: {type: sqlite, url: sqlite:///out.db}
`
	p, _ := mustParse(t, doc, nil)
	if p.Table != "sales_raw" || p.Format.FileType != "csv" || p.Format.Encoding != "utf-8" {
		t.Errorf("table %q file_type %q encoding %q", p.Table, p.Format.FileType, p.Format.Encoding)
	}
	wantCols := []config.Column{
		{Source: "Order ID", Dest: "order_id", Type: record.Integer, Required: true},
		{Source: "Amount", Type: record.Float},
	}
	if fmt.Sprint(p.Columns) != fmt.Sprint(wantCols) {
		t.Errorf("columns = %+v, want %+v", p.Columns, wantCols)
	}
	for path, want := range map[string]bool{"a.csv": true, "2024/jan/b.csv": true, "a.json": false, "a.csv.bak": false} {
		if got := p.Source.Pattern.MatchString(path); got != want {
			t.Errorf("file_pattern *.csv matches %q = %v, want %v", path, got, want)
		}
	}
	if got, want := p.Destinations[0].Settings, (liteSettings{URL: "sqlite:///out.db"}); got != want {
		t.Errorf("settings = %+v, want %+v", got, want)
	}
}

// wantErrs checks that err is a *settings.Errors whose text holds every
// substring of want, each naming file, line and key.
func wantErrs(t *testing.T, err error, want ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %q", want)
	}
	var errs *settings.Errors
	if !errors.As(err, &errs) {
		t.Fatalf("error %T is not *settings.Errors: %v", err, err)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error lacks %q; got:\n%v", w, err)
		}
	}
}

func TestInvalidPipelinesReportEveryProblemWithItsLine(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		env  map[string]string
		want []string
	}{
		{"name missing", "source: {path: ./in}\nconnector: {type: sqlite, url: x.db}\n", nil,
			[]string{"pipeline.yaml:1: name: required"}},
		{"name with capitals", "name: Sales Data\nsource: {path: ./in}\nconnector: {type: sqlite, url: x.db}\n", nil,
			[]string{`pipeline.yaml:1: name: "Sales Data" is not a valid pipeline name`, "NATS subject token"}},
		{"name with a dot", "name: a.b\nsource: {path: ./in}\nconnector: {type: sqlite, url: x.db}\n", nil,
			[]string{`pipeline.yaml:1: name: "a.b" is not a valid pipeline name`}},
		{"name too long", "name: " + strings.Repeat("a", 64) + "\nsource: {path: ./in}\nconnector: {type: sqlite, url: x.db}\n", nil,
			[]string{"pipeline.yaml:1: name: "}},
		{"source missing", "name: p\nconnector: {type: sqlite, url: x.db}\n", nil,
			[]string{"pipeline.yaml:1: source: required"}},
		{"source path missing", "name: p\nsource:\n  type: local\nconnector: {type: sqlite, url: x.db}\n", nil,
			[]string{"pipeline.yaml:2: source.path: required"}},
		{"source type unknown", "name: p\nsource: {type: s3, path: ./in}\nconnector: {type: sqlite, url: x.db}\n", nil,
			[]string{`pipeline.yaml:2: source.type: unknown source type "s3" (known: local`}},
		{"pattern invalid regexp", "name: p\nsource:\n  path: ./in\n  pattern: '(['\nconnector: {type: sqlite, url: x.db}\n", nil,
			[]string{"pipeline.yaml:4: source.pattern: invalid regular expression"}},
		{"pattern and file_pattern", "name: p\nsource: {path: ./in, pattern: x}\nfile_pattern: '*.csv'\nconnector: {type: sqlite, url: x.db}\n", nil,
			[]string{"pipeline.yaml:3: file_pattern: give either source.pattern"}},
		{"file_pattern invalid", base + "file_pattern: '[a-'\n", nil,
			[]string{"pipeline.yaml:4: file_pattern: invalid glob"}},
		{"mode unknown", base + "mode: magic-folder\n", nil,
			[]string{`pipeline.yaml:4: mode: "magic-folder" is not one of merge, magic_folder; did you mean magic_folder?`}},
		{"table in magic_folder mode", base + "mode: magic_folder\ntable: t\n", nil,
			[]string{"pipeline.yaml:5: table: not used in magic_folder mode"}},
		{"dest_table in magic_folder mode", base + "mode: magic_folder\ndest_table: t\n", nil,
			[]string{"pipeline.yaml:5: dest_table: not used in magic_folder mode"}},
		{"table and dest_table differ", base + "table: a\ndest_table: b\n", nil,
			[]string{"pipeline.yaml:5: dest_table: table and dest_table differ"}},
		{"table empty", base + "table: ''\n", nil,
			[]string{"pipeline.yaml:4: table: must not be empty"}},
		{"table with schema", base + "table: raw.sales\n", nil,
			[]string{`pipeline.yaml:4: table: "raw.sales": a table name has no '.'`}},
		{"table with a quote", base + "table: 'x\"; drop'\n", nil,
			[]string{"pipeline.yaml:4: table: ", "use letters, digits, _ and -"}},
		{"on_error unknown", base + "on_error: ignore\n", nil,
			[]string{`pipeline.yaml:4: on_error: "ignore" is not one of fail, skip`}},
		{"modified_file_merge unknown", base + "modified_file_merge: replace\n", nil,
			[]string{`pipeline.yaml:4: modified_file_merge: "replace" is not one of upsert_file, append_file`}},
		{"file_type and format differ", base + "file_type: csv\nformat: json\n", nil,
			[]string{"pipeline.yaml:5: format: file_type and format differ"}},
		{"delimiter unknown escape", base + "delimiter: '\\x'\n", nil,
			[]string{`pipeline.yaml:4: delimiter: unknown escape \x`}},
		{"delimiter empty", base + "delimiter: ''\n", nil,
			[]string{"pipeline.yaml:4: delimiter: empty delimiter"}},
		{"delimiter line break", base + "delimiter: \"\\n\"\n", nil,
			[]string{"pipeline.yaml:4: delimiter: a delimiter cannot contain a line break"}},
		{"json_delivery unknown", base + "json_delivery: flat\n", nil,
			[]string{`pipeline.yaml:4: json_delivery: "flat" is not one of unpacked, packed`}},
		{"columns not a list", base + "columns: {a: b}\n", nil,
			[]string{"pipeline.yaml:4: columns: want a list"}},
		{"column without source", base + "columns:\n  - {dest: x}\n", nil,
			[]string{"pipeline.yaml:5: columns[0].source: required"}},
		{"column type unknown", base + "columns:\n  - {source: a}\n  - {source: b, type: money}\n", nil,
			[]string{`pipeline.yaml:6: columns[1].type: unknown column type "money"`}},
		{"column decimal precision out of range", base + "columns:\n  - {source: a}\n  - {source: b, type: 'decimal(80,2)'}\n", nil,
			[]string{`pipeline.yaml:6: columns[1].type: column type "decimal(80,2)": decimal precision 80 is out of range (1 to 76)`}},
		{"column decimal scale beyond precision", base + "columns:\n  - {source: a, type: 'numeric(4, 5)'}\n", nil,
			[]string{`pipeline.yaml:5: columns[0].type: column type "numeric(4, 5)": decimal scale 5 is out of range (0 to the precision, 4)`}},
		{"column decimal scale not a number", base + "columns:\n  - {source: a}\n  - {source: b}\n  - {source: c, type: 'DECIMAL(12,x)'}\n", nil,
			[]string{`pipeline.yaml:7: columns[2].type: column type "decimal(12,x)": the scale must be a whole number`}},
		{"column source twice", base + "columns:\n  - {source: a}\n  - {source: a}\n", nil,
			[]string{`pipeline.yaml:6: columns[1].source: column "a" declared twice (first at line 5)`}},
		{"column dest twice", base + "columns:\n  - {source: a, dest: x}\n  - {source: b, dest: x}\n", nil,
			[]string{`pipeline.yaml:6: columns[1].dest: two columns load into "x" (first at line 5)`}},
		{"column required not a bool", base + "columns:\n  - {source: a, required: maybe}\n", nil,
			[]string{`pipeline.yaml:5: columns[0].required: "maybe" is not true or false`}},
		{"no destination", "name: p\nsource: {path: ./in}\n", nil,
			[]string{"pipeline.yaml:1: connector: required"}},
		{"connector and destinations", base + "destinations:\n  - {name: a, type: sqlite, url: a.db}\n", nil,
			[]string{"pipeline.yaml:4: destinations: give either connector: (one destination) or destinations: (a list), not both"}},
		{"destinations empty", "name: p\nsource: {path: ./in}\ndestinations: []\n", nil,
			[]string{"pipeline.yaml:3: destinations: the list is empty"}},
		{"destinations not a list", "name: p\nsource: {path: ./in}\ndestinations: {type: sqlite}\n", nil,
			[]string{"pipeline.yaml:3: destinations: want a list"}},
		{"destination without name", "name: p\nsource: {path: ./in}\ndestinations:\n  - {type: sqlite, url: a.db}\n", nil,
			[]string{"pipeline.yaml:4: destinations[0].name: required"}},
		{"destination names repeat", "name: p\nsource: {path: ./in}\ndestinations:\n  - {name: a, type: sqlite, url: a.db}\n  - {name: a, type: sqlite, url: b.db}\n", nil,
			[]string{`pipeline.yaml:5: destinations[1].name: destination name "a" used twice (first at line 4)`}},
		{"destination name invalid", "name: p\nsource: {path: ./in}\ndestinations:\n  - {name: Main DB, type: sqlite, url: a.db}\n", nil,
			[]string{`pipeline.yaml:4: destinations[0].name: "Main DB" is not a valid destination name`}},
		{"destination type missing", "name: p\nsource: {path: ./in}\nconnector:\n  url: x.db\n", nil,
			[]string{"pipeline.yaml:3: connector.type: required: one of ", "postgres, sqlite"}},
		{"destination type unknown", "name: p\nsource: {path: ./in}\nconnector: {type: sqlit, url: x.db}\n", nil,
			[]string{`pipeline.yaml:3: connector.type: unknown destination type "sqlit" (known: `, "postgres, sqlite); did you mean sqlite?"}},
		{"write_mode unknown", "name: p\nsource: {path: ./in}\nconnector:\n  type: sqlite\n  url: x.db\n  write_mode: replace\n", nil,
			[]string{`pipeline.yaml:6: connector.write_mode: "replace" is not one of append, truncate`}},
		{"bus block not a mapping", base + "bus: nats://x\n", nil,
			[]string{"pipeline.yaml:4: bus: want a mapping"}},
		{"bus sync_always not a bool", base + "bus:\n  sync_always: maybe\n", nil,
			[]string{`pipeline.yaml:5: bus.sync_always: "maybe" is not true or false`}},
		{"bus batch_retention in days", base + "bus:\n  batch_retention: 3d\n", nil,
			[]string{`pipeline.yaml:5: bus.batch_retention: "3d" is not a duration`}},
		{"bus type unknown", base + "bus:\n  type: kafak\n", nil,
			[]string{`pipeline.yaml:5: bus.type: unknown bus type "kafak" (known: kafka, nats); did you mean kafka?`}},
		{"bus key of another type", base + "bus:\n  type: kafka\n  data_dir: x\n", nil,
			[]string{"pipeline.yaml:6: bus.data_dir: unknown key"}},
		{"watcher settle without unit", base + "watcher:\n  settle: 30\n", nil,
			[]string{`pipeline.yaml:5: watcher.settle: "30" is not a duration`}},
		{"watcher rescan negative", base + "watcher:\n  rescan: -1s\n", nil,
			[]string{"pipeline.yaml:5: watcher.rescan: must be positive"}},
		{"parser workers zero", base + "parser:\n  workers: 0\n", nil,
			[]string{"pipeline.yaml:5: parser.workers: must be at least 1, not 0"}},
		{"parser ack_wait zero", base + "parser:\n  ack_wait: 0s\n", nil,
			[]string{"pipeline.yaml:5: parser.ack_wait: must be positive"}},
		{"parser max_line_bytes not a size", base + "parser:\n  max_line_bytes: 16 parsecs\n", nil,
			[]string{`pipeline.yaml:5: parser.max_line_bytes: "16 parsecs": unknown unit "parsecs"`}},
		{"parser max_attempts zero", base + "parser:\n  max_attempts: 0\n", nil,
			[]string{"pipeline.yaml:5: parser.max_attempts: must be at least 1, not 0"}},
		{"parser max_attempts not a number", base + "parser:\n  workers: 2\n  max_attempts: forever\n", nil,
			[]string{`pipeline.yaml:6: parser.max_attempts: "forever" is not a whole number`}},
		{"sink workers negative", base + "sink:\n  workers: -2\n", nil,
			[]string{"pipeline.yaml:5: sink.workers: must be at least 1, not -2"}},
		{"sink ack_wait zero", base + "sink:\n  ack_wait: 0s\n", nil,
			[]string{"pipeline.yaml:5: sink.ack_wait: must be positive"}},
		{"sink batch_idle bad", base + "sink:\n  batch_idle: soon\n", nil,
			[]string{`pipeline.yaml:5: sink.batch_idle: "soon" is not a duration`}},
		{"unknown top-level key with suggestion", base + "on_eror: skip\n", nil,
			[]string{"pipeline.yaml:4: on_eror: unknown key; did you mean on_error?"}},
		{"unknown nested key with suggestion", "name: p\nsource:\n  path: ./in\n  patern: x\nconnector: {type: sqlite, url: x.db}\n", nil,
			[]string{"pipeline.yaml:4: source.patern: unknown key; did you mean pattern?"}},
		{"unknown key in a list entry", base + "columns:\n  - {source: a, typ: int}\n", nil,
			[]string{"pipeline.yaml:5: columns[0].typ: unknown key; did you mean type?"}},
		{"unknown key in a destination", "name: p\nsource: {path: ./in}\nconnector:\n  type: sqlite\n  url: x.db\n  write-mode: append\n", nil,
			[]string{"pipeline.yaml:6: connector.write-mode: unknown key; did you mean write_mode?"}},
		{"unknown key far from any", base + "colour: blue\n", nil,
			[]string{"pipeline.yaml:4: colour: unknown key"}},
		{"block key at the top level", base + "settle: 2s\n", nil,
			[]string{"pipeline.yaml:4: settle: unknown key; it belongs in the watcher: block"}},
		{"top-level key inside a block", "name: p\nsource:\n  path: ./in\n  delimiter: ','\nconnector: {type: sqlite, url: x.db}\n", nil,
			[]string{"pipeline.yaml:4: source.delimiter: unknown key; delimiter is a top-level key"}},
		{"key repeated", base + "mode: merge\nmode: merge\n", nil,
			[]string{"pipeline.yaml:5: mode: key repeated (first at line 4)"}},
		{"unset variable", base + "table: ${TABLE}\n", nil,
			[]string{"pipeline.yaml:4: table: environment variable not set: TABLE"}},
		{"unset variables", base + "table: ${A}_${B}\n", nil,
			[]string{"pipeline.yaml:4: table: environment variable not set: A, B"}},
		{"unterminated reference", base + "table: ${TABLE\n", nil,
			[]string{"pipeline.yaml:4: table: unterminated ${"}},
		{"bad variable name", base + "table: ${1X}\n", nil,
			[]string{`pipeline.yaml:4: table: invalid variable reference: "1X" is not a variable name`}},
		{"YAML syntax error", "name: p\nsource: [\n", nil,
			[]string{"pipeline.yaml:2: invalid YAML"}},
		{"YAML error in a flow mapping is on its line", "name: p\n\nsource: {path: ./${IN}}\nx: 1\n", nil,
			[]string{"pipeline.yaml:3: invalid YAML: did not find expected ',' or '}' (inside { } put a value that holds ${VAR} in quotes"}},
		{"YAML error in a block mapping is on its line", "name: p\nsource:\n  path: x\n bad: 1\nz: 2\n", nil,
			[]string{"pipeline.yaml:4: invalid YAML: did not find expected key"}},
		{"YAML error in a multi-line flow mapping is on its line", "name: p\nsource: {path: ./in,\n  b: 2,\n  c: d}}\nx: 1\n", nil,
			[]string{"pipeline.yaml:4: invalid YAML"}},
		{"YAML tab", "name: p\n\tsource: x\n", nil,
			[]string{"pipeline.yaml:2: invalid YAML: found a tab character"}},
		{"two documents", base + "---\nname: q\n", nil,
			[]string{"pipeline.yaml:4: a pipeline file holds one YAML document"}},
		{"empty file", "", nil,
			[]string{"pipeline.yaml: the file is empty"}},
		{"top level is a list", "- a\n", nil,
			[]string{"pipeline.yaml:1: want a mapping of keys"}},
		{"a string where a block goes", base + "watcher: [1, 2]\n", nil,
			[]string{"pipeline.yaml:4: watcher: want a mapping of keys (key: value), not a list"}},
		{"a list where a value goes", base + "encoding: [utf-8]\n", nil,
			[]string{"pipeline.yaml:4: encoding: want a single value, not a list"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, _, err := parse(t, tt.doc, tt.env)
			wantErrs(t, err, tt.want...)
			if p != nil {
				t.Errorf("got a pipeline with errors")
			}
		})
	}
}

func TestErrorsListsEveryProblemInFileOrder(t *testing.T) {
	doc := `name: Bad Name
source:
  path: ''
mode: sideways
connector: {type: oracle}
parser: {workers: 0}
`
	_, _, err := parse(t, doc, nil)
	var errs *settings.Errors
	if !errors.As(err, &errs) {
		t.Fatalf("error %T is not *settings.Errors", err)
	}
	var lines []int
	for _, e := range *errs {
		lines = append(lines, e.Line)
	}
	if want := []int{1, 3, 4, 5, 6}; fmt.Sprint(lines) != fmt.Sprint(want) {
		t.Errorf("lines = %v, want %v\n%v", lines, want, err)
	}
	if n := strings.Count(err.Error(), "\n") + 1; n != len(*errs) {
		t.Errorf("%d lines of text for %d problems", n, len(*errs))
	}
	var asValue settings.Errors
	if !errors.As(err, &asValue) || len(asValue) != len(*errs) {
		t.Errorf("errors.As into settings.Errors failed")
	}
	var one *settings.Error
	if !errors.As(err, &one) || one.Key != "name" || one.File != "pipeline.yaml" || one.Column != 7 {
		t.Errorf("errors.As into *settings.Error = %+v", one)
	}
}

func TestEnvironmentExpansion(t *testing.T) {
	vars := map[string]string{"IN": "in", "TABLE": "orders", "EMPTY": "", "WORKERS": "6", "PGHOST": "db.internal"}
	tests := []struct {
		name, line string
		got        func(*config.Pipeline) any
		want       any
	}{
		{"set variable", "table: ${TABLE}", func(p *config.Pipeline) any { return p.Table }, "orders"},
		{"inside text", "table: t_${TABLE}_v2", func(p *config.Pipeline) any { return p.Table }, "t_orders_v2"},
		{"default when unset", "table: ${NOPE:-fallback}", func(p *config.Pipeline) any { return p.Table }, "fallback"},
		{"default when empty", "table: ${EMPTY:-fallback}", func(p *config.Pipeline) any { return p.Table }, "fallback"},
		{"set wins over default", "table: ${TABLE:-fallback}", func(p *config.Pipeline) any { return p.Table }, "orders"},
		{"dollar escape", "null_sequence: a$$b", func(p *config.Pipeline) any { return p.Format.NullSequence }, "a$b"},
		{"lone dollar kept", "null_sequence: ab$", func(p *config.Pipeline) any { return p.Format.NullSequence }, "ab$"},
		{"$NAME without braces kept", "null_sequence: $TABLE", func(p *config.Pipeline) any { return p.Format.NullSequence }, "$TABLE"},
		{"numbers expand", "parser: {workers: '${WORKERS}'}", func(p *config.Pipeline) any { return p.Parser.Workers }, 6},
		{"durations expand", "sink: {batch_idle: '${IDLE:-90s}'}", func(p *config.Pipeline) any { return p.Sink.BatchIdle }, 90 * time.Second},
		{"urls expand", "destinations: [{name: w, type: postgres, url: 'postgresql://u@${PGHOST}:5432/d'}]", func(p *config.Pipeline) any { return pg(t, p.Destinations[0].Settings).URL.Reveal() }, "postgresql://u@db.internal:5432/d"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := "name: p\nsource: {path: './${IN}'}\n" + tt.line + "\n"
			if !strings.HasPrefix(tt.line, "destinations") {
				doc += "connector: {type: sqlite, url: x.db}\n"
			}
			p, _ := mustParse(t, doc, vars)
			if got := tt.got(p); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	t.Run("regular expression with $ needs no escape", func(t *testing.T) {
		p, _ := mustParse(t, "name: p\nsource: {path: ./in, pattern: '\\.csv$'}\nconnector: {type: sqlite, url: x.db}\n", nil)
		if p.Source.Pattern.String() != `\.csv$` {
			t.Errorf("pattern = %q", p.Source.Pattern.String())
		}
	})
	t.Run("unset variable error wraps ErrUnsetVariable", func(t *testing.T) {
		_, _, err := parse(t, base+"table: ${NOPE}\n", nil)
		if !errors.Is(err, settings.ErrUnsetVariable) {
			t.Errorf("errors.Is(ErrUnsetVariable) false for %v", err)
		}
	})
}

func TestPasswordWrittenInTheFileIsRefused(t *testing.T) {
	const pw = "hunter2-Sup3r"
	tests := []struct {
		name, dest, key string
		line            int
	}{
		{"in postgres userinfo", `{type: postgres, url: "postgresql://loader:` + pw + `@db:5432/sales"}`, "connector.url", 3},
		{"in postgres:// userinfo", `{type: postgres, url: "postgres://loader:` + pw + `@db/sales"}`, "connector.url", 3},
		{"with a default in the reference", `{type: postgres, url: "postgresql://loader:${PW:-` + pw + `}@db/sales"}`, "connector.url", 3},
		{"half a reference", `{type: postgres, url: "postgresql://loader:x${PW}@db/sales"}`, "connector.url", 3},
		{"in the query", `{type: postgres, url: "postgresql://loader@db/sales?sslmode=require&password=` + pw + `"}`, "connector.url", 3},
		{"unescaped slash makes a bad URL", `{type: postgres, url: "postgresql://loader:` + pw + `/x@db/sales"}`, "connector.url", 3},
		{"digits before a slash read as a port", `{type: postgres, url: "postgresql://loader:2024/` + pw + `@db/sales"}`, "connector.url", 3},
		{"digits before a slash, reference after it", `{type: postgres, url: "postgresql://loader:2024/${PW}@db/sales"}`, "connector.url", 3},
		{"question mark in the password", `{type: postgres, url: "postgresql://loader:` + pw + `?x@db/sales"}`, "connector.url", 3},
		{"at sign in the password", `{type: postgres, url: "postgresql://loader:` + pw + `@x@db/sales"}`, "connector.url", 3},
		{"percent-escaped password", `{type: postgres, url: "postgresql://loader:` + pw + `%2Fx@db/sales"}`, "connector.url", 3},
		{"sslpassword in the query", `{type: postgres, url: "postgresql://loader@db/sales?sslpassword=` + pw + `"}`, "connector.url", 3},
		{"keyword form", `{type: postgres, url: "host=db user=loader password=` + pw + `"}`, "connector.url", 3},
		{"password key", "{type: postgres, url: 'postgresql://loader@db/sales', password: " + pw + "}", "connector.password", 3},
		{"token key", "{type: postgres, url: 'postgresql://loader@db/sales', api_token: " + pw + "}", "connector.api_token", 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := "name: p\nsource: {path: ./in}\nconnector: " + tt.dest + "\n"
			_, _, err := parse(t, doc, map[string]string{"PW": "from-env"})
			wantErrs(t, err, fmt.Sprintf("pipeline.yaml:%d: %s: a ", tt.line, tt.key), "is written in the file; put it in the environment")
			if strings.Contains(err.Error(), pw) {
				t.Errorf("error shows the password: %v", err)
			}
			if !errors.Is(err, settings.ErrCredentialInFile) {
				t.Errorf("errors.Is(ErrCredentialInFile) false")
			}
		})
	}
	t.Run("in a destinations list, with the message the docs give", func(t *testing.T) {
		doc := "name: p\nsource: {path: ./in}\ndestinations:\n  - name: w\n    type: postgres\n    url: postgresql://u:" + pw + "@h/d\n"
		_, _, err := parse(t, doc, nil)
		wantErrs(t, err, "pipeline.yaml:6: destinations[0].url: a password is written in the file; put it in the environment (${PGPASSWORD} or DATABASE_URL)")
		if strings.Contains(err.Error(), pw) {
			t.Errorf("error shows the password: %v", err)
		}
	})
	t.Run("password key holding a reference points to the url", func(t *testing.T) {
		_, _, err := parse(t, base+"password: ${PGPASSWORD}\n", nil)
		wantErrs(t, err, "pipeline.yaml:4: password: unknown key: a credential goes into the url of the destination or bus that uses it")
	})
}

func TestPasswordFromTheEnvironmentIsAccepted(t *testing.T) {
	vars := map[string]string{"PGPASSWORD": "s3cr3t-from-env", "PGUSER": "loader"}
	tests := []struct{ name, url, want string }{
		{"reference as the password", "postgresql://loader:${PGPASSWORD}@db:5432/sales", "postgresql://loader:s3cr3t-from-env@db:5432/sales"},
		{"references for user and password", "postgresql://${PGUSER}:${PGPASSWORD}@db/sales", "postgresql://loader:s3cr3t-from-env@db/sales"},
		{"user with a default, no password", "postgresql://${PGUSER:-root}@db/sales", "postgresql://loader@db/sales"},
		{"reference in the query", "postgresql://loader@db/sales?password=${PGPASSWORD}", "postgresql://loader@db/sales?password=s3cr3t-from-env"},
		{"empty password", "postgresql://loader:@db/sales", "postgresql://loader:@db/sales"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, _ := mustParse(t, "name: p\nsource: {path: ./in}\nconnector: {type: postgres, url: '"+tt.url+"'}\n", vars)
			if got := pg(t, p.Destinations[0].Settings).URL.Reveal(); got != tt.want {
				t.Errorf("url = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestInvalidURLFromTheEnvironmentIsReportedWithoutThePassword(t *testing.T) {
	const pw = "s3cr3t/with@odd:chars"
	_, _, err := parse(t, "name: p\nsource: {path: ./in}\nconnector: {type: postgres, url: 'postgresql://loader:${PGPASSWORD}@db/sales'}\n", map[string]string{"PGPASSWORD": pw})
	wantErrs(t, err, "pipeline.yaml:3: connector.url: ambiguous URL: percent-encode")
	for _, part := range []string{pw, "s3cr3t", "odd:chars"} {
		if strings.Contains(err.Error(), part) {
			t.Errorf("error shows %q: %v", part, err)
		}
	}
}

// TestAmbiguousURLFromTheEnvironmentIsRefusedWithoutEcho gives URLs that
// Go's parser reads otherwise than a person (a password with an unescaped
// '/', '?', '#', '@' or '%', or with digits before a '/', which read as a
// port) through ${VAR}: each is refused
// with the fix, and no message holds the password or a piece of it.
func TestAmbiguousURLFromTheEnvironmentIsRefusedWithoutEcho(t *testing.T) {
	const canary = "Kq7vZx3wPa"
	passwords := map[string]string{
		"digits before a slash": "2024/" + canary,
		"slash":                 canary + "/" + canary,
		"question mark":         canary + "?x=" + canary,
		"hash":                  canary + "#" + canary,
		"at sign":               canary + "@" + canary,
		"bad escape":            canary + "%zz" + canary,
		"space":                 canary + " " + canary,
	}
	for name, pw := range passwords {
		t.Run(name, func(t *testing.T) {
			cases := []struct {
				where, doc, want string
				vars             map[string]string
			}{
				{"${VAR} in url", "name: p\nsource: {path: ./in}\nconnector: {type: postgres, url: 'postgresql://loader:${PGPASSWORD}@db:5432/sales'}\n",
					"pipeline.yaml:3: connector.url: ambiguous URL: percent-encode", map[string]string{"PGPASSWORD": pw}},
				{"whole url from ${VAR}", "name: p\nsource: {path: ./in}\nconnector: {type: postgres, url: '${PGURL}'}\n",
					"pipeline.yaml:3: connector.url: ambiguous URL: percent-encode", map[string]string{"PGURL": "postgresql://loader:" + pw + "@db:5432/sales"}},
			}
			for _, c := range cases {
				t.Run(c.where, func(t *testing.T) {
					_, _, err := parse(t, c.doc, c.vars)
					wantErrs(t, err, c.want)
					if strings.Contains(err.Error(), canary) || strings.Contains(err.Error(), "2024") {
						t.Errorf("error shows a piece of the password: %v", err)
					}
				})
			}
		})
	}
}

func TestSecretsNeverPrint(t *testing.T) {
	const pgPW, busPW, dbPW = "pg-Secret-111", "bus-Secret-222", "dburl-Secret-333"
	vars := map[string]string{
		"PGPASSWORD":     pgPW,
		"KAFKA_PASSWORD": busPW,
		"DBURL":          "postgresql://loader:" + dbPW + "@db/sales",
	}
	doc := `name: p
source: {path: ./in}
destinations:
  - {name: a, type: postgres, url: 'postgresql://loader:${PGPASSWORD}@db:5432/sales?sslmode=disable'}
  - {name: b, type: postgres, url: '${DBURL}'}
bus:
  type: kafka
  sasl: {password: '${KAFKA_PASSWORD}'}
`
	p, _ := mustParse(t, doc, vars)
	a, b := pg(t, p.Destinations[0].Settings).URL.Reveal(), pg(t, p.Destinations[1].Settings).URL.Reveal()
	if bp := p.Bus.Settings.(kafkaSettings).SASL.Password.Reveal(); !strings.Contains(a, pgPW) || !strings.Contains(b, dbPW) || bp != busPW {
		t.Fatalf("the secrets were not expanded: %q %q %q", a, b, bp)
	}
	js, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var text, jsonLog bytes.Buffer
	slog.New(slog.NewTextHandler(&text, nil)).Info("loaded", "pipeline", p, "value", *p, "bus", p.Bus, "dest", p.Destinations[0])
	slog.New(slog.NewJSONHandler(&jsonLog, nil)).Info("loaded", "pipeline", p, "bus", p.Bus, "dest", p.Destinations[0])
	outputs := map[string]string{
		"%v":        fmt.Sprintf("%v", p),
		"%+v":       fmt.Sprintf("%+v", *p),
		"%#v":       fmt.Sprintf("%#v", *p),
		"%s":        fmt.Sprintf("%s", p.Destinations),
		"%v bus":    fmt.Sprintf("%v", p.Bus),
		"json":      string(js),
		"slog text": text.String(),
		"slog json": jsonLog.String(),
		"url %q":    fmt.Sprintf("%q", pg(t, p.Destinations[0].Settings).URL),
		"url %x":    fmt.Sprintf("%x", pg(t, p.Destinations[0].Settings).URL),
		"url %#v":   fmt.Sprintf("%#v", pg(t, p.Destinations[0].Settings).URL),
		"bus %#v":   fmt.Sprintf("%#v", p.Bus),
	}
	for name, out := range outputs {
		t.Run(name, func(t *testing.T) {
			for _, s := range []string{pgPW, busPW, dbPW} {
				if strings.Contains(out, s) || strings.Contains(out, fmt.Sprintf("%x", s)) {
					t.Errorf("output holds secret %q:\n%s", s, out)
				}
			}
			if !strings.Contains(out, "REDACTED") && !strings.Contains(out, fmt.Sprintf("%x", "REDACTED")) {
				t.Errorf("output does not say REDACTED:\n%s", out)
			}
		})
	}
}

func TestSecretsListsEveryValueThatHoldsACredential(t *testing.T) {
	vars := map[string]string{
		"PGPASSWORD":      "pg-pw",
		"KAFKA_PASSWORD":  "kafka-pw",
		"PGP_PRIVATE_KEY": testPrivateKey,
		"PGP_PASSPHRASE":  testPassphrase,
	}
	doc := `name: p
source: {path: ./in}
destinations:
  - {name: a, type: postgres, url: 'postgresql://loader:${PGPASSWORD}@db/sales'}
  - {name: b, type: sqlite, url: sqlite:///out.db}
  - {name: c, type: postgres, url: 'postgresql://loader@db/sales'}
bus: {type: kafka, brokers: [plain:9092, secret@one], sasl: {password: '${KAFKA_PASSWORD}'}}
pgp: {private_key: '${PGP_PRIVATE_KEY}', passphrase: '${PGP_PASSPHRASE}'}
`
	p, _ := mustParse(t, doc, vars)
	got := p.Secrets()
	want := []string{"kafka-pw", "postgresql://loader:pg-pw@db/sales", "one", testPrivateKey, testPassphrase}
	if !slices.Equal(got, want) {
		t.Errorf("Secrets() = %q, want %q", got, want)
	}
	p, _ = mustParse(t, base+"bus: {url: 'nats://a:4222,nats://b:4222'}\n", nil)
	if got := p.Secrets(); len(got) != 0 {
		t.Errorf("Secrets() = %q for a pipeline without credentials", got)
	}
}

func TestLoadReadsFileAndEnvironment(t *testing.T) {
	dir := workdir(t)
	path := filepath.Join(dir, "pipeline.yaml")
	doc := "name: p\nsource: {path: in}\nconnector: {type: postgres, url: '${PGURL}'}\nbus: {url: '${BUS_URL}'}\n"
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PGURL", "postgresql://loader@db/sales")
	t.Setenv("BUS_URL", "nats://env:4222")
	p, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if p.File != path || p.Dir != dir || p.Source.Settings != (folderSettings{Path: "in"}) {
		t.Errorf("file %q dir %q source %v", p.File, p.Dir, p.Source.Settings)
	}
	if u, b := pg(t, p.Destinations[0].Settings).URL.Reveal(), p.Bus.Settings.(natsSettings).URL; u != "postgresql://loader@db/sales" || b != "nats://env:4222" {
		t.Errorf("environment not applied: %q %q", u, b)
	}

	_, err = config.Load(filepath.Join(dir, "missing.yaml"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load of a missing file: %v, want os.ErrNotExist", err)
	}

	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("name: p\nsourc: {path: in}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = config.Load(bad)
	wantErrs(t, err, bad+":2: sourc: unknown key; did you mean source?")
}

func TestSourceForms(t *testing.T) {
	t.Run("a single value is the path", func(t *testing.T) {
		p, _ := mustParse(t, "name: p\nsource: ./in\nconnector: {type: sqlite, url: x.db}\n", nil)
		if p.Source.Settings != (folderSettings{Path: "./in"}) || p.Source.Type != "local" {
			t.Errorf("source = %+v", p.Source)
		}
	})
	t.Run("absolute path", func(t *testing.T) {
		abs := t.TempDir()
		p, _ := mustParse(t, fmt.Sprintf("name: p\nsource: {path: %q}\nconnector: {type: sqlite, url: x.db}\n", abs), nil)
		if p.Source.Settings.String() != abs {
			t.Errorf("path = %q, want %q", p.Source.Settings, abs)
		}
	})
	t.Run("pattern with (?i) matches nested paths", func(t *testing.T) {
		p, _ := mustParse(t, "name: p\nsource: {path: ./in, pattern: '(?i)\\.csv$'}\nconnector: {type: sqlite, url: x.db}\n", nil)
		for path, want := range map[string]bool{"A.CSV": true, "x/y/z.csv": true, "z.csv.gz": false} {
			if got := p.Source.Pattern.MatchString(path); got != want {
				t.Errorf("match %q = %v, want %v", path, got, want)
			}
		}
	})
}

func TestMagicFolderModeHasNoTable(t *testing.T) {
	p, _ := mustParse(t, base+"mode: magic_folder\n", nil)
	if p.Mode != config.MagicFolder || p.Table != "" {
		t.Errorf("mode %q table %q", p.Mode, p.Table)
	}
}

func TestSynonymsAgree(t *testing.T) {
	p, _ := mustParse(t, base+"table: t\ndest_table: t\nfile_type: JSON\nformat: .json\n", nil)
	if p.Table != "t" || p.Format.FileType != "json" {
		t.Errorf("table %q file_type %q", p.Table, p.Format.FileType)
	}
}

func TestDelimiters(t *testing.T) {
	tests := []struct{ yaml, want string }{
		{`','`, ","},
		{`'\t'`, "\t"},
		{`"\t"`, "\t"},
		{`'\s'`, " "},
		{`'|'`, "|"},
		{`'||'`, "||"},
		{`'\\'`, `\`},
		{`'\'`, `\`},
		{`';\s'`, "; "},
	}
	for _, tt := range tests {
		t.Run(tt.yaml, func(t *testing.T) {
			p, _ := mustParse(t, base+"delimiter: "+tt.yaml+"\n", nil)
			if p.Format.Delimiter != tt.want {
				t.Errorf("delimiter = %q, want %q", p.Format.Delimiter, tt.want)
			}
		})
	}
}

func TestColumnTypesAcceptSynonymsAndCase(t *testing.T) {
	doc := base + `columns:
  - {source: a, type: BIGINT}
  - {source: b, type: text}
  - {source: c, type: datetime}
  - {source: d}
  - {source: e, required: false}
`
	p, _ := mustParse(t, doc, nil)
	want := []record.Type{record.Integer, record.String, record.Timestamp, record.Unknown, record.Unknown}
	for i, c := range p.Columns {
		if c.Type != want[i] {
			t.Errorf("column %s type %v, want %v", c.Source, c.Type, want[i])
		}
	}
}

func TestColumnTypesAcceptDecimalsWithPrecisionAndScale(t *testing.T) {
	doc := base + `columns:
  - {source: a, type: 'decimal(12,2)'}
  - {source: b, type: 'NUMERIC(12, 2)'}
  - {source: c, type: decimal}
  - {source: d, type: numeric}
  - {source: e, type: 'numeric(10)'}
  - {source: f, type: 'decimal(76,76)'}
`
	p, _ := mustParse(t, doc, nil)
	want := []record.Type{record.DecimalOf(12, 2), record.DecimalOf(12, 2), record.Decimal, record.Decimal, record.DecimalOf(10, 0), record.DecimalOf(76, 76)}
	for i, c := range p.Columns {
		if c.Type != want[i] {
			t.Errorf("column %s type %v, want %v", c.Source, c.Type, want[i])
		}
	}
}

func TestYAMLAnchorsAndMergeKeys(t *testing.T) {
	doc := `name: p
source: {path: ./in}
x-pg: &pg
  type: postgres
  url: postgresql://loader@db/sales
destinations:
  - <<: *pg
    name: raw
  - <<: *pg
    name: clean
    schema: clean
`
	_, _, err := parse(t, doc, nil)
	// x-pg is not a key of pipeline.yaml: anchors live inside known keys.
	wantErrs(t, err, "pipeline.yaml:3: x-pg: unknown key")

	doc = `name: p
source: {path: ./in}
destinations:
  - &pg
    name: raw
    type: postgres
    url: postgresql://loader@db/sales
  - <<: *pg
    name: clean
    schema: clean
`
	p, _ := mustParse(t, doc, nil)
	if len(p.Destinations) != 2 || p.Destinations[1].Name != "clean" || p.Destinations[1].Type != "postgres" || pg(t, p.Destinations[1].Settings).Schema != "clean" {
		t.Errorf("destinations = %+v", p.Destinations)
	}
}
