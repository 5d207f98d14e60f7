package record

import (
	"bytes"
	"errors"
	"math/big"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

func FuzzInfer(f *testing.F) {
	for _, s := range []string{
		"", "0", "-0", "00", "42", "-9223372036854775808", "9223372036854775808", "1.5", ".5", "1.",
		"1e3", "1e400", "NaN", "true", "FALSE", "2024-02-29", "2024-02-30", "2024-01-01T10:20:30.123456789+05:30",
		"2024-01-01 10:20Z", `{"a":1}`, "a\x00b", "\xff",
	} {
		for k := range Empty + 1 {
			f.Add(s, uint8(k))
		}
	}
	f.Fuzz(func(t *testing.T, s string, kind uint8) {
		c := Cell{Text: s, Kind: Kind(kind % uint8(Empty+1))}
		checkAgreement(t, c)
		clean := CleanText(s)
		if !utf8.ValidString(clean) || strings.IndexByte(clean, 0) >= 0 {
			t.Fatalf("CleanText(%q) = %q is not clean", s, clean)
		}
		if isClean(s) && clean != s {
			t.Fatalf("CleanText changed clean text %q", s)
		}
	})
}

func FuzzNames(f *testing.F) {
	f.Add("Prénom", "prenom", "")
	f.Add("_line", "line", "LINE")
	f.Add("a", "a_2", "a")
	f.Add(strings.Repeat("x", 80), strings.Repeat("x", 81), "9")
	f.Add(`a"; DROP TABLE x; --`, "名前", "\xff")
	f.Fuzz(func(t *testing.T, a, b, c string) {
		raw := []string{a, b, c, a, b, c}
		checkNames(t, raw, Names(raw))
		for _, s := range []string{SafeName(a), TableName(a)} {
			if !identifier.MatchString(s) || len(s) > MaxNameBytes {
				t.Fatalf("%q gave the unsafe name %q", a, s)
			}
		}
	})
}

// plainDecimal is the text AppendDecimal writes: no leading zero but the
// one before the point, no negative zero.
var plainDecimal = regexp.MustCompile(`^(0|-?[1-9][0-9]*|-?0\.[0-9]*[1-9][0-9]*|-?[1-9][0-9]*\.[0-9]+|0\.0+)$`)

// decimalGrammar is parseDecimal's grammar, written as a regular expression.
var decimalGrammar = regexp.MustCompile(`^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$`)

// FuzzDecimal checks the decimal parser against math/big: it accepts
// exactly its grammar, its canonical text is the exact value, and the
// value survives the unscaled integers of Decimal128 and Decimal256 at any
// scale that holds it.
func FuzzDecimal(f *testing.F) {
	for _, s := range []string{
		"0", "-0", "+0.000", "12345678901234.56", "-0.01", "007", "1.50", ".5", "-.5", "5.", "1.5e3", "125e-4",
		"0e99999999999", "1e75", "1e76", "1e-76", "1e-77", "99999999999999999999999999999999999999",
		"-170141183460469231731687303715884105728", "9223372036854775808", "-9223372036854775809",
		"0.00000000000000000000000000000000000001", "", "-", ".", "e5", "1e", "NaN", "Inf", "1,5", " 1", "0x10", "1_0",
	} {
		f.Add(s, uint8(0))
	}
	f.Fuzz(func(t *testing.T, s string, extra uint8) {
		text, intDigits, fracDigits, err := parseDecimal(nil, s)
		if !decimalGrammar.MatchString(s) {
			if err == nil {
				t.Fatalf("parseDecimal(%q) = %q, accepted outside the grammar", s, text)
			}
			return
		}
		if errors.Is(err, errDecimalDigits) {
			return
		}
		if err != nil {
			t.Fatalf("parseDecimal(%q): %v, inside the grammar", s, err)
		}
		want, ok := new(big.Rat).SetString(s)
		if !ok { // an exponent too large for math/big: only zero has one
			if string(text) != "0" {
				t.Fatalf("parseDecimal(%q) = %q, which math/big cannot check", s, text)
			}
			return
		}
		got, ok := new(big.Rat).SetString(string(text))
		if !ok || got.Cmp(want) != 0 {
			t.Fatalf("parseDecimal(%q) = %q, not the same value", s, text)
		}
		if want.Sign() != 0 && decimalNeedsText(text) != decimalNeeds(intDigits, fracDigits) {
			t.Fatalf("parseDecimal(%q): the canonical text %q needs %v, the digits counted say %v", s, text, decimalNeedsText(text), decimalNeeds(intDigits, fracDigits))
		}
		scale := fracDigits + int(extra)%8
		p := intDigits + scale
		if p > MaxDecimalPrecision || p == 0 {
			return
		}
		typ := DecimalOf(p, scale)
		var w [4]uint64
		decimalWords(text, scale, w[:])
		for _, words := range [][]uint64{w[:], w[:2]} {
			if len(words) == 2 && p > MaxDecimal128Precision {
				continue
			}
			back := appendWords(nil, words, scale)
			r, ok := new(big.Rat).SetString(string(back))
			if !ok || r.Cmp(want) != 0 || (scale > 0 && len(back)-bytes.IndexByte(back, '.')-1 != scale) || !plainDecimal.Match(back) {
				t.Fatalf("%q as %v in %d words reads back as %q", s, typ, len(words), back)
			}
		}
	})
}
