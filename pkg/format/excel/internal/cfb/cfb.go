// Package cfb reads streams out of a Compound File Binary (the OLE2
// container of legacy .xls workbooks, [MS-CFB]). It reads only what it is
// asked for, through an io.ReaderAt, and checks every sector number, chain
// and size it meets against the bounds it was given, so that a corrupt or
// hostile file gives an error and never a panic, a loop or a large
// allocation.
package cfb

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf16"
)

// Signature starts every compound file.
const Signature = "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1"

// Special sector numbers.
const (
	endOfChain = 0xFFFFFFFE
	freeSect   = 0xFFFFFFFF
	maxRegSect = 0xFFFFFFFA
	noStream   = 0xFFFFFFFF
)

// Entry types.
const (
	typeStorage = 1
	typeStream  = 2
	typeRoot    = 5
)

const (
	headerSize = 512
	entrySize  = 128
	// maxEntries caps the directory: real files have a handful.
	maxEntries = 1 << 16
)

// ErrFormat is a file that is not a valid compound file.
var ErrFormat = errors.New("not a valid compound file")

// ErrTooLarge is a compound file or stream beyond the reader's cap.
var ErrTooLarge = errors.New("compound file too large")

// File is an open compound file.
type File struct {
	ra         io.ReaderAt
	size       int64 // the file's size, or -1 when unknown
	max        int64
	shift      uint // sector size is 1 << shift
	miniShift  uint
	miniCutoff int64
	fat        []uint32
	entries    []entry
	miniStart  uint32   // first sector of the mini allocation table
	miniFAT    []uint32 // read on first use
	mini       *Stream  // the root's mini stream, on first use
}

type entry struct {
	name        string
	typ         byte
	left, right uint32
	child       uint32
	start       uint32
	size        int64
}

// Open reads the header, the allocation table and the directory of the
// compound file in ra, of size bytes (-1 when unknown, as for a stream
// read on demand). max caps the file: no sector at or beyond max bytes is
// read, so max also bounds the memory the tables take.
func Open(ra io.ReaderAt, size, max int64) (*File, error) {
	if size >= 0 {
		max = min(max, size)
	}
	h, f, err := header(ra, size, max)
	if err != nil {
		return nil, err
	}
	le := binary.LittleEndian
	f.miniShift = uint(le.Uint16(h[0x20:]))
	if f.miniShift < 2 || f.miniShift >= f.shift {
		return nil, fmt.Errorf("%w: mini sector size 2^%d", ErrFormat, f.miniShift)
	}
	f.miniCutoff = int64(le.Uint32(h[0x38:]))
	numFAT := int64(le.Uint32(h[0x2C:]))
	firstDir := le.Uint32(h[0x30:])
	firstMiniFAT := le.Uint32(h[0x3C:])
	firstDIFAT := le.Uint32(h[0x44:])
	numDIFAT := int64(le.Uint32(h[0x48:]))

	ss := int64(1) << f.shift
	perSector := ss / 4
	// No sector can lie beyond max, so neither can a FAT entry point
	// there: the FAT needs at most max/ss entries.
	maxSectors := max/ss + 1
	if numFAT*perSector > maxSectors+perSector {
		return nil, fmt.Errorf("%w: %d allocation table sectors", ErrTooLarge, numFAT)
	}

	// The FAT's own sectors: 109 in the header, the rest in the DIFAT chain.
	fatSectors := make([]uint32, 0, numFAT)
	for i := 0; i < 109 && int64(len(fatSectors)) < numFAT; i++ {
		sid := le.Uint32(h[0x4C+4*i:])
		if sid > maxRegSect {
			break
		}
		fatSectors = append(fatSectors, sid)
	}
	buf := make([]byte, ss)
	sid := firstDIFAT
	for n := int64(0); int64(len(fatSectors)) < numFAT && sid <= maxRegSect; n++ {
		if n >= numDIFAT+1 || n > maxSectors/perSector+1 {
			return nil, fmt.Errorf("%w: DIFAT chain longer than declared", ErrFormat)
		}
		if err := f.readSector(sid, buf); err != nil {
			return nil, fmt.Errorf("DIFAT sector %d: %w", sid, err)
		}
		for i := int64(0); i < perSector-1 && int64(len(fatSectors)) < numFAT; i++ {
			s := le.Uint32(buf[4*i:])
			if s > maxRegSect {
				break
			}
			fatSectors = append(fatSectors, s)
		}
		sid = le.Uint32(buf[ss-4:])
	}
	if len(fatSectors) == 0 {
		return nil, fmt.Errorf("%w: no allocation table", ErrFormat)
	}
	f.fat = make([]uint32, 0, int64(len(fatSectors))*perSector)
	for _, s := range fatSectors {
		if err := f.readSector(s, buf); err != nil {
			return nil, fmt.Errorf("allocation table sector %d: %w", s, err)
		}
		for i := int64(0); i < perSector; i++ {
			f.fat = append(f.fat, le.Uint32(buf[4*i:]))
		}
	}

	dir, err := f.chain(f.fat, firstDir, -1)
	if err != nil {
		return nil, fmt.Errorf("directory: %w", err)
	}
	if int64(len(dir))*ss/entrySize > maxEntries {
		return nil, fmt.Errorf("%w: directory of %d sectors", ErrFormat, len(dir))
	}
	for _, s := range dir {
		if err := f.readSector(s, buf); err != nil {
			return nil, fmt.Errorf("directory sector %d: %w", s, err)
		}
		for off := int64(0); off+entrySize <= ss; off += entrySize {
			f.entries = append(f.entries, parseEntry(buf[off:off+entrySize], f.shift == 9))
		}
	}
	if len(f.entries) == 0 || f.entries[0].typ != typeRoot {
		return nil, fmt.Errorf("%w: no root entry", ErrFormat)
	}
	f.miniStart = firstMiniFAT
	return f, nil
}

