package decode

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"
)

// bombCheck runs a walk that must fail with a *LimitError of the given
// limit naming file (or a member of it), quickly and without taking
// memory.
func bombCheck(t *testing.T, name string, data []byte, inPlace bool, opts Options, limit, file string) {
	t.Helper()
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	var readErr error
	err := Walk(t.Context(), name, opener(data, inPlace), opts, func(ctx context.Context, l *Leaf) error {
		_, readErr = io.Copy(io.Discard, l.R)
		return readErr
	})
	took := time.Since(start)
	runtime.ReadMemStats(&after)
	var le *LimitError
	if !errors.As(err, &le) {
		t.Fatalf("error %v, want a *LimitError", err)
	}
	if le.Limit != limit || !strings.HasPrefix(le.File, file) || !IsPermanent(err) {
		t.Errorf("limit %q on %q, want %q on %q", le.Limit, le.File, limit, file)
	}
	if !strings.HasPrefix(err.Error(), le.File+": over the "+limit+" limit") {
		t.Errorf("message %q should start with the file and the limit", err)
	}
	t.Logf("%v in %v, %d KiB allocated", err, took, (after.TotalAlloc-before.TotalAlloc)>>10)
	if took > 5*time.Second {
		t.Errorf("took %v to fail, want it to fail fast", took)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<20 {
		t.Errorf("allocated %d MiB on the way, want memory bounded", alloc>>20)
	}
}

// TestWalkStopsZipBombs proves that archives and streams built to expand
// enormously (10 GiB of zeros in 10 MiB, nested archives, members that
// share their data) fail at once with a *LimitError naming the file.
func TestWalkStopsZipBombs(t *testing.T) {
	const tenGiB = 10 << 30
	raw := zeroStream(t, 10<<10) // 10 GiB of zeros, deflated
	t.Run("gzip of 10 GiB of zeros", func(t *testing.T) {
		bombCheck(t, "bomb.csv.gz", gzipOfRaw(raw, tenGiB), false, Options{}, "max_ratio", "bomb.csv.gz")
	})
	t.Run("zip member of 10 GiB of zeros, read in place", func(t *testing.T) {
		bombCheck(t, "bomb.zip", zipOfRaw(t, raw, tenGiB, "zeros.csv"), true, Options{}, "max_ratio", "bomb.zip!/zeros.csv")
	})
	t.Run("zip member of 10 GiB of zeros, streamed", func(t *testing.T) {
		bombCheck(t, "bomb.zip", zipOfRaw(t, raw, tenGiB, "zeros.csv"), false, Options{}, "max_ratio", "bomb.zip!/zeros.csv")
	})
	t.Run("tar.gz of 10 GiB of zeros", func(t *testing.T) {
		// A tar header that says 10 GiB of data, in one gzip member; the
		// zeros in the next.
		var stream bytes.Buffer
		stream.Write(gz(t, tarBlock("zeros.csv", '0', tenGiB)))
		stream.Write(gzipOfRaw(raw, tenGiB))
		bombCheck(t, "bomb.tar.gz", stream.Bytes(), false, Options{}, "max_ratio", "bomb.tar.gz")
	})
	t.Run("bzip2 of 64 MiB of zeros", func(t *testing.T) {
		bombCheck(t, "zeros.bin.bz2", fixture(t, "zeros.bin.bz2"), false, Options{}, "max_ratio", "zeros.bin.bz2")
	})
	t.Run("zstd of 64 MiB of zeros", func(t *testing.T) {
		bombCheck(t, "zeros.csv.zst", zst(t, make([]byte, 64<<20)), false, Options{}, "max_ratio", "zeros.csv.zst")
	})
	t.Run("xz of 4 MiB of zeros", func(t *testing.T) {
		bombCheck(t, "zeros.csv.xz", xzc(t, make([]byte, 4<<20)), false, Options{}, "max_ratio", "zeros.csv.xz")
	})
	t.Run("42.zip: zips of zips of 1 GiB members", func(t *testing.T) {
		gib := zeroStream(t, 1<<10)
		var names []string
		for i := range 4 {
			names = append(names, "part"+octal(i)+".csv")
		}
		inner := zipOfRaw(t, gib, 1<<30, names...)
		var entries []entry
		for i := range 4 {
			entries = append(entries, entry{name: "lib" + octal(i) + ".zip", data: inner})
		}
		outer := makeZip(t, entries...)
		bombCheck(t, "42.zip", outer, true, Options{}, "max_ratio", "42.zip!/lib0.zip")
	})
	t.Run("zip whose members overlap (each under the ratio, all far over)", func(t *testing.T) {
		// 64 MiB of zeros at a ratio of about 1011, listed 64 times over the
		// same stored bytes: with a cap of 1100, each member passes and the
		// file does not.
		data := overlappingZip(t, zeroStream(t, 64), 64<<20, 64)
		bombCheck(t, "overlap.zip", data, true, Options{Limits: Limits{MaxRatio: 1100}}, "max_ratio", "overlap.zip!/m.csv")
	})
	t.Run("max_decompressed_bytes with the ratio out of the way", func(t *testing.T) {
		bombCheck(t, "bomb.csv.gz", gzipOfRaw(raw, tenGiB), false,
			Options{Limits: Limits{MaxBytes: 64 << 20, MaxRatio: 1 << 40}}, "max_decompressed_bytes", "bomb.csv.gz")
	})
}

func octal(n int) string {
	if n == 0 {
		return "0"
	}
	var d []byte
	for ; n > 0; n /= 8 {
		d = append([]byte{byte('0' + n%8)}, d...)
	}
	return string(d)
}

// overlappingZip makes a zip whose n central directory entries all point
// at one member: the overlap of Fifield's "better zip bomb", simplified.
func overlappingZip(t *testing.T, raw []byte, size int64, n int) []byte {
	t.Helper()
	one := zipOfRaw(t, raw, size, "m.csv")
	cd := bytes.LastIndex(one, []byte("PK\x01\x02"))
	eocd := bytes.LastIndex(one, []byte("PK\x05\x06"))
	entry := one[cd:eocd]
	var b bytes.Buffer
	b.Write(one[:cd])
	for range n {
		b.Write(entry)
	}
	end := bytes.Clone(one[eocd:])
	binary.LittleEndian.PutUint16(end[8:], uint16(n))
	binary.LittleEndian.PutUint16(end[10:], uint16(n))
	binary.LittleEndian.PutUint32(end[12:], uint32(len(entry)*n))
	b.Write(end)
	return b.Bytes()
}

func TestWalkCapsArchiveMembers(t *testing.T) {
	var entries []entry
	for i := range 20 {
		entries = append(entries, entry{name: "m" + octal(i) + ".csv", data: []byte("x")})
	}
	opts := Options{Limits: Limits{MaxMembers: 10}}
	t.Run("zip", func(t *testing.T) {
		res := walk(t, "many.zip", makeZip(t, entries...), true, opts)
		var le *LimitError
		if !errors.As(res.Err, &le) || le.Limit != "max_members" || le.File != "many.zip" {
			t.Fatalf("error %v, want a max_members *LimitError", res.Err)
		}
		if len(res.Leaves) != 0 {
			t.Errorf("read %d members before failing; a zip's count is known up front", len(res.Leaves))
		}
	})
	t.Run("tar", func(t *testing.T) {
		res := walk(t, "many.tar", makeTar(t, entries...), false, opts)
		var le *LimitError
		if !errors.As(res.Err, &le) || le.Limit != "max_members" || le.File != "many.tar" {
			t.Fatalf("error %v, want a max_members *LimitError", res.Err)
		}
	})
	t.Run("nested archives count together", func(t *testing.T) {
		inner := makeZip(t, entries[:6]...)
		res := walk(t, "n.zip", makeZip(t, entry{name: "a.zip", data: inner}, entry{name: "b.zip", data: inner}), true, opts)
		var le *LimitError
		if !errors.As(res.Err, &le) || le.Limit != "max_members" {
			t.Fatalf("error %v, want a max_members *LimitError", res.Err)
		}
	})
}

// TestWalkLetsOrdinaryFilesThrough proves the limits do not bite files
// that are merely well compressed.
func TestWalkLetsOrdinaryFilesThrough(t *testing.T) {
	text := csvText(8 << 20)
	l := walk(t, "big.csv.gz", gz(t, text), false, Options{}).only(t)
	if len(l.Data) != len(text) {
		t.Fatalf("got %d bytes, want %d", len(l.Data), len(text))
	}
	// A zip of 100 stored members: ratio 1, far under every cap.
	var entries []entry
	for i := range 100 {
		entries = append(entries, entry{name: "m" + octal(i) + ".csv", data: text[:64<<10], stored: true})
	}
	res := walk(t, "many.zip", makeZip(t, entries...), true, Options{})
	if res.Err != nil || len(res.Leaves) != 100 {
		t.Fatalf("%d leaves, %v", len(res.Leaves), res.Err)
	}
}

func TestLimitsDefaults(t *testing.T) {
	l := Limits{}.withDefaults()
	if l.MaxBytes != DefaultMaxBytes || l.MaxRatio != DefaultMaxRatio || l.MaxMembers != DefaultMaxMembers || l.MaxSpoolBytes != DefaultMaxSpoolBytes {
		t.Errorf("defaults %+v", l)
	}
	set := Limits{MaxBytes: 1, MaxRatio: 2, MaxMembers: 3, MaxSpoolBytes: 4}
	if got := set.withDefaults(); got != set {
		t.Errorf("set limits changed: %+v", got)
	}
}

func TestSizeText(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1024: "1 KiB", 1536: "1.5 KiB", 64 << 30: "64 GiB", 512 << 20: "512 MiB"} {
		if got := sizeText(n); got != want {
			t.Errorf("sizeText(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestZipBombHelpersMakeWhatTheySay(t *testing.T) {
	// 3 MiB of zeros, through the same helpers the bombs use.
	raw := zeroStream(t, 3)
	l := walk(t, "z.gz", gzipOfRaw(raw, 3<<20), false, Options{Limits: Limits{MaxRatio: 1 << 40}}).Leaves[0]
	if len(l.Data) != 3<<20 || bytes.ContainsFunc(l.Data, func(r rune) bool { return r != 0 }) {
		t.Errorf("got %d bytes, want 3 MiB of zeros", len(l.Data))
	}
	res := walk(t, "z.zip", zipOfRaw(t, raw, 3<<20, "a"), true, Options{Limits: Limits{MaxRatio: 1 << 40}})
	if len(res.Leaves) != 1 || len(res.Leaves[0].Data) != 3<<20 {
		t.Errorf("zip: %v", res.paths())
	}
}

// stuck is a decoder that returns nothing, forever.
type stuck struct{}

func (stuck) Read([]byte) (int, error) { return 0, nil }

func TestLayerGivesUpOnADecoderThatMakesNoProgress(t *testing.T) {
	w := &walker{ctx: t.Context(), lim: Limits{}.withDefaults(), src: &source{}}
	l := &layer{w: w, path: "a.gz", what: "gzip stream", r: stuck{}, in: func() int64 { return 0 }}
	_, err := io.ReadAll(l)
	if !errors.Is(err, io.ErrNoProgress) || !errors.Is(err, ErrCorrupt) {
		t.Fatalf("error %v, want a corrupt stream that makes no progress", err)
	}
}
