package decode

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// samples are short texts in the languages Detect knows, each with the
// legacy encodings files in that language are written in.
var samples = []struct {
	lang, text string
	encodings  []string
}{
	{"fr", "Le centre de la ville était déjà plein de touristes. À midi, ils ont mangé une crème brûlée près de la fenêtre. Où est le garçon qui a perdu son chapeau ?", []string{"windows-1252", "latin-1", "cp850"}},
	{"de", "Größere Häuser müssen früher gebaut werden. Die Bürger wählen über die Straßenbahn. Schöne Grüße aus München und Köln.", []string{"windows-1252", "cp850"}},
	{"es", "El niño comió una manzana en el jardín. ¿Dónde está la estación? La canción fue muy bonita y el público aplaudió.", []string{"windows-1252", "cp850"}},
	{"pt", "A informação foi publicada na edição de ontem. As crianças estão com fome e não querem esperar. Ação e reação são iguais.", []string{"windows-1252"}},
	{"it", "La città è bellissima e la gente è molto gentile. Perché non andiamo al caffè più vicino? Così potremo parlare.", []string{"windows-1252"}},
	{"sv", "Det är en vacker dag i Göteborg. Björnen åt blåbär och räkor. Vi ses på fredag i Malmö.", []string{"windows-1252"}},
	{"da", "Jeg så en rød bil på vejen ved søen. Børnene spiste æbler og blåbær i haven.", []string{"windows-1252"}},
	{"cs", "Příliš žluťoučký kůň úpěl ďábelské ódy. Čeština používá háčky a čárky. Řeka teče přes město.", []string{"windows-1250", "iso-8859-2"}},
	{"pl", "Zażółć gęślą jaźń. Wszystkie dzieci poszły do szkoły w środę. Łódź jest dużym miastem w Polsce.", []string{"windows-1250", "iso-8859-2"}},
	{"hu", "Árvíztűrő tükörfúrógép. A magyar nyelv különleges betűket használ. Szép időnk van ma délután.", []string{"windows-1250", "iso-8859-2"}},
	{"ro", "Această ţară are munţi înalţi şi râuri frumoase. Învăţătorul a citit o poveste copiilor.", []string{"windows-1250"}},
	{"hr", "Čovjek je otišao u šumu. Žena je kupila ćevape i đuveč na tržnici.", []string{"windows-1250"}},
	{"ru", "Съешь же ещё этих мягких французских булок, да выпей чаю. Москва является столицей России. Мы поехали на поезде в Санкт-Петербург.", []string{"windows-1251", "koi8-r", "cp866"}},
	{"uk", "Їжак з'їв ґудзик і пішов додому. Україна є великою країною. Є багато людей у місті.", []string{"windows-1251"}},
	{"bg", "Българският език използва кирилица. Днес е хубав ден за разходка в парка с приятели.", []string{"windows-1251"}},
	{"el", "Η γρήγορη καφέ αλεπού πηδάει πάνω από το τεμπέλικο σκυλί. Καλημέρα σας, τι κάνετε σήμερα;", []string{"windows-1253", "iso-8859-7"}},
	{"tr", "Türkçe güzel bir dildir. Şişli'de çay içtik ve ağaç altında oturduk. İstanbul büyük bir şehir.", []string{"windows-1254"}},
	{"lt", "Lietuvių kalba yra viena seniausių kalbų. Ąžuolas auga šalia upės, o vaikai žaidžia.", []string{"windows-1257"}},
	{"lv", "Latviešu valoda ir skaista. Rīgā ir daudz vecu ēku un šauru ielu.", []string{"windows-1257"}},
	{"he", "שלום לכולם, מה שלומכם היום? אנחנו הולכים לים בשבת עם המשפחה.", []string{"windows-1255"}},
	{"ar", "مرحبا بكم في المدينة الجميلة. نحن نحب القراءة والكتابة كل يوم.", []string{"windows-1256"}},
	{"th", "ภาษาไทยเป็นภาษาที่สวยงาม วันนี้อากาศดีมาก เราจะไปตลาดกัน", []string{"windows-874"}},
	{"ja", "日本語の文章です。今日は天気がいいので、公園に行きました。東京は大きな都市です。カタカナとひらがなと漢字を使います。", []string{"shift_jis", "euc-jp"}},
	{"zh-hans", "这是一个简单的中文句子。我们今天去公园散步，天气非常好。中国是一个历史悠久的国家。", []string{"gbk"}},
	{"zh-hant", "這是一個簡單的中文句子。我們今天去公園散步，天氣非常好。台灣有很多美麗的地方。", []string{"big5"}},
	{"ko", "한국어는 아름다운 언어입니다. 오늘 날씨가 정말 좋아서 공원에 갔습니다. 서울은 큰 도시입니다.", []string{"euc-kr"}},
}

