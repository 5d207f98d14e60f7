package avro

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strings"

	"github.com/filedge/filedge/pkg/record"
)

// kind is an Avro type.
type kind uint8

const (
	kindNull kind = iota
	kindBoolean
	kindInt
	kindLong
	kindFloat
	kindDouble
	kindBytes
	kindString
	kindRecord
	kindEnum
	kindArray
	kindMap
	kindUnion
	kindFixed
)

var primitives = map[string]kind{
	"null":    kindNull,
	"boolean": kindBoolean,
	"int":     kindInt,
	"long":    kindLong,
	"float":   kindFloat,
	"double":  kindDouble,
	"bytes":   kindBytes,
	"string":  kindString,
}

// logical is an Avro logical type the reader honours.
type logical uint8

const (
	logicalNone      logical = iota
	logicalDecimal           // bytes or fixed: precision, scale
	logicalDate              // int: days since 1970-01-01
	logicalTime              // int (millis) or long (micros) since midnight
	logicalTimestamp         // long: unit since 1970-01-01T00:00:00 (UTC or local)
	logicalUUID              // string, or fixed(16)
	logicalDuration          // fixed(12): months, days, milliseconds
)

// Units of time and timestamp logical types: digits after the second.
const (
	millis = 3
	micros = 6
	nanos  = 9
)

// maxDepth caps the nesting of a schema and of a value.
const maxDepth = 1000

// node is a compiled Avro schema. Named types are shared: a recursive type
// is a cyclic graph.
type node struct {
	kind    kind
	logical logical
	unit    int // digits after the second of a time or timestamp
	scale   int // of a decimal
	prec    int // of a decimal
	size    int // of a fixed
	name    string
	fields  []field  // record
	symbols []string // enum
	items   *node    // array items, map values
	union   []*node  // union branches
	min     int      // fewest bytes a value takes
	col     record.Type
	done    bool // min and col are set
}

type field struct {
	name string
	key  []byte // the name as a JSON object key: "name":
	n    *node
}

// parseSchema compiles the JSON text of an Avro schema.
func parseSchema(text []byte) (*node, error) {
	dec := json.NewDecoder(bytes.NewReader(text))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("schema is not JSON: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("schema has text after its JSON value")
	}
	p := &schemaParser{named: map[string]*node{}}
	n, err := p.parse(v, "", 0)
	if err != nil {
		return nil, err
	}
	settle(n, 0)
	return n, nil
}

type schemaParser struct {
	named map[string]*node
}

func (p *schemaParser) parse(v any, ns string, depth int) (*node, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("schema is nested deeper than %d levels", maxDepth)
	}
	switch s := v.(type) {
	case string:
		if k, ok := primitives[s]; ok {
			return &node{kind: k}, nil
		}
		return p.lookup(s, ns)
	case []any:
		n := &node{kind: kindUnion, union: make([]*node, 0, len(s))}
		for _, b := range s {
			bn, err := p.parse(b, ns, depth+1)
			if err != nil {
				return nil, err
			}
			if bn.kind == kindUnion {
				return nil, fmt.Errorf("a union holds a union")
			}
			n.union = append(n.union, bn)
		}
		return n, nil
	case map[string]any:
		return p.object(s, ns, depth)
	}
	return nil, fmt.Errorf("schema %v is not a type: want a name, an object or an array", v)
}

// lookup finds a named type by its full name, or by its name in namespace
// ns.
func (p *schemaParser) lookup(name, ns string) (*node, error) {
	if !strings.Contains(name, ".") && ns != "" {
		if n, ok := p.named[ns+"."+name]; ok {
			return n, nil
		}
	}
	if n, ok := p.named[name]; ok {
		return n, nil
	}
	return nil, fmt.Errorf("unknown type %q", name)
}

