package decode

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"encoding/binary"
	"errors"
	"io/fs"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func TestWalkReadsZipMembers(t *testing.T) {
	a, b, c := []byte("a,b\n1,2\n"), csvText(50<<10), []byte(`{"k":"ü"}`+"\n")
	archive := makeZip(t,
		entry{name: "top.csv", data: a},
		entry{name: "dir/", stored: true},
		entry{name: "dir/sub/deep.csv", data: b, stored: true},
		entry{name: "dir/données ☃.json", data: c},
		entry{name: "../evil.csv", data: a},
		entry{name: "/abs/x.csv", data: a},
		entry{name: "./dot.csv", data: a},
		entry{name: "link.csv", data: []byte("top.csv"), mode: fs.ModeSymlink | 0o777},
	)
	for _, inPlace := range []bool{true, false} {
		res := walk(t, "in/bundle.zip", archive, inPlace, Options{})
		if res.Err != nil {
			t.Fatal(res.Err)
		}
		want := []struct {
			path  string
			data  []byte
			hasAt bool
		}{
			{"in/bundle.zip!/top.csv", a, false},
			{"in/bundle.zip!/dir/sub/deep.csv", b, true},
			{"in/bundle.zip!/dir/données ☃.json", c, false},
			{"in/bundle.zip!/../evil.csv", a, false},
			{"in/bundle.zip!/abs/x.csv", a, false},
			{"in/bundle.zip!/dot.csv", a, false},
		}
		if len(res.Leaves) != len(want) {
			t.Fatalf("in place %v: leaves %q", inPlace, res.paths())
		}
		for i, w := range want {
			l := res.Leaves[i]
			if l.Path != w.path || l.Name != w.path || !bytes.Equal(l.Data, w.data) || l.ReadErr != nil {
				t.Errorf("leaf %d: %q (name %q, %d bytes, %v), want %q (%d bytes)", i, l.Path, l.Name, len(l.Data), l.ReadErr, w.path, len(w.data))
			}
			if l.HasAt != w.hasAt {
				t.Errorf("%s: ReaderAt %v, want %v (stored members only)", l.Path, l.HasAt, w.hasAt)
			}
			if l.HasAt && !bytes.Equal(l.AtData, w.data) {
				t.Errorf("%s: ReaderAt reads %d bytes, want the member's %d", l.Path, len(l.AtData), len(w.data))
			}
		}
		wantSkipped := map[string]string{"in/bundle.zip!/dir/": "a folder", "in/bundle.zip!/link.csv": "a link"}
		if !equalMaps(res.Skipped, wantSkipped) {
			t.Errorf("skipped %v, want %v", res.Skipped, wantSkipped)
		}
	}
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestWalkFiltersMembersByArchivePattern(t *testing.T) {
	archive := makeZip(t,
		entry{name: "a.json", data: []byte("{}")},
		entry{name: "b.csv", data: []byte("x")},
		entry{name: "dir/c.json", data: []byte("[]")},
		entry{name: "inner.zip", data: makeZip(t, entry{name: "d.json", data: []byte("{}")}, entry{name: "e.csv", data: []byte("y")})},
	)
	res := walk(t, "x.zip", archive, true, Options{ArchivePattern: regexp.MustCompile(`.*\.json$`)})
	want := []string{"x.zip!/a.json", "x.zip!/dir/c.json", "x.zip!/inner.zip!/d.json"}
	if res.Err != nil || !slices.Equal(res.paths(), want) {
		t.Fatalf("leaves %q (%v), want %q", res.paths(), res.Err, want)
	}
	for _, p := range []string{"x.zip!/b.csv", "x.zip!/inner.zip!/e.csv"} {
		if !strings.Contains(res.Skipped[p], "archive_pattern") {
			t.Errorf("%s: skipped %q, want a reason naming archive_pattern", p, res.Skipped[p])
		}
	}
	// The pattern sees a nested member as "inner.zip!/d.json".
	res = walk(t, "x.zip", archive, true, Options{ArchivePattern: regexp.MustCompile(`^inner\.zip!/`)})
	if want := []string{"x.zip!/inner.zip!/d.json", "x.zip!/inner.zip!/e.csv"}; !slices.Equal(res.paths(), want) {
		t.Errorf("leaves %q, want %q", res.paths(), want)
	}
}

func TestWalkOpensNestedArchivesOneLevelDeep(t *testing.T) {
	c := []byte("c,d\n3,4\n")
	deepest := makeZip(t, entry{name: "z.csv", data: c})
	inner := makeZip(t, entry{name: "c.csv", data: c}, entry{name: "deeper.zip", data: deepest})
	innerTar := makeTar(t, entry{name: "t.csv", data: c})
	outer := makeZip(t,
		entry{name: "b.zip", data: inner, stored: true},
		entry{name: "b2.zip", data: inner},
		entry{name: "t.tar.gz", data: gz(t, innerTar)},
	)
	for _, inPlace := range []bool{true, false} {
		res := walk(t, "a.zip", outer, inPlace, Options{})
		want := []string{"a.zip!/b.zip!/c.csv", "a.zip!/b2.zip!/c.csv", "a.zip!/t.tar.gz!/t.csv"}
		if res.Err != nil || !slices.Equal(res.paths(), want) {
			t.Fatalf("leaves %q (%v), want %q", res.paths(), res.Err, want)
		}
		for _, l := range res.Leaves {
			if !bytes.Equal(l.Data, c) {
				t.Errorf("%s: %q", l.Path, l.Data)
			}
		}
		for _, p := range []string{"a.zip!/b.zip!/deeper.zip", "a.zip!/b2.zip!/deeper.zip"} {
			if !strings.Contains(res.Skipped[p], "nested") {
				t.Errorf("%s: skipped %q, want it reported as nested too deep", p, res.Skipped[p])
			}
		}
	}
}

func TestWalkReadsTarArchives(t *testing.T) {
	a, b := csvText(20<<10), []byte("x,y\n1,2\n")
	archive := makeTar(t,
		entry{name: "dir/", kind: tar.TypeDir},
		entry{name: "dir/a.csv", data: a},
		entry{name: "/abs/b.csv", data: b},
		entry{name: "../up.csv", data: b},
		entry{name: "dir/link.csv", kind: tar.TypeSymlink},
		entry{name: "dir/hard.csv", kind: tar.TypeLink},
		entry{name: "dev", kind: tar.TypeChar},
		entry{name: "fifo", kind: tar.TypeFifo},
		entry{name: "x.csv.gz", data: gz(t, b)},
		entry{name: "y.csv.zst", data: zst(t, b)},
	)
	tests := []struct {
		name string
		data []byte
	}{
		{"in/a.tar", archive},
		{"in/a.tar.gz", gz(t, archive)},
		{"in/a.tgz", gz(t, archive)},
		{"in/a.tar.zst", zst(t, archive)},
		{"in/a.tzst", zst(t, archive)},
		{"in/a.tar.xz", xzc(t, archive)},
		{"in/a.txz", xzc(t, archive)},
		{"in/backup", gz(t, archive)}, // gzip and tar found by their first bytes
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := walk(t, tt.name, tt.data, false, Options{})
			if res.Err != nil {
				t.Fatal(res.Err)
			}
			p := tt.name + "!/"
			want := []got{
				{Path: p + "dir/a.csv", Name: p + "dir/a.csv", Data: a},
				{Path: p + "abs/b.csv", Name: p + "abs/b.csv", Data: b},
				{Path: p + "../up.csv", Name: p + "../up.csv", Data: b},
				{Path: p + "x.csv.gz", Name: p + "x.csv", Data: b},
				{Path: p + "y.csv.zst", Name: p + "y.csv", Data: b},
			}
			if len(res.Leaves) != len(want) {
				t.Fatalf("leaves %q", res.paths())
			}
			for i, w := range want {
				l := res.Leaves[i]
				if l.Path != w.Path || l.Name != w.Name || !bytes.Equal(l.Data, w.Data) || l.ReadErr != nil || l.HasAt {
					t.Errorf("leaf %q name %q (%d bytes, %v, at %v), want %q name %q (%d bytes)", l.Path, l.Name, len(l.Data), l.ReadErr, l.HasAt, w.Path, w.Name, len(w.Data))
				}
			}
			wantSkipped := map[string]string{
				p + "dir/": "a folder", p + "dir/link.csv": "a link", p + "dir/hard.csv": "a link",
				p + "dev": "a device or special file", p + "fifo": "a device or special file",
			}
			if !equalMaps(res.Skipped, wantSkipped) {
				t.Errorf("skipped %v, want %v", res.Skipped, wantSkipped)
			}
		})
	}
}