// header reads and checks the header of the compound file in ra, and
// returns it with a File of its sector size, bounded by size and max.
func header(ra io.ReaderAt, size, max int64) (*[headerSize]byte, *File, error) {
	var h [headerSize]byte
	if _, err := ra.ReadAt(h[:], 0); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, nil, fmt.Errorf("%w: shorter than its header", ErrFormat)
		}
		return nil, nil, err
	}
	if string(h[:8]) != Signature {
		return nil, nil, fmt.Errorf("%w: bad signature", ErrFormat)
	}
	f := &File{ra: ra, size: size, max: max, shift: uint(binary.LittleEndian.Uint16(h[0x1E:]))}
	if f.shift != 9 && f.shift != 12 {
		return nil, nil, fmt.Errorf("%w: sector size 2^%d", ErrFormat, f.shift)
	}
	return &h, f, nil
}

func parseEntry(b []byte, v3 bool) entry {
	le := binary.LittleEndian
	n := int(le.Uint16(b[64:]))
	if n > 64 {
		n = 64
	}
	u := make([]uint16, 0, 32)
	for i := 0; i+1 < n; i += 2 {
		c := le.Uint16(b[i:])
		if c == 0 {
			break
		}
		u = append(u, c)
	}
	e := entry{
		name:  string(utf16.Decode(u)),
		typ:   b[66],
		left:  le.Uint32(b[68:]),
		right: le.Uint32(b[72:]),
		child: le.Uint32(b[76:]),
		start: le.Uint32(b[116:]),
	}
	size := le.Uint64(b[120:])
	if v3 {
		size &= 0xFFFFFFFF // version 3 files may leave junk in the high half
	}
	if size > 1<<62 {
		size = 1 << 62
	}
	e.size = int64(size)
	return e
}

// readSector reads regular sector sid into buf (one sector long).
func (f *File) readSector(sid uint32, buf []byte) error {
	off := (int64(sid) + 1) << f.shift
	if err := f.check(sid, off+int64(len(buf))); err != nil {
		return err
	}
	if _, err := f.ra.ReadAt(buf, off); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return fmt.Errorf("%w: sector %d lies beyond the end of the file", ErrFormat, sid)
		}
		return err
	}
	return nil
}

// check fails for a sector that ends at end: beyond the file when its
// size is known, else beyond the cap.
func (f *File) check(sid uint32, end int64) error {
	switch {
	case f.size >= 0 && (sid > maxRegSect || end > f.size):
		return fmt.Errorf("%w: sector %d lies beyond the end of the file", ErrFormat, sid)
	case sid > maxRegSect || end > f.max:
		return fmt.Errorf("%w: sector %d lies beyond %d bytes", ErrTooLarge, sid, f.max)
	}
	return nil
}