func (p *schemaParser) object(o map[string]any, ns string, depth int) (*node, error) {
	t, ok := o["type"]
	if !ok {
		return nil, fmt.Errorf("schema object has no type")
	}
	name, ok := t.(string)
	if !ok {
		// {"type": {"type": "string"}}: a type wrapped once more.
		return p.parse(t, ns, depth+1)
	}
	switch name {
	case "record", "error":
		n := &node{kind: kindRecord}
		ns, err := p.define(n, o, ns)
		if err != nil {
			return nil, err
		}
		fs, ok := o["fields"].([]any)
		if !ok {
			return nil, fmt.Errorf("record %q has no fields array", n.name)
		}
		n.fields = make([]field, 0, len(fs))
		for _, f := range fs {
			fo, ok := f.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("record %q: a field is not an object", n.name)
			}
			fname, ok := fo["name"].(string)
			if !ok {
				return nil, fmt.Errorf("record %q: a field has no name", n.name)
			}
			ft, ok := fo["type"]
			if !ok {
				return nil, fmt.Errorf("record %q: field %q has no type", n.name, fname)
			}
			fn, err := p.parse(ft, ns, depth+1)
			if err != nil {
				return nil, fmt.Errorf("record %q: field %q: %w", n.name, fname, err)
			}
			key := append(record.AppendJSONString(nil, []byte(fname)), ':')
			n.fields = append(n.fields, field{name: fname, key: key, n: fn})
		}
		return n, nil
	case "enum":
		n := &node{kind: kindEnum}
		if _, err := p.define(n, o, ns); err != nil {
			return nil, err
		}
		syms, ok := o["symbols"].([]any)
		if !ok {
			return nil, fmt.Errorf("enum %q has no symbols array", n.name)
		}
		for _, s := range syms {
			sym, ok := s.(string)
			if !ok {
				return nil, fmt.Errorf("enum %q: a symbol is not a string", n.name)
			}
			n.symbols = append(n.symbols, sym)
		}
		return n, nil
	case "fixed":
		n := &node{kind: kindFixed}
		if _, err := p.define(n, o, ns); err != nil {
			return nil, err
		}
		size, ok := intAttr(o, "size")
		if !ok || size < 0 || size > math.MaxInt32 {
			return nil, fmt.Errorf("fixed %q: size %v is not a length", n.name, o["size"])
		}
		n.size = int(size)
		setLogical(n, o)
		return n, nil
	case "array", "map":
		key := "items"
		n := &node{kind: kindArray}
		if name == "map" {
			key, n.kind = "values", kindMap
		}
		it, ok := o[key]
		if !ok {
			return nil, fmt.Errorf("%s has no %s", name, key)
		}
		in, err := p.parse(it, ns, depth+1)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", name, key, err)
		}
		n.items = in
		return n, nil
	}
	if k, ok := primitives[name]; ok {
		n := &node{kind: k}
		setLogical(n, o)
		return n, nil
	}
	return p.lookup(name, ns)
}

// define names a record, enum or fixed and registers it, returning the
// namespace its children are in.
func (p *schemaParser) define(n *node, o map[string]any, ns string) (string, error) {
	name, _ := o["name"].(string)
	if name == "" {
		return "", fmt.Errorf("a named type has no name")
	}
	if space, ok := o["namespace"].(string); ok {
		ns = space
	}
	full := name
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		ns = name[:i]
	} else if ns != "" {
		full = ns + "." + name
	}
	if _, dup := p.named[full]; dup {
		return "", fmt.Errorf("type %q is defined twice", full)
	}
	n.name = full
	p.named[full] = n
	return ns, nil
}

