package decode

import (
	"bytes"
	"math"
	"unicode"
	"unicode/utf8"
)

// DetectBytes is how much text Detect is given at most: Text (with
// encoding auto) decides on the bytes from the first one that is not
// ASCII, up to this many.
const DetectBytes = 64 << 10

// Detection is what Detect found.
type Detection struct {
	// Encoding is the encoding's name, as EncodingNames has it; "" when
	// no encoding Detect knows decodes the text.
	Encoding string
	// Language is the language whose letters the decoded text matches
	// best, "" for UTF-8 and UTF-16 or UTF-32.
	Language string
	// Confidence, from 0 to 1: how much better the encoding reads the
	// text than the next one that reads it to other characters (its own
	// score when no other one decodes it); 1 for UTF-8 and for UTF-16 or
	// UTF-32 told by their zero bytes.
	Confidence float64
	// Line is the line the text Detect looked at starts on, when Text
	// detected it (0 otherwise).
	Line int64
	// Wide is set when the text was taken for UTF-16 or UTF-32 by its
	// zero bytes.
	Wide bool
}

// Detect returns the encoding text most likely is in, from its bytes b
// (the start of the text, or of its part from its first byte that is not
// ASCII); eof reports whether b is the whole rest of the text, else its
// last character may be cut short. The rule, in order:
//
//  1. Valid UTF-8 (ASCII included) is UTF-8.
//  2. Otherwise each encoding auto may pick (windows-1252, -1250, -1251,
//     KOI8-R, windows-1253, -1254, -1257, -1255, -1256, -874, ISO-8859-2
//     and -7, code pages 850 and 866, Shift_JIS, EUC-JP, GBK, Big5,
//     EUC-KR) decodes b; one that meets a byte it does not define is out.
//  3. Each of the others gets a score from 0 to 1: the mean, over the
//     characters it decoded that are not ASCII, of how likely each is in
//     text of the best fitting of the encoding's languages. A letter
//     weighs by its rank in the language's letters (1 for the most
//     frequent quarter, down to 0.25; 0 for a letter the language does
//     not use); a letter beside a letter of another alphabet (Latin next
//     to Cyrillic, say) or an upper case letter after a lower case one
//     weighs less or nothing; punctuation, symbols and digits weigh 0.7,
//     nothing inside a word; control, unassigned and private characters
//     nothing.
//  4. The best score wins; between encodings that decode b to the same
//     characters, the first of the list above. The confidence is the
//     winner's lead over the best encoding that decodes b to other
//     characters.
//
// Detect holds its result for a short text as a guess: a few accented
// letters may read right in several encodings. It looks at DetectBytes
// of b at most.
func Detect(b []byte, eof bool) Detection {
	if len(b) > DetectBytes {
		b, eof = b[:DetectBytes], false
	}
	if validUTF8Prefix(b, eof) {
		return Detection{Encoding: "utf-8", Confidence: 1}
	}
	var all []*reading
	buf := make([]byte, 4*len(b)+utf8.UTFMax)
	for _, e := range textEncodings {
		if len(e.langs) == 0 {
			continue
		}
		n, nSrc, err := e.enc.NewDecoder().Transform(buf, b, eof)
		if (err != nil && eof) || len(b)-nSrc > utf8.UTFMax || bytes.Contains(buf[:n], fffd) {
			continue
		}
		all = append(all, read(e, bytes.Clone(buf[:n])))
	}
	if len(all) == 0 {
		return Detection{}
	}
	// Readings of the same characters are one: the first in the list
	// stands for them all, with the best score and language among them.
	for i, r := range all {
		for _, first := range all[:i] {
			if bytes.Equal(first.text, r.text) {
				if r.score > first.score {
					first.score, first.lang, first.scored = r.score, r.lang, r.scored
				}
				r.score = -1 // never the winner: first is
				break
			}
		}
	}
	w := all[0]
	for _, r := range all[1:] {
		if r.score > w.score {
			w = r
		}
	}
	conf, rival := 1.0, false
	for _, r := range all {
		if bytes.Equal(r.text, w.text) {
			continue
		}
		conf, rival = min(conf, w.lead(r)), true
	}
	if !rival {
		conf = w.score
	}
	return Detection{Encoding: w.enc.name(), Language: w.lang, Confidence: max(0, min(conf, 1))}
}

