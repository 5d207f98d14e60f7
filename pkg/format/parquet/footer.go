package parquet

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/metadata"
)

// errEncrypted is the error of a file that uses Parquet modular encryption.
var errEncrypted = errors.New("encrypted Parquet is not supported")

// openFile opens the Parquet file of size bytes that ra reads. It reads
// and checks the footer itself before arrow-go decodes it: the magic bytes,
// the footer length, every container size declared in the Thrift metadata
// (none may claim more elements than bytes are left, which would make the
// decoder allocate gigabytes for a few bytes of input) and the logical
// types, of which it drops those arrow-go cannot read (a column then reads
// as its physical type). It declares INT96 columns FIXED_LEN_BYTE_ARRAY of
// 12 bytes, so that arrow-go hands their bytes over instead of converting
// them (see sanitizeFooter). It returns what it changed with the reader.
// maxFooter caps the footer's length.
//
// bare, when not nil, names schema elements (by index, the root being 0)
// to read without their logical and converted types (see sanitizeFooter).
func openFile(ra io.ReaderAt, size, maxFooter int64, props *parquet.ReaderProperties, bare func(int) bool) (*file.Reader, footerChanges, error) {
	var none footerChanges
	const magicLen, tailLen = 4, 8
	if size < magicLen+tailLen {
		return nil, none, fmt.Errorf("not a Parquet file: %d bytes is too short", size)
	}
	var head [magicLen]byte
	var tail [tailLen]byte
	if _, err := ra.ReadAt(head[:], 0); err != nil {
		return nil, none, fmt.Errorf("reading the header: %w", err)
	}
	if _, err := ra.ReadAt(tail[:], size-tailLen); err != nil && !errors.Is(err, io.EOF) {
		return nil, none, fmt.Errorf("reading the footer: %w", err)
	}
	switch {
	case string(head[:]) == "PARE" || string(tail[4:]) == "PARE":
		return nil, none, errEncrypted
	case string(head[:]) != "PAR1":
		return nil, none, errors.New("not a Parquet file: it does not start with the PAR1 magic bytes")
	case string(tail[4:]) != "PAR1":
		return nil, none, errors.New("truncated or corrupt Parquet file: it does not end with the PAR1 magic bytes")
	}
	n := int64(binary.LittleEndian.Uint32(tail[:4]))
	if n == 0 || n > size-magicLen-tailLen {
		return nil, none, fmt.Errorf("corrupt footer: its length %d does not fit a file of %d bytes", n, size)
	}
	if n > maxFooter {
		return nil, none, fmt.Errorf("footer of %d bytes is over the limit of %d bytes (max_spool_bytes)", n, maxFooter)
	}
	raw := make([]byte, n)
	if _, err := ra.ReadAt(raw, size-tailLen-n); err != nil && !errors.Is(err, io.EOF) {
		return nil, none, fmt.Errorf("reading the footer: %w", err)
	}
	footer, changes, err := sanitizeFooter(raw, bare)
	if err != nil {
		return nil, none, fmt.Errorf("corrupt footer: %w", err)
	}
	meta, err := metadata.NewFileMetaData(footer, nil)
	if err != nil {
		return nil, none, fmt.Errorf("corrupt footer: %w", err)
	}
	if meta.IsSetEncryptionAlgorithm() {
		return nil, none, errEncrypted
	}
	meta.SetSourceFileSize(size)
	r, err := file.NewParquetReader(io.NewSectionReader(ra, 0, size), file.WithReadProps(props), file.WithMetadata(meta))
	if err != nil {
		return nil, none, err
	}
	return r, changes, nil
}

// footerChanges is what sanitizeFooter changed in a footer.
type footerChanges struct {
	// dropped lists the columns whose logical type arrow-go cannot read.
	dropped []droppedType
	// int96 lists the schema elements (by index, the root being 0) that
	// were INT96 and are now FIXED_LEN_BYTE_ARRAY of 12 bytes.
	int96 []int
}

// droppedType is a column whose logical type the footer check dropped.
type droppedType struct {
	column string // the schema element's name
	field  int16  // the LogicalType union member that was set, 0 if none
}

// Thrift compact protocol types (see the Thrift specification).
const (
	tStop      = 0
	tTrue      = 1
	tFalse     = 2
	tByte      = 3
	tI16       = 4
	tI32       = 5
	tI64       = 6
	tDouble    = 7
	tBinary    = 8
	tList      = 9
	tSet       = 10
	tMap       = 11
	tStruct    = 12
	tUUID      = 13
	maxDepth   = 64 // nesting of structs and containers
	varintSize = 10
)

