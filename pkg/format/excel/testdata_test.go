package excel_test

import (
	"bytes"
	"flag"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/text/encoding/charmap"

	fx "github.com/filedge/filedge/pkg/format/excel/internal/fixture"
)

// testdataFiles returns every generated input of ./testdata by name: the
// golden cases of TestConformance. TestTestdataIsGenerated keeps the
// files on disk equal to them.
func testdataFiles() map[string][]byte {
	files := map[string][]byte{
		"types.xlsx":                    typesXLSX(),
		"sheets.xlsx":                   sheetsXLSX(),
		"date1904.xlsx":                 date1904XLSX(),
		"strict_prefixed.xlsx":          strictXLSX(),
		"skip_header.xlsx":              skipHeaderXLSX(),
		"skip_header.xlsx.options.json": []byte(`{"SkipHeaderLines": 2}` + "\n"),
		"bad_cells.xlsx":                badCellsXLSX(),
		"empty_workbook.xlsx":           fx.XLSX(fx.Workbook{Sheets: []fx.Sheet{{Name: "Nothing"}}}),
		"truncated.xlsx":                typesXLSX()[:300],
		"opendocument.xlsx":             fx.Zip(fx.Part{Name: "mimetype", Body: "application/vnd.oasis.opendocument.spreadsheet"}, fx.Part{Name: "content.xml", Body: "<office:document-content/>"}),
		"encrypted.xlsx":                fx.Compound(fx.Stream{Name: "EncryptionInfo", Data: make([]byte, 100)}, fx.Stream{Name: "EncryptedPackage", Data: make([]byte, 5000)}),
		"binary.xlsb":                   xlsb(),
		"binary_named.xlsx":             xlsb(),
		"nothing_to_load.xlsx": fx.XLSX(fx.Workbook{Sheets: []fx.Sheet{
			{Name: "Empty"},
			{Name: "Blank cells", Data: `<row r="1"><c r="A1"/></row>`},
			{Name: "Notes", Data: `<row r="3"><c r="A3" t="inlineStr"><is><t>see below</t></is></c></row>`},
		}}),
		"html_saved_as.xls":    []byte("<html><body><table><tr><td>a</td></tr></table></body></html>\n"),
		"types.xls":            typesXLS(),
		"date1904.xls":         date1904XLS(),
		"unordered.xls":        unorderedXLS(),
		"many_rows.xls":        manyRowsXLS(),
		"biff5_cp1251.xls":     biff5XLS(),
		"biff2.xls":            biff2XLS(),
		"biff3.xls":            biff3XLS(),
		"biff4w.xls":           biff4wXLS(),
		"biff4w_truncated.xls": biff4wXLS()[:300],
		"encrypted.xls":        encryptedXLS(),
		"truncated.xls":        typesXLS()[:1100],
		"word_document.xls":    fx.Compound(fx.Stream{Name: "WordDocument", Data: make([]byte, 5000)}),
	}
	return files
}

// xlsb is the skeleton of an Excel binary workbook: the package parts of
// an .xlsx, whose workbook part is xl/workbook.bin (MS-XLSB records).
func xlsb() []byte {
	rel := `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="` + fx.NSPkg + `">%s</Relationships>`
	return fx.Zip(
		fx.Part{Name: "[Content_Types].xml", Body: `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="bin" ContentType="application/vnd.ms-excel.sheet.binary.macroEnabled.main"/></Types>`},
		fx.Part{Name: "_rels/.rels", Body: fmt.Sprintf(rel, `<Relationship Id="rId1" Type="`+fx.NSRel+`/officeDocument" Target="xl/workbook.bin"/>`)},
		fx.Part{Name: "xl/_rels/workbook.bin.rels", Body: fmt.Sprintf(rel, `<Relationship Id="rId1" Type="`+fx.NSRel+`/worksheet" Target="worksheets/sheet1.bin"/>`)},
		// BrtBeginBook, BrtEndBook
		fx.Part{Name: "xl/workbook.bin", Body: "\x83\x01\x00\x84\x01\x00"},
		fx.Part{Name: "xl/worksheets/sheet1.bin", Body: "\x81\x01\x00\x82\x01\x00"},
	)
}

var updateTestdata = flag.Lookup("update")

