package excel

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/filedge/filedge/pkg/format/excel/internal/fixture"
)

// stdTokens tokenizes doc with encoding/xml (raw tokens, strict), in the
// form scanTokens gives: comments, processing instructions and
// directives dropped, runs of character data joined, character data at
// the very end dropped.
func stdTokens(doc []byte) ([]string, error) {
	d := xml.NewDecoder(bytes.NewReader(doc))
	var toks []string
	var text strings.Builder
	inText := false
	flush := func() {
		if inText {
			toks = append(toks, "T"+text.String())
			text.Reset()
			inText = false
		}
	}
	for {
		t, err := d.RawToken()
		if errors.Is(err, io.EOF) {
			return toks, nil // trailing text dropped
		}
		if err != nil {
			return nil, err
		}
		switch t := t.(type) {
		case xml.StartElement:
			flush()
			var b strings.Builder
			b.WriteString("<" + t.Name.Local)
			for _, a := range t.Attr {
				fmt.Fprintf(&b, " %s=%q", a.Name.Local, a.Value)
			}
			toks = append(toks, b.String()+">")
		case xml.EndElement:
			flush()
			toks = append(toks, "</"+t.Name.Local+">")
		case xml.CharData:
			text.Write(t)
			inText = true
		}
	}
}

// scanTokens tokenizes doc with the scanner.
func scanTokens(doc []byte) ([]string, error) {
	s := newScanner(bytes.NewReader(doc))
	var toks []string
	var text strings.Builder
	inText := false
	for {
		k, err := s.next(true)
		if errors.Is(err, io.EOF) {
			return toks, nil
		}
		if err != nil {
			return nil, err
		}
		if k != tokText && inText {
			toks = append(toks, "T"+text.String())
			text.Reset()
			inText = false
		}
		switch k {
		case tokStart:
			var b strings.Builder
			b.WriteString("<" + string(s.name))
			for _, a := range s.attrs {
				fmt.Fprintf(&b, " %s=%q", a.name, a.value)
			}
			toks = append(toks, b.String()+">")
		case tokEnd:
			toks = append(toks, "</"+string(s.name)+">")
		case tokText:
			text.Write(s.text)
			inText = true
		}
	}
}

// checkScanner fails t when encoding/xml reads doc and the scanner reads
// it differently.
func checkScanner(t *testing.T, doc []byte) {
	t.Helper()
	want, err := stdTokens(doc)
	if err != nil {
		return // not XML: the scanner may read it or not
	}
	got, err := scanTokens(doc)
	if err != nil {
		t.Fatalf("encoding/xml reads %q, the scanner fails: %v", doc, err)
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("%q:\nscanner:      %q\nencoding/xml: %q", doc, got, want)
	}
}

func TestScannerMatchesEncodingXML(t *testing.T) {
	long := strings.Repeat("x", 100<<10) // longer than the read buffer
	docs := []string{
		`<?xml version="1.0" encoding="UTF-8" standalone="yes"?><a/>`,
		`<x:row r="1" spans="1:3"><x:c r="A1" t="s"><x:v>0</x:v></x:c></x:row>`,
		`<c r='A1' t = "str" ><f>"x"&amp;"y"</f><v>x&amp;y &lt;z&gt; &quot;&apos; &#65;&#x42;&#x1F600;</v></c >`,
		`<a b="x &gt; y" c='1>2' d="&#10;"/>`,
		"<t>line\r\nbreak\rlone &#13;&#10; kept</t><a v=\"a\r\nb&#13;\"/>",
		`<a>&#xD800; a surrogate</a>`,
		`<t><![CDATA[<not a tag> & raw]]>tail</t>`,
		`<!DOCTYPE sheet [<!ENTITY x "boom"> <!ATTLIST a b CDATA ">">]><a>after doctype</a>`,
		`<a><!-- a comment <c> --><b/><?pi stuff?>text</a>`,
		`<is><r><t xml:space="preserve"> spaced </t></r><rPh sb="0" eb="1"><t>ph</t></rPh></is>`,
		`<v>` + long + `</v>`,
		`<c r="A1" ` + strings.Repeat(`x="y" `, 20000) + `/>`,
		`<a>` + strings.Repeat("&amp;", 20000) + `</a>`,
		`<a>text with é and 中文 and 😀</a>`,
		`<a/><b></b>trailing`,
	}
	for _, doc := range docs {
		checkScanner(t, []byte(doc))
	}
}

func TestScannerRefusesWhatXMLRefuses(t *testing.T) {
	for _, doc := range []string{
		`<a>&unknown;</a>`,
		`<a>&#0;</a>`,
		`<a>&#xFFFE;</a>`,
		"<a>\x01</a>",
		"<a>\xff</a>",
		`<a b=c/>`,
		`<a b/>`,
		`<a b="unterminated/>`,
		`<a`,
		`<a><![CDATA[never closed</a>`,
		`<a><!-- never closed</a>`,
	} {
		if _, err := stdTokens([]byte(doc)); err == nil {
			t.Errorf("encoding/xml reads %q: not a case for this test", doc)
			continue
		}
		if toks, err := scanTokens([]byte(doc)); err == nil && len(toks) > 1 {
			t.Errorf("scanner read %q as %q", doc, toks)
		}
	}
}

// FuzzScanner proves that whatever XML encoding/xml reads, the scanner
// reads the same way, and that no input makes it panic.
func FuzzScanner(f *testing.F) {
	f.Add([]byte(`<row r="1"><c r="A1" t="inlineStr"><is><t>x&amp;y</t></is></c></row>`))
	paths, _ := filepath.Glob(filepath.Join("testdata", "*.xlsx"))
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		if zr, err := zipReader(b); err == nil {
			for _, zf := range zr.File {
				if strings.HasSuffix(zf.Name, ".xml") {
					rc, err := zf.Open()
					if err != nil {
						continue
					}
					doc, _ := io.ReadAll(rc)
					rc.Close()
					f.Add(doc)
				}
			}
		}
	}
	f.Add(fixture.Zip()) // not XML at all
	f.Fuzz(func(t *testing.T, doc []byte) {
		checkScanner(t, doc)
	})
}

func zipReader(b []byte) (*zip.Reader, error) {
	return zip.NewReader(bytes.NewReader(b), int64(len(b)))
}
