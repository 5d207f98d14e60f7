package settings

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/filedge/filedge/internal/redact"
)

// File reads the YAML nodes of one settings file and collects every
// problem it finds, each with its line, column and dotted key, so that a
// file with ten mistakes is reported once with ten lines. pkg/config reads
// pipeline.yaml with it, and hands each component its Block.
//
// A File is not safe for concurrent use.
type File struct {
	// Name is the file as named to the user; every problem carries it.
	Name string
	// Dir is the absolute folder that relative paths in the file are
	// resolved against: the file's own folder.
	Dir string
	// Lookup reads the environment, for ${VAR} references and the
	// variables components fall back on (DATABASE_URL).
	Lookup func(string) (string, bool)
	// Literal takes values as written, without ${VAR} expansion (values
	// from a command line, which the shell has expanded). Secrets, which
	// must be ${VAR} references, are expanded all the same.
	Literal bool
	// Elsewhere, when set, says where a key that the block at path does
	// not take belongs ("it belongs in the watcher: block"), or "".
	Elsewhere func(path, name string) string
	// CredentialHint completes the message for a credential key
	// (password:, api_token:) in a block that takes none of its own: "a
	// credential goes into " + CredentialHint. A component's block says
	// instead which of its keys take credentials.
	CredentialHint string

	errs Errors
}

// Add records a problem at node n (nil: no place in the file) for the
// dotted key. err is the cause, for errors.Is, and may be nil; the message
// is format and args, which must never quote a secret.
func (f *File) Add(n *yaml.Node, key string, err error, format string, args ...any) {
	e := &Error{File: f.Name, Key: key, Msg: fmt.Sprintf(format, args...), Err: err}
	if n != nil {
		e.Line, e.Column = n.Line, n.Column
	}
	f.errs = append(f.errs, e)
}

// lookupEnv is f.Lookup, or os.LookupEnv when f has none.
func (f *File) lookupEnv(name string) (string, bool) {
	if f.Lookup == nil {
		return os.LookupEnv(name)
	}
	return f.Lookup(name)
}

// Errors returns the problems found so far, in file order (by line and
// column; problems without a place first).
func (f *File) Errors() Errors {
	out := slices.Clone(f.errs)
	slices.SortStableFunc(out, func(a, b *Error) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
	})
	return out
}

// Failed reports whether a problem was recorded for key.
func (f *File) Failed(key string) bool {
	return slices.ContainsFunc(f.errs, func(e *Error) bool { return e.Key == key })
}

// Field is one key of a mapping and its value.
type Field struct {
	Key, Val *yaml.Node
}

// Fields are the keys of a mapping, by name.
type Fields map[string]Field

// Val returns the value node of key, or nil when the key is absent.
func (m Fields) Val(key string) *yaml.Node { return m[key].Val }

// Join makes the dotted path of a key inside block path.
func Join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// Resolve follows aliases.
func Resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// Present reports whether n holds a value (it is there and not null).
func Present(n *yaml.Node) bool {
	n = Resolve(n)
	return n != nil && !(n.Kind == yaml.ScalarNode && n.Tag == "!!null")
}

// KindName names the kind of n for a message: "a mapping", "a list" or "a
// single value".
func KindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	return "a single value"
}

// Fields reads n as a mapping, reporting repeated keys. Merge keys (<<:
// *anchor) fill in what the mapping does not set. ok is false when n is not
// a mapping (reported); absent or null gives an empty mapping and ok true.
func (f *File) Fields(n *yaml.Node, path string) (Fields, bool) {
	out := Fields{}
	n = Resolve(n)
	if !Present(n) {
		return out, true
	}
	if n.Kind != yaml.MappingNode {
		f.Add(n, path, nil, "want a mapping of keys (key: value), not %s", KindName(n))
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
			f.Add(k, path, nil, "a key must be a plain name, not %s", KindName(k))
			continue
		}
		if prev, dup := out[k.Value]; dup {
			f.Add(k, Join(path, k.Value), nil, "key repeated (first at line %d)", prev.Key.Line)
			continue
		}
		out[k.Value] = Field{k, v}
	}
	for _, m := range merges {
		m = Resolve(m)
		srcs := []*yaml.Node{m}
		if m.Kind == yaml.SequenceNode {
			srcs = m.Content
		}
		for _, src := range srcs {
			src = Resolve(src)
			if src.Kind != yaml.MappingNode {
				f.Add(src, path, nil, "<< merges a mapping, not %s", KindName(src))
				continue
			}
			for i := 0; i+1 < len(src.Content); i += 2 {
				k := src.Content[i]
				if _, set := out[k.Value]; !set && k.Kind == yaml.ScalarNode {
					out[k.Value] = Field{k, src.Content[i+1]}
				}
			}
		}
	}
	return out, true
}

// Mapping reads n as a mapping whose keys are known, reporting repeated
// and unknown keys (with a suggestion) and leaving the unknown ones out.
// ok is false when n is not a mapping (reported); absent or null gives an
// empty mapping and ok true.
func (f *File) Mapping(n *yaml.Node, path string, known []string) (Fields, bool) {
	m, ok := f.Fields(n, path)
	f.unknownKeys(m, path, known, f.CredentialHint)
	return m, ok
}

// unknownKeys reports and removes the keys of m that are not known.
// credentialHint says where a credential goes (see File.CredentialHint).
func (f *File) unknownKeys(m Fields, path string, known []string, credentialHint string) {
	for name, fld := range m {
		if !slices.Contains(known, name) {
			f.unknownKey(fld, path, name, known, credentialHint)
			delete(m, name)
		}
	}
}

