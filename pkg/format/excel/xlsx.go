package excel

import (
	"archive/zip"
	"bufio"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
)

// maxZipEntries caps the members of an XLSX package: real workbooks have
// dozens.
const maxZipEntries = 100_000

// workbook is an open XLSX package: its sheets, styles and date system.
// The shared strings are read on first use.
type workbook struct {
	zr       *zip.Reader
	files    map[string]*zip.File // by lower-case path
	budget   *budget
	partMax  int64 // cap on one XML part held in memory
	path     string
	sheets   []xlsxSheet
	date1904 bool
	xfClass  []class // by cell style index
	sst      *sharedStrings
	sstPath  string
	sstErr   error
	sstRead  bool
}

// xlsxSheet is a sheet as the workbook lists it.
type xlsxSheet struct {
	name string
	part string // its XML part, "" when the workbook does not say
	kind sheetKind
}

type sheetKind uint8

const (
	worksheet sheetKind = iota
	chartsheet
	otherSheet
)

// Relationship types, by their last path element (transitional and
// strict OOXML differ before it).
const (
	relOfficeDocument = "officeDocument"
	relWorksheet      = "worksheet"
	relChartsheet     = "chartsheet"
	relStyles         = "styles"
	relSharedStrings  = "sharedStrings"
	relPivotTable     = "pivotTable"
)

