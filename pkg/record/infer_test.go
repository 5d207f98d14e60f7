package record

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"
)

func TestInferText(t *testing.T) {
	tests := []struct {
		in   string
		want Type
	}{
		// null
		{"", Unknown},
		// integers
		{"0", Integer},
		{"-0", Integer},
		{"7", Integer},
		{"-42", Integer},
		{"123456789", Integer},
		{"9223372036854775807", Integer},
		{"-9223372036854775808", Integer},
		// integers beyond int64 keep their digits as strings
		{"9223372036854775808", String},
		{"-9223372036854775809", String},
		{"12345678901234567890123", String},
		// leading zeros, '+', separators, spaces: strings
		{"00", String},
		{"02134", String},
		{"-012", String},
		{"+5", String},
		{"1,000", String},
		{"1_000", String},
		{" 1", String},
		{"1 ", String},
		{"-", String},
		{"--1", String},
		{"0x1F", String},
		// floats
		{"1.5", Float},
		{"-0.25", Float},
		{"0.5", Float},
		{"1.", Float},
		{".5", Float},
		{"-.5", Float},
		{"1e10", Float},
		{"1e3", Float},
		{"1E+3", Float},
		{"3.0E-2", Float},
		{"1.e5", Float},
		{"0e0", Float},
		{"-0.0", Float},
		{"1e-400", Float},
		{"123456789012345678901234.5", Float},
		{"0.1234567890123456789012345", Float},
		{".", String},
		{"-.", String},
		{"e5", String},
		{".e5", String},
		{"1e", String},
		{"1e+", String},
		{"1e5.5", String},
		{"1.5.5", String},
		{"00.5", String},
		{"1e400", String},
		{"NaN", String},
		{"Inf", String},
		{"-Infinity", String},
		// booleans
		{"true", Boolean},
		{"false", Boolean},
		{"TRUE", Boolean},
		{"False", Boolean},
		{"tRuE", Boolean},
		{"1", Integer},
		{"yes", String},
		{"t", String},
		{"truth", String},
		// dates
		{"2024-01-31", Date},
		{"2024-02-29", Date},
		{"2000-02-29", Date},
		{"0001-01-01", Date},
		{"9999-12-31", Date},
		{"2023-02-29", String},
		{"1900-02-29", String},
		{"2024-02-30", String},
		{"2024-13-01", String},
		{"2024-00-10", String},
		{"2024-01-00", String},
		{"0000-01-01", String},
		{"2024-1-01", String},
		{"2024/01/01", String},
		{"20240101", Integer},
		{"2024-01-01x", String},
		// timestamps
		{"2024-01-31T10:20", Timestamp},
		{"2024-01-31 10:20", Timestamp},
		{"2024-01-31t10:20:30", Timestamp},
		{"2024-01-31T10:20:30Z", Timestamp},
		{"2024-01-31T10:20:30z", Timestamp},
		{"2024-01-31T10:20:30.1", Timestamp},
		{"2024-01-31T10:20:30.123456789", Timestamp},
		{"2024-01-31T10:20:30.123456+02:00", Timestamp},
		{"2024-01-31T10:20:30-0530", Timestamp},
		{"2024-01-31 10:20:30+00", Timestamp},
		{"2024-01-31T10:20Z", Timestamp},
		{"2024-01-31T10:20:30.1234567890", String},
		{"2024-01-31T10:20:30.", String},
		{"2024-01-31T24:00", String},
		{"2024-01-31T23:60", String},
		{"2024-01-31T23:59:60", String},
		{"2024-01-31T10", String},
		{"2024-01-31T10:2", String},
		{"2024-01-31T10:20:3", String},
		{"2024-01-31T10:20:30+2", String},
		{"2024-01-31T10:20:30+24:00", String},
		{"2024-01-31T10:20:30+02:60", String},
		{"2024-01-31T10:20:30 UTC", String},
		{"2024-01-31X10:20", String},
		{"2024-02-30T10:20", String},
		// strings
		{"hello", String},
		{"Prénom", String},
		{"{\"a\":1}", String},
		{"null", String},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := Infer(Cell{Text: tt.in, Kind: Text}); got != tt.want {
				t.Errorf("Infer(Text %q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestInferHonoursKind(t *testing.T) {
	tests := []struct {
		name string
		cell Cell
		want Type
	}{
		{"null", Cell{Kind: Null}, Unknown},
		{"null with text", Cell{Text: "5", Kind: Null}, Unknown},
		{"quoted empty is a string", Cell{Text: "", Kind: Quoted}, String},
		{"quoted integer stays a string", Cell{Text: "5", Kind: Quoted}, String},
		{"quoted boolean stays a string", Cell{Text: "true", Kind: Quoted}, String},
		{"quoted date", Cell{Text: "2024-05-06", Kind: Quoted}, Date},
		{"quoted timestamp", Cell{Text: "2024-05-06T07:08:09Z", Kind: Quoted}, Timestamp},
		{"number integer", Cell{Text: "5", Kind: Number}, Integer},
		{"number float", Cell{Text: "5.5", Kind: Number}, Float},
		{"number exponent", Cell{Text: "1E+06", Kind: Number}, Float},
		{"number beyond int64 is a float", Cell{Text: "9223372036854775808", Kind: Number}, Float},
		{"number with leading zeros", Cell{Text: "007", Kind: Number}, Integer},
		{"number NaN", Cell{Text: "NaN", Kind: Number}, Float},
		{"number beyond float64", Cell{Text: "1e400", Kind: Number}, String},
		{"number garbage", Cell{Text: "abc", Kind: Number}, String},
		{"bool", Cell{Text: "true", Kind: Bool}, Boolean},
		{"bool garbage", Cell{Text: "maybe", Kind: Bool}, String},
		{"document", Cell{Text: `{"a":[1,2]}`, Kind: Document}, JSON},
		{"unknown kind", Cell{Text: "5", Kind: Kind(200)}, String},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Infer(tt.cell); got != tt.want {
				t.Errorf("Infer(%+v) = %v, want %v", tt.cell, got, tt.want)
			}
		})
	}
}

func TestParseNumberValues(t *testing.T) {
	floats := []string{
		"1.5", "-0.25", ".5", "1.", "1e10", "3.0E-2", "0.1", "0.3", "123.456",
		"1e22", "1e23", "9007199254740993.0", "4.9e-324", "1.7976931348623157e308",
		"0.000001", "123456789012345678901234.5", "0.1234567890123456789012345",
		"-1e-5", "2.2250738585072014e-308",
	}
	for _, s := range floats {
		t.Run(s, func(t *testing.T) {
			typ, v := parseNumber(s, strictText)
			if typ != Float {
				t.Fatalf("parseNumber(%q) type %v, want float", s, typ)
			}
			want := mustParseFloat(t, s)
			if got := math.Float64frombits(v); got != want {
				t.Errorf("parseNumber(%q) = %v, want %v", s, got, want)
			}
		})
	}
	t.Run("negative zero keeps its sign", func(t *testing.T) {
		_, v := parseNumber("-0.0", strictText)
		if f := math.Float64frombits(v); f != 0 || !math.Signbit(f) {
			t.Errorf("got %v, want -0", f)
		}
	})
	ints := map[string]int64{
		"0": 0, "-0": 0, "42": 42, "-42": -42,
		"9223372036854775807":  math.MaxInt64,
		"-9223372036854775808": math.MinInt64,
	}
	for s, want := range ints {
		t.Run(s, func(t *testing.T) {
			typ, v := parseNumber(s, strictText)
			if typ != Integer || int64(v) != want {
				t.Errorf("parseNumber(%q) = %v %d, want integer %d", s, typ, int64(v), want)
			}
		})
	}
}

func TestParseDateTimeValues(t *testing.T) {
	tests := []struct {
		in   string
		want time.Time
	}{
		{"1970-01-01", time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"2024-02-29", time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)},
		{"0001-01-01", time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"1969-12-31", time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC)},
		{"9999-12-31", time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)},
		{"2024-03-10T01:02", time.Date(2024, 3, 10, 1, 2, 0, 0, time.UTC)},
		{"2024-03-10 01:02:03", time.Date(2024, 3, 10, 1, 2, 3, 0, time.UTC)},
		{"2024-03-10T01:02:03.5", time.Date(2024, 3, 10, 1, 2, 3, 500_000_000, time.UTC)},
		{"2024-03-10T01:02:03.123456789", time.Date(2024, 3, 10, 1, 2, 3, 123_456_000, time.UTC)},
		{"2024-03-10T01:02:03Z", time.Date(2024, 3, 10, 1, 2, 3, 0, time.UTC)},
		{"2024-03-10T01:02:03+02:00", time.Date(2024, 3, 9, 23, 2, 3, 0, time.UTC)},
		{"2024-03-10T01:02:03-0530", time.Date(2024, 3, 10, 6, 32, 3, 0, time.UTC)},
		{"2024-03-10 01:02:03+00", time.Date(2024, 3, 10, 1, 2, 3, 0, time.UTC)},
		{"1960-06-15T12:00:00.000001-01:00", time.Date(1960, 6, 15, 13, 0, 0, 1000, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			typ, v, ok := parseDateTime(tt.in)
			if !ok {
				t.Fatalf("parseDateTime(%q) failed", tt.in)
			}
			got := int64(v)
			want := tt.want.UnixMicro()
			if typ == Date {
				want = tt.want.Unix() / 86400
			}
			if got != want {
				t.Errorf("parseDateTime(%q) = %v %d, want %d", tt.in, typ, got, want)
			}
		})
	}
}

