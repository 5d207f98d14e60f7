package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/filedge/filedge/pkg/bus"
	"github.com/filedge/filedge/pkg/destination"
	"github.com/filedge/filedge/pkg/record"
	"github.com/filedge/filedge/pkg/settings"
	"github.com/filedge/filedge/pkg/source"
)

// defaultSourceType is the type of a source: block without one.
const defaultSourceType = "local"

// Defaults of the keys that have one.
const (
	DefaultSettle       = 2 * time.Second
	DefaultRescan       = 30 * time.Second
	DefaultWorkers      = 2
	DefaultAckWait      = 30 * time.Second
	DefaultMaxLineBytes = 16 << 20
	DefaultBatchIdle    = 2 * time.Minute
	// DefaultMaxAttempts bounds the attempts at a file that cannot be read:
	// with the parser's backoff (2s, 4s, 8s, 16s) it fails about 30 s after
	// its first attempt.
	DefaultMaxAttempts = 5

	DefaultMaxDecompressedBytes = 64 << 30
	DefaultMaxRatio             = 1000
	DefaultMaxMembers           = 100_000
	DefaultMaxFieldBytes        = 16 << 20
	DefaultMaxSpoolBytes        = 512 << 20
)

// DefaultBusType is the type of a bus: block without one (and of a
// pipeline without a bus: block).
const DefaultBusType = "nats"

// namePattern is the syntax of pipeline and destination names, which
// become NATS subject tokens.
var namePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

// tablePattern is the syntax of a table name as written.
var tablePattern = regexp.MustCompile(`^[\p{L}\p{N}_-]+$`)

// Keys of each block.
var (
	topKeys = []string{
		"name", "source", "file_pattern", "mode", "table", "dest_table",
		"on_error", "modified_file_merge", "file_type", "format",
		"delimiter", "encoding", "json_delivery", "quote_char", "escape_char",
		"null_sequence", "skip_header_lines", "skip_footer_lines", "headerless",
		"line_separator", "xml_record_path", "compression", "archive_pattern",
		"pgp", "limits", "columns", "write_mode", "cdc",
		"connector", "destinations", "bus", "watcher", "parser", "sink",
	}
	// sourceKeys are the pipeline's keys of the source: block; the others
	// are its type's (source.Info.Decode).
	sourceKeys = []string{"type", "pattern"}
	columnKeys = []string{"source", "dest", "type", "required"}
	// destinationKeys are the pipeline's keys of a destination block; the
	// others are its type's (destination.Info.Decode).
	destinationKeys = []string{"name", "type", "write_mode", "cdc"}
	// busKeys are the pipeline's keys of the bus: block; the others are its
	// type's (bus.Info.Decode).
	busKeys     = []string{"type"}
	watcherKeys = []string{"settle", "rescan"}
	parserKeys  = []string{"workers", "ack_wait", "max_line_bytes", "max_attempts"}
	sinkKeys    = []string{"workers", "ack_wait", "batch_idle"}
	pgpKeys     = []string{"private_key", "passphrase", "trusted_signers"}
	limitsKeys  = []string{
		"max_decompressed_bytes", "max_ratio", "max_members",
		"max_line_bytes", "max_field_bytes", "max_spool_bytes",
	}

	blocks = []struct {
		name string
		keys []string
	}{
		{"watcher", watcherKeys}, {"parser", parserKeys},
		{"sink", sinkKeys}, {"pgp", pgpKeys}, {"limits", limitsKeys},
		{"cdc", cdcKeys},
	}
)

// componentBlocks are the blocks whose keys are a component's besides the
// pipeline's, with the keys they may have: the pipeline's and those of
// every registered type.
func componentBlocks() map[string][]string {
	src := slices.Clone(sourceKeys)
	for _, t := range source.Types() {
		info, _ := source.Lookup(t)
		src = append(src, settings.Keys(info.Decode)...)
	}
	dst := slices.Clone(destinationKeys)
	for _, t := range destination.Types() {
		info, _ := destination.Lookup(t)
		dst = append(dst, settings.Keys(info.Decode)...)
	}
	bs := slices.Clone(busKeys)
	for _, t := range bus.Types() {
		info, _ := bus.Lookup(t)
		bs = append(bs, settings.Keys(info.Decode)...)
	}
	return map[string][]string{"source": src, "connector": dst, "bus": bs}
}

