package postgres

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
)

func TestBinaryEncodingMatchesPgx(t *testing.T) {
	m := pgtype.NewMap()
	days := func(tm time.Time) int64 { return tm.Unix() / 86400 }
	for _, tc := range []struct {
		name string
		oid  uint32
		slot binarySlot
		pgx  any
	}{
		{"int8 max", pgtype.Int8OID, int8Slot{math.MaxInt64}, int64(math.MaxInt64)},
		{"int8 min", pgtype.Int8OID, int8Slot{math.MinInt64}, int64(math.MinInt64)},
		{"int8 -1", pgtype.Int8OID, int8Slot{-1}, int64(-1)},
		{"float8", pgtype.Float8OID, float8Slot{-1.5e-300}, -1.5e-300},
		{"float8 NaN", pgtype.Float8OID, float8Slot{math.NaN()}, math.NaN()},
		{"float8 -Inf", pgtype.Float8OID, float8Slot{math.Inf(-1)}, math.Inf(-1)},
		{"bool true", pgtype.BoolOID, boolSlot{true}, true},
		{"bool false", pgtype.BoolOID, boolSlot{false}, false},
		{"date 2000", pgtype.DateOID, dateSlot{pgEpochDays}, time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"date 1969", pgtype.DateOID, dateSlot{-1}, time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC)},
		{"date 0001", pgtype.DateOID, dateSlot{days(time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC))}, time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"date 9999", pgtype.DateOID, dateSlot{days(time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC))}, time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)},
		{"timestamptz", pgtype.TimestamptzOID, timestampSlot{t2024.UnixMicro()}, t2024},
		{"timestamptz 1900", pgtype.TimestamptzOID, timestampSlot{time.Date(1900, 2, 3, 4, 5, 6, 7000, time.UTC).UnixMicro()}, time.Date(1900, 2, 3, 4, 5, 6, 7000, time.UTC)},
		{"text", pgtype.TextOID, textSlot{"héllo"}, "héllo"},
		{"text empty", pgtype.TextOID, textSlot{""}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want, err := m.Encode(tc.oid, pgtype.BinaryFormatCode, tc.pgx, nil)
			if err != nil {
				t.Fatal(err)
			}
			got := tc.slot.appendBinary([]byte{0xAA})
			if got[0] != 0xAA {
				t.Fatal("appendBinary overwrote the buffer")
			}
			if n := int(binary.BigEndian.Uint32(got[1:5])); n != len(got)-5 {
				t.Fatalf("length prefix %d, field holds %d bytes", n, len(got)-5)
			}
			if !bytes.Equal(got[5:], want) {
				t.Errorf("got % x, pgx encodes % x", got[5:], want)
			}
		})
	}
	for _, text := range []string{
		"0", "0.00", "12.50", "-0.01", "12345678901234.56", "10000", "-10000.0000", "0.0001", "0.00000001", "1.10001",
		"99999999999999999999999999999999999999", "-123456789012345678901234567890123456.78",
		"0." + strings.Repeat("0", 37) + "1", strings.Repeat("9", 76), "-" + strings.Repeat("1", 38) + "." + strings.Repeat("2", 38),
		"9223372036854775807", "-9223372036854775808.00", "-922337203685477.5808", "18446744073.709551615", "0.5", "-0.00001", "100000000",
		"12.345", "1234567.891", "0.000000000000000001",
	} {
		// pgx encodes NUMERIC with leading and trailing zero digits, which
		// the server strips; appendNumeric writes what the server's own
		// numeric_send does. Both must decode to the same value and scale.
		t.Run("numeric "+text, func(t *testing.T) {
			got := appendNumeric([]byte{0xAA}, []byte(text))
			if n := int(binary.BigEndian.Uint32(got[1:5])); n != len(got)-5 {
				t.Fatalf("length prefix %d, field holds %d bytes", n, len(got)-5)
			}
			var back pgtype.Numeric
			if err := m.Scan(pgtype.NumericOID, pgtype.BinaryFormatCode, got[5:], &back); err != nil {
				t.Fatal(err)
			}
			want, _ := new(big.Rat).SetString(text)
			value := new(big.Rat).SetInt(back.Int)
			scale := new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(max(back.Exp, -back.Exp))), nil))
			if back.Exp < 0 {
				value.Quo(value, scale)
			} else {
				value.Mul(value, scale)
			}
			if value.Cmp(want) != 0 {
				t.Errorf("% x decodes to %s, want %s", got[5:], value.FloatString(40), text)
			}
			_, frac, _ := strings.Cut(text, ".")
			if dscale := binary.BigEndian.Uint16(got[11:13]); int(dscale) != len(frac) {
				t.Errorf("display scale %d, want %d", dscale, len(frac))
			}
			digits := got[13:]
			if nd := int(binary.BigEndian.Uint16(got[5:7])); nd > 0 && (bytes.Equal(digits[:2], []byte{0, 0}) || bytes.Equal(digits[2*nd-2:], []byte{0, 0})) {
				t.Errorf("% x has a leading or trailing zero digit", got[5:])
			}
			// The integer path writes the same bytes for what fits an int64.
			if unscaled, ok := new(big.Int).SetString(strings.Replace(text, ".", "", 1), 10); ok && unscaled.IsInt64() {
				fast, ok := appendNumericInt([]byte{0xAA}, unscaled.Int64(), len(frac))
				if ok && !bytes.Equal(fast, got) {
					t.Errorf("appendNumericInt(%d, %d) = % x, appendNumeric = % x", unscaled, len(frac), fast[1:], got[1:])
				}
			}
		})
	}
	t.Run("jsonb", func(t *testing.T) {
		want, err := m.Encode(pgtype.JSONBOID, pgtype.BinaryFormatCode, `{"a":1}`, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendJSONB(nil, `{"a":1}`); !bytes.Equal(got[4:], want) {
			t.Errorf("got % x, pgx encodes % x", got[4:], want)
		}
	})
}

func TestBinaryEncodingNeverWrapsAroundIntoValidValues(t *testing.T) {
	for _, tc := range []struct {
		slot binarySlot
		want int64
	}{
		{dateSlot{math.MinInt32}, math.MinInt32 + 1},
		{dateSlot{math.MaxInt64}, math.MinInt32 + 1},
		{dateSlot{math.MaxInt32 + pgEpochDays}, math.MinInt32 + 1},
		{timestampSlot{math.MinInt64}, math.MinInt64 + 1},
		{timestampSlot{math.MinInt64 + pgEpochMicros}, math.MinInt64 + 1},
	} {
		t.Run(fmt.Sprintf("%#v", tc.slot), func(t *testing.T) {
			b := tc.slot.appendBinary(nil)[4:]
			var got int64
			if len(b) == 4 {
				got = int64(int32(binary.BigEndian.Uint32(b)))
			} else {
				got = int64(binary.BigEndian.Uint64(b))
			}
			if got != tc.want {
				t.Errorf("encoded %d, want %d (out of range for the server)", got, tc.want)
			}
		})
	}
}

func TestCleanText(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain", "plain"},
		{"", ""},
		{"ünïcode 🎉", "ünïcode 🎉"},
		{"a\x00b\x00", "a\uFFFDb\uFFFD"},
		{"bad\xffbyte", "bad\uFFFDbyte"},
		{"\xc3", "\uFFFD"},
		{"\x00\xff", "\uFFFD\uFFFD"},
	} {
		if got := cleanText(tc.in); got != tc.want {
			t.Errorf("cleanText(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
