package config_test

import (
	"slices"
	"testing"

	"github.com/filedge/filedge/pkg/config"
	"github.com/filedge/filedge/pkg/destination"
)

// The Python Filedge's shape: write_mode and cdc: at the top level, the
// columns declared, names as the file has them.
func TestCDCInThePythonFiledgesShapeAppliesToTheConnector(t *testing.T) {
	p, _ := mustParse(t, `name: customers
source: {path: ./in}
format: ndjson
dest_table: customers
write_mode: cdc
connector:
  type: sqlite
  url: sqlite:///customers.db
cdc:
  keys: [customer_id]
  operation_column: op
  sequence_by: Updated At
  operations:
    insert: [c, insert]
    update: [u, update]
    delete: [d, delete]
columns:
  - {source: customer_id, dest: customer_id, type: string, required: true}
  - {source: Updated At, dest: updated_at, type: timestamp}
`, nil)
	d := p.Destinations[0]
	want := &destination.CDCSpec{Keys: []string{"customer_id"}, OperationColumn: "op", SequenceBy: "updated_at",
		Insert: []string{"c", "insert"}, Update: []string{"u", "update"}, Delete: []string{"d", "delete"}}
	if d.WriteMode != config.WriteCDC || d.CDC == nil || d.CDC.String() != want.String() {
		t.Errorf("destination write mode %q, cdc %v; want cdc, %v", d.WriteMode, d.CDC, want)
	}
}

// AWS DMS: the Op column and its I/U/D values are the defaults; names are
// made safe as the file's columns are.
func TestCDCDefaultsAreAWSDMSs(t *testing.T) {
	p, _ := mustParse(t, "name: p\nsource: {path: ./in}\nconnector: {type: sqlite, url: x.db, write_mode: cdc, cdc: {keys: ID, sequence_by: ts}}\n", nil)
	got := p.Destinations[0].CDC
	want := &destination.CDCSpec{Keys: []string{"id"}, OperationColumn: "op", SequenceBy: "ts",
		Insert: destination.DefaultInsert, Update: destination.DefaultUpdate, Delete: destination.DefaultDelete}
	if got == nil || got.String() != want.String() {
		t.Fatalf("cdc %v, want %v", got, want)
	}
	if err := got.Check(); err != nil {
		t.Errorf("Check: %v", err)
	}
}

// A destination's own write_mode and cdc: win over the top-level ones; a
// kind of operations: given replaces its defaults, the others stay.
func TestCDCOfADestinationWinsOverTheTopLevels(t *testing.T) {
	p, _ := mustParse(t, `name: p
source: {path: ./in}
write_mode: cdc
cdc: {keys: [id], sequence_by: seq}
destinations:
  - {name: a, type: sqlite, url: a.db}
  - name: b
    type: postgres
    url: postgresql://h/db
    cdc: {keys: [id, region], sequence_by: lsn, operation_column: change, operations: {delete: [X, D]}}
  - {name: c, type: sqlite, url: c.db, write_mode: append}
`, nil)
	a, b, c := p.Destinations[0], p.Destinations[1], p.Destinations[2]
	if a.WriteMode != "cdc" || a.CDC == nil || !slices.Equal(a.CDC.Keys, []string{"id"}) {
		t.Errorf("a: %q %v, want the top-level cdc", a.WriteMode, a.CDC)
	}
	wantB := &destination.CDCSpec{Keys: []string{"id", "region"}, OperationColumn: "change", SequenceBy: "lsn",
		Insert: destination.DefaultInsert, Update: destination.DefaultUpdate, Delete: []string{"X", "D"}}
	if b.WriteMode != "cdc" || b.CDC == nil || b.CDC.String() != wantB.String() {
		t.Errorf("b: %q %v, want %v", b.WriteMode, b.CDC, wantB)
	}
	if c.WriteMode != "append" || c.CDC != nil {
		t.Errorf("c: %q %v, want append without cdc", c.WriteMode, c.CDC)
	}
}

// A top-level cdc: without write_mode: cdc is accepted and unused, as the
// Python Filedge accepts it.
func TestTopLevelCDCWithoutWriteModeCDCIsUnused(t *testing.T) {
	p, _ := mustParse(t, base+"cdc: {keys: [id], sequence_by: seq}\n", nil)
	if d := p.Destinations[0]; d.WriteMode != "append" || d.CDC != nil {
		t.Errorf("destination %q %v, want append without cdc", d.WriteMode, d.CDC)
	}
}