func TestWidenLattice(t *testing.T) {
	all := []Type{Unknown, Boolean, Integer, Float, Date, Timestamp, String, JSON}
	tests := []struct {
		a, b, want Type
	}{
		{Integer, Float, Float},
		{Date, Timestamp, Timestamp},
		{Unknown, JSON, JSON},
		{Integer, Boolean, String},
		{Integer, Date, String},
		{Float, Timestamp, String},
		{JSON, String, String},
		{JSON, Integer, String},
		{Boolean, Boolean, Boolean},
	}
	for _, tt := range tests {
		t.Run(tt.a.String()+"+"+tt.b.String(), func(t *testing.T) {
			if got := Widen(tt.a, tt.b); got != tt.want {
				t.Errorf("Widen(%v, %v) = %v, want %v", tt.a, tt.b, got, tt.want)
			}
		})
	}
	t.Run("commutative, idempotent, Unknown is the identity, String absorbs", func(t *testing.T) {
		for _, a := range all {
			if Widen(a, Unknown) != a || Widen(a, a) != a || Widen(a, String) != String {
				t.Errorf("lattice law broken for %v", a)
			}
			for _, b := range all {
				if Widen(a, b) != Widen(b, a) {
					t.Errorf("Widen(%v, %v) != Widen(%v, %v)", a, b, b, a)
				}
				for _, c := range all {
					if Widen(Widen(a, b), c) != Widen(a, Widen(b, c)) {
						t.Errorf("Widen not associative on %v %v %v", a, b, c)
					}
				}
			}
		}
	})
}

