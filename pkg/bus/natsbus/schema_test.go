package natsbus_test

import (
	"bytes"
	"encoding/json"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/filedge/filedge/pkg/bus"
	"github.com/filedge/filedge/pkg/bus/natsbus"
	"github.com/filedge/filedge/pkg/record"
	"github.com/filedge/filedge/schemas"
)

// schemaIDs maps each message type header to its schema id and Go type.
var schemaIDs = map[string]struct {
	id     string
	goType reflect.Type
}{
	bus.TypeFileDiscovered: {bus.SchemaFileDiscovered, reflect.TypeFor[bus.FileDiscovered]()},
	bus.TypeFileParsed:     {bus.SchemaFileParsed, reflect.TypeFor[bus.FileParsed]()},
	bus.TypeFileCommitted:  {bus.SchemaFileCommitted, reflect.TypeFor[bus.FileCommitted]()},
	bus.TypeFileParseRetry: {bus.SchemaFileParseRetry, reflect.TypeFor[bus.FileParseRetry]()},
}

func schemaURL(id string) string {
	return "https://github.com/filedge/filedge/schemas/" + id + ".json"
}

// loadSchema reads one schema file as a generic JSON document.
func loadSchema(t *testing.T, id string) any {
	t.Helper()
	data, err := schemas.FS.ReadFile(id + ".json")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s.json: %v", id, err)
	}
	return doc
}

// compileSchemas compiles every schema, asserting formats (date-time).
func compileSchemas(t *testing.T) map[string]*jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	out := map[string]*jsonschema.Schema{}
	for _, s := range schemaIDs {
		doc := loadSchema(t, s.id)
		if got := doc.(map[string]any)["$id"]; got != schemaURL(s.id) {
			t.Fatalf("%s.json has $id %v, want %s", s.id, got, schemaURL(s.id))
		}
		if err := c.AddResource(schemaURL(s.id), doc); err != nil {
			t.Fatal(err)
		}
		sch, err := c.Compile(schemaURL(s.id))
		if err != nil {
			t.Fatalf("compile %s: %v", s.id, err)
		}
		out[s.id] = sch
	}
	return out
}

// sampleMessages builds real messages of every JSON type with the
// envelope builders, covering optional fields both set and unset.
func sampleMessages(t *testing.T, pipeline string) []*bus.Message {
	t.Helper()
	modified := time.Date(2026, 3, 1, 12, 30, 0, 123456789, time.UTC)
	now := time.Now()
	version := bus.VersionID("local:/data", "in/a.csv", 1234, modified, "")
	fd := &bus.FileDiscovered{Pipeline: pipeline, Version: version, Source: "local:/data", Path: "in/a.csv",
		Size: 1234, Modified: modified, Discovered: now, Seq: now.UnixNano()}
	fdETag := *fd
	fdETag.ETag, fdETag.Path = `"9b2cf535f27731c974343645a3985328"`, "in/b.csv"
	fdETag.Seq = 0 // as published before sequences existed
	fdETag.Version = bus.VersionID(fdETag.Source, fdETag.Path, fdETag.Size, fdETag.Modified, fdETag.ETag)
	fdRaw := *fd
	fdRaw.SetPath("in/latin1-\xe9t\xe9\n.csv")
	fdRaw.Version = bus.VersionID(fdRaw.Source, fdRaw.SourcePath(), fdRaw.Size, fdRaw.Modified, "")

	var columns []record.Column
	for ty := record.Unknown; ty <= record.JSON; ty++ {
		columns = append(columns, record.Column{Name: "c_" + ty.String(), Source: "C " + ty.String(), Type: ty})
	}
	columns = append(columns, record.Column{Name: "c_money", Type: record.DecimalOf(12, 2)}, record.Column{Name: "c_wide", Type: record.DecimalOf(76, 38)})
	ok := &bus.FileParsed{Pipeline: pipeline, Version: version, Path: "in/a.csv", Size: 1234, Modified: modified,
		SHA256: strings.Repeat("ab", 32), Format: "csv", Status: bus.StatusOK,
		Tables: []bus.TableParsed{{Name: "a", Columns: columns, Batches: 3, Rows: 2500,
			Widened: []bus.Widening{{Column: "c_integer", From: record.Integer, To: record.Float, Line: 1200},
				{Column: "c_money", From: record.DecimalOf(10, 2), To: record.DecimalOf(12, 2), Line: 1300}}}},
		SkippedRows: 2, Problems: []bus.Problem{{Message: "7 fields, want 8", Table: "a", Line: 17}, {Message: "bad date", Column: "c_date", Line: 18}},
		Parsed: now}
	failed := &bus.FileParsed{Pipeline: pipeline, Version: fdETag.Version, Path: "in/b.csv", Size: 10, Modified: modified,
		Status: bus.StatusFailed, Error: &bus.Problem{Message: "unexpected EOF in quoted field", Line: 3}, Parsed: now}
	committed := &bus.FileCommitted{Pipeline: pipeline, Destination: "warehouse", Version: version, Path: "in/a.csv",
		Status: bus.StatusCommitted, Tables: []string{"a"}, Rows: 2500, Committed: now,
		Widened: []string{"a.c_money: decimal(10,2) → decimal(12,2)"}, Added: []string{"a.c_wide: decimal(76,38)"}}
	rejected := &bus.FileCommitted{Pipeline: pipeline, Destination: "warehouse", Version: fdETag.Version, Path: "in/b.csv",
		Status: bus.StatusFailed, Error: &bus.Problem{Message: "parse failed"}, Committed: now}

	var msgs []*bus.Message
	add := func(m *bus.Message, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, m)
	}
	add(bus.FileDiscoveredMessage(fd))
	add(bus.FileDiscoveredMessage(&fdETag))
	add(bus.FileDiscoveredMessage(&fdRaw))
	add(bus.FileParsedMessage(ok))
	add(bus.FileParsedMessage(failed))
	add(bus.FileParsedTrailer(ok))
	add(bus.FileParsedTrailer(failed))
	add(bus.FileCommittedMessage(committed))
	add(bus.FileCommittedMessage(rejected))
	add(bus.FileParseRetryMessage(&bus.FileParseRetry{Pipeline: pipeline, Version: version, Path: "in/a.csv",
		Attempt: 2, Reason: "permission denied", RetryAt: now.Add(4 * time.Second)}))
	return msgs
}