// TestTestdataIsGenerated proves that ./testdata holds what the
// generators above build (go test -update rewrites the files), so that
// every golden input can be regenerated and reviewed as code.
func TestTestdataIsGenerated(t *testing.T) {
	files := testdataFiles()
	update := updateTestdata != nil && updateTestdata.Value.String() == "true"
	for _, name := range slices.Sorted(maps.Keys(files)) {
		path := filepath.Join("testdata", name)
		if update {
			if err := os.WriteFile(path, files[name], 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Errorf("%s: %v (go test -update writes it)", path, err)
			continue
		}
		if !bytes.Equal(got, files[name]) {
			t.Errorf("%s is not what its generator builds (go test -update rewrites it)", path)
		}
	}
	entries, err := os.ReadDir("testdata")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() {
			continue // corpus goldens
		}
		name := strings.TrimSuffix(e.Name(), ".golden.json")
		if _, ok := files[name]; !ok {
			t.Errorf("testdata/%s has no generator", e.Name())
		}
	}
}

// typesXLSX has one cell of each kind, in each date and number format.
func typesXLSX() []byte {
	return fx.XLSX(fx.Workbook{
		Strings: []string{"text", "number", "date", "datetime", "time", "bool", "formula", "error", "iso", "elapsed", "percent",
			"Zürich", "00123", "", "a & b <c>"},
		// 0 general, 1 date (14), 2 date and time (22), 3 time (21),
		// 4 custom date and time, 5 elapsed, 6 percent, 7 custom
		// text-with-letters, 8 custom date with quoted text.
		NumFmts: map[int]string{164: "dd/mm/yyyy hh:mm", 165: "[h]:mm:ss", 166: `0.0 "days"`, 167: `yyyy "year" mmm`},
		CellXfs: []int{0, 14, 22, 21, 164, 165, 10, 166, 167},
		Sheets: []fx.Sheet{{Name: "Types", Data: `` +
			`<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c><c r="D1" t="s"><v>3</v></c><c r="E1" t="s"><v>4</v></c>` +
			`<c r="F1" t="s"><v>5</v></c><c r="G1" t="s"><v>6</v></c><c r="H1" t="s"><v>7</v></c><c r="I1" t="s"><v>8</v></c><c r="J1" s="1"/><c r="K1" t="s"><v>9</v></c><c r="L1" t="s"><v>10</v></c></row>` +
			// Shared strings, integers, dates and times.
			`<row r="2"><c r="A2" t="s"><v>11</v></c><c r="B2"><v>42</v></c><c r="C2" s="1"><v>45000</v></c><c r="D2" s="2"><v>45000.5</v></c><c r="E2" s="3"><v>0.75</v></c>` +
			`<c r="F2" t="b"><v>1</v></c><c r="G2"><f>B2+1</f><v>43</v></c><c r="H2" t="e"><v>#N/A</v></c><c r="I2" t="d"><v>2024-02-29T10:11:12Z</v></c><c r="J2"><v>7</v></c><c r="K2" s="5"><v>1.5</v></c><c r="L2" s="6"><v>0.25</v></c></row>` +
			// Text that looks like a number, a float, a custom timestamp,
			// formulas with string, boolean and error results.
			`<row r="3"><c r="A3" t="s"><v>12</v></c><c r="B3"><v>42.0</v></c><c r="C3" s="8"><v>45001</v></c><c r="D3" s="4"><v>45000.2503472222</v></c><c r="E3" s="3"><v>1.25</v></c>` +
			`<c r="F3" t="b"><v>0</v></c><c r="G3" t="str"><f>"x"&amp;"y"</f><v>xy</v></c><c r="H3" t="e"><f>1/0</f><v>#DIV/0!</v></c><c r="I3" t="d"><v>2024-03-01</v></c><c r="K3" s="7"><v>3</v></c><c r="M3"><v>8</v></c></row>` +
			// Inline strings with escapes, big and small numbers, a formula
			// saved without its result, an empty shared string.
			`<row r="4"><c r="A4" t="inlineStr"><is><t>line_x000D_&#10;two</t></is></c><c r="B4"><v>1.2345678901234567E-5</v></c><c r="C4" s="1"><v>-1</v></c><c r="D4" s="2"><v>2958466</v></c>` +
			`<c r="F4" t="b"><f>TRUE()</f><v>1</v></c><c r="G4"><f>NOW()</f></c><c r="H4" t="s"><v>13</v></c><c r="I4" t="inlineStr"><is><r><t>rich </t></r><r><t>text</t></r><rPh><t>phonetic</t></rPh></is></c></row>` +
			// A styled row without values, then cells without references.
			`<row r="5"><c r="A5" s="1"/><c r="B5" s="2"/></row>` +
			`<row><c t="s"><v>14</v></c><c><v>9007199254740993</v></c><c s="1"><v>60</v></c><c s="1"><v>61</v></c></row>`,
		}},
	})
}