func TestInvalidCDCSettingsAreReportedAtTheirLine(t *testing.T) {
	const head = "name: p\nsource: {path: ./in}\n"
	for _, tc := range []struct {
		name, doc string
		want      []string
	}{
		{"cdc write mode without a block", head + "connector: {type: sqlite, url: x.db, write_mode: cdc}\n",
			[]string{"pipeline.yaml:3: connector.write_mode: write_mode: cdc needs a cdc: block"}},
		{"top-level cdc write mode without a block", head + "write_mode: cdc\nconnector: {type: sqlite, url: x.db}\n",
			[]string{"pipeline.yaml:3: write_mode: write_mode: cdc needs a cdc: block"}},
		{"a destination's cdc without its write mode", head + "connector:\n  type: sqlite\n  url: x.db\n  cdc: {keys: [id], sequence_by: s}\n",
			[]string{"pipeline.yaml:6: connector.cdc: applies only with write_mode: cdc (the destination's write mode is append)"}},
		{"unknown write mode", head + "write_mode: upsert\nconnector: {type: sqlite, url: x.db}\n",
			[]string{`pipeline.yaml:3: write_mode: "upsert" is not one of append, truncate, cdc`}},
		{"type without cdc", head + "write_mode: cdc\ncdc: {keys: [id], sequence_by: s}\nconnector: {type: memo, bucket: b}\n",
			[]string{`pipeline.yaml:3: write_mode: destination "memo": the memo type does not apply write_mode: cdc (types that do: postgres, sqlite)`}},
		{"magic folder", head + "mode: magic_folder\nconnector: {type: sqlite, url: x.db, write_mode: cdc, cdc: {keys: [id], sequence_by: s}}\n",
			[]string{"pipeline.yaml:4: connector.write_mode: ", "use mode: merge"}},
		{"keys missing", head + "write_mode: cdc\ncdc:\n  sequence_by: s\nconnector: {type: sqlite, url: x.db}\n",
			[]string{"pipeline.yaml:4: cdc.keys: required"}},
		{"keys empty", head + "write_mode: cdc\ncdc:\n  keys: []\n  sequence_by: s\nconnector: {type: sqlite, url: x.db}\n",
			[]string{"pipeline.yaml:5: cdc.keys: the list is empty"}},
		{"sequence missing", head + "write_mode: cdc\ncdc:\n  keys: [id]\nconnector: {type: sqlite, url: x.db}\n",
			[]string{"pipeline.yaml:4: cdc.sequence_by: required"}},
		{"unknown key", head + "write_mode: cdc\ncdc:\n  keys: [id]\n  sequence_bi: s\nconnector: {type: sqlite, url: x.db}\n",
			[]string{"pipeline.yaml:6: cdc.sequence_bi: unknown key; did you mean sequence_by?"}},
		{"key twice", head + "write_mode: cdc\ncdc:\n  keys: [id, ID]\n  sequence_by: s\nconnector: {type: sqlite, url: x.db}\n",
			[]string{`pipeline.yaml:5: cdc.keys[1]: "ID" is the column id, already the key id`}},
		{"sequence is a key", head + "write_mode: cdc\ncdc:\n  keys: [id]\n  sequence_by: id\nconnector: {type: sqlite, url: x.db}\n",
			[]string{`pipeline.yaml:6: cdc.sequence_by: "id" is the column id, already the key id`}},
		{"operation is the sequence", head + "write_mode: cdc\ncdc:\n  keys: [id]\n  sequence_by: s\n  operation_column: s\nconnector: {type: sqlite, url: x.db}\n",
			[]string{`pipeline.yaml:7: cdc.operation_column: "s" is the column s, already the sequence column`}},
		{"an operation value of two kinds", head + "write_mode: cdc\ncdc:\n  keys: [id]\n  sequence_by: s\n  operations:\n    insert: [c]\n    update: [u, c]\nconnector: {type: sqlite, url: x.db}\n",
			[]string{`pipeline.yaml:9: cdc.operations.update[1]: "c" is already an insert value`}},
		{"unknown operation kind", head + "write_mode: cdc\ncdc:\n  keys: [id]\n  sequence_by: s\n  operations: {upsert: [x]}\nconnector: {type: sqlite, url: x.db}\n",
			[]string{"pipeline.yaml:7: cdc.operations.upsert: unknown key"}},
		{"empty operation value", head + "write_mode: cdc\ncdc:\n  keys: [id]\n  sequence_by: s\n  operations: {delete: ['']}\nconnector: {type: sqlite, url: x.db}\n",
			[]string{"pipeline.yaml:7: cdc.operations.delete[0]: an operation value must not be empty"}},
		{"a cdc key at the top level", head + "write_mode: cdc\ncdc: {keys: [id]}\nsequence_by: s\nconnector: {type: sqlite, url: x.db}\n",
			[]string{"pipeline.yaml:5: sequence_by: unknown key; it belongs in the cdc: block"}},
		{"cdc of a list entry", head + "destinations:\n  - name: a\n    type: sqlite\n    url: x.db\n    write_mode: cdc\n    cdc: {keys: [id]}\n",
			[]string{"pipeline.yaml:8: destinations[0].cdc.sequence_by: required"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, _, err := parse(t, tc.doc, nil)
			wantErrs(t, err, tc.want...)
			if p != nil {
				t.Errorf("got a pipeline with errors")
			}
		})
	}
}

// A kind of operation left to its defaults gives up a default value that
// another kind takes.
func TestCDCOperationsGivenTakeTheirValuesFromTheDefaults(t *testing.T) {
	p, _ := mustParse(t, base+"write_mode: cdc\ncdc: {keys: [id], sequence_by: s, operations: {delete: [D, U]}}\n", nil)
	spec := p.Destinations[0].CDC
	if !slices.Equal(spec.Update, []string{"update"}) || !slices.Equal(spec.Delete, []string{"D", "U"}) {
		t.Errorf("update %v, delete %v; want [update], [D U]", spec.Update, spec.Delete)
	}
}
