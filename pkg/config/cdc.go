package config

import (
	"fmt"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/filedge/filedge/pkg/destination"
	"github.com/filedge/filedge/pkg/record"
	"github.com/filedge/filedge/pkg/settings"
)

// Write modes (a destination's write_mode, or the top-level one).
const (
	WriteAppend   = "append"
	WriteTruncate = "truncate"
	WriteCDC      = "cdc"
)

// Keys of the cdc: block and of its operations: block.
var (
	cdcKeys       = []string{"keys", "operation_column", "sequence_by", "operations"}
	operationKeys = []string{"insert", "update", "delete"}
)

// topWrite is what the top-level write_mode and cdc: (the Python
// Filedge's shape) give every destination without its own.
type topWrite struct {
	mode   string     // write_mode, or append
	modeAt *yaml.Node // its value, or nil when absent
	cdc    *destination.CDCSpec
	cdcAt  *yaml.Node // the cdc: key, or nil
}

// topWriteKeys reads the top-level write_mode and cdc: block.
func (p *parser) topWriteKeys(m settings.Fields, columns []Column) topWrite {
	tw := topWrite{mode: WriteAppend}
	if n := m.Val("write_mode"); settings.Present(n) {
		tw.mode = p.Enum(n, "write_mode", WriteAppend, WriteAppend, WriteTruncate, WriteCDC)
		tw.modeAt = settings.Resolve(n)
	}
	if f, ok := m["cdc"]; ok && settings.Present(f.Val) {
		tw.cdc, tw.cdcAt = p.cdc(f, "cdc", columns), f.Key
	}
	return tw
}

// destinationWrite reads a destination's write_mode and cdc: block (dm),
// falling back on the top-level ones, and checks that they go together
// and with the destination's type (info; empty when the type is unknown)
// and the pipeline's mode.
func (p *parser) destinationWrite(d *Destination, dm settings.Fields, path string, info destination.Info, pl *Pipeline) {
	mode, modeAt, modeKey := p.top.mode, p.top.modeAt, "write_mode"
	if n := dm.Val("write_mode"); settings.Present(n) {
		mode = p.Enum(n, path+".write_mode", WriteAppend, WriteAppend, WriteTruncate, WriteCDC)
		modeAt, modeKey = settings.Resolve(n), path+".write_mode"
	}
	d.WriteMode = mode
	var own *destination.CDCSpec
	f, hasOwn := dm["cdc"]
	hasOwn = hasOwn && settings.Present(f.Val)
	if hasOwn {
		own = p.cdc(f, path+".cdc", pl.Columns)
	}
	if mode != WriteCDC {
		if hasOwn {
			p.Add(f.Key, path+".cdc", nil, "applies only with write_mode: cdc (the destination's write mode is %s)", mode)
		}
		return
	}
	d.CDC = own
	if !hasOwn {
		d.CDC = p.top.cdc
	}
	who := fmt.Sprintf("destination %q", d.Name)
	if d.Name == "" {
		who = "the destination"
	}
	switch {
	case hasOwn || p.top.cdcAt != nil:
		// A block given but refused has its problems reported already.
	default:
		p.Add(modeAt, modeKey, nil, "write_mode: cdc needs a cdc: block beside it, e.g. cdc: {keys: [id], sequence_by: updated_at}")
	}
	if info.Type != "" && !info.CDC {
		p.Add(modeAt, modeKey, nil, "%s: the %s type does not apply write_mode: cdc (types that do: %s)", who, info.Type, strings.Join(cdcTypes(), ", "))
	}
	if pl.Mode == MagicFolder {
		p.Add(modeAt, modeKey, nil, "%s: write_mode: cdc applies changes to the rows of one table by key, and mode: magic_folder makes a table of each file: use mode: merge", who)
	}
}

// cdcTypes lists the registered destination types that apply CDC.
func cdcTypes() []string {
	var out []string
	for _, t := range destination.Types() {
		if info, _ := destination.Lookup(t); info.CDC {
			out = append(out, t)
		}
	}
	if len(out) == 0 {
		return []string{"none in this build"}
	}
	return out
}