func TestInferDoesNotAllocate(t *testing.T) {
	cells := []Cell{
		{Text: "12345", Kind: Text}, {Text: "-1.25e3", Kind: Text}, {Text: "TRUE", Kind: Text},
		{Text: "2024-01-02", Kind: Text}, {Text: "2024-01-02T03:04:05.123+01:00", Kind: Text},
		{Text: "hello", Kind: Text}, {Text: "123456789012345678901234.5", Kind: Text},
		{Text: "1.5", Kind: Number}, {Text: "true", Kind: Bool}, {Text: "2024-01-02", Kind: Quoted},
	}
	allocs := testing.AllocsPerRun(100, func() {
		for _, c := range cells {
			Infer(c)
		}
	})
	if allocs != 0 {
		t.Errorf("Infer allocated %v times per run, want 0", allocs)
	}
}

// TestFloatsMatchStrconv checks the hand-written float parser, fast paths
// included, against strconv.ParseFloat on many random literals.
func TestFloatsMatchStrconv(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	digits := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte('0' + r.IntN(10))
		}
		if n > 1 && b[0] == '0' {
			b[0] = '1'
		}
		return string(b)
	}
	for range 200_000 {
		s := digits(1+r.IntN(12)) + "." + digits(r.IntN(14))
		if r.IntN(2) == 0 {
			s = "-" + s
		}
		if r.IntN(4) == 0 {
			s += "e" + strconv.Itoa(r.IntN(60)-30)
		}
		typ, v := parseTextNumber(s)
		want := mustParseFloat(t, s)
		if typ != Float || math.Float64frombits(v) != want {
			t.Fatalf("parseTextNumber(%q) = %v %v, want float %v", s, typ, math.Float64frombits(v), want)
		}
	}
}
