package config

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/filedge/filedge/internal/redact"
)

// parser walks a pipeline file's YAML nodes and collects every problem.
type parser struct {
	file   string
	dir    string
	lookup func(string) (string, bool)
	// literal takes values as written, without ${VAR} expansion (values
	// from a command line, which the shell has expanded). Secrets, which
	// must be ${VAR} references, are expanded all the same.
	literal bool
	errs    Errors
}

// add records a problem at node n (nil: no place in the file).
func (p *parser) add(n *yaml.Node, key string, err error, format string, args ...any) {
	e := &Error{File: p.file, Key: key, Msg: fmt.Sprintf(format, args...), Err: err}
	if n != nil {
		e.Line, e.Column = n.Line, n.Column
	}
	p.errs = append(p.errs, e)
}

// field is one key of a mapping and its value.
type field struct {
	key, val *yaml.Node
}

// fields are the known keys of a mapping, by name.
type fields map[string]field

// val returns the value node of key, or nil when the key is absent.
func (f fields) val(key string) *yaml.Node { return f[key].val }

// join makes the dotted path of a key inside block path.
func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// resolve follows aliases.
func resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// present reports whether n holds a value (it is there and not null).
func present(n *yaml.Node) bool {
	n = resolve(n)
	return n != nil && !(n.Kind == yaml.ScalarNode && n.Tag == "!!null")
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	return "a single value"
}

// mapping reads n as a mapping whose keys may be known, reporting
// duplicate and unknown keys. ok is false when n is not a mapping (absent
// or null gives an empty mapping and ok true).
func (p *parser) mapping(n *yaml.Node, path string, known []string) (fields, bool) {
	out := fields{}
	n = resolve(n)
	if !present(n) {
		return out, true
	}
	if n.Kind != yaml.MappingNode {
		p.add(n, path, nil, "want a mapping of keys (key: value), not %s", kindName(n))
		return out, false
	}
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.Tag == "!!merge" {
			merges = append(merges, v)
			continue
		}
		if k.Kind != yaml.ScalarNode {
			p.add(k, path, nil, "a key must be a plain name, not %s", kindName(k))
			continue
		}
		if prev, dup := out[k.Value]; dup {
			p.add(k, join(path, k.Value), nil, "key repeated (first at line %d)", prev.key.Line)
			continue
		}
		out[k.Value] = field{k, v}
	}
	// Merge keys (<<: *anchor) fill in what the mapping does not set.
	for _, m := range merges {
		m = resolve(m)
		srcs := []*yaml.Node{m}
		if m.Kind == yaml.SequenceNode {
			srcs = m.Content
		}
		for _, src := range srcs {
			src = resolve(src)
			if src.Kind != yaml.MappingNode {
				p.add(src, path, nil, "<< merges a mapping, not %s", kindName(src))
				continue
			}
			for i := 0; i+1 < len(src.Content); i += 2 {
				k := src.Content[i]
				if _, set := out[k.Value]; !set && k.Kind == yaml.ScalarNode {
					out[k.Value] = field{k, src.Content[i+1]}
				}
			}
		}
	}
	for name, f := range out {
		if !slices.Contains(known, name) {
			p.unknownKey(f, path, name, known)
			delete(out, name)
		}
	}
	return out, true
}

// unknownKey reports a key the block at path does not have, with a
// suggestion, or, for a credential, the rule about credentials.
func (p *parser) unknownKey(f field, path, name string, known []string) {
	key := join(path, name)
	if path == "pgp" {
		msg := "unknown key"
		if s := suggest(name, known); s != "" {
			msg += "; did you mean " + s + "?"
		} else {
			msg += "; the pgp: block has " + strings.Join(known, ", ") + ", each a ${VAR} reference"
		}
		p.add(f.key, key, ErrUnknownKey, "%s", msg)
		return
	}
	if redact.IsCredentialName(name) {
		v := resolve(f.val)
		if v != nil && v.Kind == yaml.ScalarNode && pureRef.MatchString(v.Value) {
			p.add(f.key, key, ErrUnknownKey, "unknown key: a credential goes into the connection URL from the environment, e.g. url: postgresql://user:%s@host/db (or DATABASE_URL)", "${PGPASSWORD}")
			return
		}
		p.add(f.key, key, ErrCredentialInFile, "a credential is written in the file; put it in the environment and reference it from the url (%s or DATABASE_URL)", "${PGPASSWORD}")
		return
	}
	msg := "unknown key"
	if s := suggest(name, known); s != "" {
		msg += "; did you mean " + s + "?"
	} else if hint := elsewhere(path, name); hint != "" {
		msg += "; " + hint
	}
	p.add(f.key, key, ErrUnknownKey, "%s", msg)
}