// unknownKey reports a key the block at path does not have: with the known
// key it is likely a misspelling of, or where it belongs, or, for a
// credential, the rule about credentials.
func (f *File) unknownKey(fld Field, path, name string, known []string, credentialHint string) {
	key := Join(path, name)
	if s := Suggest(name, known); s != "" {
		f.Add(fld.Key, key, ErrUnknownKey, "unknown key; did you mean %s?", s)
		return
	}
	if f.Elsewhere != nil {
		if hint := f.Elsewhere(path, name); hint != "" {
			f.Add(fld.Key, key, ErrUnknownKey, "unknown key; %s", hint)
			return
		}
	}
	if redact.IsCredentialName(name) {
		v := Resolve(fld.Val)
		ref := v != nil && v.Kind == yaml.ScalarNode && IsRef(v.Value)
		switch {
		case credentialHint == "" && ref:
			f.Add(fld.Key, key, ErrUnknownKey, "unknown key: this block takes no credential")
		case credentialHint == "":
			f.Add(fld.Key, key, ErrCredentialInFile, "a credential is written in the file, and this block takes none: remove it")
		case ref:
			f.Add(fld.Key, key, ErrUnknownKey, "unknown key: a credential goes into %s", credentialHint)
		default:
			f.Add(fld.Key, key, ErrCredentialInFile, "a credential is written in the file; put it in the environment and reference it from %s", credentialHint)
		}
		return
	}
	f.Add(fld.Key, key, ErrUnknownKey, "unknown key")
}

// Quote shows a value in a message: the text as written in the file when
// expansion changed it (so that a value from the environment never shows),
// the value otherwise.
func Quote(n *yaml.Node, v string) string {
	if n = Resolve(n); n != nil && n.Value != v {
		return strconv.Quote(n.Value)
	}
	return strconv.Quote(v)
}

// Str returns the value of n with ${VAR} expanded. ok is false when n is
// absent or null, or is not a single value or does not expand (reported).
func (f *File) Str(n *yaml.Node, key string) (string, bool) {
	n = Resolve(n)
	if !Present(n) {
		return "", false
	}
	if n.Kind != yaml.ScalarNode {
		f.Add(n, key, nil, "want a single value, not %s", KindName(n))
		return "", false
	}
	if f.Literal {
		return n.Value, true
	}
	v, err := Expand(n.Value, f.lookupEnv)
	if err != nil {
		f.Add(n, key, err, "%s", err.Error())
		return "", false
	}
	return v, true
}

// Required returns the value of key in m, reporting it missing or empty at
// node at (the block it belongs in).
func (f *File) Required(m Fields, name, key string, at *yaml.Node, hint string) (string, *yaml.Node, bool) {
	n := m.Val(name)
	if !Present(n) {
		f.Add(at, key, nil, "required%s", hint)
		return "", n, false
	}
	v, ok := f.Str(n, key)
	if ok && strings.TrimSpace(v) == "" {
		f.Add(n, key, nil, "must not be empty%s", hint)
		return "", n, false
	}
	return v, n, ok
}

// Enum returns the lower-cased value of n, one of allowed, or def.
func (f *File) Enum(n *yaml.Node, key, def string, allowed ...string) string {
	v, ok := f.Str(n, key)
	if !ok {
		return def
	}
	lv := strings.ToLower(strings.TrimSpace(v))
	if slices.Contains(allowed, lv) {
		return lv
	}
	msg := fmt.Sprintf("%s is not one of %s", Quote(n, v), strings.Join(allowed, ", "))
	if s := Suggest(strings.ReplaceAll(lv, "-", "_"), allowed); s != "" {
		msg += "; did you mean " + s + "?"
	}
	f.Add(n, key, nil, "%s", msg)
	return def
}

// Bool returns the value of n as a bool (true, yes, on, 1; false, no,
// off, 0), or def.
func (f *File) Bool(n *yaml.Node, key string, def bool) bool {
	v, ok := f.Str(n, key)
	if !ok {
		return def
	}
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true", "yes", "on", "1":
		return true
	case "false", "no", "off", "0":
		return false
	}
	f.Add(n, key, nil, "%s is not true or false", Quote(n, v))
	return def
}

// PositiveInt returns the value of n as an integer of at least 1, or def.
func (f *File) PositiveInt(n *yaml.Node, key string, def int) int {
	i, ok := f.integer(n, key, strconv.IntSize)
	if !ok {
		return def
	}
	if i < 1 {
		f.Add(n, key, nil, "must be at least 1, not %d", i)
		return def
	}
	return int(i)
}

// Duration returns the value of n as a positive duration, or def.
func (f *File) Duration(n *yaml.Node, key string, def time.Duration) time.Duration {
	v, ok := f.Str(n, key)
	if !ok {
		return def
	}
	d, err := time.ParseDuration(strings.TrimSpace(v))
	if err != nil {
		f.Add(n, key, err, "%s is not a duration: write a number with a unit, e.g. 30s, 2m, 72h", Quote(n, v))
		return def
	}
	if d <= 0 {
		f.Add(n, key, nil, "must be positive, not %s", d)
		return def
	}
	return d
}

// yamlLine reads the line from a yaml.v3 syntax error.
var yamlLine = regexp.MustCompile(`^yaml: (?:line (\d+): )?(.*)$`)

// Syntax records err, a syntax error of yaml.v3 in data, at its line.
func (f *File) Syntax(data []byte, err error) {
	e := &Error{File: f.Name, Msg: "invalid YAML: " + err.Error(), Err: err}
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
	f.errs = append(f.errs, e)
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