// Field ids of parquet.thrift that the footer check looks at.
const (
	fileMetaSchema       = 2  // FileMetaData.schema: list<SchemaElement>
	fileMetaKeyValue     = 5  // FileMetaData.key_value_metadata
	elementType          = 1  // SchemaElement.type: Type
	elementTypeLength    = 2  // SchemaElement.type_length
	elementName          = 4  // SchemaElement.name
	elementLogicalType   = 10 // SchemaElement.logicalType: LogicalType
	elementConvertedType = 6  // SchemaElement.converted_type
	logicalTime          = 7  // LogicalType.TIME: TimeType
	logicalTimestamp     = 8  // LogicalType.TIMESTAMP: TimestampType
	timeUnitField        = 2  // TimeType.unit and TimestampType.unit: TimeUnit

	typeInt96    = 3 // Type.INT96
	typeFixedLen = 7 // Type.FIXED_LEN_BYTE_ARRAY
	int96Bytes   = 12
)

// knownLogical reports whether arrow-go reads LogicalType member id (it
// panics on the others: GEOMETRY, GEOGRAPHY and any newer one).
func knownLogical(id int16) bool {
	return (id >= 1 && id <= 8) || (id >= 10 && id <= 16)
}

// thriftScanner walks Thrift compact protocol bytes. A read past the end
// or a malformed value sets err; reads then return zero values and do not
// advance, so every loop ends.
type thriftScanner struct {
	b   []byte
	pos int
	err error
}

func (s *thriftScanner) fail(format string, args ...any) {
	if s.err == nil {
		s.err = fmt.Errorf("byte %d: "+format, append([]any{s.pos}, args...)...)
	}
}

func (s *thriftScanner) readByte() byte {
	if s.err != nil {
		return 0
	}
	if s.pos >= len(s.b) {
		s.fail("unexpected end")
		return 0
	}
	c := s.b[s.pos]
	s.pos++
	return c
}

func (s *thriftScanner) varint() uint64 {
	var v uint64
	for i := 0; i < varintSize; i++ {
		c := s.readByte()
		if s.err != nil {
			return 0
		}
		v |= uint64(c&0x7f) << (7 * i)
		if c < 0x80 {
			return v
		}
	}
	s.fail("varint too long")
	return 0
}

// skipBytes skips n bytes.
func (s *thriftScanner) skipBytes(n uint64) {
	if s.err != nil {
		return
	}
	if n > uint64(len(s.b)-s.pos) {
		s.fail("length %d runs past the end", n)
		return
	}
	s.pos += int(n)
}

// fieldHeader reads a field header after field last; stop reports the end
// of the struct.
func (s *thriftScanner) fieldHeader(last int16) (id int16, typ byte, stop bool) {
	c := s.readByte()
	if s.err != nil {
		return 0, 0, true
	}
	typ = c & 0x0f
	if typ == tStop {
		return 0, 0, true
	}
	if delta := int16(c >> 4); delta != 0 {
		return last + delta, typ, false
	}
	v := s.varint()
	return int16(int64(v>>1) ^ -int64(v&1)), typ, false
}

// count checks a declared element count against the bytes left, each
// element taking at least min bytes.
func (s *thriftScanner) count(n uint64, min int) int {
	if s.err != nil {
		return 0
	}
	if n > uint64(len(s.b)-s.pos)/uint64(min) {
		s.fail("%d elements declared with %d bytes left", n, len(s.b)-s.pos)
		return 0
	}
	return int(n)
}

// listHeader reads the header of a list or set.
func (s *thriftScanner) listHeader() (elem byte, n int) {
	c := s.readByte()
	size := uint64(c >> 4)
	if size == 15 {
		size = s.varint()
	}
	return c & 0x0f, s.count(size, 1)
}

// skip skips a value of type typ.
func (s *thriftScanner) skip(typ byte, depth int) {
	if depth > maxDepth {
		s.fail("nested deeper than %d levels", maxDepth)
		return
	}
	switch typ {
	case tTrue, tFalse:
		// the value is in the field header; a list element takes a byte
	case tByte:
		s.readByte()
	case tI16, tI32, tI64:
		s.varint()
	case tDouble:
		s.skipBytes(8)
	case tUUID:
		s.skipBytes(16)
	case tBinary:
		s.skipBytes(s.varint())
	case tList, tSet:
		elem, n := s.listHeader()
		for i := 0; i < n && s.err == nil; i++ {
			if elem == tTrue || elem == tFalse {
				s.readByte()
				continue
			}
			s.skip(elem, depth+1)
		}
	case tMap:
		n := s.count(s.varint(), 2)
		if n == 0 {
			return
		}
		kv := s.readByte()
		for i := 0; i < n && s.err == nil; i++ {
			s.skipElem(kv>>4, depth+1)
			s.skipElem(kv&0x0f, depth+1)
		}
	case tStruct:
		s.skipStruct(depth + 1)
	default:
		s.fail("unknown type %d", typ)
	}
}

