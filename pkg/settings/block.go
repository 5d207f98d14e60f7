package settings

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// Block is one YAML mapping of a settings file, handed to the component
// that owns it (a destination's connector: block, the source: block), with
// the file's name, folder and environment, the dotted path of the block for
// messages (destinations[1]), and the keys its caller reads itself (name,
// type, write_mode: the pipeline's), which are neither the component's nor
// unknown.
//
// A component calls Decode once to fill its settings struct, then checks
// what the struct cannot say (a URL's scheme, a folder that must exist) and
// reports each problem with Errorf, at the key's line. Every problem goes to
// the File the block came from, which reports them all together.
type Block struct {
	file  *File
	path  string
	m     Fields
	at    *yaml.Node
	owned []string
	// keys are the keys of the struct Decode filled.
	keys []string
}

// Block returns the block at path whose keys are m (read with Fields), for
// a component to decode. at is where a problem of the block as a whole, or
// of a key it lacks, is reported (the block's key, or its list entry).
// owned are the keys the caller reads itself.
func (f *File) Block(m Fields, at *yaml.Node, path string, owned ...string) *Block {
	return &Block{file: f, path: path, m: m, at: at, owned: owned}
}

// ParseBlock reads data, one YAML mapping, as the block at path of f, as
// if it were written in f: what a component's tests decode. owned are the
// keys the caller would read. A syntax error, or data that is not a
// mapping, is one of f's problems; the block is then empty.
func (f *File) ParseBlock(data []byte, path string, owned ...string) *Block {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		f.Syntax(data, err)
		return f.Block(Fields{}, nil, path, owned...)
	}
	var root *yaml.Node // nil for an empty document
	if len(doc.Content) > 0 {
		root = doc.Content[0]
	}
	m, _ := f.Fields(root, path)
	return f.Block(m, root, path, owned...)
}

// Dir returns the folder that relative paths of the block are resolved
// against: the settings file's own folder, absolute.
func (b *Block) Dir() string { return b.file.Dir }

// Lookup reads the environment variable name, as ${VAR} expansion does, for
// a component that falls back on one (DATABASE_URL).
func (b *Block) Lookup(name string) (string, bool) { return b.file.lookupEnv(name) }

// Raw returns the value of key as the file writes it, before ${VAR}
// expansion, and whether the block gives key a single value: for a
// component that checks what the file writes where Decode cannot (a
// credential in a list of URLs). It must never be quoted in a message.
func (b *Block) Raw(key string) (string, bool) {
	n := Resolve(b.m.Val(key))
	if !Present(n) || n.Kind != yaml.ScalarNode {
		return "", false
	}
	return n.Value, true
}

// Has reports whether the block gives key a value (it is there and not
// null).
func (b *Block) Has(key string) bool { return Present(b.m.Val(key)) }

// Failed reports whether a problem was recorded for key (or for a key
// inside it), so that a component does not pile a second problem on a value
// Decode already refused.
func (b *Block) Failed(key string) bool {
	full := Join(b.path, key)
	return slices.ContainsFunc(b.file.errs, func(e *Error) bool {
		return e.Key == full || strings.HasPrefix(e.Key, full+".") || strings.HasPrefix(e.Key, full+"[")
	})
}

// Errorf reports a problem with key ("" for the block as a whole) at the
// line of its value, or at the block's line when the key is absent. The
// message is fmt.Errorf's; an operand of %w becomes the problem's cause,
// for errors.Is. It must never quote a secret.
func (b *Block) Errorf(key, format string, args ...any) {
	err := fmt.Errorf(format, args...)
	at, full := b.at, b.path
	if key != "" {
		full = Join(b.path, key)
		if n := Resolve(b.m.Val(key)); Present(n) {
			at = n
		}
	}
	b.file.Add(at, full, errors.Unwrap(err), "%s", err.Error())
}

// Decode fills the struct that v points to from the block, key by key,
// after the struct's `yaml:"key"` tags (fields without one are left alone),
// and reports every problem with its line: a key neither the struct nor the
// caller takes (with the key it is likely a misspelling of), a value of the
// wrong kind, a ${VAR} that does not expand. A key that is absent or null
// leaves its field as it was, so a component sets its defaults before
// Decode; a field whose value is refused is left as it was too.
//
// Field types and what the file writes for them:
//
//   - string: any single value, ${VAR} expanded;
//   - bool: true, yes, on, 1 or false, no, off, 0;
//   - int, int8 ... int64, uint ... uint64: a whole number (1_000 allowed);
//   - float32, float64: a number;
//   - time.Duration: a positive duration with a unit (30s, 2m, 72h);
//   - Size: a positive byte size (512MiB, 64GiB; see ParseSize);
//   - Secret: a credential, refused when the file writes it instead of
//     taking it from the environment: in a connection string (a URL, or
//     keyword=value pairs with password=), a password, token or credential
//     parameter must each be exactly one ${VAR}; any other non-empty value
//     must be exactly one ${VAR}. A URL,
//     once expanded, must read the same to a driver as to a person
//     (internal/redact). No message quotes it. An optional
//     `credential:"..."` tag says where the credential should come from
//     ("${PGPASSWORD} or DATABASE_URL"), in the messages;
//   - a pointer to any of these: nil when the key is absent, so that a
//     component can tell "not given" from a zero value;
//   - a slice: a list (a single value is a list of one);
//   - a map with string keys: a mapping, every key taken;
//   - a struct: a nested mapping, decoded by the same rules.
//
// Decode panics when v is not a pointer to a struct or a field has a type
// it cannot fill: those are mistakes in the component, not in the file.
func (b *Block) Decode(v any) {
	b.keys = b.file.decodeInto(b.m, b.path, v, b.owned)
}

// Keys returns the keys that decode, a component's Decode function, takes:
// the keys of the struct it decodes into. It runs decode on an empty block
// of a scratch file, whose problems it drops, so decode must have no effect
// beyond its block.
func Keys[T any](decode func(*Block) T) []string {
	f := &File{Lookup: func(string) (string, bool) { return "", false }}
	b := f.Block(Fields{}, nil, "")
	decode(b)
	return slices.Clone(b.keys)
}