// parser reads pipeline.yaml's keys; its File collects every problem.
type parser struct {
	*settings.File
	// top holds the top-level write_mode and cdc:, and pl the pipeline read
	// so far, for the destinations.
	top topWrite
	pl  *Pipeline
}

// newParser returns a parser of the file named file whose relative paths
// are resolved against dir (absolute).
func newParser(file, dir string, lookup func(string) (string, bool)) *parser {
	return &parser{File: &settings.File{
		Name: file, Dir: dir, Lookup: lookup, Elsewhere: elsewhere,
		CredentialHint: "the url of the destination or bus that uses it, as ${VAR}",
	}, pl: &Pipeline{}}
}

// elsewhere says where a key that is unknown in block path belongs, if it
// belongs in another block, or what the pgp: block has.
func elsewhere(path, name string) string {
	if path == "pgp" {
		return "the pgp: block has " + strings.Join(pgpKeys, ", ") + ", each a ${VAR} reference"
	}
	if path != "" && slices.Contains(topKeys, name) {
		return name + " is a top-level key"
	}
	if path != "" {
		return ""
	}
	var in []string
	components := componentBlocks()
	for _, b := range []string{"source", "connector", "bus"} {
		if slices.Contains(components[b], name) {
			in = append(in, b+":")
		}
	}
	for _, b := range blocks {
		if slices.Contains(b.keys, name) {
			in = append(in, b.name+":")
		}
	}
	switch len(in) {
	case 0:
		return ""
	case 1:
		return "it belongs in the " + in[0] + " block"
	}
	return "it belongs in one of the " + strings.Join(in, ", ") + " blocks"
}

// Load reads, expands, validates and defaults the pipeline file at path.
// ${VAR} references and the variables components fall back on
// (DATABASE_URL, FILEDGE_NATS_URL) come from the process environment. It returns a
// *settings.Errors listing every problem when the file is not valid.
func Load(path string) (*Pipeline, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return ParseWithEnv(data, path, filepath.Dir(abs), os.LookupEnv)
}

// Parse reads a pipeline file's contents like Load: file names it in
// errors and dir is the folder relative paths are resolved against ("" is
// the working directory).
func Parse(data []byte, file, dir string) (*Pipeline, error) {
	return ParseWithEnv(data, file, dir, os.LookupEnv)
}

// ParseWithEnv is Parse with lookup in place of os.LookupEnv for every
// environment variable the pipeline reads.
func ParseWithEnv(data []byte, file, dir string, lookup func(string) (string, bool)) (*Pipeline, error) {
	if lookup == nil {
		lookup = os.LookupEnv
	}
	absDir, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	p := newParser(file, absDir, lookup)
	pl := p.document(data)
	if errs := p.Errors(); len(errs) > 0 {
		return nil, &errs
	}
	pl.File = file
	pl.Dir = absDir
	return pl, nil
}

// document parses the YAML and the pipeline in it.
func (p *parser) document(data []byte) *Pipeline {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			p.Add(nil, "", nil, "the file is empty")
		} else {
			p.Syntax(data, err)
		}
		return nil
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case err == nil:
		p.Add(&extra, "", nil, "a pipeline file holds one YAML document; remove the second one (---)")
	case !errors.Is(err, io.EOF):
		p.Syntax(data, err)
	}
	root := &doc
	if doc.Kind == yaml.DocumentNode && len(doc.Content) > 0 {
		root = doc.Content[0]
	}
	if !settings.Present(root) {
		p.Add(root, "", nil, "the file is empty")
		return nil
	}
	if settings.Resolve(root).Kind != yaml.MappingNode {
		p.Add(root, "", nil, "want a mapping of keys (name:, source:, connector: ...), not %s", settings.KindName(settings.Resolve(root)))
		return nil
	}
	return p.pipeline(settings.Resolve(root))
}