// chain follows table from start and returns the sectors in order: all
// of them when need is negative, else at most need. It fails on a sector
// number out of the table or a chain that loops.
func (f *File) chain(table []uint32, start uint32, need int64) ([]uint32, error) {
	var out []uint32
	seen := make([]uint64, (len(table)+63)/64)
	for sid := start; sid != endOfChain && sid != freeSect; sid = table[sid] {
		if need >= 0 && int64(len(out)) >= need {
			break
		}
		if sid >= uint32(len(table)) {
			return nil, fmt.Errorf("%w: sector %d outside the allocation table", ErrFormat, sid)
		}
		if seen[sid/64]&(1<<(sid%64)) != 0 {
			return nil, fmt.Errorf("%w: sector chain loops at sector %d", ErrFormat, sid)
		}
		seen[sid/64] |= 1 << (sid % 64)
		out = append(out, sid)
	}
	return out, nil
}

// Find returns the stream named name (compared without case) among the
// top-level entries of the file, or ok false.
func (f *File) Find(name string) (*Stream, bool, error) {
	i, ok := f.lookup(name)
	if !ok {
		return nil, false, nil
	}
	s, err := f.open(f.entries[i])
	return s, err == nil, err
}

// Has reports whether a top-level entry (stream or storage) is named name.
func (f *File) Has(name string) bool {
	_, ok := f.lookup(name)
	return ok
}

// lookup walks the root storage's children (a tree of siblings).
func (f *File) lookup(name string) (int, bool) {
	seen := make(map[uint32]bool)
	stack := []uint32{f.entries[0].child}
	for len(stack) > 0 {
		id := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if id == noStream || int(id) >= len(f.entries) || seen[id] {
			continue
		}
		seen[id] = true
		e := f.entries[id]
		if (e.typ == typeStream || e.typ == typeStorage) && strings.EqualFold(e.name, name) {
			return int(id), true
		}
		stack = append(stack, e.left, e.right)
	}
	return 0, false
}

func (f *File) open(e entry) (*Stream, error) {
	if e.typ != typeStream {
		return nil, fmt.Errorf("%w: %q is not a stream", ErrFormat, e.name)
	}
	if e.size > f.max {
		return nil, fmt.Errorf("%w: stream %q of %d bytes", ErrTooLarge, e.name, e.size)
	}
	if e.size < f.miniCutoff {
		return f.openMini(e)
	}
	ss := int64(1) << f.shift
	sectors, err := f.chain(f.fat, e.start, (e.size+ss-1)/ss)
	if err != nil {
		return nil, fmt.Errorf("stream %q: %w", e.name, err)
	}
	return &Stream{ra: f.ra, sectors: sectors, shift: f.shift, base: ss, size: min(e.size, int64(len(sectors))*ss), file: f}, nil
}

func (f *File) openMini(e entry) (*Stream, error) {
	if f.mini == nil {
		root := f.entries[0]
		root.typ = typeStream
		ss := int64(1) << f.shift
		sectors, err := f.chain(f.fat, root.start, (root.size+ss-1)/ss)
		if err != nil {
			return nil, fmt.Errorf("mini stream: %w", err)
		}
		f.mini = &Stream{ra: f.ra, sectors: sectors, shift: f.shift, base: ss, size: min(root.size, int64(len(sectors))*ss), file: f}
		table, err := f.chain(f.fat, f.miniStart, -1)
		if err != nil {
			return nil, fmt.Errorf("mini allocation table: %w", err)
		}
		buf := make([]byte, ss)
		for _, s := range table {
			if err := f.readSector(s, buf); err != nil {
				return nil, fmt.Errorf("mini allocation table sector %d: %w", s, err)
			}
			for i := int64(0); i < ss/4; i++ {
				f.miniFAT = append(f.miniFAT, binary.LittleEndian.Uint32(buf[4*i:]))
			}
		}
	}
	ms := int64(1) << f.miniShift
	sectors, err := f.chain(f.miniFAT, e.start, (e.size+ms-1)/ms)
	if err != nil {
		return nil, fmt.Errorf("stream %q: %w", e.name, err)
	}
	return &Stream{ra: f.mini, sectors: sectors, shift: f.miniShift, size: min(e.size, int64(len(sectors))*ms)}, nil
}

// Stream is one stream of a compound file: an io.ReaderAt over its
// sectors, wherever they lie.
type Stream struct {
	ra      io.ReaderAt
	sectors []uint32
	shift   uint
	base    int64 // offset of sector 0 in ra: one sector (past the header) for regular sectors, 0 in the mini stream
	size    int64
	file    *File // checks regular sectors; nil in the mini stream (which checks its own)
}

// Size is the stream's length in bytes.
func (s *Stream) Size() int64 { return s.size }