// elsewhere says where a key that is unknown in block path belongs, if it
// belongs in another block.
func elsewhere(path, name string) string {
	if path != "" && slices.Contains(topKeys, name) {
		return name + " is a top-level key"
	}
	if path != "" {
		return ""
	}
	var in []string
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

// quote shows a value in a message: the text as written in the file when
// expansion changed it (so that a value from the environment never shows),
// the value otherwise.
func quote(n *yaml.Node, v string) string {
	if n = resolve(n); n != nil && n.Value != v {
		return strconv.Quote(n.Value)
	}
	return strconv.Quote(v)
}

// str returns the value of n with ${VAR} expanded. ok is false when n is
// absent or null, or is not a single value or does not expand (reported).
func (p *parser) str(n *yaml.Node, key string) (string, bool) {
	n = resolve(n)
	if !present(n) {
		return "", false
	}
	if n.Kind != yaml.ScalarNode {
		p.add(n, key, nil, "want a single value, not %s", kindName(n))
		return "", false
	}
	if p.literal {
		return n.Value, true
	}
	v, err := expand(n.Value, p.lookup)
	if err != nil {
		p.add(n, key, err, "%s", err.Error())
		return "", false
	}
	return v, true
}

// required returns the value of key in m, reporting it missing or empty at
// node at (the block it belongs in).
func (p *parser) required(m fields, name, key string, at *yaml.Node, hint string) (string, *yaml.Node, bool) {
	n := m.val(name)
	if !present(n) {
		p.add(at, key, nil, "required%s", hint)
		return "", n, false
	}
	v, ok := p.str(n, key)
	if ok && strings.TrimSpace(v) == "" {
		p.add(n, key, nil, "must not be empty%s", hint)
		return "", n, false
	}
	return v, n, ok
}

// enum returns the lower-cased value of n, one of allowed, or def.
func (p *parser) enum(n *yaml.Node, key, def string, allowed ...string) string {
	v, ok := p.str(n, key)
	if !ok {
		return def
	}
	lv := strings.ToLower(strings.TrimSpace(v))
	if slices.Contains(allowed, lv) {
		return lv
	}
	msg := fmt.Sprintf("%s is not one of %s", quote(n, v), strings.Join(allowed, ", "))
	if s := suggest(strings.ReplaceAll(lv, "-", "_"), allowed); s != "" {
		msg += "; did you mean " + s + "?"
	}
	p.add(n, key, nil, "%s", msg)
	return def
}

// boolean returns the value of n as a bool, or def.
func (p *parser) boolean(n *yaml.Node, key string, def bool) bool {
	v, ok := p.str(n, key)
	if !ok {
		return def
	}
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true", "yes", "on", "1":
		return true
	case "false", "no", "off", "0":
		return false
	}
	p.add(n, key, nil, "%s is not true or false", quote(n, v))
	return def
}

// positiveInt returns the value of n as an integer of at least 1, or def.
func (p *parser) positiveInt(n *yaml.Node, key string, def int) int {
	v, ok := p.str(n, key)
	if !ok {
		return def
	}
	i, err := strconv.ParseInt(strings.ReplaceAll(strings.TrimSpace(v), "_", ""), 10, 0)
	if err != nil {
		p.add(n, key, err, "%s is not a whole number", quote(n, v))
		return def
	}
	if i < 1 {
		p.add(n, key, nil, "must be at least 1, not %d", i)
		return def
	}
	return int(i)
}

// duration returns the value of n as a positive duration, or def.
func (p *parser) duration(n *yaml.Node, key string, def time.Duration) time.Duration {
	v, ok := p.str(n, key)
	if !ok {
		return def
	}
	d, err := time.ParseDuration(strings.TrimSpace(v))
	if err != nil {
		p.add(n, key, err, "%s is not a duration: write a number with a unit, e.g. 30s, 2m, 72h", quote(n, v))
		return def
	}
	if d <= 0 {
		p.add(n, key, nil, "must be positive, not %s", d)
		return def
	}
	return d
}

// yamlLine reads the line from a yaml.v3 syntax error.
var yamlLine = regexp.MustCompile(`^yaml: (?:line (\d+): )?(.*)$`)

// syntax records a YAML syntax error in data with its line.
func (p *parser) syntax(data []byte, err error) {
	e := &Error{File: p.file, Msg: "invalid YAML: " + err.Error(), Err: err}
	var te *yaml.TypeError
	switch m := yamlLine.FindStringSubmatch(err.Error()); {
	case m != nil:
		e.Line, _ = strconv.Atoi(m[1])
		problem := m[2]
		if line, ok := problemLine(data, problem); ok {
			e.Line = line
		}
		e.Msg = "invalid YAML: " + problem
		if e.Line > 0 && strings.Contains(lineOf(data, e.Line), "${") {
			switch {
			case strings.Contains(problem, "'}'"):
				e.Msg += " (inside { } put a value that holds ${VAR} in quotes: '${VAR}')"
			case strings.Contains(problem, "']'"):
				e.Msg += " (inside [ ] put a value that holds ${VAR} in quotes: '${VAR}')"
			}
		}
	case errors.As(err, &te):
		e.Msg = "invalid YAML: " + strings.Join(te.Errors, "; ")
	}
	p.errs = append(p.errs, e)
}

// problemLine finds the line of a YAML syntax problem. yaml.v3 often
// reports the line where the enclosing block starts, or the line before the
// problem. A prefix of the file that holds the problem fails with the same
// problem, and a shorter one does not (it parses, or fails for being cut
// short), so a binary search over prefixes finds the line in a few parses.
func problemLine(data []byte, problem string) (int, bool) {
	var ends []int // ends[k] is the length of the first k+1 lines
	for i, c := range data {
		if c == '\n' {
			ends = append(ends, i+1)
		}
	}
	if len(ends) == 0 || ends[len(ends)-1] != len(data) {
		ends = append(ends, len(data))
	}
	fails := func(k int) bool {
		dec := yaml.NewDecoder(bytes.NewReader(data[:ends[k]]))
		var err error
		for err == nil {
			var n yaml.Node
			err = dec.Decode(&n)
		}
		m := yamlLine.FindStringSubmatch(err.Error())
		return m != nil && m[2] == problem
	}
	k := sort.Search(len(ends), fails)
	if k == len(ends) {
		return 0, false
	}
	return k + 1, true
}

// lineOf returns line n (1-based) of data.
func lineOf(data []byte, n int) string {
	lines := bytes.Split(data, []byte("\n"))
	if n < 1 || n > len(lines) {
		return ""
	}
	return string(lines[n-1])
}