// sheetsXLSX has a sheet of each kind that is skipped, or not.
func sheetsXLSX() []byte {
	row := func(r, a, b string) string {
		return `<row r="` + r + `"><c r="A` + r + `" t="inlineStr"><is><t>` + a + `</t></is></c><c r="B` + r + `"><v>` + b + `</v></c></row>`
	}
	return fx.XLSX(fx.Workbook{
		Sheets: []fx.Sheet{
			{Name: "Data", Data: row("1", "name", "0") + row("2", "a", "1") + row("3", "b", "2")},
			{Name: "Empty"},
			{Name: "Title row empty", Data: row("3", "late", "3")},
			{Name: "Only blanks", Data: `<row r="1"><c r="A1" s="0"/></row><row r="2"><c r="A2" t="inlineStr"><is><t></t></is></c></row>`},
			{Name: "Pivot", Data: row("1", "x", "1"), Rels: `<Relationship Id="rId1" Type="` + fx.NSRel + `/pivotTable" Target="../pivotTables/pivotTable1.xml"/>`},
			{Name: "data", Data: row("1", "dup", "1")},
			{Name: "Hidden", Data: row("1", "h", "1") + row("2", "v", "2"), Attrs: ` state="hidden"`},
		},
		Extra: []fx.Part{{Name: "xl/pivotTables/pivotTable1.xml", Body: `<pivotTableDefinition/>`}},
	})
}

// date1904XLSX counts its dates from 1904.
func date1904XLSX() []byte {
	return fx.XLSX(fx.Workbook{
		WorkbookPr: ` date1904="1"`,
		CellXfs:    []int{0, 14, 22},
		Sheets: []fx.Sheet{{Name: "Dates", Data: `<row r="1"><c r="A1" t="inlineStr"><is><t>date</t></is></c><c r="B1" t="inlineStr"><is><t>at</t></is></c></row>` +
			`<row r="2"><c r="A2" s="1"><v>0</v></c><c r="B2" s="2"><v>43538.75</v></c></row>`}},
	})
}

// strictXLSX is written as strict OOXML with prefixed elements, absolute
// relationship targets and oddly cased part names, as some tools do.
func strictXLSX() []byte {
	const (
		main = "http://purl.oclc.org/ooxml/spreadsheetml/main"
		rel  = "http://purl.oclc.org/ooxml/officeDocument/relationships"
	)
	return fx.Zip(
		fx.Part{Name: "[Content_Types].xml", Body: `<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>`},
		fx.Part{Name: "_rels/.rels", Body: `<Relationships xmlns="` + fx.NSPkg + `"><Relationship Id="r1" Type="` + rel + `/officeDocument" Target="/xl/workbook.xml"/></Relationships>`},
		fx.Part{Name: "xl/workbook.xml", Body: `<x:workbook xmlns:x="` + main + `" xmlns:rel="` + rel + `"><x:sheets><x:sheet name="Strict" sheetId="1" rel:id="s1"/></x:sheets></x:workbook>`},
		fx.Part{Name: "xl/_rels/workbook.xml.rels", Body: `<Relationships xmlns="` + fx.NSPkg + `"><Relationship Id="s1" Type="` + rel + `/worksheet" Target="/xl/Worksheets/Sheet1.xml"/><Relationship Id="s2" Type="` + rel + `/sharedStrings" Target="SharedStrings.xml"/></Relationships>`},
		fx.Part{Name: "xl/worksheets/sheet1.xml", Body: `<?xml version="1.0" encoding="utf-8"?><x:worksheet xmlns:x="` + main + `"><x:sheetData>` +
			`<x:row><x:c t="s"><x:v>0</x:v></x:c><x:c t="s"><x:v>1</x:v></x:c></x:row>` +
			`<x:row><x:c t="inlineStr"><x:is><x:t>k</x:t></x:is></x:c><x:c><x:v>1e3</x:v></x:c></x:row>` +
			`</x:sheetData></x:worksheet>`},
		fx.Part{Name: "xl/sharedStrings.xml", Body: `<x:sst xmlns:x="` + main + `"><x:si><x:t>key</x:t></x:si><x:si><x:r><x:t>val</x:t></x:r><x:r><x:t>ue</x:t></x:r></x:si></x:sst>`},
	)
}

