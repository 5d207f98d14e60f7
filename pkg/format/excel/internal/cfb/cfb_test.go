package cfb_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/filedge/filedge/pkg/format/excel/internal/cfb"
	fx "github.com/filedge/filedge/pkg/format/excel/internal/fixture"
)

func content(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = seed + byte(i*7)
	}
	return b
}

func TestStreamsReadBackFromRegularAndMiniSectors(t *testing.T) {
	big, small, empty := content(10000, 1), content(700, 2), []byte{}
	file := fx.Compound(fx.Stream{Name: "Workbook", Data: big}, fx.Stream{Name: "Small", Data: small}, fx.Stream{Name: "Empty", Data: empty})
	f, err := cfb.Open(bytes.NewReader(file), int64(len(file)), 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string][]byte{"workbook": big, "SMALL": small, "Empty": empty} {
		s, ok, err := f.Find(name)
		if err != nil || !ok {
			t.Fatalf("Find(%q) = %v, %v", name, ok, err)
		}
		got, err := io.ReadAll(io.NewSectionReader(s, 0, s.Size()))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("stream %q: read %d bytes that differ from the %d written", name, len(got), len(want))
		}
		// Reads across sector boundaries at odd offsets.
		if len(want) > 600 {
			p := make([]byte, 100)
			if _, err := s.ReadAt(p, 500); err != nil || !bytes.Equal(p, want[500:600]) {
				t.Errorf("stream %q: ReadAt(100 bytes at 500) = %v", name, err)
			}
		}
	}
	if _, ok, _ := f.Find("Book"); ok {
		t.Error("found a stream that is not there")
	}
	if !f.Has("SMALL") || f.Has("nope") {
		t.Error("Has does not tell the streams")
	}
}

// damage returns a copy of file with edit applied.
func damage(file []byte, edit func(b []byte)) []byte {
	b := bytes.Clone(file)
	edit(b)
	return b
}

func TestDamagedFilesFailCleanly(t *testing.T) {
	file := fx.Compound(fx.Stream{Name: "Workbook", Data: content(9000, 3)})
	le := binary.LittleEndian
	dirSector := int(le.Uint32(file[0x30:]))
	fatSector := int(le.Uint32(file[0x4C:]))
	fat := func(b []byte, i int, v uint32) { le.PutUint32(b[512*(fatSector+1)+4*i:], v) }
	tests := []struct {
		name string
		file []byte
		want error
	}{
		{"shorter than the header", file[:100], cfb.ErrFormat},
		{"bad signature", damage(file, func(b []byte) { b[0] = 0 }), cfb.ErrFormat},
		{"odd sector size", damage(file, func(b []byte) { le.PutUint16(b[0x1E:], 10) }), cfb.ErrFormat},
		{"odd mini sector size", damage(file, func(b []byte) { le.PutUint16(b[0x20:], 12) }), cfb.ErrFormat},
		{"huge allocation table", damage(file, func(b []byte) { le.PutUint32(b[0x2C:], 1<<30) }), cfb.ErrTooLarge},
		{"allocation table beyond the file", damage(file, func(b []byte) { le.PutUint32(b[0x4C:], 5000) }), cfb.ErrFormat},
		{"no allocation table", damage(file, func(b []byte) { le.PutUint32(b[0x4C:], 0xFFFFFFFF) }), cfb.ErrFormat},
		{"directory chain loops", damage(file, func(b []byte) { fat(b, dirSector, uint32(dirSector)) }), cfb.ErrFormat},
		{"directory sector out of the table", damage(file, func(b []byte) { le.PutUint32(b[0x30:], 100000) }), cfb.ErrFormat},
		{"root entry missing", damage(file, func(b []byte) { b[512*(dirSector+1)+66] = 2 }), cfb.ErrFormat},
		{"stream chain loops", damage(file, func(b []byte) { fat(b, 3, 1) }), cfb.ErrFormat},
		{"stream chain out of the table", damage(file, func(b []byte) { fat(b, 3, 99999) }), cfb.ErrFormat},
		{"stream larger than the cap", damage(file, func(b []byte) { le.PutUint32(b[512*(dirSector+1)+128+120:], 1<<31) }), cfb.ErrTooLarge},
		{"stream sector beyond the file", damage(file, func(b []byte) { fat(b, 3, 100) }), cfb.ErrFormat},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := cfb.Open(bytes.NewReader(tt.file), int64(len(tt.file)), 1<<30)
			if err == nil {
				var s *cfb.Stream
				if s, _, err = f.Find("Workbook"); err == nil && s != nil {
					_, err = io.ReadAll(io.NewSectionReader(s, 0, s.Size()))
				}
			}
			if !errors.Is(err, tt.want) {
				t.Errorf("got %v, want an error wrapping %v", err, tt.want)
			}
		})
	}
}