// skipElem skips a container element of type typ (booleans take a byte).
func (s *thriftScanner) skipElem(typ byte, depth int) {
	if typ == tTrue || typ == tFalse {
		s.readByte()
		return
	}
	s.skip(typ, depth)
}

func (s *thriftScanner) skipStruct(depth int) {
	var last int16
	for s.err == nil {
		id, typ, stop := s.fieldHeader(last)
		if stop {
			return
		}
		s.skip(typ, depth)
		last = id
	}
}

// rewrite replaces b[start:end] (a schema element) with data.
type rewrite struct {
	start, end int
	data       []byte
}

// sanitizeFooter checks the Thrift-encoded FileMetaData b (see
// thriftScanner) and returns it without its key-value metadata and
// without the logical types that arrow-go cannot read, with the columns
// they annotated. It also leaves out the logical and converted types of
// the schema elements (by index, the root being 0) for which bare returns
// true, so that they read as plain groups or physical types.
//
// It declares every INT96 element FIXED_LEN_BYTE_ARRAY of 12 bytes,
// without annotations: both store their values as 12 plain bytes (dictionary
// pages too), and arrow-go converts INT96 to Arrow nanoseconds, which
// fails outside the years 1677 to 2262, where the reader decodes the bytes
// itself (see int96Micros). The column chunks keep their INT96 type, which
// arrow-go does not read back.
func sanitizeFooter(b []byte, bare func(elem int) bool) ([]byte, footerChanges, error) {
	s := &thriftScanner{b: b}
	type field struct {
		id         int16
		typ        byte
		start, end int // the value's bytes
	}
	var fields []field
	var rewrites []rewrite
	var changes footerChanges
	var last int16
	changed := false
	for s.err == nil {
		id, typ, stop := s.fieldHeader(last)
		if stop {
			break
		}
		start := s.pos
		switch {
		case id == fileMetaSchema && typ == tList:
			elem, n := s.listHeader()
			for i := 0; i < n && s.err == nil; i++ {
				if elem != tStruct {
					s.skipElem(elem, 1)
					continue
				}
				at := s.pos
				e := s.schemaElement(bare != nil && bare(i))
				if e.data != nil {
					rewrites = append(rewrites, rewrite{start: at, end: s.pos, data: e.data})
				}
				if e.dropped.field != 0 {
					changes.dropped = append(changes.dropped, e.dropped)
				}
				if e.int96 {
					changes.int96 = append(changes.int96, i)
				}
			}
		case id == fileMetaKeyValue:
			// Left out: it may hold an Arrow schema (ARROW:schema), which
			// pqarrow decodes with no bound on the sizes it declares.
			s.skip(typ, 0)
			changed = true
			last = id
			continue
		default:
			s.skip(typ, 0)
		}
		fields = append(fields, field{id: id, typ: typ, start: start, end: s.pos})
		last = id
	}
	if s.err != nil {
		return nil, footerChanges{}, s.err
	}
	if !changed && len(rewrites) == 0 {
		return b, changes, nil
	}
	out := make([]byte, 0, len(b))
	var prev int16
	for _, f := range fields {
		out = appendFieldHeader(out, f.id, prev, f.typ)
		from := f.start
		for _, r := range rewrites {
			if r.start >= f.start && r.end <= f.end {
				out = append(out, b[from:r.start]...)
				out = append(out, r.data...)
				from = r.end
			}
		}
		out = append(out, b[from:f.end]...)
		prev = f.id
	}
	return append(out, tStop), changes, nil
}

// appendFieldHeader appends the compact header of field id of type typ
// after field last.
func appendFieldHeader(out []byte, id, last int16, typ byte) []byte {
	if d := id - last; d > 0 && d <= 15 {
		return append(out, byte(d)<<4|typ)
	}
	out = append(out, typ)
	return binary.AppendUvarint(out, uint64((int64(id)<<1)^(int64(id)>>63)))
}

// appendI32 appends v as a compact protocol i32 (a zigzag varint).
func appendI32(out []byte, v int32) []byte {
	return binary.AppendUvarint(out, uint64(uint32((v<<1)^(v>>31))))
}