// pipeline reads the top-level mapping.
func (p *parser) pipeline(root *yaml.Node) *Pipeline {
	m, _ := p.Mapping(root, "", topKeys)
	pl := &Pipeline{}
	p.pl = pl

	if v, n, ok := p.Required(m, "name", "name", root, ""); ok {
		if namePattern.MatchString(v) {
			pl.Name = v
		} else {
			p.Add(n, "name", nil, "%s is not a valid pipeline name: use 1 to 63 lower-case letters, digits, _ or -, starting with a letter or digit (it becomes a NATS subject token)", settings.Quote(n, v))
		}
	}
	var hasPattern bool
	pl.Source, hasPattern = p.source(m, root)
	p.filePattern(m, &pl.Source, hasPattern)

	pl.Mode = Mode(p.Enum(m.Val("mode"), "mode", string(Merge), string(Merge), string(MagicFolder)))
	pl.Table = p.table(m, pl)
	pl.OnError = OnError(p.Enum(m.Val("on_error"), "on_error", string(Fail), string(Fail), string(Skip)))
	pl.ModifiedFileMerge = p.Enum(m.Val("modified_file_merge"), "modified_file_merge", "upsert_file", "upsert_file", "append_file")

	pl.Format = p.format(m)
	pl.Layers = p.layers(m)
	pl.Columns = p.columns(m.Val("columns"))
	p.top = p.topWriteKeys(m, pl.Columns)
	pl.Destinations = p.destinations(m, root)

	pl.Bus = p.bus(m, root)
	pl.Watcher = p.watcher(m.Val("watcher"))
	pm, _ := p.Mapping(m.Val("parser"), "parser", parserKeys)
	pl.Parser = p.parserBlock(pm)
	lm, _ := p.Mapping(m.Val("limits"), "limits", limitsKeys)
	pl.Limits = p.limits(lm)
	p.maxLineBytes(pm["max_line_bytes"], lm["max_line_bytes"], pl)
	pl.Sink = p.sink(m.Val("sink"))
	return pl
}

// source reads the source: block; hasPattern reports whether it has a
// pattern key. It reads the pipeline's keys and hands the block to the
// type's Decode. A single value is short for {path: value} of the default
// type, a local folder.
func (p *parser) source(m settings.Fields, root *yaml.Node) (src Source, hasPattern bool) {
	f, ok := m["source"]
	if !ok || !settings.Present(f.Val) {
		at := root
		if ok {
			at = f.Key
		}
		p.Add(at, "source", nil, "required: the folder to load files from, e.g. source: {path: ./data}")
		return Source{}, false
	}
	src.Type = defaultSourceType
	sm := settings.Fields{"path": f}
	if n := settings.Resolve(f.Val); n.Kind != yaml.ScalarNode {
		if sm, ok = p.Fields(f.Val, "source"); !ok {
			return src, false
		}
	}
	if tn := sm.Val("type"); settings.Present(tn) {
		v, ok := p.Str(tn, "source.type")
		if !ok {
			return src, false
		}
		if _, ok := source.Lookup(strings.TrimSpace(v)); !ok {
			p.Add(tn, "source.type", nil, "unknown source type %s (known: %s)", settings.Quote(tn, v), strings.Join(source.Types(), ", "))
			return src, false
		}
		src.Type = strings.ToLower(strings.TrimSpace(v))
	}
	if n := sm.Val("pattern"); settings.Present(n) {
		hasPattern = true
		if v, ok := p.Str(n, "source.pattern"); ok {
			src.Pattern = p.compile(n, "source.pattern", v, "file")
		}
	}
	if info, ok := source.Lookup(src.Type); ok {
		src.Settings = info.Decode(p.Block(sm, f.Key, "source", sourceKeys...))
	} else {
		p.Add(f.Key, "source.type", nil, "no %s source in this build (known: %s)", src.Type, strings.Join(source.Types(), ", "))
	}
	return src, hasPattern
}