func TestWalkReadsTarMadeByTheTarTool(t *testing.T) {
	hello := fixture(t, "hello.csv")
	res := walk(t, "hello.tar.bz2", fixture(t, "hello.tar.bz2"), true, Options{})
	if want := []string{"hello.tar.bz2!/dir/a.csv", "hello.tar.bz2!/b.csv"}; res.Err != nil || !slices.Equal(res.paths(), want) {
		t.Fatalf("leaves %q (%v), want %q", res.paths(), res.Err, want)
	}
	for _, l := range res.Leaves {
		if !bytes.Equal(l.Data, hello) {
			t.Errorf("%s: %q", l.Path, l.Data)
		}
	}
}

func TestWalkSkipsSparseTarMembers(t *testing.T) {
	// A PAX sparse file (GNU 1.0 format): a 1 TiB file of one hole and one
	// byte of data, in 1 KiB of tar.
	var b bytes.Buffer
	pax := paxRecord("GNU.sparse.major", "1") + paxRecord("GNU.sparse.minor", "0") +
		paxRecord("GNU.sparse.name", "hole.csv") + paxRecord("GNU.sparse.realsize", "1099511627776")
	b.Write(tarBlock("PaxHeaders/hole", tar.TypeXHeader, len(pax)))
	b.Write(tarPad([]byte(pax)))
	b.Write(tarBlock("GNUSparseFile.0/hole.csv", tar.TypeReg, 513))
	b.Write(tarPad([]byte("1\n1099511627775\n1\n")))
	b.Write(tarPad([]byte("x")))
	b.Write(makeTar(t, entry{name: "ok.csv", data: []byte("1\n")}))
	res := walk(t, "s.tar", b.Bytes(), false, Options{})
	if res.Err != nil || !slices.Equal(res.paths(), []string{"s.tar!/ok.csv"}) {
		t.Fatalf("leaves %q (%v), want only ok.csv", res.paths(), res.Err)
	}
	if res.Skipped["s.tar!/hole.csv"] != "a sparse file" {
		t.Errorf("skipped %v, want hole.csv as a sparse file", res.Skipped)
	}
}