// encodeIn returns text in the encoding name.
func encodeIn(t testing.TB, name, text string) []byte {
	t.Helper()
	e := encodings[fold(name)]
	if e == nil {
		t.Fatalf("no encoding %q", name)
	}
	b, err := e.enc.NewEncoder().Bytes([]byte(text))
	if err != nil {
		t.Fatalf("%s cannot encode %q: %v", name, text, err)
	}
	return b
}

// decodeIn returns b decoded from the encoding name.
func decodeIn(t testing.TB, name string, b []byte) string {
	t.Helper()
	e := encodings[fold(name)]
	if e == nil {
		t.Fatalf("no encoding %q", name)
	}
	if e.enc == nil {
		return string(b)
	}
	out, err := e.enc.NewDecoder().Bytes(b)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// Detect reads a text of a few sentences in every language it knows, in
// every legacy encoding files in that language come in, as it was
// written: the encoding it picks decodes the bytes to the same text (when
// two encodings do, either is right), with some confidence.
func TestDetectReadsEachLanguageInEachOfItsEncodings(t *testing.T) {
	for _, s := range samples {
		for _, enc := range s.encodings {
			t.Run(s.lang+"/"+enc, func(t *testing.T) {
				for _, text := range []string{s.text, "id,name,note\n1," + strings.ReplaceAll(s.text, ". ", ".\n2,") + "\n"} {
					b := encodeIn(t, enc, text)
					d := Detect(b, true)
					if d.Encoding == "" {
						t.Fatalf("%q: nothing detected", text)
					}
					if got := decodeIn(t, d.Encoding, b); got != text {
						t.Fatalf("detected %s (%s, confidence %.2f), which reads\n%q\nnot\n%q", d.Encoding, d.Language, d.Confidence, got, text)
					}
					if d.Confidence < 0.2 {
						t.Errorf("detected %s (%s) with confidence %.2f only", d.Encoding, d.Language, d.Confidence)
					}
				}
			})
		}
	}
}

// UTF-8 is UTF-8, whatever the language; so is ASCII.
func TestDetectTakesValidUTF8ForUTF8(t *testing.T) {
	for _, s := range samples {
		if d := Detect([]byte(s.text), true); d.Encoding != "utf-8" || d.Confidence != 1 {
			t.Errorf("%s: %+v", s.lang, d)
		}
	}
	// A character cut short by the end of the window is no evidence.
	if d := Detect([]byte("café\xc3"), false); d.Encoding != "utf-8" {
		t.Errorf("cut short: %+v", d)
	}
	if d := Detect([]byte("plain ASCII"), true); d.Encoding != "utf-8" {
		t.Errorf("ASCII: %+v", d)
	}
}

// Bytes that no encoding defines throughout are not detected as anything.
func TestDetectFindsNothingInBinary(t *testing.T) {
	// 0x81 0x8D 0x8F 0x90 0x9D are undefined in windows-1252, and these
	// pairs are no valid multi-byte characters.
	b := bytes.Repeat([]byte("\x00\x81\x8d\xff\x90\x9d\xfe\x00"), 64)
	if d := Detect(b, true); d.Encoding != "" && d.Confidence > 0.5 {
		t.Errorf("binary detected as %+v", d)
	}
}

// With encoding auto, Text passes ASCII through and decides at the text's
// first byte that is not ASCII, however far into the file, and says so.
func TestTextAutoDecidesAtTheFirstByteThatIsNotASCII(t *testing.T) {
	ascii := strings.Repeat("id,name\n1,plain\n", 2*DetectBytes/16) // two windows of ASCII
	lines := int64(strings.Count(ascii, "\n"))
	for _, s := range samples {
		enc := s.encodings[0]
		in := append([]byte(ascii), encodeIn(t, enc, s.text+"\n")...)
		r, err := Text(bytes.NewReader(in), "auto")
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(r)
		if err != nil {
			t.Fatalf("%s: %v", s.lang, err)
		}
		if string(got) != ascii+s.text+"\n" {
			t.Errorf("%s: read %q", s.lang, got[len(ascii):])
		}
		d, ok := r.Detected()
		if !ok || d.Line != lines+1 || decodeIn(t, d.Encoding, in) != string(got) {
			t.Errorf("%s in %s: detected %+v, %v", s.lang, enc, d, ok)
		}
	}
}

// auto takes UTF-8 for UTF-8, silently, and ASCII for ASCII.
func TestTextAutoReadsUTF8AndASCIIWithoutAWord(t *testing.T) {
	for _, in := range []string{"a,b\n1,é\n", "a,b\n1,2\n", ""} {
		r, err := Text(strings.NewReader(in), "auto")
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(r)
		if err != nil || string(got) != in {
			t.Fatalf("%q: read %q, %v", in, got, err)
		}
		if d, ok := r.Detected(); ok {
			t.Errorf("%q: detected %+v", in, d)
		}
	}
}

// auto decides on a window; a byte further on that the encoding decided
// on does not define fails the text there, saying what was decided where.
func TestTextAutoFailsWhereALaterByteContradictsItsChoice(t *testing.T) {
	in := []byte("a,b\n1,café\n" + strings.Repeat("2,plain text\n", 2*DetectBytes/13) + "3,caf\xe9\n")
	r, err := Text(bytes.NewReader(in), "auto")
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(r)
	var ee *EncodingError
	if !asEncodingError(err, &ee) {
		t.Fatalf("read %d bytes, error %v; want an *EncodingError", len(got), err)
	}
	wantLine := int64(bytes.Count(in, []byte{'\n'}))
	wantOffset := int64(bytes.LastIndexByte(in, 0xe9))
	if ee.Line != wantLine || ee.Offset != wantOffset || ee.Auto == nil || ee.Auto.Encoding != "utf-8" || ee.Auto.Line != 2 {
		t.Errorf("error at line %d, offset %d, auto %+v; want line %d, offset %d, auto utf-8 at line 2", ee.Line, ee.Offset, ee.Auto, wantLine, wantOffset)
	}
	if !bytes.Equal(got, in[:wantOffset]) {
		t.Errorf("passed on %d bytes before the error, want %d", len(got), wantOffset)
	}
	msg := err.Error()
	for _, want := range []string{fmt.Sprintf("line %d, offset %d", wantLine, wantOffset), "byte 0xE9 is not valid utf-8", "encoding: auto took the text for at line 2", "looks like windows-1252"} {
		if !strings.Contains(msg, want) {
			t.Errorf("%q lacks %q", msg, want)
		}
	}
}

func asEncodingError(err error, target **EncodingError) bool {
	return err != nil && errorsAs(err, target)
}

// Without encoding, text that is not UTF-8 fails at its first bad byte,
// with its line and offset and the encoding it looks like; nothing is
// replaced.
func TestTextWithoutEncodingFailsAtTheFirstByteThatIsNotUTF8(t *testing.T) {
	latin := encodeIn(t, "windows-1252", "id,name\n1,ok\n2,François Müller\n3,é\n")
	tests := []struct {
		name       string
		in         []byte
		line, off  int64
		bad, hint  string
		passedOn   int
		wideSuffix string
	}{
		{"windows-1252", latin, 3, int64(bytes.IndexByte(latin, 0xe7)), "byte 0xE7", "looks like windows-1252", bytes.IndexByte(latin, 0xe7), ""},
		{"the first byte", []byte("\xffabc"), 1, 0, "byte 0xFF", "", 0, ""},
		{"a character cut short at the end", []byte("ab\nc\xc3"), 2, 4, "byte 0xC3", "", 4, ""},
		{"an encoded surrogate", []byte("x\xed\xa0\x80"), 1, 1, "byte 0xED", "", 1, ""},
		{"an overlong encoding", []byte("a\n\nb\xc0\xaf"), 3, 4, "byte 0xC0", "", 4, ""},
		{"after a BOM", []byte("\xef\xbb\xbfa\xff"), 1, 4, "byte 0xFF", "", 1, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, name := range []string{"", "utf-8"} {
				for _, oneByte := range []bool{false, true} {
					var in io.Reader = bytes.NewReader(tt.in)
					if oneByte {
						in = iotestOneByte(in)
					}
					r, err := Text(in, name)
					if err != nil {
						t.Fatal(err)
					}
					got, err := io.ReadAll(r)
					var ee *EncodingError
					if !asEncodingError(err, &ee) {
						t.Fatalf("%q: read %q, error %v", name, got, err)
					}
					if ee.Line != tt.line || ee.Offset != tt.off || len(got) != tt.passedOn {
						t.Errorf("%q, one byte %v: line %d, offset %d, %d bytes passed on; want %d, %d, %d", name, oneByte, ee.Line, ee.Offset, len(got), tt.line, tt.off, tt.passedOn)
					}
					msg := err.Error()
					if !strings.Contains(msg, tt.bad+" is not valid utf-8") || !strings.Contains(msg, tt.hint) || !strings.Contains(msg, "encoding: auto") {
						t.Errorf("message %q", msg)
					}
				}
			}
		})
	}
}