// compile compiles a regular expression (source.pattern, archive_pattern);
// every names what an absent pattern takes.
func (p *parser) compile(n *yaml.Node, key, v, every string) *Regexp {
	if v == "" {
		p.Add(n, key, nil, "empty pattern: omit the key to take every %s", every)
		return nil
	}
	re, err := regexp.Compile(v)
	if err != nil {
		p.Add(n, key, err, "invalid regular expression: %v", err)
		return nil
	}
	return &Regexp{re}
}

// filePattern reads the top-level file_pattern glob into src.Pattern.
func (p *parser) filePattern(m settings.Fields, src *Source, hasPattern bool) {
	f, ok := m["file_pattern"]
	if !ok || !settings.Present(f.Val) {
		return
	}
	if hasPattern {
		p.Add(f.Key, "file_pattern", nil, "give either source.pattern (a regular expression) or file_pattern (a glob), not both")
		return
	}
	v, ok := p.Str(f.Val, "file_pattern")
	if !ok {
		return
	}
	re, err := globRegexp(v)
	if err != nil {
		p.Add(f.Val, "file_pattern", err, "invalid glob %s: %v", settings.Quote(f.Val, v), err)
		return
	}
	src.Pattern = &Regexp{re}
}

// table reads table (or dest_table) and applies its default.
func (p *parser) table(m settings.Fields, pl *Pipeline) string {
	var t string
	var at *yaml.Node
	var atKey string
	for _, k := range []string{"table", "dest_table"} {
		n := m.Val(k)
		if !settings.Present(n) {
			continue
		}
		v, ok := p.Str(n, k)
		if !ok {
			return ""
		}
		if at != nil && v != t {
			p.Add(m[k].Key, k, nil, "%s and %s differ: give one", atKey, k)
			return ""
		}
		t, at, atKey = v, n, k
	}
	if pl.Mode == MagicFolder {
		if at != nil {
			p.Add(m[atKey].Key, atKey, nil, "not used in magic_folder mode, where each file becomes its own table")
		}
		return ""
	}
	if at == nil {
		return pl.Name
	}
	switch {
	case t == "":
		p.Add(at, atKey, nil, "must not be empty")
	case strings.Contains(t, "."):
		p.Add(at, atKey, nil, "%s: a table name has no '.'; put the schema in the destination's schema: key", settings.Quote(at, t))
	case !tablePattern.MatchString(t):
		p.Add(at, atKey, nil, "%s: use letters, digits, _ and - (names are made lower snake case in the destination)", settings.Quote(at, t))
	}
	return t
}