// skipHeaderXLSX has two title rows above its header (read with
// SkipHeaderLines 2).
func skipHeaderXLSX() []byte {
	return fx.XLSX(fx.Workbook{
		Strings: []string{"Quarterly report", "id", "name"},
		Sheets: []fx.Sheet{{Name: "Report", Data: `<row r="1"><c r="A1" t="s"><v>0</v></c></row>` +
			`<row r="3"><c r="A3" t="s"><v>1</v></c><c r="B3" t="s"><v>2</v></c></row>` +
			`<row r="4"><c r="A4"><v>1</v></c><c r="B4" t="inlineStr"><is><t>one</t></is></c></row>`}},
	})
}

// badCellsXLSX has rows whose cells cannot be read among good rows.
func badCellsXLSX() []byte {
	return fx.XLSX(fx.Workbook{
		Strings: []string{"a", "b"},
		Sheets: []fx.Sheet{{Name: "Bad", Data: `<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>` +
			`<row r="2"><c r="A2"><v>1</v></c><c r="B2"><v>2</v></c></row>` +
			`<row r="3"><c r="A3"><v>1..2</v></c><c r="B3"><v>3</v></c></row>` +
			`<row r="4"><c r="A4" t="s"><v>99</v></c></row>` +
			`<row r="5"><c r="A5" t="b"><v>maybe</v></c></row>` +
			`<row r="6"><c r="1A"><v>1</v></c></row>` +
			`<row r="x"><c r="A7"><v>1</v></c></row>` +
			`<row r="8"><c r="A8" t="weird"><v>1</v></c></row>` +
			`<row r="9"><c r="A9"><v>9</v></c><c r="B9"><v>10</v></c></row>`}},
	})
}

// BIFF8 records used below.
const (
	bof        = 0x0809
	eof        = 0x000A
	boundsheet = 0x0085
	codepage   = 0x0042
	datemode   = 0x0022
	formatRec  = 0x041E
	xfRec      = 0x00E0
	number     = 0x0203
	rkRec      = 0x027E
	mulrk      = 0x00BD
	labelsst   = 0x00FD
	label      = 0x0204
	boolerr    = 0x0205
	formula    = 0x0006
	stringRec  = 0x0207
	blank      = 0x0201
	mulblank   = 0x00BE
	sxview     = 0x00B0
	filepass   = 0x002F
	continueR  = 0x003C
)

// biffSheet is a sheet of a BIFF8 (or BIFF5) workbook: its name, type in
// BOUNDSHEET and BOF, and the records between its BOF and EOF.
type biffSheet struct {
	name    string
	dt      int // 0 worksheet, 2 chart
	bofType int // 0x0010 worksheet, 0x0020 chart
	records func(r *fx.Records)
}

// biffBook returns a Workbook stream: globals (written by globals, with
// BOUNDSHEET records added) and the sheets.
func biffBook(version int, globals func(r *fx.Records), sheets []biffSheet) []byte {
	build := func(offsets []int) (*fx.Records, []byte) {
		g := &fx.Records{}
		g.Add(bof, fx.U16(version), fx.U16(0x0005), make([]byte, 12))
		globals(g)
		for i, s := range sheets {
			name := fx.Unicode(s.name, 1)
			if version < 0x0600 {
				name = fx.Byte8([]byte(s.name), 1)
			}
			g.Add(boundsheet, fx.U32(uint32(offsets[i])), fx.U8(0), fx.U8(s.dt), name)
		}
		g.Add(eof)
		var body fx.Records
		for _, s := range sheets {
			body.Add(bof, fx.U16(version), fx.U16(s.bofType), make([]byte, 12))
			if s.records != nil {
				s.records(&body)
			}
			body.Add(eof)
		}
		return g, body.Bytes()
	}
	offsets := make([]int, len(sheets))
	g, _ := build(offsets)
	// Lay the sheets out after the globals.
	at := g.Len()
	var body fx.Records
	for i, s := range sheets {
		offsets[i] = at + body.Len()
		body.Add(bof, fx.U16(version), fx.U16(s.bofType), make([]byte, 12))
		if s.records != nil {
			s.records(&body)
		}
		body.Add(eof)
	}
	g, rest := build(offsets)
	return append(g.Bytes(), rest...)
}