func TestPublishedMessagesValidateAgainstTheirSchemas(t *testing.T) {
	compiled := compileSchemas(t)
	b := connect(t, natsbus.Options{Server: embedded(t, natsbus.EmbeddedOptions{})})
	ctx := t.Context()
	for _, m := range sampleMessages(t, "schemas") {
		name := string(m.Topic) + "/" + m.ID
		t.Run(name, func(t *testing.T) {
			if err := b.Publish(ctx, m); err != nil {
				t.Fatal(err)
			}
			var got *bus.Message
			for _, f := range follow(t, b, m.Topic, m.Pipeline, m.Scope, 0) { // a scope may hold earlier messages
				if f.ID == m.ID {
					got = f
				}
			}
			if got == nil {
				t.Fatalf("message %s not found on the bus", m.ID)
			}
			s, ok := schemaIDs[got.Header[bus.HeaderType]]
			if !ok {
				t.Fatalf("message type %q has no schema", got.Header[bus.HeaderType])
			}
			inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(got.Data))
			if err != nil {
				t.Fatal(err)
			}
			if err := compiled[s.id].Validate(inst); err != nil {
				t.Errorf("payload %s does not validate against %s: %v", got.Data, s.id, err)
			}
			if id := inst.(map[string]any)["schema"]; id != s.id {
				t.Errorf("payload names schema %v, want %s", id, s.id)
			}
		})
	}
}

