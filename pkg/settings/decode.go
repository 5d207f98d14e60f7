package settings

import (
	"cmp"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/filedge/filedge/internal/redact"
)

var (
	secretType   = reflect.TypeFor[Secret]()
	durationType = reflect.TypeFor[time.Duration]()
	sizeType     = reflect.TypeFor[Size]()
)

// structField is one field of a settings struct that Decode fills.
type structField struct {
	key   string // its yaml tag
	index int
	// credential is its credential tag: where the credential comes from.
	credential string
	secret     bool // it holds a Secret (or a pointer, slice or map of them)
}

// structFields lists the fields of t that have a yaml tag. It panics on a
// tagged field that Decode could not set.
func structFields(t reflect.Type) []structField {
	var out []structField
	for i := range t.NumField() {
		sf := t.Field(i)
		key, _, _ := strings.Cut(sf.Tag.Get("yaml"), ",")
		if key == "" || key == "-" {
			continue
		}
		if !sf.IsExported() {
			panic(fmt.Sprintf("settings: %s.%s has a yaml tag but is not exported", t, sf.Name))
		}
		out = append(out, structField{key: key, index: i, credential: sf.Tag.Get("credential"), secret: holdsSecret(sf.Type)})
	}
	return out
}

// holdsSecret reports whether a value of type t is or holds a Secret.
func holdsSecret(t reflect.Type) bool {
	for {
		switch t.Kind() {
		case reflect.Pointer, reflect.Slice, reflect.Map:
			t = t.Elem()
			continue
		}
		return t == secretType
	}
}

// credentialHint says which keys of a struct take credentials, for the
// message about a credential key it does not have: "the url (${PGPASSWORD}
// or DATABASE_URL)". "" when it takes none.
func credentialHint(fields []structField) string {
	var keys []string
	for _, sf := range fields {
		if !sf.secret {
			continue
		}
		k := "the " + sf.key
		if sf.credential != "" {
			k += " (" + sf.credential + ")"
		}
		keys = append(keys, k)
	}
	return strings.Join(keys, " or ")
}

// decodeInto fills the struct v points to from m, the keys of the block at
// path, and returns the keys the struct takes. owned are keys the caller
// reads.
func (f *File) decodeInto(m Fields, path string, v any, owned []string) []string {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() || rv.Elem().Kind() != reflect.Struct {
		panic(fmt.Sprintf("settings: Decode needs a pointer to a struct, not %T", v))
	}
	return f.decodeStruct(m, path, rv.Elem(), owned)
}

// decodeStruct fills the struct sv from m, the keys of the block at path,
// and returns the keys the struct takes.
func (f *File) decodeStruct(m Fields, path string, sv reflect.Value, owned []string) []string {
	fields := structFields(sv.Type())
	keys := make([]string, len(fields))
	for i, sf := range fields {
		keys[i] = sf.key
	}
	f.unknownKeys(m, path, slices.Concat(keys, owned), credentialHint(fields))
	for _, sf := range fields {
		if n := m.Val(sf.key); Present(n) {
			f.decodeValue(n, Join(path, sf.key), sv.Field(sf.index), sf.credential)
		}
	}
	return keys
}