// Without encoding, UTF-16 or UTF-32 text without a BOM fails at once
// with the encoding to set, rather than load its zero bytes as text.
func TestTextWithoutEncodingRefusesUTF16WithoutABOM(t *testing.T) {
	for _, enc := range []string{"utf-16le", "utf-16be", "utf-32le", "utf-32be"} {
		in := encodeIn(t, enc, "id,name\n1,plain\n2,more\n")
		r, err := Text(bytes.NewReader(in), "")
		if err != nil {
			t.Fatal(err)
		}
		_, err = io.ReadAll(r)
		if err == nil || !strings.Contains(err.Error(), "set encoding: "+enc) {
			t.Errorf("%s: error %v", enc, err)
		}
		// auto reads it.
		r, _ = Text(bytes.NewReader(in), "auto")
		got, err := io.ReadAll(r)
		if d, ok := r.Detected(); err != nil || string(got) != "id,name\n1,plain\n2,more\n" || !ok || d.Encoding != enc || !d.Wide {
			t.Errorf("%s with auto: read %q, %v, detected %+v", enc, got, err, d)
		}
	}
}

// A set encoding that does not define a byte, or a multi-byte encoding
// that meets a bad sequence, fails at that byte too; nothing becomes
// U+FFFD. So does UTF-16 with a lone surrogate, while UTF-16's own U+FFFD
// is text like any other.
func TestTextInASetEncodingFailsAtABadByte(t *testing.T) {
	tests := []struct {
		enc       string
		in        []byte
		line, off int64
		bad       string
		read      string
	}{
		{"windows-1252", []byte("a,b\nx\x81y\n"), 2, 5, "byte 0x81 is not valid windows-1252", "a,b\nx"},
		{"shift_jis", append(encodeIn(t, "shift_jis", "名前\n東京"), "\n\x85\x40"...), 3, 10, "bytes 0x85 0x40 are not valid shift_jis", "名前\n東京\n"},
		{"gbk", append([]byte("a\n"), 0xff, 0xff), 2, 2, "byte 0xFF is not valid gbk", "a\n"},
		{"utf-16le", []byte{'a', 0, '\n', 0, 0x00, 0xD8, 'b', 0}, 2, 4, "bytes 0x00 0xD8 are not valid utf-16le", "a\n"},
		{"utf-16le", []byte{'a', 0, 0xFD, 0xFF}, 0, 0, "", "a\uFFFD"},
	}
	for _, tt := range tests {
		r, err := Text(bytes.NewReader(tt.in), tt.enc)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(r)
		if string(got) != tt.read {
			t.Errorf("%s %q: read %q, want %q", tt.enc, tt.in, got, tt.read)
		}
		if tt.bad == "" {
			if err != nil {
				t.Errorf("%s %q: %v", tt.enc, tt.in, err)
			}
			continue
		}
		var ee *EncodingError
		if !asEncodingError(err, &ee) || ee.Line != tt.line || ee.Offset != tt.off || !strings.Contains(err.Error(), tt.bad) {
			t.Errorf("%s %q: error %v; want line %d, offset %d, %q", tt.enc, tt.in, err, tt.line, tt.off, tt.bad)
		}
	}
}