// reading is a text decoded in one encoding, scored (see Detect).
type reading struct {
	enc   *textEncoding
	text  []byte
	score float64
	lang  string
	// scored are the characters that are not ASCII, in order, with what
	// each weighs in lang, at most maxScored of them.
	scored []scoredRune
}

// scoredRune is one character of a reading: its index among the
// reading's characters, and its weight.
type scoredRune struct {
	at int32
	r  rune
	w  float32
}

// read scores text, decoded from e.
func read(e *textEncoding, text []byte) *reading {
	ls := make([]*language, len(e.langs))
	for k, name := range e.langs {
		ls[k] = languages[name]
	}
	sums := make([]float64, len(ls))
	eachScored(text, func(_ int32, prev, r, next rune) {
		for k, l := range ls {
			sums[k] += weigh(l, prev, r, next)
		}
	})
	best := 0
	for k := range sums {
		if sums[k] > sums[best] {
			best = k
		}
	}
	rd := &reading{enc: e, text: text, lang: e.langs[best]}
	eachScored(text, func(at int32, prev, r, next rune) {
		rd.scored = append(rd.scored, scoredRune{at, r, float32(weigh(ls[best], prev, r, next))})
	})
	rd.score = 1
	if len(rd.scored) > 0 {
		rd.score = sums[best] / float64(len(rd.scored))
	}
	return rd
}

// lead returns how sure it is that rd reads its text better than o, from
// 0 to 1: 1 - exp(-d·√n), for n characters read differently and a mean
// difference d of their weights. Where the two line up (single-byte
// encodings decode byte for byte), the characters read differently are
// those that differ, and d is the larger of the mean difference over them
// and the difference of the scores (which counts how well the other
// characters fit each one's language); otherwise every character differs
// and d is the difference of the scores.
func (rd *reading) lead(o *reading) float64 {
	d, n := rd.score-o.score, len(rd.scored)
	if len(rd.scored) == len(o.scored) {
		var sum float64
		k := 0
		aligned := true
		for i, a := range rd.scored {
			b := o.scored[i]
			if a.at != b.at {
				aligned = false
				break
			}
			if a.r != b.r {
				sum += float64(a.w - b.w)
				k++
			}
		}
		if aligned && k > 0 {
			d, n = max(sum/float64(k), d), k
		}
	}
	if d <= 0 {
		return 0
	}
	return 1 - math.Exp(-d*math.Sqrt(float64(n)))
}

// eachScored calls f with each character of text that is not ASCII (up to
// maxScored of them), its index among the characters of text, and the
// characters before and after it.
func eachScored(text []byte, f func(at int32, prev, r, next rune)) {
	var prev rune
	n := 0
	at := int32(-1)
	for i := 0; i < len(text) && n < maxScored; {
		r, size := utf8.DecodeRune(text[i:])
		i += size
		at++
		if r < utf8.RuneSelf {
			prev = r
			continue
		}
		n++
		next, _ := utf8.DecodeRune(text[i:])
		f(at, prev, r, next)
		prev = r
	}
}

// validUTF8Prefix reports whether b is valid UTF-8, but for a character
// cut short at its end when eof is false.
func validUTF8Prefix(b []byte, eof bool) bool {
	if utf8.Valid(b) {
		return true
	}
	if eof {
		return false
	}
	for j := len(b) - 1; j >= 0 && j >= len(b)-utf8.UTFMax; j-- {
		if utf8.RuneStart(b[j]) {
			return !utf8.FullRune(b[j:]) && utf8.Valid(b[:j])
		}
	}
	return false
}

