package record

import (
	"errors"
	"fmt"
	"testing"
)

// empty is a quoted empty CSV field, as the CSV reader hands it over.
var empty = Cell{Kind: Empty}

func TestBuilderEmptyInAnInferredIntegerColumnIsNull(t *testing.T) {
	b := NewBuilder(BuilderOptions{Columns: cols("first", "middle"), Alloc: checkedAlloc(t)})
	mustAppend(t, b, 1, []Cell{empty, text("1")})
	mustAppend(t, b, 2, []Cell{text("7"), empty})
	mustAppend(t, b, 3, []Cell{text("8"), text("3")})
	rec := mustFlush(t, b)
	if got := schemaTypes(t, rec); fmt.Sprint(got) != fmt.Sprint([]Type{Integer, Integer}) {
		t.Fatalf("types %v, want [integer integer]: an empty string must not make a column String", got)
	}
	if got := valueStrings(rec, 1); !equalStrings(got, []string{"<null>", "7", "8"}) {
		t.Errorf("first = %q", got)
	}
	if got := valueStrings(rec, 2); !equalStrings(got, []string{"1", "<null>", "3"}) {
		t.Errorf("middle = %q", got)
	}
	if rec.Column(2).NullN() != 1 {
		t.Errorf("null count %d, want 1", rec.Column(2).NullN())
	}
}

func TestBuilderEmptyInAStringColumnIsTheEmptyString(t *testing.T) {
	columns := []Column{{Name: "before"}, {Name: "after"}, {Name: "declared", Type: String}}
	b := NewBuilder(BuilderOptions{Columns: columns, Alloc: checkedAlloc(t)})
	mustAppend(t, b, 1, []Cell{empty, text("x"), empty})
	mustAppend(t, b, 2, []Cell{text("y"), empty, text("z")})
	mustAppend(t, b, 3, []Cell{{Kind: Null}, {Text: "ignored", Kind: Empty}, {Kind: Null}})
	rec := mustFlush(t, b)
	if got := schemaTypes(t, rec); fmt.Sprint(got) != fmt.Sprint([]Type{String, String, String}) {
		t.Fatalf("types %v", got)
	}
	want := [][]string{
		{"", "y", "<null>"},
		{"x", "", ""},
		{"", "z", "<null>"},
	}
	for i, w := range want {
		if got := valueStrings(rec, i+1); !equalStrings(got, w) {
			t.Errorf("%s = %q, want %q", rec.ColumnName(i+1), got, w)
		}
		if got, wantNulls := rec.Column(i+1).NullN(), countNulls(w); got != wantNulls {
			t.Errorf("%s: null count %d, want %d", rec.ColumnName(i+1), got, wantNulls)
		}
	}
}

func countNulls(ss []string) int {
	n := 0
	for _, s := range ss {
		if s == "<null>" {
			n++
		}
	}
	return n
}

func TestBuilderEmptyInDeclaredColumns(t *testing.T) {
	columns := []Column{
		{Name: "s", Type: String},
		{Name: "i", Type: Integer},
		{Name: "j", Type: JSON},
		{Name: "d", Type: Date},
		{Name: "b", Type: Boolean},
		{Name: "key", Type: Integer},
	}
	b := NewBuilder(BuilderOptions{Columns: columns, Required: []bool{true, false, false, false, false, true}, Alloc: checkedAlloc(t)})
	mustAppend(t, b, 1, []Cell{empty, empty, empty, empty, empty, text("1")})
	err := b.Append(2, []Cell{text("a"), text("1"), text("1"), text("2024-01-01"), text("true"), empty})
	var ve *ValueError
	if !errors.As(err, &ve) || ve.Column != "key" || !errors.Is(err, ErrRequired) {
		t.Fatalf("Empty in a required integer column: error %v, want ErrRequired on key", err)
	}
	rec := mustFlush(t, b)
	want := []string{"", "<null>", "<null>", "<null>", "<null>", "1"}
	for i, w := range want {
		if got := valueStrings(rec, i+1); !equalStrings(got, []string{w}) {
			t.Errorf("%s = %q, want [%q]", rec.ColumnName(i+1), got, w)
		}
	}
}

func TestBuilderEmptyBecomesTheEmptyStringWhenTheColumnWidensToString(t *testing.T) {
	b := NewBuilder(BuilderOptions{Columns: cols("n", "json"), Alloc: checkedAlloc(t)})
	mustAppend(t, b, 1, []Cell{text("1"), {Text: `{"a":1}`, Kind: Document}})
	mustAppend(t, b, 2, []Cell{empty, empty})
	mustAppend(t, b, 3, []Cell{text("abc"), {Text: "x", Kind: Quoted}})
	mustAppend(t, b, 4, []Cell{{Kind: Null}, {Kind: Null}})
	rec := mustFlush(t, b)
	if got := schemaTypes(t, rec); fmt.Sprint(got) != fmt.Sprint([]Type{String, String}) {
		t.Fatalf("types %v, want [string string]", got)
	}
	if got := valueStrings(rec, 1); !equalStrings(got, []string{"1", "", "abc", "<null>"}) {
		t.Errorf("n = %q", got)
	}
	if got := valueStrings(rec, 2); !equalStrings(got, []string{`{"a":1}`, "", "x", "<null>"}) {
		t.Errorf("json = %q", got)
	}
	if rec.Column(1).NullN() != 1 {
		t.Errorf("null count %d, want 1", rec.Column(1).NullN())
	}
}

