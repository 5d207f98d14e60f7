package record

import (
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
)

func mustParseFloat(t *testing.T, s string) float64 {
	t.Helper()
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("strconv.ParseFloat(%q): %v", s, err)
	}
	return f
}

func text(s string) Cell { return Cell{Text: s, Kind: Text} }

func TestConvertInteger(t *testing.T) {
	tests := []struct {
		cell    Cell
		want    int64
		wantErr error
	}{
		{text("42"), 42, nil},
		{text("-9223372036854775808"), math.MinInt64, nil},
		{text("+5"), 5, nil},
		{text("007"), 7, nil},
		{Cell{Text: "12", Kind: Quoted}, 12, nil},
		{Cell{Text: "12", Kind: Number}, 12, nil},
		{text("1.5"), 0, ErrConvert},
		{text("9223372036854775808"), 0, ErrConvert},
		{text("abc"), 0, ErrConvert},
		{Cell{Text: "true", Kind: Bool}, 0, ErrConvert},
		{text(""), 0, ErrNull},
		{Cell{Kind: Null}, 0, ErrNull},
	}
	for _, tt := range tests {
		t.Run(tt.cell.Text, func(t *testing.T) {
			got, err := ConvertInteger(tt.cell)
			if !errors.Is(err, tt.wantErr) || (err == nil && got != tt.want) {
				t.Errorf("ConvertInteger(%+v) = %d, %v; want %d, %v", tt.cell, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestConvertFloat(t *testing.T) {
	tests := []struct {
		cell Cell
		want float64
		ok   bool
	}{
		{text("1.5"), 1.5, true},
		{text("42"), 42, true},
		{text("9223372036854775808"), 9223372036854775808, true},
		{text("+.5"), 0.5, true},
		{text("NaN"), math.NaN(), true},
		{text("-Inf"), math.Inf(-1), true},
		{text("1e400"), 0, false},
		{text("1,5"), 0, false},
		{text("x"), 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.cell.Text, func(t *testing.T) {
			got, err := ConvertFloat(tt.cell)
			if (err == nil) != tt.ok {
				t.Fatalf("ConvertFloat(%q) error %v, want ok %v", tt.cell.Text, err, tt.ok)
			}
			if tt.ok && got != tt.want && !(math.IsNaN(got) && math.IsNaN(tt.want)) {
				t.Errorf("ConvertFloat(%q) = %v, want %v", tt.cell.Text, got, tt.want)
			}
			if !tt.ok && !errors.Is(err, ErrConvert) {
				t.Errorf("ConvertFloat(%q) error %v does not wrap ErrConvert", tt.cell.Text, err)
			}
		})
	}
}

func TestConvertBoolean(t *testing.T) {
	tests := []struct {
		in   string
		want bool
		ok   bool
	}{
		{"true", true, true}, {"FALSE", false, true}, {"t", true, true}, {"F", false, true},
		{"yes", true, true}, {"No", false, true}, {"y", true, true}, {"n", false, true},
		{"on", true, true}, {"OFF", false, true}, {"1", true, true}, {"0", false, true},
		{"2", false, false}, {"truee", false, false}, {"ja", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ConvertBoolean(text(tt.in))
			if (err == nil) != tt.ok || got != tt.want {
				t.Errorf("ConvertBoolean(%q) = %v, %v; want %v, ok %v", tt.in, got, err, tt.want, tt.ok)
			}
		})
	}
}

func TestConvertDateAndTimestamp(t *testing.T) {
	day := arrow.Date32(time.Date(2024, 5, 6, 0, 0, 0, 0, time.UTC).Unix() / 86400)
	if got, err := ConvertDate(text("2024-05-06")); err != nil || got != day {
		t.Errorf("ConvertDate = %v, %v; want %v", got, err, day)
	}
	if _, err := ConvertDate(text("2024-05-06T00:00:00")); !errors.Is(err, ErrConvert) {
		t.Errorf("ConvertDate of a timestamp: error %v, want ErrConvert", err)
	}
	midnight := arrow.Timestamp(time.Date(2024, 5, 6, 0, 0, 0, 0, time.UTC).UnixMicro())
	if got, err := ConvertTimestamp(text("2024-05-06")); err != nil || got != midnight {
		t.Errorf("ConvertTimestamp of a date = %v, %v; want midnight %v", got, err, midnight)
	}
	noon := arrow.Timestamp(time.Date(2024, 5, 6, 10, 0, 0, 0, time.UTC).UnixMicro())
	if got, err := ConvertTimestamp(Cell{Text: "2024-05-06T12:00:00+02:00", Kind: Quoted}); err != nil || got != noon {
		t.Errorf("ConvertTimestamp = %v, %v; want %v", got, err, noon)
	}
	if _, err := ConvertTimestamp(text("yesterday")); !errors.Is(err, ErrConvert) {
		t.Errorf("ConvertTimestamp(yesterday): error %v, want ErrConvert", err)
	}
}

func TestConvertJSONIsAlwaysValid(t *testing.T) {
	tests := []struct {
		cell Cell
		want string
	}{
		{Cell{Text: `{"a": [1, 2]}`, Kind: Document}, `{"a": [1, 2]}`},
		{Cell{Text: "12.5e3", Kind: Number}, "12.5e3"},
		{Cell{Text: "NaN", Kind: Number}, `"NaN"`},
		{Cell{Text: "TRUE", Kind: Bool}, "true"},
		{Cell{Text: "42", Kind: Quoted}, `"42"`},
		{Cell{Text: `say "hi"\n`, Kind: Quoted}, `"say \"hi\"\\n"`},
		{text(`{"b":true}`), `{"b":true}`},
		{text("42"), "42"},
		{text("hello"), `"hello"`},
		{text("tab\there\x01"), `"tab\there\u0001"`},
		{text("nul\x00byte"), `"nul\ufffdbyte"`},
		{text("bad \xff utf8"), "\"bad \ufffd utf8\""},
		{text("line\u2028sep"), `"line\u2028sep"`},
		{Cell{Kind: Null}, "null"},
	}
	for _, tt := range tests {
		t.Run(tt.cell.Text, func(t *testing.T) {
			got := ConvertJSON(tt.cell)
			if got != tt.want {
				t.Errorf("ConvertJSON(%+v) = %s, want %s", tt.cell, got, tt.want)
			}
			if !json.Valid([]byte(got)) {
				t.Errorf("ConvertJSON(%+v) = %s is not valid JSON", tt.cell, got)
			}
		})
	}
}

func TestConvertStringKeepsText(t *testing.T) {
	for _, c := range []Cell{text("007"), {Text: `{"a":1}`, Kind: Document}, {Text: "TRUE", Kind: Bool}} {
		if got := ConvertString(c); got != c.Text {
			t.Errorf("ConvertString(%+v) = %q, want the text as is", c, got)
		}
	}
}

func TestConvertErrorQuotesAShortValue(t *testing.T) {
	long := strings.Repeat("x", 200)
	_, err := ConvertInteger(text(long))
	if err == nil || len(err.Error()) > 150 {
		t.Errorf("error %q should quote at most a short prefix of the value", err)
	}
}

// checkAgreement is the property FuzzInfer checks: every type at least as
// wide as Infer(c) converts c, to the value the Builder's own parse gives.
func checkAgreement(t *testing.T, c Cell) {
	t.Helper()
	inferred, v := parseCell(c)
	if inferred != Infer(c) {
		t.Fatalf("parseCell and Infer disagree on %+v", c)
	}
	if inferred == Unknown {
		if !c.IsNull() && c.Kind != Empty {
			t.Fatalf("Infer(%+v) = unknown for a non-null cell", c)
		}
		if _, err := ConvertInteger(c); !errors.Is(err, ErrNull) {
			t.Fatalf("ConvertInteger(%+v): error %v, want ErrNull for a cell of no type", c, err)
		}
		return
	}
	for _, target := range []Type{Boolean, Integer, Float, Date, Timestamp} {
		if Widen(inferred, target) != target {
			continue
		}
		want := lift(v, inferred, target)
		var got uint64
		var err error
		switch target {
		case Boolean:
			var b bool
			b, err = ConvertBoolean(c)
			if b {
				got = 1
			}
		case Integer:
			var i int64
			i, err = ConvertInteger(c)
			got = uint64(i)
		case Float:
			var f float64
			f, err = ConvertFloat(c)
			got = math.Float64bits(f)
			if math.IsNaN(f) && math.IsNaN(math.Float64frombits(want)) {
				got = want
			}
		case Date:
			var d arrow.Date32
			d, err = ConvertDate(c)
			got = uint64(int64(d))
		case Timestamp:
			var ts arrow.Timestamp
			ts, err = ConvertTimestamp(c)
			got = uint64(int64(ts))
		}
		if err != nil {
			t.Fatalf("Infer(%+v) = %v but converting to %v fails: %v", c, inferred, target, err)
		}
		if got != want {
			t.Fatalf("%+v to %v: Convert gives %#x, inference %#x", c, target, got, want)
		}
	}
	if c.Kind != Document {
		if j := CleanText(ConvertJSON(c)); !json.Valid([]byte(j)) {
			t.Fatalf("ConvertJSON(%+v) = %q is not valid JSON", c, j)
		}
	}
}

func TestInferAndConvertAgree(t *testing.T) {
	for _, s := range []string{
		"0", "-0", "42", "-9223372036854775808", "1.5", ".5", "1.", "1e3", "TRUE", "false",
		"2024-01-01", "2024-01-01T10:00:00.5+01:00", "hello", "9223372036854775808", "NaN",
		"007", "+5", "1e400",
	} {
		for _, k := range []Kind{Text, Quoted, Number, Bool} {
			t.Run(s, func(t *testing.T) { checkAgreement(t, Cell{Text: s, Kind: k}) })
		}
	}
}