// FuzzOpen proves that no file makes Open, Find, a stream's reads or
// Names panic, loop or allocate beyond the file's cap, and that Names
// lists every stream Find finds.
func FuzzOpen(f *testing.F) {
	f.Add(fx.Compound(fx.Stream{Name: "Workbook", Data: content(9000, 3)}, fx.Stream{Name: "Small", Data: content(100, 4)}))
	f.Add(fx.Compound())
	f.Fuzz(func(t *testing.T, file []byte) {
		names, nerr := cfb.Names(bytes.NewReader(file), int64(len(file)), 1<<20)
		if _, err := cfb.Names(bytes.NewReader(file), -1, 1<<20); (err == nil) != (nerr == nil) && len(file) <= 1<<20 {
			t.Fatalf("Names of a stream: %v; of the stored file: %v", err, nerr)
		}
		cfbFile, err := cfb.Open(bytes.NewReader(file), -1, 1<<20)
		if err != nil {
			return
		}
		for _, name := range []string{"Workbook", "Small"} {
			if cfbFile.Has(name) && nerr == nil && !slices.ContainsFunc(names, func(n string) bool { return strings.EqualFold(n, name) }) {
				t.Fatalf("Open finds %q, Names lists %q", name, names)
			}
			if s, ok, err := cfbFile.Find(name); err == nil && ok {
				if s.Size() > 1<<20 {
					t.Fatalf("stream of %d bytes passed the cap", s.Size())
				}
				_, _ = io.Copy(io.Discard, io.NewSectionReader(s, 0, s.Size()))
			}
		}
	})
}

// Names reads only the directory: it lists a file's streams where Open
// refuses the file as larger than its cap, and fails cleanly on a
// directory chain that loops.
func TestNamesListsTheStreamsOfAFileOverTheCap(t *testing.T) {
	file := fx.Compound(fx.Stream{Name: "EncryptionInfo", Data: make([]byte, 100)}, fx.Stream{Name: "EncryptedPackage", Data: make([]byte, 40<<10)})
	if _, err := cfb.Open(bytes.NewReader(file), -1, 8<<10); !errors.Is(err, cfb.ErrTooLarge) {
		t.Fatalf("Open over the cap: %v, want ErrTooLarge", err)
	}
	names, err := cfb.Names(bytes.NewReader(file), int64(len(file)), 8<<10)
	if err != nil || !slices.Equal(names, []string{"EncryptionInfo", "EncryptedPackage"}) {
		t.Fatalf("Names = %q, %v", names, err)
	}
	// The directory's FAT entry pointing at itself: a loop.
	looped := slices.Clone(file)
	dir := binary.LittleEndian.Uint32(looped[0x30:])
	fatSector := binary.LittleEndian.Uint32(looped[0x4C:])
	binary.LittleEndian.PutUint32(looped[(int(fatSector)+1)*512+4*int(dir):], dir)
	if _, err := cfb.Names(bytes.NewReader(looped), int64(len(looped)), 8<<10); !errors.Is(err, cfb.ErrFormat) {
		t.Fatalf("a looping directory chain: %v, want ErrFormat", err)
	}
}