// maxScored caps the characters that are not ASCII Detect looks at: past
// a few thousand, more tell nothing new.
const maxScored = 4096

// weigh returns how likely r, between prev and next, is in text of l, from
// 0 to 1 (see Detect).
func weigh(l *language, prev, r, next rune) float64 {
	mark := unicode.IsMark(r)
	if !unicode.IsLetter(r) && !mark {
		return max(otherWeight(r, prev, next), l.of(r)) // CJK punctuation weighs as the language has it
	}
	m := 1.0
	switch {
	case clash(prev, r) || clash(r, next):
		m = 0
	case mark && !unicode.IsLetter(prev) && !unicode.IsMark(prev):
		m = 0 // a combining mark on nothing
	case unicode.IsUpper(r) && unicode.IsLower(prev):
		m = 0.3
	case unicode.IsUpper(r) && unicode.IsUpper(prev):
		m = 0.6 // words in capitals are rarer than words in lower case
	}
	switch end := !unicode.IsLetter(next) && !unicode.IsMark(next); {
	case isFinalForm(r) && !end:
		m = 0 // a final letter inside a word
	case hasFinalForm(r) && end && unicode.IsLetter(prev):
		m *= 0.3 // a letter with a final form, not in it, ending a word
	}
	if m == 0 {
		return 0
	}
	return m * l.of(r)
}

// isFinalForm reports whether r is a letter written only at a word's end:
// Greek final sigma, Hebrew final letters.
func isFinalForm(r rune) bool {
	switch r {
	case 'ς', 'ך', 'ם', 'ן', 'ף', 'ץ':
		return true
	}
	return false
}

// hasFinalForm reports whether r is a letter written another way at a
// word's end: Greek sigma, the Hebrew letters with final forms.
func hasFinalForm(r rune) bool {
	switch r {
	case 'σ', 'כ', 'מ', 'נ', 'פ', 'צ':
		return true
	}
	return false
}

// otherWeight is how likely a character that is not a letter is, between
// prev and next.
func otherWeight(r, prev, next rune) float64 {
	switch {
	case r == '\uFFFD' || unicode.Is(unicode.Co, r) || unicode.IsControl(r) || !unicode.IsPrint(r) && !unicode.IsSpace(r) && r != '\u00AD' && r != '\u200D':
		return 0
	case unicode.IsLetter(prev) && unicode.IsLetter(next) && !inWord(r):
		return 0
	case unicode.Is(unicode.Sk, r) || unicode.Is(unicode.Sm, r) || r >= 0x2500 && r <= 0x25FF || r == '¤' || r == '¦':
		return 0.2 // accents on nothing, mathematics, box drawing: rare in text
	}
	return 0.7
}

// inWord reports whether r, not a letter, may stand between two letters
// of a word: apostrophes, hyphens, the middle dot (Catalan l·l), the
// soft hyphen and joiners.
func inWord(r rune) bool {
	switch r {
	case '\u2019', '\u02BC', '\u00B7', '\u2010', '\u2011', '\u00AD', '\u200D', '\u200C':
		return true
	}
	return unicode.IsMark(r)
}

// alphabets are the writing systems of which a letter next to a letter of
// another is a sign of text decoded wrongly.
var alphabets = []*unicode.RangeTable{unicode.Latin, unicode.Cyrillic, unicode.Greek, unicode.Hebrew, unicode.Arabic, unicode.Thai}

// clash reports whether a and b are letters (or marks) of two different
// alphabets.
func clash(a, b rune) bool {
	if !unicode.IsLetter(a) && !unicode.IsMark(a) || !unicode.IsLetter(b) && !unicode.IsMark(b) {
		return false
	}
	sa, sb := -1, -1
	for i, t := range alphabets {
		if unicode.Is(t, a) {
			sa = i
		}
		if unicode.Is(t, b) {
			sb = i
		}
	}
	return sa >= 0 && sb >= 0 && sa != sb
}
