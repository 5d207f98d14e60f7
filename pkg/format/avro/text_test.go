package avro

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/filedge/filedge/pkg/format"
)

func TestDateRangeIsTheRangeRecordReads(t *testing.T) {
	first := time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC).Unix() / 86400
	last := time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC).Unix() / 86400
	if minDay != first || maxDay != last {
		t.Errorf("minDay, maxDay = %d, %d; want %d, %d", minDay, maxDay, first, last)
	}
}

// TestAppendDateMatchesTime compares appendDate with the time package over
// the whole range a Date column holds and beyond it.
func TestAppendDateMatchesTime(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	days := []int64{minDay, maxDay, 0, -1, 1, 11016, -141427, 59, 60, 365, 10957}
	for range 20000 {
		days = append(days, rng.Int64N(maxDay-minDay+1)+minDay)
	}
	for _, d := range days {
		want := time.Unix(d*86400, 0).UTC().Format("2006-01-02")
		if got := string(appendDate(nil, d)); got != want {
			t.Fatalf("appendDate(%d) = %s, want %s", d, got, want)
		}
	}
	if got := string(appendDate(nil, maxDay+1)); got != "10000-01-01" {
		t.Errorf("the day after 9999-12-31 is %s", got)
	}
	if got := string(appendDate(nil, minDay-1)); got != "0000-12-31" {
		t.Errorf("the day before 0001-01-01 is %s", got)
	}
}

// TestAppendTimestampMatchesTimestampCell compares appendTimestamp, in
// every unit, with format.TimestampCell of the same instant.
func TestAppendTimestampMatchesTimestampCell(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const firstUs, lastUs = -62135596800000000, 253402300799999999
	units := []struct {
		unit int
		per  int64 // microseconds per unit, or -1000 for nanoseconds
	}{{millis, 1000}, {micros, 1}, {nanos, -1000}}
	for _, u := range units {
		values := []int64{0, -1, 1, 999, 1000, -999, -1000, 1e6, -1e6}
		for range 20000 {
			us := rng.Int64N(lastUs-firstUs) + firstUs
			switch {
			case u.per > 0:
				values = append(values, us/u.per)
			case us > math.MinInt64/1000 && us < math.MaxInt64/1000:
				values = append(values, us*1000+rng.Int64N(1000))
			}
		}
		for _, v := range values {
			var at time.Time
			switch u.unit {
			case millis:
				at = time.UnixMilli(v)
			case micros:
				at = time.UnixMicro(v)
			default:
				at = time.Unix(0, v).Truncate(time.Microsecond)
				if at.UnixNano() > v {
					at = at.Add(-time.Microsecond)
				}
			}
			want := format.TimestampCell(at).Text
			if got := string(appendTimestamp(nil, v, u.unit)); got != want {
				t.Fatalf("appendTimestamp(%d, %s) = %s, want %s", v, unitNames[u.unit], got, want)
			}
		}
	}
}

func TestAppendTime(t *testing.T) {
	tests := []struct {
		v    int64
		unit int
		want string
	}{
		{0, millis, "00:00:00.000"},
		{45296789, millis, "12:34:56.789"},
		{86399999, millis, "23:59:59.999"},
		{86400000, millis, "24:00:00.000"},
		{-1, millis, "-00:00:00.001"},
		{45296789012, micros, "12:34:56.789012"},
		{math.MinInt64, micros, "-2562047788:00:54.775808"},
	}
	for _, tt := range tests {
		if got := string(appendTime(nil, tt.v, tt.unit)); got != tt.want {
			t.Errorf("appendTime(%d, %s) = %s, want %s", tt.v, unitNames[tt.unit], got, tt.want)
		}
	}
}

// TestAppendDecimalMatchesBigRat compares appendDecimal with math/big
// over random two's-complement values of every length up to 40 bytes.
func TestAppendDecimalMatchesBigRat(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	cases := [][]byte{{}, {0}, {0xff}, {0x80}, {0x7f}, {0, 0x80}, {0xff, 0x7f}, {0x80, 0, 0, 0, 0, 0, 0, 0}}
	for range 5000 {
		b := make([]byte, rng.IntN(41))
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		cases = append(cases, b)
	}
	for _, b := range cases {
		for _, scale := range []int{0, 1, 2, 10, 45} {
			unscaled := new(big.Int).SetBytes(b)
			if len(b) > 0 && b[0]&0x80 != 0 {
				unscaled.Sub(unscaled, new(big.Int).Lsh(big.NewInt(1), uint(8*len(b))))
			}
			want := new(big.Rat).SetFrac(unscaled, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale)), nil)).FloatString(scale)
			if got := string(appendDecimal(nil, b, scale)); got != want {
				t.Fatalf("appendDecimal(%x, %d) = %s, want %s", b, scale, got, want)
			}
		}
	}
}