// columns reads the columns: list.
func (p *parser) columns(n *yaml.Node) []Column {
	n = settings.Resolve(n)
	if !settings.Present(n) {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		p.Add(n, "columns", nil, "want a list of {source, dest, type, required}, not %s", settings.KindName(n))
		return nil
	}
	var out []Column
	sources := map[string]int{}
	dests := map[string]int{}
	for i, item := range n.Content {
		path := fmt.Sprintf("columns[%d]", i)
		item = settings.Resolve(item)
		if item.Kind != yaml.MappingNode {
			p.Add(item, path, nil, "want a mapping {source, dest, type, required}, not %s", settings.KindName(item))
			continue
		}
		cm, _ := p.Mapping(item, path, columnKeys)
		var c Column
		v, sn, ok := p.Required(cm, "source", path+".source", item, ": the column's name in the file")
		if ok {
			if line, dup := sources[v]; dup {
				p.Add(sn, path+".source", nil, "column %s declared twice (first at line %d)", settings.Quote(sn, v), line)
			} else {
				sources[v] = sn.Line
			}
			c.Source = v
		}
		if dn := cm.Val("dest"); settings.Present(dn) {
			if d, ok := p.Str(dn, path+".dest"); ok {
				switch line, dup := dests[d]; {
				case strings.TrimSpace(d) == "":
					p.Add(dn, path+".dest", nil, "must not be empty (omit it to use the source name)")
				case dup:
					p.Add(dn, path+".dest", nil, "two columns load into %s (first at line %d)", settings.Quote(dn, d), line)
				default:
					dests[d] = dn.Line
				}
				c.Dest = d
			}
		}
		if tn := cm.Val("type"); settings.Present(tn) {
			if t, ok := p.Str(tn, path+".type"); ok {
				typ, err := record.ParseType(strings.ToLower(strings.TrimSpace(t)))
				switch {
				case errors.Is(err, record.ErrUnknownType):
					p.Add(tn, path+".type", err, "unknown column type %s (want boolean, integer, float, decimal, decimal(precision,scale), date, timestamp, string or json)", settings.Quote(tn, t))
				case err != nil: // a decimal's precision or scale
					p.Add(tn, path+".type", err, "%v", err)
				}
				c.Type = typ
			}
		}
		c.Required = p.Bool(cm.Val("required"), path+".required", false)
		out = append(out, c)
	}
	return out
}

// destinations reads the connector: block or the destinations: list.
func (p *parser) destinations(m settings.Fields, root *yaml.Node) []Destination {
	conn, list := m["connector"], m["destinations"]
	switch {
	case settings.Present(conn.Val) && settings.Present(list.Val):
		p.Add(list.Key, "destinations", nil, "give either connector: (one destination) or destinations: (a list), not both")
		return nil
	case settings.Present(conn.Val):
		d, ok := p.destination(conn.Val, conn.Key, "connector", true)
		if !ok {
			return nil
		}
		return []Destination{d}
	case settings.Present(list.Val):
	default:
		at := root
		if conn.Key != nil {
			at = conn.Key
		} else if list.Key != nil {
			at = list.Key
		}
		p.Add(at, "connector", nil, "required: where to load the rows, e.g. connector: {type: sqlite, url: sqlite:///out.db}")
		return nil
	}
	n := settings.Resolve(list.Val)
	if n.Kind != yaml.SequenceNode {
		p.Add(n, "destinations", nil, "want a list of destinations (- name: ..., type: ..., url: ...), not %s", settings.KindName(n))
		return nil
	}
	if len(n.Content) == 0 {
		p.Add(list.Key, "destinations", nil, "the list is empty: give at least one destination")
		return nil
	}
	var out []Destination
	names := map[string]int{}
	for i, item := range n.Content {
		path := fmt.Sprintf("destinations[%d]", i)
		d, ok := p.destination(item, item, path, false)
		if !ok {
			continue
		}
		if d.Name != "" {
			if line, dup := names[d.Name]; dup {
				p.Add(settings.Resolve(item), path+".name", nil, "destination name %q used twice (first at line %d)", d.Name, line)
			} else {
				names[d.Name] = settings.Resolve(item).Line
			}
		}
		out = append(out, d)
	}
	return out
}

// destination reads one destination mapping n; at is where to report what
// it lacks (the connector: key, or the list entry). It reads the pipeline's
// keys and hands the block to the type's Decode.
func (p *parser) destination(n, at *yaml.Node, path string, connector bool) (Destination, bool) {
	dm, ok := p.Fields(n, path)
	if !ok {
		return Destination{}, false
	}
	var d Destination
	var info destination.Info
	types := destination.Types()
	if v, tn, ok := p.Required(dm, "type", path+".type", at, ": one of "+strings.Join(types, ", ")); ok {
		if info, ok = destination.Lookup(strings.TrimSpace(v)); ok {
			d.Type = info.Type
		} else {
			msg := fmt.Sprintf("unknown destination type %s (known: %s)", settings.Quote(tn, v), strings.Join(types, ", "))
			if s := settings.Suggest(strings.ToLower(strings.TrimSpace(v)), types); s != "" {
				msg += "; did you mean " + s + "?"
			}
			p.Add(tn, path+".type", nil, "%s", msg)
		}
	}

	nn := dm.Val("name")
	switch {
	case settings.Present(nn):
		if v, ok := p.Str(nn, path+".name"); ok {
			if namePattern.MatchString(v) {
				d.Name = v
			} else {
				p.Add(nn, path+".name", nil, "%s is not a valid destination name: use 1 to 63 lower-case letters, digits, _ or -, starting with a letter or digit", settings.Quote(nn, v))
			}
		}
	case connector:
		d.Name = d.Type
	default:
		p.Add(at, path+".name", nil, "required: each destination has a unique name, e.g. name: warehouse")
	}

	p.destinationWrite(&d, dm, path, info, p.pl)
	if info.Decode != nil {
		d.Settings = info.Decode(p.Block(dm, at, path, destinationKeys...))
	}
	return d, true
}