func TestBuilderEmptyAcrossBatches(t *testing.T) {
	b := NewBuilder(BuilderOptions{Columns: cols("n", "only"), MaxBatchRows: 2, Alloc: checkedAlloc(t)})
	mustAppend(t, b, 1, []Cell{text("1"), empty})
	mustAppend(t, b, 2, []Cell{empty, {Kind: Null}})
	if got := b.Columns(); got[0].Type != Integer || got[1].Type != String {
		t.Errorf("Columns before the flush: %+v, want integer and string", got)
	}
	first := mustFlush(t, b)
	mustAppend(t, b, 3, []Cell{text("x"), text("5")})
	mustAppend(t, b, 4, []Cell{empty, empty})
	second := mustFlush(t, b)

	if got := schemaTypes(t, first); fmt.Sprint(got) != fmt.Sprint([]Type{Integer, String}) {
		t.Errorf("first batch types %v, want [integer string]: nulls and empty strings only make a String column", got)
	}
	if got := valueStrings(first, 1); !equalStrings(got, []string{"1", "<null>"}) {
		t.Errorf("first batch n = %q", got)
	}
	if got := valueStrings(first, 2); !equalStrings(got, []string{"", "<null>"}) {
		t.Errorf("first batch only = %q", got)
	}
	if got := schemaTypes(t, second); fmt.Sprint(got) != fmt.Sprint([]Type{String, String}) {
		t.Errorf("second batch types %v, want [string string]", got)
	}
	if got := valueStrings(second, 1); !equalStrings(got, []string{"x", ""}) {
		t.Errorf("second batch n = %q", got)
	}
	if got := valueStrings(second, 2); !equalStrings(got, []string{"5", ""}) {
		t.Errorf("second batch only = %q", got)
	}
	wantW := []Widening{{Column: "n", From: Integer, To: String, Line: 3}}
	if got := b.Widenings(); fmt.Sprint(got) != fmt.Sprint(wantW) {
		t.Errorf("Widenings = %+v, want %+v (a first type after nulls and empty strings is no widening)", got, wantW)
	}
}

func TestBuilderRequiredInferredColumnTakesEmptyOnlyOnceString(t *testing.T) {
	b := NewBuilder(BuilderOptions{Columns: cols("key", "n"), Required: []bool{true, true}, Alloc: checkedAlloc(t)})
	if err := b.Append(1, []Cell{empty, text("1")}); !errors.Is(err, ErrRequired) {
		t.Errorf("Empty in a required column of no type yet: error %v, want ErrRequired", err)
	}
	mustAppend(t, b, 2, []Cell{text("k"), text("1")})
	mustAppend(t, b, 3, []Cell{empty, text("2")})
	if err := b.Append(4, []Cell{text("k"), empty}); !errors.Is(err, ErrRequired) {
		t.Errorf("Empty in a required integer column: error %v, want ErrRequired", err)
	}
	rec := mustFlush(t, b)
	if got := valueStrings(rec, 1); !equalStrings(got, []string{"k", ""}) {
		t.Errorf("key = %q", got)
	}
	if rec.Column(1).NullN() != 0 {
		t.Errorf("a required column holds %d nulls", rec.Column(1).NullN())
	}
}

func TestEmptyInferenceAndConversion(t *testing.T) {
	for _, c := range []Cell{empty, {Text: "5", Kind: Empty}} {
		if got := Infer(c); got != Unknown {
			t.Errorf("Infer(%+v) = %v, want unknown", c, got)
		}
		if c.IsNull() {
			t.Errorf("%+v is null: an empty string is a value", c)
		}
		for name, conv := range map[string]func(Cell) error{
			"integer":   func(c Cell) error { _, err := ConvertInteger(c); return err },
			"float":     func(c Cell) error { _, err := ConvertFloat(c); return err },
			"boolean":   func(c Cell) error { _, err := ConvertBoolean(c); return err },
			"date":      func(c Cell) error { _, err := ConvertDate(c); return err },
			"timestamp": func(c Cell) error { _, err := ConvertTimestamp(c); return err },
		} {
			if err := conv(c); !errors.Is(err, ErrNull) {
				t.Errorf("converting %+v to %s: error %v, want ErrNull", c, name, err)
			}
		}
		if got := ConvertString(c); got != "" {
			t.Errorf("ConvertString(%+v) = %q, want \"\"", c, got)
		}
		if got := ConvertJSON(c); got != "null" {
			t.Errorf("ConvertJSON(%+v) = %q, want null", c, got)
		}
	}
}