// xfs adds XF records whose format keys are fmts, in order (XF 0 first).
func xfs(r *fx.Records, fmts ...int) {
	for _, f := range fmts {
		r.Add(xfRec, fx.U16(0), fx.U16(f), make([]byte, 16))
	}
}

func cell(r, c, xf int) []byte { return append(append(fx.U16(r), fx.U16(c)...), fx.U16(xf)...) }

// result is a FORMULA record's cached result that is not a number.
func result(kind, value int) []byte {
	return []byte{byte(kind), 0, byte(value), 0, 0, 0, 0xFF, 0xFF}
}

func formulaRec(r *fx.Records, row, col, xf int, res []byte) {
	r.Add(formula, cell(row, col, xf), res, fx.U16(0), fx.U32(0), fx.U16(0))
}

// typesXLS is a BIFF8 workbook with a cell of each record type and
// shared strings cut across CONTINUE records.
func typesXLS() []byte {
	strs := []string{"text", "int", "float", "date", "datetime", "time", "bool", "formula", "error", "rk",
		"Zürich", "ΑΒΓΔΕ long Greek text cut across records ΖΗΘ", "00123", ""}
	return fx.Compound(fx.Stream{Name: "Workbook", Data: biffBook(0x0600, func(g *fx.Records) {
		g.Add(codepage, fx.U16(1200))
		g.Add(formatRec, fx.U16(164), fx.Unicode("yyyy-mm-dd hh:mm", 2))
		g.Add(formatRec, fx.U16(165), fx.Unicode(`#,##0.00 "€"`, 2))
		// XF 0 general, 1 date (14), 2 custom date-time, 3 time (20), 4 money.
		xfs(g, 0, 14, 164, 20, 165)
		g.SST(strs, 40)
	}, []biffSheet{
		{name: "Types", bofType: 0x0010, records: func(r *fx.Records) {
			for c := range 9 {
				r.Add(labelsst, cell(0, c, 0), fx.U32(uint32(c)))
			}
			r.Add(labelsst, cell(0, 10, 0), fx.U32(9)) // column J (9) has no name
			// Row 2: shared string, NUMBER, dates, time, bool, formula, error.
			r.Add(labelsst, cell(1, 0, 0), fx.U32(10))
			r.Add(number, cell(1, 1, 0), fx.F64(42))
			r.Add(number, cell(1, 2, 4), fx.F64(1234.5))
			r.Add(number, cell(1, 3, 1), fx.F64(45000))
			r.Add(number, cell(1, 4, 2), fx.F64(45000.75))
			r.Add(number, cell(1, 5, 3), fx.F64(0.5))
			r.Add(boolerr, cell(1, 6, 0), fx.U8(1), fx.U8(0))
			formulaRec(r, 1, 7, 0, fx.F64(7))
			r.Add(boolerr, cell(1, 8, 0), fx.U8(0x2A), fx.U8(1))
			r.Add(number, cell(1, 9, 0), fx.F64(5))
			r.Add(rkRec, cell(1, 10, 0), fx.RKInt(-100))
			// Row 3: inline LABEL, RK forms, formulas with string, boolean
			// and error results, a STRING cut by a CONTINUE record.
			r.Add(label, cell(2, 0, 0), fx.Unicode("inline ü", 2))
			r.Add(rkRec, cell(2, 1, 0), fx.RKHundredths(1234))
			r.Add(rkRec, cell(2, 2, 0), fx.RKFloat(2.5))
			formulaRec(r, 2, 6, 0, result(1, 0))
			formulaRec(r, 2, 7, 0, result(0, 0))
			r.Add(0x04BC, make([]byte, 8)) // SHRFMLA between a formula and its STRING
			str := fx.Unicode("formula text, long", 2)
			r.Add(stringRec, str[:10])
			r.Add(continueR, append([]byte{0}, str[10:]...))
			formulaRec(r, 2, 8, 0, result(2, 0x07))
			r.Add(mulrk, fx.U16(2), fx.U16(9), fx.U16(0), fx.RKInt(1), fx.U16(0), fx.RKInt(2), fx.U16(10))
			// Row 4: a string cut across records, text that looks like a
			// number, an empty formula result, a formula string result
			// in the first cell of its row.
			formulaRec(r, 3, 0, 0, result(0, 0))
			r.Add(stringRec, fx.Unicode("first", 2))
			r.Add(labelsst, cell(3, 1, 0), fx.U32(11))
			r.Add(labelsst, cell(3, 2, 0), fx.U32(12))
			formulaRec(r, 3, 7, 0, result(3, 0))
			r.Add(labelsst, cell(3, 8, 0), fx.U32(13))
			// Row 5: blanks only.
			r.Add(blank, cell(4, 0, 1))
			r.Add(mulblank, fx.U16(4), fx.U16(1), fx.U16(0), fx.U16(0), fx.U16(2))
			// Row 7: after a gap.
			r.Add(number, cell(6, 1, 0), fx.F64(-0.25))
		}},
		{name: "Chart1", dt: 2, bofType: 0x0020},
		{name: "Pivot", bofType: 0x0010, records: func(r *fx.Records) {
			r.Add(labelsst, cell(0, 0, 0), fx.U32(0))
			r.Add(sxview, make([]byte, 44))
		}},
		{name: "Empty", bofType: 0x0010},
	})})
}