// bus reads the bus: block's type (default DefaultBusType) and hands the
// block to the type's Decode; a pipeline without a bus: block gets the
// default type's defaults.
func (p *parser) bus(m settings.Fields, root *yaml.Node) Bus {
	b := Bus{Type: DefaultBusType}
	f := m["bus"]
	at := root
	if f.Key != nil {
		at = f.Key
	}
	bm := settings.Fields{}
	if settings.Present(f.Val) {
		var ok bool
		if bm, ok = p.Fields(f.Val, "bus"); !ok {
			return b
		}
	}
	types := bus.Types()
	if tn := bm.Val("type"); settings.Present(tn) {
		v, ok := p.Str(tn, "bus.type")
		if !ok {
			return b
		}
		info, ok := bus.Lookup(strings.TrimSpace(v))
		if !ok {
			msg := fmt.Sprintf("unknown bus type %s (known: %s)", settings.Quote(tn, v), strings.Join(types, ", "))
			if s := settings.Suggest(strings.ToLower(strings.TrimSpace(v)), types); s != "" {
				msg += "; did you mean " + s + "?"
			}
			p.Add(tn, "bus.type", nil, "%s", msg)
			return b
		}
		b.Type = info.Type
	}
	info, ok := bus.Lookup(b.Type)
	if !ok {
		p.Add(at, "bus.type", nil, "no %s bus in this build (known: %s)", b.Type, strings.Join(types, ", "))
		return b
	}
	b.Settings = info.Decode(p.Block(bm, at, "bus", busKeys...))
	return b
}

func (p *parser) watcher(n *yaml.Node) Watcher {
	m, _ := p.Mapping(n, "watcher", watcherKeys)
	return Watcher{
		Settle: p.Duration(m.Val("settle"), "watcher.settle", DefaultSettle),
		Rescan: p.Duration(m.Val("rescan"), "watcher.rescan", DefaultRescan),
	}
}

// parserBlock reads the parser: block's keys m.
func (p *parser) parserBlock(m settings.Fields) Parser {
	return Parser{
		Workers:      p.PositiveInt(m.Val("workers"), "parser.workers", DefaultWorkers),
		AckWait:      p.Duration(m.Val("ack_wait"), "parser.ack_wait", DefaultAckWait),
		MaxLineBytes: p.IntSize(m.Val("max_line_bytes"), "parser.max_line_bytes", DefaultMaxLineBytes),
		MaxAttempts:  p.PositiveInt(m.Val("max_attempts"), "parser.max_attempts", DefaultMaxAttempts),
	}
}

func (p *parser) sink(n *yaml.Node) Sink {
	m, _ := p.Mapping(n, "sink", sinkKeys)
	return Sink{
		Workers:   p.PositiveInt(m.Val("workers"), "sink.workers", DefaultWorkers),
		AckWait:   p.Duration(m.Val("ack_wait"), "sink.ack_wait", DefaultAckWait),
		BatchIdle: p.Duration(m.Val("batch_idle"), "sink.batch_idle", DefaultBatchIdle),
	}
}