// decodeValue fills v from n, the value of key. credential is the field's
// credential tag. v is left as it was when the value is refused.
func (f *File) decodeValue(n *yaml.Node, key string, v reflect.Value, credential string) {
	n = Resolve(n)
	before := len(f.errs)
	ok := func() bool { return len(f.errs) == before }
	switch v.Type() {
	case secretType:
		if s, ok := f.secret(n, key, credential); ok {
			v.SetString(string(s))
		}
		return
	case durationType:
		if d := f.Duration(n, key, 0); ok() {
			v.SetInt(int64(d))
		}
		return
	case sizeType:
		if s := f.Size(n, key, 0); ok() {
			v.SetInt(s)
		}
		return
	}
	switch v.Kind() {
	case reflect.String:
		if s, ok := f.Str(n, key); ok {
			v.SetString(s)
		}
	case reflect.Bool:
		if b := f.Bool(n, key, false); ok() {
			v.SetBool(b)
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if i, ok := f.integer(n, key, v.Type().Bits()); ok {
			v.SetInt(i)
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if i, ok := f.unsigned(n, key, v.Type().Bits()); ok {
			v.SetUint(i)
		}
	case reflect.Float32, reflect.Float64:
		if x, ok := f.float(n, key, v.Type().Bits()); ok {
			v.SetFloat(x)
		}
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		if f.decodeValue(n, key, p.Elem(), credential); ok() {
			v.Set(p)
		}
	case reflect.Slice:
		f.decodeList(n, key, v, credential)
	case reflect.Map:
		f.decodeMap(n, key, v, credential)
	case reflect.Struct:
		if m, ok := f.Fields(n, key); ok {
			f.decodeStruct(m, key, v, nil)
		}
	default:
		panic(fmt.Sprintf("settings: Decode cannot fill a %s (%s)", v.Type(), key))
	}
}

// decodeList fills the slice v from n: a list, or a single value taken as a
// list of one.
func (f *File) decodeList(n *yaml.Node, key string, v reflect.Value, credential string) {
	items := []*yaml.Node{n}
	switch n.Kind {
	case yaml.MappingNode:
		f.Add(n, key, nil, "want a list (or a single value), not %s", KindName(n))
		return
	case yaml.SequenceNode:
		items = n.Content
	}
	out := reflect.MakeSlice(v.Type(), 0, len(items))
	for i, item := range items {
		k := key
		if n.Kind == yaml.SequenceNode {
			k = fmt.Sprintf("%s[%d]", key, i)
		}
		if !Present(item) {
			f.Add(Resolve(item), k, nil, "empty item: give a value or remove it")
			continue
		}
		e := reflect.New(v.Type().Elem()).Elem()
		before := len(f.errs)
		if f.decodeValue(item, k, e, credential); len(f.errs) == before {
			out = reflect.Append(out, e)
		}
	}
	v.Set(out)
}

// decodeMap fills the map v, whose keys are strings, from the mapping n;
// a key without a value is left out.
func (f *File) decodeMap(n *yaml.Node, key string, v reflect.Value, credential string) {
	kt := v.Type().Key()
	if kt.Kind() != reflect.String {
		panic(fmt.Sprintf("settings: Decode cannot fill a %s (%s): map keys must be strings", v.Type(), key))
	}
	m, ok := f.Fields(n, key)
	if !ok {
		return
	}
	out := reflect.MakeMapWithSize(v.Type(), len(m))
	for name, fld := range m {
		if !Present(fld.Val) {
			continue
		}
		e := reflect.New(v.Type().Elem()).Elem()
		before := len(f.errs)
		if f.decodeValue(fld.Val, Join(key, name), e, credential); len(f.errs) == before {
			out.SetMapIndex(reflect.ValueOf(name).Convert(kt), e)
		}
	}
	v.Set(out)
}

// integer returns the value of n as a whole number of bits bits (1_000
// allowed); ok is false when it is absent or refused (reported).
func (f *File) integer(n *yaml.Node, key string, bits int) (int64, bool) {
	return number(f, n, key, func(s string) (int64, error) { return strconv.ParseInt(s, 10, bits) },
		func(err error) string {
			return "is not a whole number" + outOfRange(err, fmt.Sprintf("%d to %d", int64(-1)<<(bits-1), int64(1)<<(bits-1)-1))
		})
}

// unsigned is integer for a number of at least 0.
func (f *File) unsigned(n *yaml.Node, key string, bits int) (uint64, bool) {
	return number(f, n, key, func(s string) (uint64, error) { return strconv.ParseUint(s, 10, bits) },
		func(err error) string {
			return "is not a whole number of 0 or more" + outOfRange(err, fmt.Sprintf("0 to %d", uint64(1)<<bits-1))
		})
}

// float returns the value of n as a number of bits bits.
func (f *File) float(n *yaml.Node, key string, bits int) (float64, bool) {
	return number(f, n, key, func(s string) (float64, error) { return strconv.ParseFloat(s, bits) },
		func(error) string { return "is not a number" })
}

// number returns the value of n read by parse, with spaces around it and
// underscores in it removed; ok is false when it is absent or refused
// (reported with what problem says of it, after the value as written).
func number[T any](f *File, n *yaml.Node, key string, parse func(string) (T, error), problem func(error) string) (T, bool) {
	var zero T
	v, ok := f.Str(n, key)
	if !ok {
		return zero, false
	}
	x, err := parse(strings.ReplaceAll(strings.TrimSpace(v), "_", ""))
	if err != nil {
		f.Add(n, key, err, "%s %s", Quote(n, v), problem(err))
		return zero, false
	}
	return x, true
}

// outOfRange says in what range a number that strconv refused as out of
// range must lie, or "" for other errors.
func outOfRange(err error, bounds string) string {
	if !errors.Is(err, strconv.ErrRange) {
		return ""
	}
	return " in range (" + bounds + ")"
}

// secret reads a Secret: refused when the text as written holds a
// credential that is not a ${VAR} reference (a connection string, URL or
// keyword/value, is refused for its password, anything else unless it is
// exactly one ${VAR}), then expanded, then, for a URL, checked to read the
// same to a driver as to a person. credential says where the credential
// should come from. No message quotes it.
func (f *File) secret(n *yaml.Node, key, credential string) (Secret, bool) {
	if n.Kind != yaml.ScalarNode {
		f.Add(n, key, nil, "want a single value, not %s", KindName(n))
		return "", false
	}
	raw := n.Value
	if _, keyword := redact.KeywordPassword(raw); keyword || strings.Contains(raw, "://") {
		if WrittenPassword(raw) {
			f.Add(n, key, ErrCredentialInFile, "a password is written in the file; put it in the environment (%s)", cmp.Or(credential, "write it as ${VAR}"))
			return "", false
		}
	} else if raw != "" && !IsRef(raw) {
		name := key[strings.LastIndexAny(key, ".]")+1:]
		f.Add(n, key, ErrCredentialInFile, "a credential is written in the file; put it in the environment (%s)", cmp.Or(credential, "write "+name+": ${VAR}"))
		return "", false
	}
	v, err := Expand(raw, f.lookupEnv)
	if err != nil {
		f.Add(n, key, err, "%s", err.Error())
		return "", false
	}
	if u, ok := redact.ParseURL(v); ok {
		if err := u.Check(); err != nil {
			f.Add(n, key, err, "%v", err)
			return "", false
		}
	}
	return Secret(v), true
}

// Secrets returns every non-empty Secret that v holds, in its fields (at
// any depth: pointers, slices, maps, interfaces and nested structs
// included), in field order, for a process to remove them from all it
// prints.
func Secrets(v any) []Secret {
	var out []Secret
	var walk func(reflect.Value)
	walk = func(v reflect.Value) {
		if !v.IsValid() {
			return
		}
		if v.Type() == secretType {
			if s := Secret(v.String()); s != "" {
				out = append(out, s)
			}
			return
		}
		switch v.Kind() {
		case reflect.Pointer, reflect.Interface:
			if !v.IsNil() {
				walk(v.Elem())
			}
		case reflect.Struct:
			for i := range v.NumField() {
				if v.Type().Field(i).IsExported() {
					walk(v.Field(i))
				}
			}
		case reflect.Slice, reflect.Array:
			for i := range v.Len() {
				walk(v.Index(i))
			}
		case reflect.Map:
			keys := v.MapKeys()
			slices.SortFunc(keys, func(a, b reflect.Value) int { return cmp.Compare(fmt.Sprint(a), fmt.Sprint(b)) })
			for _, k := range keys {
				walk(v.MapIndex(k))
			}
		}
	}
	walk(reflect.ValueOf(v))
	return out
}