// date1904XLS counts its dates from 1904.
func date1904XLS() []byte {
	return fx.Compound(fx.Stream{Name: "Workbook", Data: biffBook(0x0600, func(g *fx.Records) {
		g.Add(datemode, fx.U16(1))
		xfs(g, 0, 14, 22)
	}, []biffSheet{{name: "Dates", bofType: 0x0010, records: func(r *fx.Records) {
		r.Add(label, cell(0, 0, 0), fx.Unicode("date", 2))
		r.Add(label, cell(0, 1, 0), fx.Unicode("at", 2))
		r.Add(number, cell(1, 0, 1), fx.F64(0))
		r.Add(number, cell(1, 1, 2), fx.F64(43538.75))
	}}})})
}

// unorderedXLS has cells out of row and column order, as some writers
// leave them.
func unorderedXLS() []byte {
	return fx.Compound(fx.Stream{Name: "Workbook", Data: biffBook(0x0600, func(g *fx.Records) { xfs(g, 0) },
		[]biffSheet{{name: "Scrambled", bofType: 0x0010, records: func(r *fx.Records) {
			r.Add(number, cell(2, 1, 0), fx.F64(22))
			r.Add(label, cell(0, 1, 0), fx.Unicode("b", 2))
			r.Add(number, cell(1, 0, 0), fx.F64(11))
			r.Add(label, cell(0, 0, 0), fx.Unicode("a", 2))
			r.Add(number, cell(2, 0, 0), fx.F64(21))
			r.Add(formula, cell(1, 1, 0), result(0, 0), fx.U16(0), fx.U32(0), fx.U16(0))
			r.Add(stringRec, fx.Unicode("twelve", 2))
		}}})})
}

// manyRowsXLS is large enough for regular sectors (not the mini stream).
func manyRowsXLS() []byte {
	return fx.Compound(fx.Stream{Name: "Workbook", Data: biffBook(0x0600, func(g *fx.Records) { xfs(g, 0) },
		[]biffSheet{{name: "Rows", bofType: 0x0010, records: func(r *fx.Records) {
			r.Add(label, cell(0, 0, 0), fx.Unicode("n", 2))
			r.Add(label, cell(0, 1, 0), fx.Unicode("square", 2))
			for i := 1; i <= 300; i++ {
				r.Add(rkRec, cell(i, 0, 0), fx.RKInt(int32(i)))
				r.Add(number, cell(i, 1, 0), fx.F64(float64(i*i)))
			}
		}}})})
}