// cdc reads a cdc: block (field f at path), with its defaults; nil when it
// has a problem (reported). Column names are resolved as the parser names
// the file's columns (see columnName).
func (p *parser) cdc(f settings.Field, path string, columns []Column) *destination.CDCSpec {
	m, ok := p.Mapping(f.Val, path, cdcKeys)
	if !ok {
		return nil
	}
	failed := false
	problem := func(n *yaml.Node, key, format string, args ...any) {
		p.Add(n, key, nil, format, args...)
		failed = true
	}
	spec := &destination.CDCSpec{
		OperationColumn: columnName(destination.DefaultOperationColumn, columns),
		Insert:          slices.Clone(destination.DefaultInsert),
		Update:          slices.Clone(destination.DefaultUpdate),
		Delete:          slices.Clone(destination.DefaultDelete),
	}
	// roles: each column's role and where it was given, so that a column
	// given two roles is reported at the second.
	roles := map[string]string{}
	role := func(n *yaml.Node, key, written, what string) string {
		name := columnName(written, columns)
		if prev, dup := roles[name]; dup {
			problem(n, key, "%s is the column %s, already the %s", settings.Quote(n, written), name, prev)
		}
		roles[name] = what
		return name
	}

	kn := settings.Resolve(m.Val("keys"))
	if !settings.Present(kn) {
		at := f.Key
		if k, ok := m["keys"]; ok {
			at = k.Key
		}
		problem(at, path+".keys", "required: the columns that identify a row, e.g. keys: [id]")
	} else {
		items, keys := listItems(kn, path+".keys")
		if len(items) == 0 {
			problem(kn, path+".keys", "the list is empty: give the columns that identify a row")
		}
		for i, item := range items {
			key := keys[i]
			v, ok := p.Str(item, key)
			switch {
			case !ok:
				failed = true
			case strings.TrimSpace(v) == "":
				problem(item, key, "must not be empty")
			default:
				spec.Keys = append(spec.Keys, role(item, key, v, "key "+v))
			}
		}
	}

	sn := m.Val("sequence_by")
	if v, ok := p.Str(sn, path+".sequence_by"); ok && strings.TrimSpace(v) != "" {
		spec.SequenceBy = role(settings.Resolve(sn), path+".sequence_by", v, "sequence column")
	} else if !p.Failed(path + ".sequence_by") {
		at := f.Key
		if s, ok := m["sequence_by"]; ok {
			at = s.Key
		}
		problem(at, path+".sequence_by", "required: the column that orders the changes of a key, the highest winning (a timestamp, a log sequence number), e.g. sequence_by: updated_at")
	} else {
		failed = true
	}

	if on := m.Val("operation_column"); settings.Present(on) {
		if v, ok := p.Str(on, path+".operation_column"); !ok {
			failed = true
		} else if strings.TrimSpace(v) == "" {
			problem(on, path+".operation_column", "must not be empty (omit it for %s)", destination.DefaultOperationColumn)
		} else {
			spec.OperationColumn = role(settings.Resolve(on), path+".operation_column", v, "operation column")
		}
	} else {
		spec.OperationColumn = role(f.Key, path+".operation_column", destination.DefaultOperationColumn, "operation column")
	}

	if !p.operations(m.Val("operations"), path+".operations", spec) {
		failed = true
	}
	if failed {
		return nil
	}
	return spec
}

// operations reads the operations: block into spec: a kind given replaces
// its defaults. It reports false when it found a problem.
func (p *parser) operations(n *yaml.Node, path string, spec *destination.CDCSpec) bool {
	if !settings.Present(n) {
		return true
	}
	m, ok := p.Mapping(n, path, operationKeys)
	if !ok {
		return false
	}
	good := true
	seen := map[string]string{} // value → kind, of the kinds given
	lists := map[string]*[]string{"insert": &spec.Insert, "update": &spec.Update, "delete": &spec.Delete}
	for _, kind := range operationKeys {
		vn := settings.Resolve(m.Val(kind))
		if !settings.Present(vn) {
			continue
		}
		items, keys := listItems(vn, path+"."+kind)
		var values []string
		for i, item := range items {
			key := keys[i]
			v, ok := p.Str(item, key)
			switch {
			case !ok:
				good = false
			case v == "":
				p.Add(item, key, nil, "an operation value must not be empty")
				good = false
			case seen[v] != "":
				p.Add(item, key, nil, "%s is already an %s value", settings.Quote(item, v), seen[v])
				good = false
			default:
				seen[v] = kind
				values = append(values, v)
			}
		}
		*lists[kind] = values
	}
	// A kind left to its defaults must not take a value given to another.
	for _, kind := range operationKeys {
		if settings.Present(m.Val(kind)) {
			continue
		}
		list := lists[kind]
		*list = slices.DeleteFunc(*list, func(v string) bool { return seen[v] != "" })
	}
	return good
}

// listItems returns the items of n, a list or a single value (a list of
// one), and the dotted key of each (key[0], key[1] ... for a list).
func listItems(n *yaml.Node, key string) ([]*yaml.Node, []string) {
	n = settings.Resolve(n)
	if n.Kind != yaml.SequenceNode {
		return []*yaml.Node{n}, []string{key}
	}
	keys := make([]string, len(n.Content))
	for i := range n.Content {
		keys[i] = fmt.Sprintf("%s[%d]", key, i)
	}
	return n.Content, keys
}

// columnName is the name the parser gives the file's column written (as
// the file has it, or as a columns: entry's source or dest): a declared
// column's dest, then the safe-name rules of record.Names.
func columnName(written string, columns []Column) string {
	for _, match := range []func(a, b string) bool{func(a, b string) bool { return a == b }, strings.EqualFold} {
		for _, c := range columns {
			if match(c.Source, written) {
				if c.Dest != "" {
					return record.SafeName(c.Dest)
				}
				return record.SafeName(c.Source)
			}
		}
	}
	return record.SafeName(written)
}
