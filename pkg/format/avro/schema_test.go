package avro

import (
	"strings"
	"testing"

	"github.com/filedge/filedge/pkg/record"
)

// TestSchemaColumnTypes checks the column type each Avro type is loaded
// as, by compiling a record of one field of that type.
func TestSchemaColumnTypes(t *testing.T) {
	tests := []struct {
		name string
		typ  string
		want record.Type
	}{
		{"null", `"null"`, record.Unknown},
		{"boolean", `"boolean"`, record.Boolean},
		{"int", `"int"`, record.Integer},
		{"long", `"long"`, record.Integer},
		{"float", `"float"`, record.Float},
		{"double", `"double"`, record.Float},
		{"string", `"string"`, record.String},
		{"bytes", `"bytes"`, record.String},
		{"fixed", `{"type":"fixed","name":"F","size":3}`, record.String},
		{"enum", `{"type":"enum","name":"E","symbols":["A"]}`, record.String},
		{"decimal of 15 digits", `{"type":"bytes","logicalType":"decimal","precision":15,"scale":2}`, record.DecimalOf(15, 2)},
		{"decimal of 16 digits", `{"type":"bytes","logicalType":"decimal","precision":16,"scale":2}`, record.DecimalOf(16, 2)},
		{"decimal of 76 digits", `{"type":"bytes","logicalType":"decimal","precision":76,"scale":76}`, record.DecimalOf(76, 76)},
		{"decimal of 77 digits", `{"type":"bytes","logicalType":"decimal","precision":77,"scale":2}`, record.String},
		{"fixed decimal", `{"type":"fixed","name":"F","size":4,"logicalType":"decimal","precision":9}`, record.DecimalOf(9, 0)},
		{"nullable decimal", `["null",{"type":"bytes","logicalType":"decimal","precision":12,"scale":2}]`, record.DecimalOf(12, 2)},
		{"decimal or long", `[{"type":"bytes","logicalType":"decimal","precision":12,"scale":2},"long"]`, record.DecimalOf(21, 2)},
		{"decimals of two scales", `[{"type":"bytes","logicalType":"decimal","precision":12,"scale":2},{"type":"fixed","name":"G","size":16,"logicalType":"decimal","precision":20,"scale":6}]`, record.DecimalOf(20, 6)},
		{"decimal or double", `[{"type":"bytes","logicalType":"decimal","precision":12,"scale":2},"double"]`, record.JSON},
		{"fixed decimal too precise for its size", `{"type":"fixed","name":"F","size":4,"logicalType":"decimal","precision":10}`, record.String},
		{"decimal without precision", `{"type":"bytes","logicalType":"decimal","scale":2}`, record.String},
		{"decimal with a scale over its precision", `{"type":"bytes","logicalType":"decimal","precision":2,"scale":3}`, record.String},
		{"decimal with a fractional scale", `{"type":"bytes","logicalType":"decimal","precision":5,"scale":1.5}`, record.String},
		{"date", `{"type":"int","logicalType":"date"}`, record.Date},
		{"date on a long", `{"type":"long","logicalType":"date"}`, record.Integer},
		{"time-millis", `{"type":"int","logicalType":"time-millis"}`, record.String},
		{"time-millis on a long", `{"type":"long","logicalType":"time-millis"}`, record.Integer},
		{"time-micros", `{"type":"long","logicalType":"time-micros"}`, record.String},
		{"timestamp-millis", `{"type":"long","logicalType":"timestamp-millis"}`, record.Timestamp},
		{"timestamp-nanos", `{"type":"long","logicalType":"timestamp-nanos"}`, record.Timestamp},
		{"local-timestamp-micros", `{"type":"long","logicalType":"local-timestamp-micros"}`, record.Timestamp},
		{"timestamp on an int", `{"type":"int","logicalType":"timestamp-millis"}`, record.Integer},
		{"uuid", `{"type":"string","logicalType":"uuid"}`, record.String},
		{"duration", `{"type":"fixed","name":"D","size":12,"logicalType":"duration"}`, record.String},
		{"unknown logical type", `{"type":"long","logicalType":"epoch-days"}`, record.Integer},
		{"array", `{"type":"array","items":"int"}`, record.JSON},
		{"map", `{"type":"map","values":"int"}`, record.JSON},
		{"record", `{"type":"record","name":"R","fields":[]}`, record.JSON},
		{"nullable long", `["null","long"]`, record.Integer},
		{"long or null", `["long","null"]`, record.Integer},
		{"int or long", `["int","long"]`, record.Integer},
		{"int or double", `["null","int","double"]`, record.Float},
		{"date or timestamp", `[{"type":"int","logicalType":"date"},{"type":"long","logicalType":"timestamp-micros"}]`, record.Timestamp},
		{"string or enum", `["string",{"type":"enum","name":"E","symbols":["A"]}]`, record.String},
		{"string or int", `["string","int"]`, record.JSON},
		{"boolean or int", `["boolean","int"]`, record.JSON},
		{"null only", `["null"]`, record.Unknown},
		{"nullable record", `["null",{"type":"record","name":"R","fields":[]}]`, record.JSON},
		{"wrapped type", `{"type":{"type":"int"}}`, record.Integer},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := parseSchema([]byte(`{"type":"record","name":"T","fields":[{"name":"f","type":` + tt.typ + `}]}`))
			if err != nil {
				t.Fatal(err)
			}
			if got := n.fields[0].n.col; got != tt.want {
				t.Errorf("column type %v, want %v", got, tt.want)
			}
		})
	}
}