func TestSchemasRejectInvalidPayloads(t *testing.T) {
	compiled := compileSchemas(t)
	valid := map[string]map[string]any{}
	for _, m := range sampleMessages(t, "schemas") {
		var v map[string]any
		if err := json.Unmarshal(m.Data, &v); err != nil {
			t.Fatal(err)
		}
		valid[m.Header[bus.HeaderType]] = v // the last of each type
	}
	cases := []struct {
		name   string
		typ    string
		change func(v map[string]any)
	}{
		{"MissingVersion", bus.TypeFileDiscovered, func(v map[string]any) { delete(v, "version") }},
		{"MissingModified", bus.TypeFileDiscovered, func(v map[string]any) { delete(v, "modified") }},
		{"SizeAsString", bus.TypeFileDiscovered, func(v map[string]any) { v["size"] = "1234" }},
		{"UnknownField", bus.TypeFileDiscovered, func(v map[string]any) { v["mtime"] = 1 }},
		{"ModifiedNotADateTime", bus.TypeFileDiscovered, func(v map[string]any) { v["modified"] = "yesterday" }},
		{"RawPathNotBase64", bus.TypeFileDiscovered, func(v map[string]any) { v["raw_path"] = "not base64!" }},
		{"WrongSchemaID", bus.TypeFileDiscovered, func(v map[string]any) { v["schema"] = bus.SchemaFileParsed }},
		{"SeqZero", bus.TypeFileDiscovered, func(v map[string]any) { v["seq"] = 0 }},
		{"SeqAsString", bus.TypeFileDiscovered, func(v map[string]any) { v["seq"] = "17" }},
		{"MissingTables", bus.TypeFileParsed, func(v map[string]any) { delete(v, "tables") }},
		{"UnknownStatus", bus.TypeFileParsed, func(v map[string]any) { v["status"] = "committed" }},
		{"UnknownColumnType", bus.TypeFileParsed, func(v map[string]any) {
			v["tables"] = []any{map[string]any{"name": "a", "batches": 1, "rows": 1,
				"columns": []any{map[string]any{"name": "x", "type": "decimal"}}}}
		}},
		{"DecimalBeyond76Digits", bus.TypeFileParsed, func(v map[string]any) {
			v["tables"] = []any{map[string]any{"name": "a", "batches": 1, "rows": 1,
				"columns": []any{map[string]any{"name": "x", "type": "decimal(77,2)"}}}}
		}},
		{"ProblemWithoutMessage", bus.TypeFileParsed, func(v map[string]any) { v["error"] = map[string]any{"line": 3} }},
		{"MissingDestination", bus.TypeFileCommitted, func(v map[string]any) { delete(v, "destination") }},
		{"UnknownCommitStatus", bus.TypeFileCommitted, func(v map[string]any) { v["status"] = "ok" }},
		{"RetryWithoutRetryAt", bus.TypeFileParseRetry, func(v map[string]any) { delete(v, "retry_at") }},
		{"RetryAttemptZero", bus.TypeFileParseRetry, func(v map[string]any) { v["attempt"] = 0 }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			data, err := json.Marshal(valid[tc.typ])
			if err != nil {
				t.Fatal(err)
			}
			inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(data)) // a deep copy
			if err != nil {
				t.Fatal(err)
			}
			sch := compiled[schemaIDs[tc.typ].id]
			if err := sch.Validate(inst); err != nil {
				t.Fatalf("the unchanged payload is invalid: %v", err)
			}
			tc.change(inst.(map[string]any))
			if err := sch.Validate(inst); err == nil {
				t.Errorf("payload validated after %s", tc.name)
			}
		})
	}
}

func TestSchemasListEveryGoFieldWithItsTypeAndRequirement(t *testing.T) {
	for typ, s := range schemaIDs {
		t.Run(typ, func(t *testing.T) {
			root := loadSchema(t, s.id).(map[string]any)
			checkStruct(t, s.goType.Name(), s.goType, root, root)
		})
	}
}

// resolve follows a local "$ref": "#/$defs/<name>".
func resolve(t *testing.T, node, root map[string]any) map[string]any {
	t.Helper()
	ref, ok := node["$ref"].(string)
	if !ok {
		return node
	}
	name, ok := strings.CutPrefix(ref, "#/$defs/")
	if !ok {
		t.Fatalf("unsupported $ref %q", ref)
	}
	def, ok := root["$defs"].(map[string]any)[name].(map[string]any)
	if !ok {
		t.Fatalf("$ref %q: no such definition", ref)
	}
	return def
}

// checkStruct checks that the schema node describes struct type typ: the
// same properties as its JSON fields, required exactly when not
// omitempty, no others allowed, and each of a matching type.
func checkStruct(t *testing.T, path string, typ reflect.Type, node, root map[string]any) {
	t.Helper()
	node = resolve(t, node, root)
	if node["additionalProperties"] != false {
		t.Errorf("%s: additionalProperties is not false", path)
	}
	props, _ := node["properties"].(map[string]any)
	var required []string
	for _, r := range node["required"].([]any) {
		required = append(required, r.(string))
	}
	fields := map[string]bool{}
	for f := range typ.Fields() {
		tag := f.Tag.Get("json")
		name, opts, _ := strings.Cut(tag, ",")
		if !f.IsExported() || name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		fields[name] = true
		fpath := path + "." + name
		prop, ok := props[name].(map[string]any)
		if !ok {
			t.Errorf("%s (Go field %s.%s) is not in the schema", fpath, typ.Name(), f.Name)
			continue
		}
		omitempty := slices.Contains(strings.Split(opts, ","), "omitempty")
		if req := slices.Contains(required, name); req == omitempty {
			t.Errorf("%s: required is %v, want %v (omitempty %v)", fpath, req, !omitempty, omitempty)
		}
		checkType(t, fpath, f.Type, prop, root)
	}
	for name := range props {
		if !fields[name] {
			t.Errorf("%s.%s is in the schema but not in Go type %s", path, name, typ.Name())
		}
	}
}