// biff5XLS is an Excel 95 workbook ("Book" stream) in code page 1251.
func biff5XLS() []byte {
	cp := func(s string) []byte {
		b, err := charmap.Windows1251.NewEncoder().Bytes([]byte(s))
		if err != nil {
			panic(err)
		}
		return b
	}
	return fx.Compound(fx.Stream{Name: "Book", Data: biffBook(0x0500, func(g *fx.Records) {
		g.Add(codepage, fx.U16(1251))
		g.Add(formatRec, fx.U16(164), fx.Byte8([]byte("dd.mm.yyyy"), 1))
		xfs(g, 0, 164)
	}, []biffSheet{{name: "Sheet", bofType: 0x0010, records: func(r *fx.Records) {
		r.Add(label, cell(0, 0, 0), fx.Byte8(cp("Город"), 2))
		r.Add(label, cell(0, 1, 0), fx.Byte8(cp("Дата"), 2))
		r.Add(label, cell(1, 0, 0), fx.Byte8(cp("Москва"), 2))
		r.Add(number, cell(1, 1, 1), fx.F64(35000))
		r.Add(0x00D6, cell(2, 0, 0), fx.Byte8(cp("Сочи"), 2), fx.U8(0)) // RSTRING
		r.Add(rkRec, cell(2, 1, 1), fx.RKInt(35001))
	}}})})
}

// biff2XLS is an Excel 2 worksheet: a bare record stream whose cells
// carry their format in their attributes.
func biff2XLS() []byte {
	var r fx.Records
	r.Add(0x0009, fx.U16(0x0002), fx.U16(0x0010))
	r.Add(0x001E, fx.Byte8([]byte("General"), 1))
	r.Add(0x001E, fx.Byte8([]byte("d/m/yy"), 1))
	attr := func(row, col, format int) []byte {
		return append(append(fx.U16(row), fx.U16(col)...), 0, byte(format), 0)
	}
	r.Add(0x0004, attr(0, 0, 0), fx.Byte8([]byte("label"), 1))
	r.Add(0x0004, attr(0, 1, 0), fx.Byte8([]byte("when"), 1))
	r.Add(0x0004, attr(0, 2, 0), fx.Byte8([]byte("flag"), 1))
	r.Add(0x0004, attr(0, 3, 0), fx.Byte8([]byte("calc"), 1))
	r.Add(0x0004, attr(1, 0, 0), fx.Byte8([]byte("caf\xe9"), 1))
	r.Add(0x0003, attr(1, 1, 1), fx.F64(33000))
	r.Add(0x0005, attr(1, 2, 0), fx.U8(1), fx.U8(0))
	r.Add(0x0006, attr(1, 3, 0), fx.F64(2.5), fx.U8(0), fx.U8(0), []byte{1, 0})
	r.Add(0x0002, attr(2, 0, 0), fx.U16(7))
	r.Add(0x0006, attr(2, 3, 0), result(0, 0), fx.U8(0), fx.U8(0))
	r.Add(0x0007, fx.Byte8([]byte("from formula"), 1))
	r.Add(eof)
	return r.Bytes()
}

// biff3XLS is an Excel 3 worksheet: XF records point to formats.
func biff3XLS() []byte {
	var r fx.Records
	r.Add(0x0209, fx.U16(0), fx.U16(0x0010))
	r.Add(datemode, fx.U16(0))
	r.Add(0x001E, fx.Byte8([]byte("General"), 1))
	r.Add(0x001E, fx.Byte8([]byte("yyyy-mm-dd"), 1))
	r.Add(0x0243, fx.U8(0), fx.U8(0), make([]byte, 10))
	r.Add(0x0243, fx.U8(0), fx.U8(1), make([]byte, 10))
	r.Add(label, cell(0, 0, 0), fx.Byte8([]byte("day"), 2))
	r.Add(number, cell(1, 0, 1), fx.F64(40000))
	r.Add(rkRec, cell(2, 0, 1), fx.RKInt(40001))
	r.Add(eof)
	return r.Bytes()
}