func TestSchemaNamesResolveByNamespace(t *testing.T) {
	n, err := parseSchema([]byte(`{"type":"record","name":"a.b.Outer","fields":[
		{"name":"x","type":{"type":"fixed","name":"F","size":2}},
		{"name":"y","type":"F"},
		{"name":"z","type":"a.b.F"},
		{"name":"inner","type":{"type":"record","name":"Inner","namespace":"c","fields":[
			{"name":"e","type":{"type":"enum","name":"E","symbols":["A"]}},
			{"name":"f","type":"a.b.F"}]}},
		{"name":"e","type":"c.E"},
		{"name":"self","type":["null","Outer"]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	f := n.fields
	if f[0].n.name != "a.b.F" || f[1].n != f[0].n || f[2].n != f[0].n {
		t.Errorf("F is %q, referenced as %p and %p, defined as %p", f[0].n.name, f[1].n, f[2].n, f[0].n)
	}
	inner := f[3].n
	if inner.name != "c.Inner" || inner.fields[0].n.name != "c.E" || inner.fields[1].n != f[0].n || f[4].n != inner.fields[0].n {
		t.Errorf("inner %q, its enum %q", inner.name, inner.fields[0].n.name)
	}
	if f[5].n.union[1] != n {
		t.Errorf("Outer does not refer to itself")
	}
	// Three fixed(2), an enum and a fixed(2), an enum, a union index.
	if want := 2 + 2 + 2 + (1 + 2) + 1 + 1; n.min != want {
		t.Errorf("min %d, want %d", n.min, want)
	}
}

func TestSchemaErrors(t *testing.T) {
	tests := []struct {
		name, schema, want string
	}{
		{"not JSON", `{"type":`, "schema is not JSON"},
		{"two values", `"int" "long"`, "text after its JSON value"},
		{"unknown name", `"Nope"`, `unknown type "Nope"`},
		{"no type", `{"name":"x"}`, "has no type"},
		{"number", `42`, "is not a type"},
		{"union in a union", `["null",["int"]]`, "a union holds a union"},
		{"record without name", `{"type":"record","fields":[]}`, "has no name"},
		{"record without fields", `{"type":"record","name":"R"}`, "no fields array"},
		{"field without type", `{"type":"record","name":"R","fields":[{"name":"a"}]}`, `field "a" has no type`},
		{"field without name", `{"type":"record","name":"R","fields":[{"type":"int"}]}`, "a field has no name"},
		{"type defined twice", `{"type":"record","name":"R","fields":[{"name":"a","type":{"type":"fixed","name":"R","size":1}}]}`, `"R" is defined twice`},
		{"enum without symbols", `{"type":"enum","name":"E"}`, "no symbols"},
		{"fixed without size", `{"type":"fixed","name":"F"}`, "is not a length"},
		{"fixed of negative size", `{"type":"fixed","name":"F","size":-1}`, "is not a length"},
		{"array without items", `{"type":"array"}`, "has no items"},
		{"map without values", `{"type":"map"}`, "has no values"},
		{"too deep", strings.Repeat(`{"type":"array","items":`, 1100) + `"int"` + strings.Repeat(`}`, 1100), "nested deeper"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseSchema([]byte(tt.schema))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one saying %q", err, tt.want)
			}
		})
	}
}
