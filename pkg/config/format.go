package config

import (
	"cmp"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/filedge/filedge/pkg/decode"
	"github.com/filedge/filedge/pkg/format"
	"github.com/filedge/filedge/pkg/settings"
)

// impliedDelimiters are the delimiters a file_type that is an extension
// implies when the pipeline gives none: tsv is delimited text with tabs.
var impliedDelimiters = map[string]string{"tsv": "\t", "psv": "|"}

// xmlName is the syntax of one element name in xml_record_path (an XML
// name, with an optional namespace prefix).
var xmlName = regexp.MustCompile(`^[\p{L}_][\p{L}\p{N}._-]*(?::[\p{L}_][\p{L}\p{N}._-]*)?$`)

// format reads the top-level format keys.
func (p *parser) format(m settings.Fields) Format {
	f := Format{JSONDelivery: "unpacked"}
	var first, implied string
	for _, k := range []string{"file_type", "format"} {
		code, delim, ok := p.fileType(m.Val(k), k)
		if !ok {
			continue
		}
		if first != "" && code != f.FileType {
			p.Add(m[k].Key, k, nil, "file_type and format differ: give one")
			continue
		}
		f.FileType, first = code, k
		implied = cmp.Or(implied, delim)
	}
	if v, ok := p.separator(m.Val("delimiter"), "delimiter"); ok {
		f.Delimiter = v
	}
	if f.Delimiter == "" {
		f.Delimiter = implied
	}
	f.Encoding, _ = p.encoding(m.Val("encoding"), "encoding")
	f.JSONDelivery = p.Enum(m.Val("json_delivery"), "json_delivery", "unpacked", "unpacked", "packed")
	f.QuoteChar, _ = p.quoteChar(m.Val("quote_char"), "quote_char")
	f.EscapeChar, _ = p.char(m.Val("escape_char"), "escape_char")
	f.NullSequence, _ = p.nullSequence(m.Val("null_sequence"), "null_sequence")
	f.SkipHeaderLines = p.nonNegativeInt(m.Val("skip_header_lines"), "skip_header_lines", 0)
	f.SkipFooterLines = p.nonNegativeInt(m.Val("skip_footer_lines"), "skip_footer_lines", 0)
	f.Headerless = p.Bool(m.Val("headerless"), "headerless", false)
	f.LineSeparator, _ = p.lineSeparator(m.Val("line_separator"), "line_separator")
	f.XMLRecordPath, _ = p.xmlRecordPath(m.Val("xml_record_path"), "xml_record_path")
	p.formatClashes(m, f)
	return f
}

// encoding reads a text encoding name, one that decode.Text knows, in
// lower case.
func (p *parser) encoding(n *yaml.Node, key string) (string, bool) {
	v, ok := p.Str(n, key)
	if !ok {
		return "", false
	}
	name := strings.ToLower(strings.TrimSpace(v))
	if decode.KnownEncoding(name) {
		return name, true
	}
	names := decode.EncodingNames()
	msg := fmt.Sprintf("unknown text encoding %s (known: %s; omit the key to read UTF-8, or the encoding a byte order mark names)", settings.Quote(n, v), strings.Join(names, ", "))
	if s := settings.Suggest(name, names); s != "" {
		msg += "; did you mean " + s + "?"
	}
	p.Add(n, key, decode.ErrUnknownEncoding, "%s", msg)
	return "", false
}

// formatClashes reports format keys given in the file whose values cannot
// work together: a quote or escape character, or a line separator, that is
// part of the delimiter.
func (p *parser) formatClashes(m settings.Fields, f Format) {
	if f.Delimiter == "" || !settings.Present(m.Val("delimiter")) {
		return
	}
	for _, c := range []struct{ key, v string }{{"quote_char", f.QuoteChar}, {"escape_char", f.EscapeChar}} {
		if c.key == "quote_char" && c.v == NoQuote {
			continue
		}
		if c.v != "" && strings.Contains(f.Delimiter, c.v) {
			p.Add(m.Val(c.key), c.key, nil, "%s is part of the delimiter %s: a field could not be told from a separator", strconv.Quote(c.v), strconv.Quote(f.Delimiter))
		}
	}
	// A separator may contain the delimiter ("|\n" with "|": the reader
	// matches the separator first); a delimiter containing the separator
	// could never be told from a record's end.
	if s := f.LineSeparator; s != "" && strings.Contains(f.Delimiter, s) {
		p.Add(m.Val("line_separator"), "line_separator", nil, "%s is part of the delimiter %s: a field could not be told from a record's end", strconv.Quote(s), strconv.Quote(f.Delimiter))
	}
}

