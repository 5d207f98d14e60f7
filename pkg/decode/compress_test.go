package decode

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestWalkDecompressesByExtension(t *testing.T) {
	hello := fixture(t, "hello.csv")
	text := csvText(300 << 10)
	tests := []struct {
		name     string
		data     []byte
		want     []byte
		wantName string
	}{
		{"data/a.csv.gz", gz(t, text), text, "data/a.csv"},
		{"a.csv.GZIP", gz(t, text), text, "a.csv"},
		{"a.csv.bz2", fixture(t, "hello.csv.bz2"), hello, "a.csv"},
		{"a.csv.zst", zst(t, text), text, "a.csv"},
		{"a.csv.zstd", zst(t, text), text, "a.csv"},
		{"a.csv.xz", xzc(t, text), text, "a.csv"},
		{"a.json.xz", fixture(t, "seq-sha256.txt.xz"), seqText(), "a.json"},
		{"two gzip members.csv.gz", append(gz(t, text[:1000]), gz(t, text[1000:])...), text, "two gzip members.csv"},
		{"two bzip2 streams.csv.bz2", fixture(t, "twice.csv.bz2"), append(append([]byte{}, hello...), hello...), "two bzip2 streams.csv"},
		{"stacked.csv.gz.gz", gz(t, gz(t, text)), text, "stacked.csv"},
		{"empty.csv.gz", gz(t, nil), []byte{}, "empty.csv"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, inPlace := range []bool{false, true} {
				l := walk(t, tt.name, tt.data, inPlace, Options{}).only(t)
				if !bytes.Equal(l.Data, tt.want) {
					t.Errorf("in place %v: got %d bytes, want %d", inPlace, len(l.Data), len(tt.want))
				}
				if l.Path != tt.name || l.Name != tt.wantName {
					t.Errorf("path %q name %q, want %q and %q", l.Path, l.Name, tt.name, tt.wantName)
				}
				if l.HasAt {
					t.Error("a decompressed leaf has a ReaderAt")
				}
			}
		})
	}
}

// seqText is the content of the seq-*.txt.xz fixtures: seq 1 20000.
func seqText() []byte {
	var b strings.Builder
	for i := 1; i <= 20000; i++ {
		b.WriteString(itoa(i))
		b.WriteByte('\n')
	}
	return []byte(b.String())
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var d []byte
	for ; i > 0; i /= 10 {
		d = append([]byte{byte('0' + i%10)}, d...)
	}
	return string(d)
}

func TestWalkDecompressesByMagicBytes(t *testing.T) {
	text := csvText(100 << 10)
	for codec, data := range map[string][]byte{
		"gzip":  gz(t, text),
		"bzip2": fixture(t, "hello.csv.bz2"),
		"zstd":  zst(t, text),
		"xz":    xzc(t, text),
	} {
		t.Run(codec, func(t *testing.T) {
			want := text
			if codec == "bzip2" {
				want = fixture(t, "hello.csv")
			}
			l := walk(t, "export/no-suffix.csv", data, false, Options{}).only(t)
			if !bytes.Equal(l.Data, want) {
				t.Errorf("got %q..., want the decompressed text", l.Data[:min(len(l.Data), 20)])
			}
			if l.Name != "export/no-suffix.csv" {
				t.Errorf("name %q, want it unchanged", l.Name)
			}
		})
	}
}

func TestWalkForcedCompression(t *testing.T) {
	text := csvText(10 << 10)
	tests := []struct {
		name, compression string
		data, want        []byte
		wantName          string
	}{
		{"a.csv", "gzip", gz(t, text), text, "a.csv"},
		{"a.csv.gz", "gzip", gz(t, text), text, "a.csv"},
		{"a.dat", "zstd", zst(t, text), text, "a.dat"},
		{"misnamed.csv.bz2", "gzip", gz(t, text), text, "misnamed.csv"},
		{"a.tgz", "zstd", zst(t, makeTar(t, entry{name: "x.csv", data: text})), text, "a.tgz!/x.csv"},
		{"none reads a gzip file as stored", "none", gz(t, text), gz(t, text), "none reads a gzip file as stored"},
		{"a.csv.gz", "none", gz(t, text), gz(t, text), "a.csv.gz"},
		{"a.csv.xz", "none", xzc(t, text), xzc(t, text), "a.csv.xz"},
	}
	for _, tt := range tests {
		t.Run(tt.name+" as "+tt.compression, func(t *testing.T) {
			l := walk(t, tt.name, tt.data, false, Options{Compression: tt.compression}).only(t)
			if strings.Contains(tt.wantName, "!/") && l.Path != tt.wantName {
				t.Errorf("path %q, want %q", l.Path, tt.wantName)
			}
			if !bytes.Equal(l.Data, tt.want) || l.Name != tt.wantName {
				t.Errorf("got %d bytes named %q, want %d named %q", len(l.Data), l.Name, len(tt.want), tt.wantName)
			}
		})
	}
}

