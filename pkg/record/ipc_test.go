package record

import (
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
)

func TestIPCRoundTripKeepsLogicalTypes(t *testing.T) {
	mem := checkedAlloc(t)
	b := NewBuilder(BuilderOptions{Columns: cols("i", "f", "b", "d", "ts", "s", "doc", "nulls"), Alloc: mem})
	mustAppend(t, b, 1, []Cell{text("1"), text("1.5"), text("true"), text("2024-01-01"), text("2024-01-01T01:02:03Z"), text("x"), {Text: `{"a":1}`, Kind: Document}, text("")})
	mustAppend(t, b, 2, []Cell{text(""), text(""), text(""), text(""), text(""), text(""), {Kind: Null}, text("")})
	rec := mustFlush(t, b)

	data, err := EncodeIPC(rec)
	if err != nil {
		t.Fatal(err)
	}
	back, err := DecodeIPC(data, mem)
	if err != nil {
		t.Fatal(err)
	}
	defer back.Release()

	want := []Type{Integer, Float, Boolean, Date, Timestamp, String, JSON, Unknown}
	if got := schemaTypes(t, back); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("decoded types %v, want %v", got, want)
	}
	if !array.RecordEqual(rec, back) {
		t.Errorf("decoded batch differs:\n%v\nwant\n%v", back, rec)
	}
}
