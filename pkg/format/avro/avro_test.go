package avro_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/linkedin/goavro/v2"

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
			batch, refused, err := tbl.Build(nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer batch.Release()
			for _, r := range refused {
				t.Errorf("the builder refuses the row at %s", r)
			}
			for i, f := range batch.Schema().Fields()[1:] {
				if want := tbl.Columns[i].Type.Stored(); record.TypeOf(f).Stored() != want {
					t.Errorf("column %q is stored as %v, declared %v", tbl.Columns[i].Name, record.TypeOf(f), want)
				}
			}
		})
	}
}

// TestDecimalsLoadExactlyWithTheirPrecisionAndScale reads bytes and fixed
// decimals through the Builder, as the parser does: every value exact, a
// value beyond its declared precision a row error naming the column, and
// a decimal wider than 76 digits the exact text with an issue.
func TestDecimalsLoadExactlyWithTheirPrecisionAndScale(t *testing.T) {
	const schema = `{"type":"record","name":"Money","fields":[
	{"name":"amount","type":{"type":"bytes","logicalType":"decimal","precision":16,"scale":2}},
	{"name":"fixed","type":{"type":"fixed","name":"F8","size":8,"logicalType":"decimal","precision":18,"scale":4}},
	{"name":"wide","type":["null",{"type":"bytes","logicalType":"decimal","precision":38,"scale":0}]},
	{"name":"huge","type":{"type":"bytes","logicalType":"decimal","precision":80,"scale":2}}]}`
	// goavro encodes fixed decimals from bytes only with the logical type
	// left out of its schema (see writeTestdata).
	e, err := newEncoder(strings.Replace(schema, `"size":8,"logicalType":"decimal","precision":18,"scale":4}`, `"size":8}`, 1))
	if err != nil {
		t.Fatal(err)
	}
	be64 := func(v int64) []byte { return binary.BigEndian.AppendUint64(nil, uint64(v)) }
	wide := "99999999999999999999999999999999999999"
	huge := strings.Repeat("12345678", 9) + ".99"
	bl, err := e.block(
		map[string]any{"amount": rat("12345678901234.56"), "fixed": be64(-1), "wide": goavro.Union("bytes.decimal", rat(wide)), "huge": rat(huge)},
		map[string]any{"amount": rat("-0.01"), "fixed": be64(0), "wide": nil, "huge": rat("0")},
		map[string]any{"amount": rat("0"), "fixed": be64(math.MinInt64), "wide": goavro.Union("bytes.decimal", rat("-"+wide)), "huge": rat("-1")},
	)
	if err != nil {
		t.Fatal(err)
	}
	got, err := formattest.Read(t.Context(), "avro", "money.avro", format.Options{}, mustOCF(t, schema, bl), true)
	if err != nil {
		t.Fatal(err)
	}
	want := `Column "huge" is a decimal(80,2), wider than the 76 digits a decimal column holds: loaded as string, the exact text`
	if issues := got.Result.Issues; len(issues) != 1 || issues[0] != want {
		t.Errorf("issues %q, want [%q]", issues, want)
	}
	tbl := got.Result.Tables[0]
	if types := fmt.Sprint(tbl.Columns); types != "[{amount decimal(16,2)} {fixed decimal(18,4)} {wide decimal(38,0)} {huge string}]" {
		t.Errorf("columns %s", types)
	}
	batch, refused, err := tbl.Build(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer batch.Release()
	// -922337203685477.5808 has 15 digits before the point: a file that
	// breaks its own schema, which NUMERIC(18,4) refuses too.
	if wantRefused := []string{`line 3: column "fixed": value does not convert: "-922337203685477.5808" has 15 digits before the point, decimal(18,4) holds 14`}; !slices.Equal(refused, wantRefused) {
		t.Errorf("refused rows %q, want %q", refused, wantRefused)
	}
	for i, want := range [][]string{
		{"12345678901234.56", "-0.01"},
		{"-0.0001", "0.0000"},
		{wide, "null"},
		{huge, "0.00"},
	} {
		if values := formattest.ValueTexts(batch.Column(i + 1)); !slices.Equal(values, want) {
			t.Errorf("column %s: %q, want %q", tbl.Columns[i].Name, values, want)
		}
	}
}

// TestNaNAndInfinitiesLoadAsNullAndAreCounted: no destination column type
// holds NaN and the infinities, so they load as null, and the reader says
// how many, per column, with the line of the first; a value inside an
// array (a JSON column) is counted apart.
func TestNaNAndInfinitiesLoadAsNullAndAreCounted(t *testing.T) {
	const schema = `{"type":"record","name":"M","fields":[
	{"name":"x","type":"double"},
	{"name":"f","type":"float"},
	{"name":"xs","type":{"type":"array","items":"double"}}]}`
	e, err := newEncoder(schema)
	if err != nil {
		t.Fatal(err)
	}
	bl, err := e.block(
		map[string]any{"x": 1.5, "f": float32(2), "xs": []any{1.0}},
		map[string]any{"x": math.NaN(), "f": float32(math.Inf(-1)), "xs": []any{math.Inf(1), 2.0}},
		map[string]any{"x": math.Inf(1), "f": float32(3), "xs": []any{math.NaN()}},
	)
	if err != nil {
		t.Fatal(err)
	}
	got, err := formattest.Read(t.Context(), "avro", "m.avro", format.Options{}, mustOCF(t, schema, bl), true)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`Column "x" has 2 NaN or infinite values, loaded as null (the first at line 2)`,
		`Column "f" has 1 NaN or infinite value, loaded as null (the first at line 2)`,
		`Column "xs" has 2 NaN or infinite values in its values, loaded as null (the first at line 2)`,
	}
	if !slices.Equal(got.Result.Issues, want) {
		t.Errorf("issues\n%q\nwant\n%q", got.Result.Issues, want)
	}
}