// setLogical applies the logicalType of a schema object to n when it is
// valid for n's type; an invalid logical type is ignored, as the Avro
// specification requires.
func setLogical(n *node, o map[string]any) {
	lt, _ := o["logicalType"].(string)
	unit := func(k kind, u int) {
		if n.kind == k {
			n.unit = u
		}
	}
	switch lt {
	case "decimal":
		prec, ok := intAttr(o, "precision")
		scale, hasScale := intAttr(o, "scale")
		if !hasScale {
			if _, set := o["scale"]; set {
				return
			}
			scale = 0
		}
		if !ok || prec <= 0 || prec > math.MaxInt32 || scale < 0 || scale > prec {
			return
		}
		switch {
		case n.kind == kindBytes:
		case n.kind == kindFixed && n.size > 0 && prec <= maxFixedPrecision(n.size):
		default:
			return
		}
		n.logical, n.prec, n.scale = logicalDecimal, int(prec), int(scale)
		return
	case "date":
		if n.kind == kindInt {
			n.logical = logicalDate
		}
		return
	case "time-millis":
		unit(kindInt, millis)
	case "time-micros":
		unit(kindLong, micros)
	case "timestamp-millis", "local-timestamp-millis":
		unit(kindLong, millis)
	case "timestamp-micros", "local-timestamp-micros":
		unit(kindLong, micros)
	case "timestamp-nanos", "local-timestamp-nanos":
		unit(kindLong, nanos)
	case "uuid":
		if n.kind == kindString || (n.kind == kindFixed && n.size == 16) {
			n.logical = logicalUUID
		}
		return
	case "duration":
		if n.kind == kindFixed && n.size == 12 {
			n.logical = logicalDuration
		}
		return
	default:
		return
	}
	if n.unit != 0 {
		n.logical = logicalTimestamp
		if strings.HasPrefix(lt, "time-") {
			n.logical = logicalTime
		}
	}
}

// maxFixedPrecision is the most decimal digits a fixed of size bytes
// holds: floor(log10(2^(8*size-1) - 1)).
func maxFixedPrecision(size int) int64 {
	return int64(math.Floor(float64(8*size-1) * math.Log10(2)))
}

// intAttr reads an integer attribute of a schema object.
func intAttr(o map[string]any, key string) (int64, bool) {
	num, ok := o[key].(json.Number)
	if !ok {
		return 0, false
	}
	i, err := num.Int64()
	return i, err == nil
}

// settle sets min and col on n and every node under it. A node met again
// while it is being settled (a recursive type) counts as taking no bytes,
// which keeps min a lower bound.
func settle(n *node, depth int) {
	if n.done || depth > maxDepth {
		return
	}
	n.done = true
	switch n.kind {
	case kindNull:
		n.col = record.Unknown
	case kindBoolean:
		n.min, n.col = 1, record.Boolean
	case kindInt, kindLong:
		n.min, n.col = 1, record.Integer
		switch n.logical {
		case logicalDate:
			n.col = record.Date
		case logicalTime:
			n.col = record.String
		case logicalTimestamp:
			n.col = record.Timestamp
		}
	case kindFloat:
		n.min, n.col = 4, record.Float
	case kindDouble:
		n.min, n.col = 8, record.Float
	case kindString, kindEnum:
		n.min, n.col = 1, record.String
	case kindBytes, kindFixed:
		n.min, n.col = 1, record.String
		if n.kind == kindFixed {
			n.min = n.size
		}
		if n.logical == logicalDecimal && n.prec <= record.MaxDecimalPrecision {
			n.col = record.DecimalOf(n.prec, n.scale)
		}
	case kindArray, kindMap:
		n.min, n.col = 1, record.JSON
		settle(n.items, depth+1)
	case kindRecord:
		n.col = record.JSON
		for _, f := range n.fields {
			settle(f.n, depth+1)
			n.min = min(n.min+f.n.min, math.MaxInt32)
		}
	case kindUnion:
		n.col = unionType(n, depth)
		least := math.MaxInt32
		for _, b := range n.union {
			least = min(least, b.min)
		}
		n.min = 1 + min(least, math.MaxInt32-1)
	}
}

// unionType is the column type of a union: the type of its branches other
// than null when they all have one type (or are integers and floats, or
// dates and timestamps, which widen to one), else JSON.
func unionType(n *node, depth int) record.Type {
	t := record.Unknown
	allStrings := true
	for _, b := range n.union {
		settle(b, depth+1)
		if b.kind == kindNull {
			continue
		}
		t = record.Widen(t, b.col)
		allStrings = allStrings && b.col == record.String
	}
	if t == record.String && !allStrings {
		return record.JSON
	}
	return t
}
