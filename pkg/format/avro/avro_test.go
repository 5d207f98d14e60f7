package avro_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/filedge/filedge/pkg/format"
	_ "github.com/filedge/filedge/pkg/format/avro"
	"github.com/filedge/filedge/pkg/format/formattest"
	"github.com/filedge/filedge/pkg/record"
)

// endless returns a file's header and one block of it, which repeated
// makes a file that never ends.
func endless(t *testing.T, codec string) (head, body []byte) {
	t.Helper()
	w, err := newEncoder(weatherSchema)
	if err != nil {
		t.Fatal(err)
	}
	b, err := w.block(weather("a", 1, 1), weather("b", 2, 2))
	if err != nil {
		t.Fatal(err)
	}
	head, err = ocf(weatherSchema, codec)
	if err != nil {
		t.Fatal(err)
	}
	whole, err := ocf(weatherSchema, codec, b)
	if err != nil {
		t.Fatal(err)
	}
	return whole, whole[len(head):]
}

func TestConformance(t *testing.T) {
	var cases []formattest.Case
	for _, codec := range []string{"null", "deflate", "snappy", "zstandard"} {
		head, body := endless(t, codec)
		cases = append(cases, formattest.Case{Name: "endless_" + codec + ".avro", Input: head, Repeat: body})
	}
	head, _ := endless(t, "null")
	cases = append(cases,
		formattest.Case{
			Name:  "only_magic.avro",
			Input: []byte("Obj\x01"),
			Want:  &formattest.Result{Tables: []formattest.Table{}, Error: "only_magic.avro: header is truncated"},
		},
		formattest.Case{
			Name:    "header_over_cap.avro",
			Input:   head,
			Options: format.Options{MaxLineBytes: 64},
			Want:    &formattest.Result{Tables: []formattest.Table{}, Error: "header_over_cap.avro: header is longer than 64 bytes (max line bytes)"},
		},
	)
	formattest.Run(t, "avro", cases...)
}

func TestNewRefusesNegativeCaps(t *testing.T) {
	_, factory, _ := format.Lookup("avro")
	tests := []struct {
		name    string
		opts    format.Options
		wantErr string
	}{
		{"defaults", format.Options{}, ""},
		{"caps set", format.Options{MaxSpoolBytes: 1, MaxLineBytes: 1, MaxFieldBytes: 1}, ""},
		{"negative spool", format.Options{MaxSpoolBytes: -1}, "max spool bytes -1 is negative"},
		{"negative line", format.Options{MaxLineBytes: -1}, "max line bytes -1 is negative"},
		{"negative field", format.Options{MaxFieldBytes: -1}, "max field bytes -1 is negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := factory(tt.opts)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("New: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("New: %v, want an error saying %q", err, tt.wantErr)
			}
		})
	}
}

func TestRegisteredAsBinaryAvro(t *testing.T) {
	info, _, ok := format.ForPath("data/part-0001.AVRO")
	if !ok || info.Code != "avro" || info.Label != "Avro" || !info.Binary || info.Sheets {
		t.Errorf("ForPath = %+v, %v; want the binary, single-table avro format", info, ok)
	}
}

// TestEveryCodecReadsTheSameRows proves that the codec files of testdata,
// the same records in every codec, read alike.
func TestEveryCodecReadsTheSameRows(t *testing.T) {
	var want []byte
	for _, codec := range []string{"null", "deflate", "snappy", "zstandard", "bzip2"} {
		t.Run(codec, func(t *testing.T) {
			input := formattest.Seeds(t, "testdata/codec_"+codec+".avro")
			if len(input) != 1 {
				t.Fatalf("testdata/codec_%s.avro is missing", codec)
			}
			rec, err := formattest.Read(t.Context(), "avro", "codec.avro", format.Options{}, input[0], true)
			if err != nil {
				t.Fatal(err)
			}
			if n := len(rec.Result.Tables[0].Rows); n != 5 {
				t.Errorf("%d rows, want 5", n)
			}
			got := rec.Result.Encode()
			if want == nil {
				want = got
			} else if !bytes.Equal(got, want) {
				t.Errorf("rows differ from the null codec's:\n%s\n%s", got, want)
			}
		})
	}
}

// TestTypedColumnsConvertInTheBuilder proves that every cell the reader
// writes converts to its column's declared type in pkg/record's Builder,
// which refuses a row whose value does not.
func TestTypedColumnsConvertInTheBuilder(t *testing.T) {
	for _, name := range []string{"primitives.avro", "logical.avro", "unions.avro", "nested.avro"} {
		t.Run(name, func(t *testing.T) {
			input := formattest.Seeds(t, "testdata/"+name)
			rec, err := formattest.Read(t.Context(), "avro", name, format.Options{}, input[0], true)
			if err != nil {
				t.Fatal(err)
			}
			tbl := rec.Result.Tables[0]
			cols := make([]record.Column, len(tbl.Columns))
			for i, c := range tbl.Columns {
				cols[i] = record.Column{Name: "c" + string(rune('a'+i)), Type: c.Type}
			}
			b := record.NewBuilder(record.BuilderOptions{Columns: cols})
			for _, row := range tbl.Rows {
				cells := make([]record.Cell, len(row.Cells))
				for i, c := range row.Cells {
					cells[i] = record.Cell(c)
				}
				if err := b.Append(row.Line, cells); err != nil {
					t.Errorf("line %d: the builder refuses the row: %v", row.Line, err)
				}
			}
			batch, err := b.Flush()
			if err != nil {
				t.Fatal(err)
			}
			defer batch.Release()
			for i, c := range b.Columns() {
				if want := tbl.Columns[i].Type.Stored(); c.Type.Stored() != want {
					t.Errorf("column %q is stored as %v, declared %v", tbl.Columns[i].Name, c.Type, want)
				}
			}
		})
	}
}