// fileType reads file_type (or format) as the code of a registered format
// (pkg/format), or an extension that a format reads (tsv, jsonl, xlsx);
// delim is the delimiter an extension implies (tsv: a tab). ok is false
// when n is absent or wrong (reported).
func (p *parser) fileType(n *yaml.Node, key string) (code, delim string, ok bool) {
	v, ok := p.Str(n, key)
	if !ok {
		return "", "", false
	}
	lv := strings.TrimPrefix(strings.ToLower(strings.TrimSpace(v)), ".")
	if info, _, ok := format.Lookup(lv); ok {
		return info.Code, "", true
	}
	if info, _, ok := format.ForPath("file." + lv); ok && lv != "" && !strings.ContainsAny(lv, "./") {
		return info.Code, impliedDelimiters[lv], true
	}
	var codes, extensions []string
	for _, info := range format.Formats() {
		codes = append(codes, info.Code)
		for _, ext := range info.Extensions {
			if e := strings.TrimPrefix(ext, "."); e != info.Code {
				extensions = append(extensions, e)
			}
		}
	}
	slices.Sort(extensions)
	msg := fmt.Sprintf("%s is not a known file type (known: %s)", settings.Quote(n, v), strings.Join(codes, ", "))
	if s := settings.Suggest(lv, slices.Concat(codes, extensions)); s != "" {
		msg += "; did you mean " + s + "?"
	}
	p.Add(n, key, nil, "%s", msg)
	return "", "", false
}

// separator reads a delimiter: escapes decoded, not empty, no line break.
func (p *parser) separator(n *yaml.Node, key string) (string, bool) {
	v, ok := p.Str(n, key)
	if !ok {
		return "", false
	}
	d, err := decodeDelimiter(v)
	if err != nil {
		p.Add(n, key, err, "%v", err)
		return "", false
	}
	return d, true
}

// char reads a quote_char or escape_char: one character, escapes decoded.
func (p *parser) char(n *yaml.Node, key string) (string, bool) {
	v, ok := p.Str(n, key)
	if !ok {
		return "", false
	}
	c, err := decodeChar(v)
	if err != nil {
		p.Add(n, key, err, "%s: %v", settings.Quote(n, v), err)
		return "", false
	}
	return c, true
}

// NoQuote is the QuoteChar that turns quoting off: quote_char: none, or
// an empty value. It is format.NoQuote, which the parser hands the reader.
const NoQuote = "none"

// quoteChar reads quote_char: one character as char reads it, or none
// (any case) or an empty value for NoQuote.
func (p *parser) quoteChar(n *yaml.Node, key string) (string, bool) {
	v, ok := p.Str(n, key)
	if !ok {
		return "", false
	}
	if v == "" || strings.EqualFold(strings.TrimSpace(v), NoQuote) {
		return NoQuote, true
	}
	return p.char(n, key)
}

// nullSequence reads null_sequence as written, without escapes: `\N` is a
// backslash and an N. A YAML null written out (null_sequence: NULL) is the
// text NULL, not an absent key.
func (p *parser) nullSequence(n *yaml.Node, key string) (string, bool) {
	if r := settings.Resolve(n); r != nil && r.Kind == yaml.ScalarNode && r.Tag == "!!null" && r.Value != "" && r.Style == 0 {
		return r.Value, true
	}
	v, ok := p.Str(n, key)
	if !ok {
		return "", false
	}
	if v == "" {
		p.Add(n, key, nil, "must not be empty: omit the key when no value stands for null")
		return "", false
	}
	return v, true
}