func TestWalkPeelsAtMostThreeCompressions(t *testing.T) {
	text := []byte("a,b\n")
	l := walk(t, "a.csv.gz.gz.gz", gz(t, gz(t, gz(t, text))), false, Options{}).only(t)
	if !bytes.Equal(l.Data, text) || l.Name != "a.csv" {
		t.Errorf("three layers: %q named %q", l.Data, l.Name)
	}
	err := walk(t, "a.csv.gz.gz.gz.gz", gz(t, gz(t, gz(t, gz(t, text)))), false, Options{}).firstErr()
	if !errors.Is(err, ErrUnsupported) || !IsPermanent(err) {
		t.Errorf("four layers: %v, want ErrUnsupported", err)
	}
}

func TestWalkCompressionNoneLeavesMembersAlone(t *testing.T) {
	inner := gz(t, []byte("a,b\n1,2\n"))
	res := walk(t, "a.zip", makeZip(t, entry{name: "x.csv.gz", data: inner}), true, Options{Compression: "none"})
	l := res.only(t)
	if !bytes.Equal(l.Data, inner) || l.Name != "a.zip!/x.csv.gz" {
		t.Errorf("got %q named %q, want the member as stored", l.Data, l.Name)
	}
}

func TestWalkRejectsUnknownCompression(t *testing.T) {
	res := walk(t, "a.csv", []byte("x"), false, Options{Compression: "lz4"})
	if !errors.Is(res.Err, ErrUnknownCompression) || !IsPermanent(res.Err) {
		t.Fatalf("error %v, want a permanent ErrUnknownCompression", res.Err)
	}
	if !strings.Contains(res.Err.Error(), "lz4") || !strings.Contains(res.Err.Error(), "zstd") {
		t.Errorf("error %q should name the setting and the known codecs", res.Err)
	}
	if err := (Options{Compression: "lz4"}).Validate(); !errors.Is(err, ErrUnknownCompression) {
		t.Errorf("Validate: %v, want ErrUnknownCompression", err)
	}
	for _, c := range Compressions() {
		if err := (Options{Compression: c}).Validate(); err != nil {
			t.Errorf("Validate(%q): %v", c, err)
		}
	}
}

// TestWalkCorruptStreamsFailPermanently proves a damaged or cut stream is a
// *FileError naming the file, whether it fails at its header (from Walk)
// or in the middle (from the leaf's reader).
func TestWalkCorruptStreamsFailPermanently(t *testing.T) {
	text := csvText(200 << 10)
	cut := func(b []byte) []byte { return b[:len(b)/2] }
	flip := func(b []byte) []byte {
		c := bytes.Clone(b)
		for i := len(c) / 3; i < len(c)/3+64; i++ {
			c[i] ^= 0x5a
		}
		return c
	}
	tests := []struct {
		name string
		data []byte
	}{
		{"cut.csv.gz", cut(gz(t, text))},
		{"flipped.csv.gz", flip(gz(t, text))},
		{"not gzip.csv.gz", []byte("id,name\n1,x\n")},
		{"trailing garbage.csv.gz", append(gz(t, text), "garbage"...)},
		{"cut.csv.bz2", cut(fixture(t, "hello.csv.bz2"))},
		{"not bzip2.csv.bz2", []byte("BZh9 but not really")},
		{"cut.csv.zst", cut(zst(t, text))},
		{"flipped.csv.zst", flip(zst(t, text))},
		{"cut.csv.xz", cut(xzc(t, text))},
		{"flipped.csv.xz", flip(xzc(t, text))},
		{"forced gzip on zstd.csv", zst(t, text)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := Options{}
			if strings.HasPrefix(tt.name, "forced") {
				opts.Compression = "gzip"
			}
			err := walk(t, tt.name, tt.data, false, opts).firstErr()
			var fe *FileError
			if !errors.As(err, &fe) || !errors.Is(err, ErrCorrupt) || !IsPermanent(err) {
				t.Fatalf("error %v, want a permanent *FileError wrapping ErrCorrupt", err)
			}
			if fe.File != tt.name {
				t.Errorf("error names %q, want %q", fe.File, tt.name)
			}
		})
	}
}