// scannedElement is a SchemaElement as schemaElement read it.
type scannedElement struct {
	// data is the element re-encoded, when it had to change; else nil.
	data []byte
	// dropped is the logical type left out as unreadable (field 0 if none).
	dropped droppedType
	// int96 is set for an INT96 element, now FIXED_LEN_BYTE_ARRAY.
	int96 bool
}

// schemaElement reads one SchemaElement. It re-encodes the element when it
// must change it: to leave out a logical type arrow-go cannot read (which
// it reports in dropped), the logical and converted types when bare is
// set, and to declare an INT96 element FIXED_LEN_BYTE_ARRAY of 12 bytes
// without annotations (see sanitizeFooter).
func (s *thriftScanner) schemaElement(bare bool) scannedElement {
	type field struct {
		id         int16
		typ        byte
		start, end int    // the value's bytes
		data       []byte // the value's new bytes, when not nil
	}
	var fields []field
	var e scannedElement
	var last int16
	var name string
	cut := false
	seenLogical := false
	for s.err == nil {
		id, typ, stop := s.fieldHeader(last)
		if stop {
			break
		}
		start := s.pos
		keep := true
		switch {
		case id == elementType && typ == tI32:
			v := s.varint()
			e.int96 = s.err == nil && v == typeInt96<<1
		case id == elementName && typ == tBinary:
			n := s.varint()
			at := s.pos
			s.skipBytes(n)
			if s.err == nil {
				name = string(s.b[at:s.pos])
			}
		case id == elementLogicalType && typ == tStruct:
			if seenLogical {
				s.fail("logical type set twice")
				break
			}
			seenLogical = true
			member, readable := s.logicalType()
			if !readable {
				keep = false
				e.dropped.field = member
			}
			if bare {
				keep = false
			}
		case id == elementConvertedType && bare:
			s.skip(typ, 1)
			keep = false
		default:
			s.skip(typ, 1)
		}
		if keep {
			fields = append(fields, field{id: id, typ: typ, start: start, end: s.pos})
		} else {
			cut = true
		}
		last = id
	}
	if e.dropped.field != 0 {
		e.dropped.column = name
	}
	if s.err != nil {
		return scannedElement{}
	}
	if e.int96 {
		// FIXED_LEN_BYTE_ARRAY, type_length 12, no annotations.
		kept := make([]field, 0, len(fields)+1)
		for _, f := range fields {
			switch f.id {
			case elementType:
				kept = append(kept, field{id: f.id, typ: tI32, data: appendI32(nil, typeFixedLen)},
					field{id: elementTypeLength, typ: tI32, data: appendI32(nil, int96Bytes)})
			case elementTypeLength, elementLogicalType, elementConvertedType:
			default:
				kept = append(kept, f)
			}
		}
		fields, cut = kept, true
	}
	if !cut {
		return e
	}
	var out []byte
	var prev int16
	for _, f := range fields {
		out = appendFieldHeader(out, f.id, prev, f.typ)
		if f.data != nil {
			out = append(out, f.data...)
		} else {
			out = append(out, s.b[f.start:f.end]...)
		}
		prev = f.id
	}
	e.data = append(out, tStop)
	return e
}

// logicalType skips a LogicalType union, reporting the member set and
// whether arrow-go reads it.
func (s *thriftScanner) logicalType() (int16, bool) {
	var last, member int16
	members := 0
	ok := true
	for s.err == nil {
		id, typ, stop := s.fieldHeader(last)
		if stop {
			break
		}
		members++
		member = id
		switch {
		case !knownLogical(id) || typ != tStruct:
			ok = false
			s.skip(typ, 2)
		case id == logicalTime || id == logicalTimestamp:
			if !s.hasTimeUnit() {
				ok = false
			}
		default:
			s.skip(typ, 2)
		}
		last = id
	}
	return member, ok && members == 1
}

// hasTimeUnit skips a TimeType or TimestampType, reporting whether its
// unit is one of MILLIS, MICROS and NANOS.
func (s *thriftScanner) hasTimeUnit() bool {
	var last int16
	unit := false
	for s.err == nil {
		id, typ, stop := s.fieldHeader(last)
		if stop {
			break
		}
		if id == timeUnitField && typ == tStruct {
			var ul int16
			for s.err == nil {
				uid, utyp, ustop := s.fieldHeader(ul)
				if ustop {
					break
				}
				unit = unit || (uid >= 1 && uid <= 3)
				s.skip(utyp, 4)
				ul = uid
			}
		} else {
			s.skip(typ, 3)
		}
		last = id
	}
	return unit
}