// biff4wXLS is an Excel 4.0 workbook (BIFF4W) of five sheets: one with
// its own formats and a cell of each kind, a chart and a macro sheet
// (skipped), one whose cells use the formats of the workbook globals,
// and an empty one.
func biff4wXLS() []byte {
	const (
		font4    = 0x0231
		format4  = 0x041E
		xf4      = 0x0443
		formula4 = 0x0406
	)
	// A style XF (0), then cell XFs of the given formats.
	xfs := func(r *fx.Records, fmts ...int) {
		r.Add(xf4, fx.U8(0), fx.U8(0), fx.U16(0xFFF4), make([]byte, 8))
		for _, f := range fmts {
			r.Add(xf4, fx.U8(0), fx.U8(f), fx.U16(0), fx.U8(0), fx.U8(0xFC), make([]byte, 6))
		}
	}
	formats := func(r *fx.Records, codes ...string) {
		for _, c := range codes {
			r.Add(format4, fx.U16(0), fx.Byte8([]byte(c), 1))
		}
	}
	text := func(r *fx.Records, row, col int, s string) { r.Add(label, cell(row, col, 0), fx.Byte8([]byte(s), 2)) }
	// formulaTokens writes a FORMULA record: its cached result, then
	// its parsed expression.
	formulaTokens := func(r *fx.Records, row, col, xf int, res, tokens []byte) {
		r.Add(formula4, cell(row, col, xf), res, fx.U16(0), fx.U16(len(tokens)), tokens)
	}
	tInt := func(v int) []byte { return append([]byte{0x1E}, fx.U16(v)...) }
	return fx.Workbook4(func(g *fx.Records) {
		g.Add(codepage, fx.U16(1252))
		g.Add(font4, fx.U16(200), fx.U16(0), fx.U16(0x7FFF), fx.Byte8([]byte("Arial"), 1))
		// Formats of the globals: the sheets without their own use them.
		formats(g, "General", "0.00", "dd/mm/yyyy hh:mm")
		xfs(g, 0, 2, 1)
	}, []fx.Sheet4{
		{Name: "Data", Type: 0x0010, Records: func(r *fx.Records) {
			// The sheet's own formats, in another order than the globals'.
			formats(r, "General", "yyyy-mm-dd", "0.00")
			xfs(r, 0, 1)
			for c, name := range []string{"text", "date", "number", "flag", "sum", "joined", "error"} {
				text(r, 0, c, name)
			}
			text(r, 1, 0, "caf\xe9")
			r.Add(number, cell(1, 1, 2), fx.F64(45000))
			r.Add(number, cell(1, 2, 1), fx.F64(42.5))
			r.Add(boolerr, cell(1, 3, 1), fx.U8(1), fx.U8(0))
			formulaTokens(r, 1, 4, 1, fx.F64(3), append(append(tInt(1), tInt(2)...), 0x03)) // =1+2
			formulaTokens(r, 1, 5, 1, result(0, 0), append([]byte{0x17}, fx.Byte8([]byte("ab"), 1)...))
			r.Add(stringRec, fx.Byte8([]byte("ab"), 2))
			formulaTokens(r, 1, 6, 1, result(2, 0x07), append(append(tInt(1), tInt(0)...), 0x06)) // =1/0
			text(r, 2, 0, "next")
			r.Add(rkRec, cell(2, 1, 2), fx.RKInt(45001))
			r.Add(rkRec, cell(2, 2, 1), fx.RKHundredths(-125))
			formulaTokens(r, 2, 3, 1, result(1, 0), []byte{0x1D, 0}) // =FALSE
		}},
		{Name: "Chart", Type: 0x0020, Records: func(r *fx.Records) { r.Add(0x1001, fx.U16(0)) }},
		{Name: "Macro1", Type: 0x0040, Records: func(r *fx.Records) { text(r, 0, 0, "macro") }},
		{Name: "Global formats", Type: 0x0010, Records: func(r *fx.Records) {
			text(r, 0, 0, "at")
			text(r, 0, 1, "amount")
			r.Add(number, cell(1, 0, 2), fx.F64(45000.75))
			r.Add(number, cell(1, 1, 3), fx.F64(7))
		}},
		{Name: "Empty", Type: 0x0010},
	}...)
}

// encryptedXLS is protected by a password (a FILEPASS record).
func encryptedXLS() []byte {
	return fx.Compound(fx.Stream{Name: "Workbook", Data: biffBook(0x0600, func(g *fx.Records) {
		g.Add(filepass, fx.U16(1), make([]byte, 52))
	}, []biffSheet{{name: "Secret", bofType: 0x0010}})})
}