// The names auto may pick are all names Text knows; the languages of
// each are all in the tables.
func TestAutoCandidatesAreKnown(t *testing.T) {
	n := 0
	for _, e := range textEncodings {
		if len(e.langs) == 0 {
			continue
		}
		n++
		if !KnownEncoding(e.name()) {
			t.Errorf("%s unknown", e.name())
		}
		for _, l := range e.langs {
			if languages[l] == nil {
				t.Errorf("%s: language %q has no table", e.name(), l)
			}
		}
	}
	if n < 15 || !KnownEncoding("auto") || !KnownEncoding("Shift_JIS") || !KnownEncoding("CP1251") {
		t.Errorf("%d candidates", n)
	}
}

func errorsAs(err error, target **EncodingError) bool { return errors.As(err, target) }

func iotestOneByte(r io.Reader) io.Reader { return iotest.OneByteReader(r) }

// countingReader counts the bytes read from it.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

// auto never reads further ahead of what it has passed on than its
// detection window (and its first bytes): a file of any size streams.
func TestTextAutoHoldsNoMoreThanItsWindow(t *testing.T) {
	line := []byte("1,Fran\xe7ois M\xfcller caf\xe9 cr\xe8me\n")
	src := &countingReader{r: io.MultiReader(strings.NewReader(strings.Repeat("0,plain\n", 100_000)), bytes.NewReader(bytes.Repeat(line, 100_000)))}
	r, err := Text(src, "auto")
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 32<<10)
	out := 0
	for {
		n, err := r.Read(buf)
		out += n
		if ahead := src.n - out; ahead > DetectBytes+wideSniffBytes+2*len(buf) {
			t.Fatalf("read %d bytes ahead of the %d passed on", ahead, out)
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if d, ok := r.Detected(); !ok || d.Encoding != "windows-1252" || d.Line != 100_001 {
		t.Errorf("detected %+v", d)
	}
}