func TestWalkSpoolsAZipInsideALayer(t *testing.T) {
	a := csvText(10 << 10)
	archive := makeZip(t, entry{name: "s.csv", data: a, stored: true}, entry{name: "d.csv", data: a})
	res := walk(t, "bundle.zip.gz", gz(t, archive), false, Options{})
	if res.Err != nil || !slices.Equal(res.paths(), []string{"bundle.zip.gz!/s.csv", "bundle.zip.gz!/d.csv"}) {
		t.Fatalf("leaves %q (%v)", res.paths(), res.Err)
	}
	if !res.Leaves[0].HasAt || !bytes.Equal(res.Leaves[0].AtData, a) {
		t.Error("a stored member of a zip held in memory has no ReaderAt")
	}
	// Over the spool cap: a clear limit, not a read into memory of it all.
	err := walk(t, "bundle.zip.gz", gz(t, archive), false, Options{Limits: Limits{MaxSpoolBytes: 4 << 10}}).firstErr()
	var le *LimitError
	if !errors.As(err, &le) || le.Limit != "max_spool_bytes" || le.File != "bundle.zip.gz" {
		t.Fatalf("error %v, want a max_spool_bytes *LimitError naming the file", err)
	}
}

func TestWalkCorruptArchivesFailPermanently(t *testing.T) {
	archive := makeZip(t, entry{name: "a.csv", data: csvText(100 << 10)})
	tarball := makeTar(t, entry{name: "a.csv", data: csvText(100 << 10)})
	badCRC := bytes.Clone(archive)
	// Flip a byte of the deflated data: the inflater or the CRC check fails.
	badCRC[200] ^= 0xff
	tests := []struct {
		name, file string
		data       []byte
	}{
		{"not a zip", "a.zip", []byte("PK but not really a zip at all")},
		{"a cut zip", "a.zip", archive[:len(archive)-30]},
		{"a damaged member", "a.zip", badCRC},
		{"a cut tar", "a.tar", tarball[:3000]},
		{"a tar header of garbage", "a.tar", bytes.Repeat([]byte("x"), 1024)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := walk(t, tt.file, tt.data, true, Options{}).firstErr()
			var fe *FileError
			if !errors.As(err, &fe) || !errors.Is(err, ErrCorrupt) || !strings.HasPrefix(fe.File, tt.file) {
				t.Fatalf("error %v, want a *FileError wrapping ErrCorrupt naming %s", err, tt.file)
			}
		})
	}
}