// openWorkbook reads the package structure, workbook part and styles.
func openWorkbook(ra io.ReaderAt, size int64, filePath string, lim limits) (*workbook, error) {
	zr, err := zip.NewReader(ra, size)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errPackage, err)
	}
	if len(zr.File) > maxZipEntries {
		return nil, fmt.Errorf("%w: %d zip members (at most %d)", ErrLimit, len(zr.File), maxZipEntries)
	}
	wb := &workbook{
		zr:      zr,
		files:   make(map[string]*zip.File, len(zr.File)),
		budget:  &budget{max: lim.unzip, fileSize: size},
		partMax: lim.part,
		path:    filePath,
	}
	for _, f := range zr.File {
		name := strings.ToLower(strings.TrimPrefix(strings.ReplaceAll(f.Name, `\`, "/"), "/"))
		if _, dup := wb.files[name]; !dup {
			wb.files[name] = f
		}
	}
	if wb.files["[content_types].xml"] == nil && wb.files["_rels/.rels"] == nil {
		if wb.files["mimetype"] != nil {
			return nil, fmt.Errorf("%w: an OpenDocument file (.ods), not an Excel workbook", ErrNotWorkbook)
		}
		return nil, fmt.Errorf("%w: a zip archive without the parts of an Excel workbook", ErrNotWorkbook)
	}
	// The workbook part, from the package relationships.
	wbPart := "xl/workbook.xml"
	rels, err := wb.rels("_rels/.rels", "")
	if err != nil {
		return nil, err
	}
	for _, r := range rels {
		if r.is(relOfficeDocument) {
			wbPart = r.target
			break
		}
	}
	if strings.HasSuffix(strings.ToLower(wbPart), ".bin") || wb.files[strings.ToLower(wbPart)] == nil && wb.files["xl/workbook.bin"] != nil {
		return nil, ErrBinaryWorkbook // its parts are MS-XLSB records, not XML
	}
	if wb.files[strings.ToLower(wbPart)] == nil {
		return nil, fmt.Errorf("%w: no workbook part %q", ErrNotWorkbook, wbPart)
	}
	wbRels, err := wb.rels(relsPath(wbPart), path.Dir(wbPart))
	if err != nil {
		return nil, err
	}
	byID := make(map[string]relationship, len(wbRels))
	stylesPart := ""
	for _, r := range wbRels {
		byID[r.id] = r
		switch {
		case r.is(relStyles):
			stylesPart = r.target
		case r.is(relSharedStrings):
			wb.sstPath = r.target
		}
	}
	if wb.sstPath == "" && wb.files["xl/sharedstrings.xml"] != nil {
		wb.sstPath = "xl/sharedStrings.xml"
	}
	if err := wb.readWorkbook(wbPart, byID); err != nil {
		return nil, err
	}
	if stylesPart != "" {
		if err := wb.readStyles(stylesPart); err != nil {
			return nil, err
		}
	}
	return wb, nil
}

// relationship is one Relationship of a .rels part.
type relationship struct {
	id, typ, target string
	external        bool
}

// is reports whether the relationship's type ends in /name.
func (r relationship) is(name string) bool {
	return strings.HasSuffix(r.typ, "/"+name)
}

func relsPath(part string) string {
	return path.Join(path.Dir(part), "_rels", path.Base(part)+".rels")
}

// rels reads a relationships part, resolving targets against dir; a
// missing part has none.
func (wb *workbook) rels(part, dir string) ([]relationship, error) {
	var out []relationship
	err := wb.parse(part, false, func(t xml.Token) error {
		se, ok := t.(xml.StartElement)
		if !ok || se.Name.Local != "Relationship" {
			return nil
		}
		var r relationship
		for _, a := range se.Attr {
			switch a.Name.Local {
			case "Id":
				r.id = a.Value
			case "Type":
				r.typ = a.Value
			case "Target":
				r.target = a.Value
			case "TargetMode":
				r.external = strings.EqualFold(a.Value, "External")
			}
		}
		if r.external {
			return nil
		}
		target := strings.ReplaceAll(r.target, `\`, "/")
		if strings.HasPrefix(target, "/") {
			r.target = path.Clean(target[1:])
		} else {
			r.target = path.Clean(path.Join(dir, target))
		}
		out = append(out, r)
		if len(out) > maxZipEntries {
			return fmt.Errorf("%w: %s has over %d relationships", ErrLimit, part, maxZipEntries)
		}
		return nil
	})
	return out, err
}

// readWorkbook reads the sheets and the date system.
func (wb *workbook) readWorkbook(part string, byID map[string]relationship) error {
	return wb.parse(part, true, func(t xml.Token) error {
		se, ok := t.(xml.StartElement)
		if !ok {
			return nil
		}
		switch se.Name.Local {
		case "workbookPr":
			for _, a := range se.Attr {
				if a.Name.Local == "date1904" {
					wb.date1904 = a.Value == "1" || strings.EqualFold(a.Value, "true")
				}
			}
		case "sheet":
			s := xlsxSheet{kind: otherSheet}
			for _, a := range se.Attr {
				switch {
				case a.Name.Local == "name":
					s.name = a.Value
				case a.Name.Local == "id" && a.Name.Space != "":
					if r, ok := byID[a.Value]; ok {
						s.part = r.target
						switch {
						case r.is(relWorksheet):
							s.kind = worksheet
						case r.is(relChartsheet):
							s.kind = chartsheet
						}
					}
				}
			}
			wb.sheets = append(wb.sheets, s)
			if len(wb.sheets) > maxZipEntries {
				return fmt.Errorf("%w: over %d sheets", ErrLimit, maxZipEntries)
			}
		}
		return nil
	})
}

// readStyles reads the number format of each cell style.
func (wb *workbook) readStyles(part string) error {
	codes := map[int]string{}
	var ids []int
	inCellXfs := false
	err := wb.parse(part, false, func(t xml.Token) error {
		switch t := t.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "numFmt":
				id, code := -1, ""
				for _, a := range t.Attr {
					switch a.Name.Local {
					case "numFmtId":
						id = atoi(a.Value, -1)
					case "formatCode":
						code = a.Value
					}
				}
				if id >= 0 {
					codes[id] = code
				}
			case "cellXfs":
				inCellXfs = true
			case "xf":
				if inCellXfs {
					id := 0
					for _, a := range t.Attr {
						if a.Name.Local == "numFmtId" {
							id = atoi(a.Value, 0)
						}
					}
					ids = append(ids, id)
				}
			}
		case xml.EndElement:
			if t.Name.Local == "cellXfs" {
				inCellXfs = false
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	wb.xfClass = make([]class, len(ids))
	for i, id := range ids {
		if code, ok := codes[id]; ok {
			wb.xfClass[i] = formatClass(code)
		} else {
			wb.xfClass[i] = builtinClass(id)
		}
	}
	return nil
}

// sharedStrings returns the shared string table, read on first use.
func (wb *workbook) sharedStrings() (*sharedStrings, error) {
	if wb.sstRead {
		return wb.sst, wb.sstErr
	}
	wb.sstRead = true
	wb.sst = &sharedStrings{}
	if wb.sstPath == "" {
		return wb.sst, nil
	}
	var sb strings.Builder
	var text []byte
	inSI, inT, phonetic := false, false, 0
	wb.sstErr = wb.parse(wb.sstPath, false, func(t xml.Token) error {
		switch t := t.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "si":
				inSI, text = true, text[:0]
			case "rPh":
				phonetic++
			case "t":
				inT = inSI && phonetic == 0
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "si":
				if inSI {
					sb.WriteString(unescapeOOXML(text))
					wb.sst.ends = append(wb.sst.ends, sb.Len())
				}
				inSI = false
			case "rPh":
				phonetic = max(phonetic-1, 0)
			case "t":
				inT = false
			}
		case xml.CharData:
			if inT {
				text = append(text, t...)
			}
		}
		return nil
	})
	wb.sst.all = sb.String()
	return wb.sst, wb.sstErr
}

// sharedStrings is the shared string table: every string in one, so that
// a cell's text costs no allocation.
type sharedStrings struct {
	all  string
	ends []int
}

func (s *sharedStrings) get(i int) (string, bool) {
	if i < 0 || i >= len(s.ends) {
		return "", false
	}
	start := 0
	if i > 0 {
		start = s.ends[i-1]
	}
	return s.all[start:s.ends[i]], true
}

// parse streams the XML part name through fn, token by token (raw
// tokens: names keep their prefixes, which fn ignores). A missing part
// is an error when required, else nothing. The part is capped at
// wb.partMax bytes.
func (wb *workbook) parse(name string, required bool, fn func(xml.Token) error) error {
	rc, err := wb.open(name, wb.partMax)
	if errors.Is(err, errNoPart) && !required {
		return nil
	}
	if err != nil {
		return err
	}
	defer rc.Close()
	d := newDecoder(rc)
	for {
		t, err := d.RawToken()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", name, xmlError(err))
		}
		if err := fn(t); err != nil {
			return err
		}
	}
}

func newDecoder(r io.Reader) *xml.Decoder {
	d := xml.NewDecoder(bufio.NewReaderSize(r, 64<<10))
	d.CharsetReader = func(label string, r io.Reader) (io.Reader, error) {
		if strings.EqualFold(label, "utf-8") || strings.EqualFold(label, "utf8") {
			return r, nil
		}
		return nil, fmt.Errorf("XML in %q: only UTF-8 is supported", label)
	}
	return d
}

// xmlError marks an XML syntax error as a corrupt workbook; other errors
// (limits, read failures) pass as they are.
func xmlError(err error) error {
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("%w: %w", errPackage, err)
	}
	return err
}

var errNoPart = errors.New("no such part")

// open opens a part of the package for streaming, charging what it
// decompresses to the budget. max caps the part (0: only the budget).
func (wb *workbook) open(name string, max int64) (io.ReadCloser, error) {
	f := wb.files[strings.ToLower(name)]
	if f == nil {
		return nil, fmt.Errorf("%w: %s", errNoPart, name)
	}
	if max > 0 && f.UncompressedSize64 > uint64(max) {
		return nil, fmt.Errorf("%w: part %s of %d bytes (at most %d, half of max_spool_bytes)", ErrLimit, name, f.UncompressedSize64, max)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", errPackage, name, err)
	}
	return &partReader{rc: rc, name: name, max: max, budget: wb.budget}, nil
}

// budget caps what one workbook decompresses, all parts together: at
// most max bytes, and no more than maxRatio bytes per stored byte once
// past minRatioCheck.
type budget struct {
	used, max, fileSize int64
}

const (
	maxRatio      = 1000
	minRatioCheck = 1 << 20
)

func (b *budget) take(n int64) error {
	b.used += n
	if b.used > b.max {
		return fmt.Errorf("%w: the workbook decompresses to over %d bytes (16 times max_spool_bytes)", ErrLimit, b.max)
	}
	if b.used > minRatioCheck && b.used > maxRatio*b.fileSize {
		return fmt.Errorf("%w: the workbook decompresses to over %d times its size (a zip bomb?)", ErrLimit, maxRatio)
	}
	return nil
}

// partReader reads one part, within its cap and the workbook's budget.
type partReader struct {
	rc     io.ReadCloser
	name   string
	n, max int64
	budget *budget
}

func (p *partReader) Read(b []byte) (int, error) {
	n, err := p.rc.Read(b)
	p.n += int64(n)
	if p.max > 0 && p.n > p.max {
		return n, fmt.Errorf("%w: part %s is over %d bytes (half of max_spool_bytes)", ErrLimit, p.name, p.max)
	}
	if berr := p.budget.take(int64(n)); berr != nil {
		return n, berr
	}
	if err != nil && !errors.Is(err, io.EOF) {
		err = fmt.Errorf("%w: %s: %w", errPackage, p.name, err)
	}
	return n, err
}

func (p *partReader) Close() error { return p.rc.Close() }

// atoi parses a non-negative decimal attribute, or returns def.
func atoi(s string, def int) int {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 0 {
		return def
	}
	return n
}

// unescapeOOXML decodes the _xHHHH_ escapes of OOXML strings (a control
// character such as _x000D_, or _x005F_ for a literal underscore).
func unescapeOOXML(b []byte) string {
	s := string(b)
	if !strings.Contains(s, "_x") {
		return s
	}
	var sb strings.Builder
	for {
		i := strings.Index(s, "_x")
		if i < 0 || i+7 > len(s) {
			break
		}
		if s[i+6] != '_' || !isHex(s[i+2:i+6]) {
			sb.WriteString(s[:i+2])
			s = s[i+2:]
			continue
		}
		v, _ := strconv.ParseUint(s[i+2:i+6], 16, 16)
		sb.WriteString(s[:i])
		sb.WriteRune(rune(v))
		s = s[i+7:]
	}
	sb.WriteString(s)
	return sb.String()
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i] | 0x20
		if !(s[i] >= '0' && s[i] <= '9') && !(c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