// ReadAt implements io.ReaderAt.
func (s *Stream) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("cfb: negative offset")
	}
	n := 0
	ss := int64(1) << s.shift
	for n < len(p) {
		if off >= s.size {
			return n, io.EOF
		}
		i, in := off/ss, off%ss
		k := min(int64(len(p)-n), ss-in, s.size-off)
		pos := s.base + int64(s.sectors[i])<<s.shift + in
		if s.file != nil {
			if err := s.file.check(s.sectors[i], pos+k); err != nil {
				return n, err
			}
		}
		m, err := s.ra.ReadAt(p[n:n+int(k)], pos)
		n += m
		off += int64(m)
		if err != nil {
			if errors.Is(err, io.EOF) {
				return n, fmt.Errorf("%w: stream sector %d lies beyond the end of the file", ErrFormat, s.sectors[i])
			}
			return n, err
		}
	}
	return n, nil
}

// Names returns the names of the streams and storages of the compound
// file in ra, of size bytes (-1 when unknown, then no sector at or beyond
// max bytes is read). Unlike Open, it reads only the header, the
// allocation table entries of the directory's chain and the directory,
// one sector at a time, so that it tells what a file holds (an encrypted
// workbook's EncryptionInfo and EncryptedPackage) however large the file
// is, in constant memory.
func Names(ra io.ReaderAt, size, max int64) ([]string, error) {
	if size >= 0 {
		max = size
	}
	h, f, err := header(ra, size, max)
	if err != nil {
		return nil, err
	}
	le := binary.LittleEndian
	ss := int64(1) << f.shift
	perSector := ss / 4
	buf := make([]byte, ss)
	var word [4]byte
	// difat holds the DIFAT sectors met so far, in chain order.
	var difat []uint32
	nextDIFAT := le.Uint32(h[0x44:])
	numDIFAT := int64(le.Uint32(h[0x48:]))
	// fatSector returns the sector that holds FAT sector k.
	fatSector := func(k int64) (uint32, error) {
		if k < 109 {
			return le.Uint32(h[0x4C+4*k:]), nil
		}
		n, i := (k-109)/(perSector-1), (k-109)%(perSector-1)
		for int64(len(difat)) <= n {
			if nextDIFAT > maxRegSect || int64(len(difat)) >= numDIFAT {
				return 0, fmt.Errorf("%w: DIFAT chain shorter than the allocation table", ErrFormat)
			}
			difat = append(difat, nextDIFAT)
			if err := f.readSector(nextDIFAT, buf); err != nil {
				return 0, fmt.Errorf("DIFAT sector %d: %w", nextDIFAT, err)
			}
			nextDIFAT = le.Uint32(buf[ss-4:])
		}
		if err := f.readSector(difat[n], buf); err != nil {
			return 0, fmt.Errorf("DIFAT sector %d: %w", difat[n], err)
		}
		return le.Uint32(buf[4*i:]), nil
	}
	next := func(sid uint32) (uint32, error) {
		fs, err := fatSector(int64(sid) / perSector)
		if err != nil {
			return 0, err
		}
		off := (int64(fs)+1)<<f.shift + int64(sid)%perSector*4
		if err := f.check(fs, off+4); err != nil {
			return 0, err
		}
		if _, err := ra.ReadAt(word[:], off); err != nil {
			return 0, fmt.Errorf("%w: allocation table sector %d: %w", ErrFormat, fs, err)
		}
		return le.Uint32(word[:]), nil
	}
	var names []string
	seen := map[uint32]bool{}
	for sid := le.Uint32(h[0x30:]); sid != endOfChain && sid != freeSect; {
		if sid > maxRegSect || seen[sid] {
			return nil, fmt.Errorf("%w: directory chain broken at sector %d", ErrFormat, sid)
		}
		if int64(len(seen))*ss/entrySize >= maxEntries {
			return nil, fmt.Errorf("%w: directory of more than %d entries", ErrFormat, maxEntries)
		}
		seen[sid] = true
		if err := f.readSector(sid, buf); err != nil {
			return nil, fmt.Errorf("directory sector %d: %w", sid, err)
		}
		for off := int64(0); off+entrySize <= ss; off += entrySize {
			if e := parseEntry(buf[off:off+entrySize], f.shift == 9); e.typ == typeStream || e.typ == typeStorage {
				names = append(names, e.name)
			}
		}
		var err error
		if sid, err = next(sid); err != nil {
			return nil, err
		}
	}
	return names, nil
}