// lineSeparator reads line_separator: escapes decoded, not empty.
func (p *parser) lineSeparator(n *yaml.Node, key string) (string, bool) {
	v, ok := p.Str(n, key)
	if !ok {
		return "", false
	}
	s, err := decodeLineSeparator(v)
	if err != nil {
		p.Add(n, key, err, "%v", err)
		return "", false
	}
	return s, true
}

// xmlRecordPath reads xml_record_path.
func (p *parser) xmlRecordPath(n *yaml.Node, key string) (string, bool) {
	v, ok := p.Str(n, key)
	if !ok {
		return "", false
	}
	path, err := parseXMLRecordPath(v)
	if err != nil {
		p.Add(n, key, err, "%s: %v", settings.Quote(n, v), err)
		return "", false
	}
	return path, true
}

// nonNegativeInt returns the value of n as an integer of at least 0, or
// def.
func (p *parser) nonNegativeInt(n *yaml.Node, key string, def int) int {
	v, ok := p.Str(n, key)
	if !ok {
		return def
	}
	i, err := strconv.ParseInt(strings.ReplaceAll(strings.TrimSpace(v), "_", ""), 10, 0)
	if err != nil {
		p.Add(n, key, err, "%s is not a whole number", settings.Quote(n, v))
		return def
	}
	if i < 0 {
		p.Add(n, key, nil, "must be 0 or more, not %d", i)
		return def
	}
	return int(i)
}

// unescape decodes the escapes a separator or character may be written
// with: \t tab, \s space, \n line feed, \r carriage return, \\ backslash. A
// lone trailing backslash is itself, so that `\` is a backslash.
func unescape(s string) (string, error) {
	if !strings.Contains(s, `\`) {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 == len(s) {
			b.WriteByte(c)
			continue
		}
		i++
		switch s[i] {
		case 't':
			b.WriteByte('\t')
		case 's':
			b.WriteByte(' ')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case '\\':
			b.WriteByte('\\')
		default:
			r, _ := utf8.DecodeRuneInString(s[i:])
			return "", fmt.Errorf(`unknown escape \%c (known: \t tab, \s space, \n line feed, \r carriage return, \\ backslash)`, r)
		}
	}
	return b.String(), nil
}

// decodeDelimiter decodes a delimiter: one character or several (||),
// escapes decoded (\t tab, \s space, \\ backslash), no line break.
func decodeDelimiter(s string) (string, error) {
	if s == "" {
		return "", errors.New("empty delimiter")
	}
	d, err := unescape(s)
	if err != nil {
		return "", err
	}
	if strings.ContainsAny(d, "\r\n") {
		return "", errors.New("a delimiter cannot contain a line break")
	}
	return d, nil
}

// decodeChar decodes a quote or escape character: exactly one character
// once escapes are decoded, not a line break.
func decodeChar(s string) (string, error) {
	if s == "" {
		return "", errors.New("empty: give one character, or omit the key for the default")
	}
	c, err := unescape(s)
	if err != nil {
		return "", err
	}
	switch {
	case utf8.RuneCountInString(c) != 1:
		return "", errors.New(`not one character (write \t for a tab, \s for a space, \\ or \ for a backslash)`)
	case c == "\r" || c == "\n":
		return "", errors.New("a line break cannot quote or escape")
	}
	return c, nil
}

// decodeLineSeparator decodes a line separator: escapes decoded (\n, \r,
// \t, \s, \\), not empty.
func decodeLineSeparator(s string) (string, error) {
	if s == "" {
		return "", errors.New("empty line separator: omit the key for LF or CRLF")
	}
	return unescape(s)
}

// parseXMLRecordPath checks an element path (catalog/book): element names
// separated by '/', a leading '/' allowed and dropped.
func parseXMLRecordPath(s string) (string, error) {
	path := strings.TrimPrefix(strings.TrimSpace(s), "/")
	if path == "" {
		return "", errors.New("empty path: write element names separated by /, e.g. catalog/book")
	}
	for seg := range strings.SplitSeq(path, "/") {
		switch {
		case seg == "":
			return "", errors.New("empty segment: write element names separated by single /, e.g. catalog/book")
		case !xmlName.MatchString(seg):
			return "", fmt.Errorf("%q is not an element name (no wildcards, attributes, predicates or ..)", seg)
		}
	}
	return path, nil
}