func TestWalkPlainFileKeepsRandomAccess(t *testing.T) {
	text := csvText(200 << 10)
	l := walk(t, "in/a.parquet", text, true, Options{}).only(t)
	if !l.HasAt || !bytes.Equal(l.AtData, text) || !bytes.Equal(l.Data, text) {
		t.Fatalf("ReaderAt %v, stream %d bytes, random access %d bytes; want both whole", l.HasAt, len(l.Data), len(l.AtData))
	}
	if l.Path != "in/a.parquet" || l.Name != "in/a.parquet" {
		t.Errorf("path %q name %q", l.Path, l.Name)
	}
	if s := walk(t, "in/a.parquet", text, false, Options{}).only(t); s.HasAt {
		t.Error("a stream without ReaderAt got one")
	}
}

func TestWalkReadsXzAsTheXzToolWritesIt(t *testing.T) {
	want := seqText()
	for _, name := range []string{"seq-none.txt.xz", "seq-crc32.txt.xz", "seq-crc64.txt.xz", "seq-sha256.txt.xz", "seq-blocks.txt.xz", "seq-streams.txt.xz", "seq-bigdict.txt.xz"} {
		t.Run(name, func(t *testing.T) {
			l := walk(t, name, fixture(t, name), false, Options{}).only(t)
			w := want
			if name == "seq-streams.txt.xz" {
				w = append(append([]byte{}, want...), want...)
			}
			if !bytes.Equal(l.Data, w) {
				t.Errorf("got %d bytes, want %d", len(l.Data), len(w))
			}
		})
	}
}

// TestWalkRefusesAnXzDictionaryOverTheSpoolCap proves the xz library never
// gets to allocate a dictionary larger than max_spool_bytes.
func TestWalkRefusesAnXzDictionaryOverTheSpoolCap(t *testing.T) {
	err := walk(t, "big.txt.xz", fixture(t, "seq-bigdict.txt.xz"), false, Options{Limits: Limits{MaxSpoolBytes: 64 << 20}}).firstErr()
	var le *LimitError
	if !errors.As(err, &le) || le.Limit != "max_spool_bytes" || le.File != "big.txt.xz" {
		t.Fatalf("error %v, want a max_spool_bytes *LimitError naming big.txt.xz", err)
	}
	if !strings.Contains(err.Error(), "192 MiB") {
		t.Errorf("error %q should say how large a dictionary was asked", err)
	}
}

func TestWalkRefusesAZstdWindowOverTheSpoolCap(t *testing.T) {
	// A frame header asking for a 512 MiB window (window descriptor 0x98:
	// exponent 19, mantissa 0: 1 << (10+19)), then an empty last block.
	frame := []byte{0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x98, 0x01, 0x00, 0x00}
	err := walk(t, "big.csv.zst", frame, false, Options{Limits: Limits{MaxSpoolBytes: 64 << 20}}).firstErr()
	if !IsPermanent(err) {
		t.Fatalf("error %v, want a permanent error", err)
	}
	var le *LimitError
	if !errors.As(err, &le) || le.Limit != "max_spool_bytes" {
		t.Errorf("error %v, want a max_spool_bytes *LimitError", err)
	}
}

func TestCodecByName(t *testing.T) {
	tests := []struct{ name, codec, rest string }{
		{"a.csv.gz", "gzip", "a.csv"},
		{"A.CSV.GZ", "gzip", "A.CSV"},
		{"a.tgz", "gzip", "a.tar"},
		{"a.tar.bz2", "bzip2", "a.tar"},
		{"a.tbz2", "bzip2", "a.tar"},
		{"a.txz", "xz", "a.tar"},
		{"a.tzst", "zstd", "a.tar"},
		{"a.csv", "", "a.csv"},
		{".gz", "", ".gz"},
		{"a.gzx", "", "a.gzx"},
	}
	for _, tt := range tests {
		c, rest := codecByName(tt.name)
		name := ""
		if c != nil {
			name = c.name
		}
		if name != tt.codec || rest != tt.rest {
			t.Errorf("codecByName(%q) = %q, %q; want %q, %q", tt.name, name, rest, tt.codec, tt.rest)
		}
	}
}

func TestMagicsRejectLookalikeText(t *testing.T) {
	for _, head := range []string{"BZh9,name\n1,2\n", "BZh91AY&SX", "\x1f\x8b", "(\xb5/", "\xfd7zXZ"} {
		if c := codecByMagic([]byte(head)); c != nil {
			t.Errorf("%q sniffed as %s", head, c.name)
		}
	}
}