func TestWalkReadsEveryZipMethod(t *testing.T) {
	data := csvText(30 << 10)
	archive := makeZip(t,
		entry{name: "store.csv", data: data, stored: true},
		entry{name: "deflate.csv", data: data, method: zip.Deflate},
		entry{name: "zstd.csv", data: data, method: zipZstd},
		entry{name: "xz.csv", data: data, method: zipXz},
	)
	res := walk(t, "m.zip", archive, true, Options{})
	if res.Err != nil || len(res.Leaves) != 4 {
		t.Fatalf("leaves %q (%v)", res.paths(), res.Err)
	}
	for _, l := range res.Leaves {
		if !bytes.Equal(l.Data, data) || l.ReadErr != nil {
			t.Errorf("%s: %d bytes, %v", l.Path, len(l.Data), l.ReadErr)
		}
	}
}

func TestWalkRefusesZipMembersItCannotRead(t *testing.T) {
	archive := makeZip(t, entry{name: "a.csv", data: []byte("a\n1\n")})
	// The general purpose flag of the central directory entry: bit 0 is
	// encryption. Its method field follows it.
	cd := bytes.LastIndex(archive, []byte("PK\x01\x02"))
	encrypted := bytes.Clone(archive)
	binary.LittleEndian.PutUint16(encrypted[cd+8:], binary.LittleEndian.Uint16(encrypted[cd+8:])|1)
	deflate64 := bytes.Clone(archive)
	binary.LittleEndian.PutUint16(deflate64[cd+10:], 9)
	for name, data := range map[string][]byte{"encrypted": encrypted, "deflate64": deflate64} {
		t.Run(name, func(t *testing.T) {
			err := walk(t, "a.zip", data, true, Options{}).firstErr()
			var fe *FileError
			if !errors.As(err, &fe) || !errors.Is(err, ErrUnsupported) || fe.File != "a.zip!/a.csv" {
				t.Fatalf("error %v, want an ErrUnsupported *FileError naming the member", err)
			}
		})
	}
}

func TestWalkDecodesLegacyZipNames(t *testing.T) {
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	// "café.csv" in code page 437, without the UTF-8 flag.
	f, _ := w.CreateHeader(&zip.FileHeader{Name: "caf\x82.csv", NonUTF8: true})
	f.Write([]byte("x"))
	w.Close()
	res := walk(t, "old.zip", b.Bytes(), true, Options{})
	if want := []string{"old.zip!/café.csv"}; res.Err != nil || !slices.Equal(res.paths(), want) {
		t.Fatalf("leaves %q (%v), want %q", res.paths(), res.Err, want)
	}
}

func TestMemberName(t *testing.T) {
	for in, want := range map[string]string{
		"a.csv": "a.csv", "/a.csv": "a.csv", "//a/b.csv": "a/b.csv", "./a.csv": "a.csv", "././/x": "x",
		"../a.csv": "../a.csv", "/../../etc/passwd": "../../etc/passwd", "a/../../b": "a/../../b",
		`C:\x.csv`: `C:\x.csv`, "/": "/", "": "", "bad\xffname": "bad\uFFFDname",
	} {
		if got := memberName(in, false); got != want {
			t.Errorf("memberName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSpooledChunksReadLikeTheBytes(t *testing.T) {
	data := csvText(spoolChunk*2 + spoolChunk/2)
	w := &walker{lim: Limits{MaxSpoolBytes: 1 << 30}}
	c, err := w.spool(node{path: "x.zip", r: bytes.NewReader(data)})
	if err != nil {
		t.Fatal(err)
	}
	want := bytes.NewReader(data)
	for _, at := range []struct{ off, n int64 }{
		{0, 10}, {spoolChunk - 5, 10}, {spoolChunk, spoolChunk}, {spoolChunk - 1, spoolChunk + 2}, {int64(len(data)) - 3, 10}, {int64(len(data)), 1}, {0, int64(len(data))},
	} {
		got, exp := make([]byte, at.n), make([]byte, at.n)
		n1, err1 := c.ReadAt(got, at.off)
		n2, err2 := want.ReadAt(exp, at.off)
		if n1 != n2 || !bytes.Equal(got[:n1], exp[:n2]) || (err1 == nil) != (err2 == nil) {
			t.Errorf("ReadAt(%d bytes at %d) = %d, %v; bytes.Reader gives %d, %v", at.n, at.off, n1, err1, n2, err2)
		}
	}
}
