package formattest

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/filedge/filedge/pkg/record"
)

// Result is what a reader wrote for one file, in the form golden files
// hold (see Encode).
type Result struct {
	Tables    []Table    `json:"tables"`
	RowErrors []RowError `json:"row_errors,omitempty"`
	Issues    []string   `json:"issues,omitempty"`
	// Error is the text of the error Read returned, "" for none.
	Error string `json:"error,omitempty"`
}

// Table is a table a reader declared and the rows it wrote to it. Columns
// are the last ones declared: rows written before a later Begin added
// columns have fewer cells.
type Table struct {
	Name    string   `json:"name"`
	Columns []Column `json:"columns"`
	Rows    []Row    `json:"rows"`
}

// Column is a declared column; its JSON form leaves out type "unknown".
type Column struct {
	Name string      `json:"name"`
	Type record.Type `json:"type,omitzero"`
}

// Row is a row as written: its line and its cells.
type Row struct {
	Line  int64  `json:"line"`
	Cells []Cell `json:"cells"`
}

// RowError is a row error as reported, without the file name.
type RowError struct {
	Table  string `json:"table,omitempty"`
	Line   int64  `json:"line"`
	Column string `json:"column,omitempty"`
	Error  string `json:"error"`
}

// Cell is a recorded cell. Its JSON form is null for a null cell, a string
// for a record.Text cell, and an object naming the kind for the others:
// {"quoted": "x"}, {"number": "1.5"}, {"bool": "true"}, {"document": "{}"},
// {"empty": ""}.
type Cell record.Cell

var kindNames = map[record.Kind]string{
	record.Quoted:   "quoted",
	record.Number:   "number",
	record.Bool:     "bool",
	record.Document: "document",
	record.Empty:    "empty",
}

// MarshalJSON implements json.Marshaler.
func (c Cell) MarshalJSON() ([]byte, error) {
	switch c.Kind {
	case record.Null:
		return []byte("null"), nil
	case record.Text:
		return json.Marshal(c.Text)
	}
	name, ok := kindNames[c.Kind]
	if !ok {
		name = fmt.Sprintf("kind%d", c.Kind)
	}
	return json.Marshal(map[string]string{name: c.Text})
}

// UnmarshalJSON implements json.Unmarshaler.
func (c *Cell) UnmarshalJSON(b []byte) error {
	switch {
	case string(b) == "null":
		*c = Cell{Kind: record.Null}
		return nil
	case len(b) > 0 && b[0] == '"':
		c.Kind = record.Text
		return json.Unmarshal(b, &c.Text)
	}
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("cell %s: want null, a string or {kind: text}: %w", b, err)
	}
	if len(m) != 1 {
		return fmt.Errorf("cell %s: want one kind", b)
	}
	for k, v := range m {
		for kind, name := range kindNames {
			if name == k {
				*c = Cell{Text: v, Kind: kind}
				return nil
			}
		}
		return fmt.Errorf("cell %s: unknown kind %q", b, k)
	}
	return nil
}

// Encode writes res as a golden file holds it: indented JSON with one line
// per column, row and row error, so that a diff of two results reads well.
func (res *Result) Encode() []byte {
	var b bytes.Buffer
	line := func(indent string, v any, last bool) {
		j, err := json.Marshal(v)
		if err != nil {
			panic(err) // every part of a Result marshals
		}
		b.WriteString(indent)
		b.Write(j)
		if !last {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
	b.WriteString("{\n  \"tables\": [")
	for i, t := range res.Tables {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("\n    {\n      \"name\": ")
		name, _ := json.Marshal(t.Name)
		b.Write(name)
		b.WriteString(",\n      \"columns\": [")
		for j, c := range t.Columns {
			if j == 0 {
				b.WriteByte('\n')
			}
			line("        ", c, j == len(t.Columns)-1)
		}
		if len(t.Columns) > 0 {
			b.WriteString("      ")
		}
		b.WriteString("],\n      \"rows\": [")
		for j, r := range t.Rows {
			if j == 0 {
				b.WriteByte('\n')
			}
			line("        ", r, j == len(t.Rows)-1)
		}
		if len(t.Rows) > 0 {
			b.WriteString("      ")
		}
		b.WriteString("]\n    }")
	}
	if len(res.Tables) > 0 {
		b.WriteString("\n  ")
	}
	b.WriteString("]")
	if len(res.RowErrors) > 0 {
		b.WriteString(",\n  \"row_errors\": [\n")
		for i, e := range res.RowErrors {
			line("    ", e, i == len(res.RowErrors)-1)
		}
		b.WriteString("  ]")
	}
	if len(res.Issues) > 0 {
		b.WriteString(",\n  \"issues\": [\n")
		for i, s := range res.Issues {
			line("    ", s, i == len(res.Issues)-1)
		}
		b.WriteString("  ]")
	}
	if res.Error != "" {
		b.WriteString(",\n  \"error\": ")
		e, _ := json.Marshal(res.Error)
		b.Write(e)
	}
	b.WriteString("\n}\n")
	return b.Bytes()
}

// DecodeResult reads a Result in the form Encode writes (or any JSON of
// the same shape).
func DecodeResult(b []byte) (*Result, error) {
	var res Result
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&res); err != nil {
		return nil, err
	}
	for i := range res.Tables {
		if res.Tables[i].Rows == nil {
			res.Tables[i].Rows = []Row{}
		}
	}
	return &res, nil
}
