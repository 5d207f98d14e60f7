package json_test

import (
	"strings"
	"testing"

	"github.com/filedge/filedge/pkg/format"
	"github.com/filedge/filedge/pkg/format/formattest"
	_ "github.com/filedge/filedge/pkg/format/json"
	"github.com/filedge/filedge/pkg/record"
)

func TestConformance(t *testing.T) {
	long := strings.Repeat("x", 300<<10) // longer than the read buffer
	deep := strings.Repeat("[", 1001) + strings.Repeat("]", 1001)
	formattest.Run(t, "json",
		formattest.Case{
			Name:   "endless.jsonl",
			Input:  []byte("{\"a\": 1}\n"),
			Repeat: []byte("{\"a\": 2, \"b\": \"x\"}\n"),
		},
		formattest.Case{
			Name:   "endless_array.json",
			Input:  []byte("[{\"a\": 1}"),
			Repeat: []byte(",\n{\"a\": 2}"),
		},
		formattest.Case{
			Name:   "endless_documents.json",
			Input:  []byte("{\n  \"a\": 1\n}\n"),
			Repeat: []byte("{\n  \"a\": 2,\n  \"b\": [\n    \"x\"\n  ]\n}\n"),
		},
		formattest.Case{
			Name:  "record_longer_than_buffer.jsonl",
			Input: []byte(`{"a": "` + long + `"}` + "\n" + `[{"b": "` + long + `"}]`),
			Want: &formattest.Result{
				Tables: []formattest.Table{{
					Columns: []formattest.Column{{Name: "a"}},
					Rows:    []formattest.Row{{Line: 1, Cells: []formattest.Cell{{Text: long, Kind: record.Quoted}}}},
				}},
				RowErrors: []formattest.RowError{{Line: 2, Error: "record is an array, want a JSON object"}},
			},
		},
		formattest.Case{
			Name:  "element_longer_than_buffer.json",
			Input: []byte(`[{"a": "` + long + `"}, {"a": {"b": "` + long + `"}}]`),
			Want: &formattest.Result{Tables: []formattest.Table{{
				Columns: []formattest.Column{{Name: "a"}},
				Rows: []formattest.Row{
					{Line: 1, Cells: []formattest.Cell{{Text: long, Kind: record.Quoted}}},
					{Line: 1, Cells: []formattest.Cell{{Text: `{"b":"` + long + `"}`, Kind: record.Document}}},
				},
			}}},
		},
		formattest.Case{
			Name:  "too_deep.jsonl",
			Input: []byte(`{"a": ` + deep + "}\n" + `{"a": 1}` + "\n"),
			Want: &formattest.Result{
				Tables: []formattest.Table{{
					Columns: []formattest.Column{{Name: "a"}},
					Rows:    []formattest.Row{{Line: 2, Cells: []formattest.Cell{{Text: "1", Kind: record.Number}}}},
				}},
				RowErrors: []formattest.RowError{{Line: 1, Error: "invalid JSON: nested deeper than 1000 levels (line 1, byte 1006)"}},
			},
		},
		formattest.Case{
			// Bytes that are not UTF-8 reach the parser as they are, for
			// it to replace and count (record.CleanValue); so does an
			// unpaired surrogate, as the byte 0xFF.
			Name:  "invalid_utf8.jsonl",
			Input: []byte("{\"k\xff\": \"v\xfe\", \"s\": \"a\\ud800b\\udc00\", \"n\": \"\\u0000\"}\n"),
			Want: &formattest.Result{Tables: []formattest.Table{{
				Columns: []formattest.Column{{Name: "k\xff"}, {Name: "s"}, {Name: "n"}},
				Rows: []formattest.Row{{Line: 1, Cells: []formattest.Cell{
					{Text: "v\xfe", Kind: record.Quoted}, {Text: "a\xffb\xff", Kind: record.Quoted}, {Text: "\x00", Kind: record.Quoted},
				}}},
			}}},
		},
	)
}

func TestNewOptions(t *testing.T) {
	_, factory, _ := format.Lookup("json")
	tests := []struct {
		name    string
		opts    format.Options
		wantErr string
	}{
		{"default", format.Options{}, ""},
		{"unpacked", format.Options{JSONDelivery: "unpacked"}, ""},
		{"packed in capitals", format.Options{JSONDelivery: "PACKED"}, ""},
		{"unknown delivery", format.Options{JSONDelivery: "flat"}, `json_delivery "flat"`},
		{"negative cap", format.Options{MaxLineBytes: -5}, "negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := factory(tt.opts)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("New: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("New error = %v, want one saying %q", err, tt.wantErr)
			}
		})
	}
}