// checkType checks that a schema node accepts the JSON that values of Go
// type typ marshal to.
func checkType(t *testing.T, path string, typ reflect.Type, node, root map[string]any) {
	t.Helper()
	node = resolve(t, node, root)
	types := schemaTypes(node)
	want := func(jt string) {
		t.Helper()
		if !slices.Contains(types, jt) {
			t.Errorf("%s: schema types %v, want %s for Go type %v", path, types, jt, typ)
		}
	}
	switch {
	case typ == reflect.TypeFor[time.Time]():
		want("string")
		if node["format"] != "date-time" {
			t.Errorf("%s: format %v, want date-time", path, node["format"])
		}
	case typ == reflect.TypeFor[record.Type]():
		// The names of the types of fixed names, then decimals of a
		// precision and scale (never Decimal alone: batches and messages
		// carry decimals of fixed precision).
		var names []any
		for ty := record.Type(0); !strings.HasPrefix(ty.String(), "type("); ty++ {
			if !ty.IsDecimal() {
				names = append(names, ty.String())
			}
		}
		branches, _ := node["anyOf"].([]any)
		if len(branches) != 2 {
			t.Errorf("%s: want anyOf the type names and the decimal pattern, got %v", path, node)
			return
		}
		if enum, _ := branches[0].(map[string]any)["enum"].([]any); !slices.Equal(enum, names) {
			t.Errorf("%s: enum %v, want the record.Type names %v", path, enum, names)
		}
		pattern, _ := branches[1].(map[string]any)["pattern"].(string)
		re, err := regexp.Compile(pattern)
		if err != nil {
			t.Fatalf("%s: decimal pattern: %v", path, err)
		}
		for _, d := range []record.Type{record.DecimalOf(1, 0), record.DecimalOf(12, 2), record.DecimalOf(76, 76), record.DecimalOf(38, 9)} {
			if !re.MatchString(d.String()) {
				t.Errorf("%s: the decimal pattern refuses %v", path, d)
			}
		}
		for _, bad := range []string{"decimal", "decimal(0,0)", "decimal(77,2)", "decimal(12, 2)", "decimal(12,77)"} {
			if re.MatchString(bad) {
				t.Errorf("%s: the decimal pattern accepts %q", path, bad)
			}
		}
	case typ == reflect.TypeFor[bus.Base64]():
		want("string")
		if node["contentEncoding"] != "base64" {
			t.Errorf("%s: contentEncoding %v, want base64", path, node["contentEncoding"])
		}
	case typ.Kind() == reflect.Pointer:
		checkType(t, path, typ.Elem(), node, root)
	case typ.Kind() == reflect.Struct:
		want("object")
		checkStruct(t, path, typ, node, root)
	case typ.Kind() == reflect.Slice:
		want("array")
		items, ok := node["items"].(map[string]any)
		if !ok {
			t.Errorf("%s: array without items", path)
			return
		}
		checkType(t, path+"[]", typ.Elem(), items, root)
	case typ.Kind() == reflect.String:
		want("string")
	case typ.Kind() >= reflect.Int && typ.Kind() <= reflect.Uint64:
		want("integer")
	case typ.Kind() == reflect.Bool:
		want("boolean")
	default:
		t.Errorf("%s: no rule for Go type %v", path, typ)
	}
}

// schemaTypes returns the JSON types a node allows: its "type", or those of
// its "const" or "enum" values.
func schemaTypes(node map[string]any) []string {
	switch v := node["type"].(type) {
	case string:
		return []string{v}
	case []any:
		var s []string
		for _, x := range v {
			s = append(s, x.(string))
		}
		return s
	}
	values, _ := node["enum"].([]any)
	if c, ok := node["const"]; ok {
		values = append(values, c)
	}
	var s []string
	for _, v := range values {
		if _, ok := v.(string); ok && !slices.Contains(s, "string") {
			s = append(s, "string")
		}
	}
	return s
}
