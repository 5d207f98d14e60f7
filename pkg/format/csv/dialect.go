package csv

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/filedge/filedge/pkg/format"
)

// dialect is how one file's text is split into records and fields.
type dialect struct {
	// comma separates fields: one byte or more; nil until inferred (see
	// setComma).
	comma []byte
	// c is comma's first byte, and multi reports whether it has more.
	c     byte
	multi bool
	// quote opens and closes a quoted field, unless noQuote is set: then
	// no byte quotes (quote_char: none) and quote is 0.
	quote   byte
	noQuote bool
	// strict makes a quote inside a field that is not quoted a syntax
	// error, as RFC 4180 and encoding/csv have it; readers leave it unset,
	// and such a quote (one that does not open the field) is a character
	// like any other, as in DuckDB's and PostgreSQL's readers. The tests
	// set it to compare the parser with encoding/csv, and to measure both
	// rules on real files (see docs/formats.md).
	strict bool
	// escape, when not 0, takes the byte after it as it is.
	escape byte
	// null is a field value read as null; nil for none.
	null []byte
	// sep ends a line; nil for LF or CRLF.
	sep []byte
	// simple is set when the delimiter is one ASCII byte and there is no
	// escape character, null sequence or line separator: the parser then
	// takes its fast path, which finds delimiters and quotes with pair.
	simple bool
	pair   pair
}

// maxFooterLines caps skip_footer_lines: the reader holds that many
// records back in memory.
const maxFooterLines = 10000

// newDialect reads the delimited-text settings of opts. Settings are taken
// as written: pkg/config has already decoded \t and \s in a delimiter.
func newDialect(opts format.Options) (dialect, error) {
	d := dialect{quote: '"'}
	var err error
	if opts.QuoteChar == format.NoQuote {
		d.quote, d.noQuote = 0, true
	} else if d.quote, err = oneByte("quote_char", opts.QuoteChar, '"'); err != nil {
		return d, err
	}
	if d.escape, err = oneByte("escape_char", opts.EscapeChar, 0); err != nil {
		return d, err
	}
	if d.escape == d.quote && !d.noQuote {
		// A doubled quote already stands for a quote.
		d.escape = 0
	}
	switch opts.LineSeparator {
	case "", "\n", "\r\n":
		// LF or CRLF, the default.
	default:
		d.sep = []byte(opts.LineSeparator)
		if d.isQuoteIn(d.sep) || d.escape != 0 && bytes.IndexByte(d.sep, d.escape) >= 0 {
			return d, fmt.Errorf("csv: line_separator %q cannot contain the quote or escape character", opts.LineSeparator)
		}
	}
	if opts.NullSequence != "" {
		d.null = []byte(opts.NullSequence)
	}
	if opts.Delimiter != "" {
		d.setComma([]byte(opts.Delimiter))
		switch {
		case strings.ContainsAny(opts.Delimiter, "\r\n"):
			return d, fmt.Errorf("csv: delimiter %q cannot contain a line break", opts.Delimiter)
		case d.isQuoteIn(d.comma):
			return d, fmt.Errorf("csv: delimiter %q cannot contain the quote character %q", opts.Delimiter, d.quote)
		case d.escape != 0 && bytes.IndexByte(d.comma, d.escape) >= 0:
			return d, fmt.Errorf("csv: delimiter %q cannot contain the escape character %q", opts.Delimiter, d.escape)
		case d.sep != nil && bytes.Contains(d.comma, d.sep):
			return d, fmt.Errorf("csv: delimiter %q cannot contain the line separator %q", opts.Delimiter, d.sep)
		}
	}
	return d, nil
}

// oneByte reads a setting that is one ASCII character, or def when it is
// not set.
func oneByte(key, s string, def byte) (byte, error) {
	switch {
	case s == "":
		return def, nil
	case len(s) != 1 || s[0] >= 0x80:
		return 0, fmt.Errorf("csv: %s %q: want one ASCII character", key, s)
	case s[0] == '\r' || s[0] == '\n':
		return 0, fmt.Errorf("csv: %s cannot be a line break", key)
	}
	return s[0], nil
}

// setComma sets the delimiter, once the other settings are set.
func (d *dialect) setComma(comma []byte) {
	d.comma, d.c, d.multi = comma, comma[0], len(comma) > 1
	d.simple = !d.multi && d.c < 0x80 && d.escape == 0 && d.null == nil && d.sep == nil && !d.noQuote
	d.pair = newPair(d.c, d.quote)
}

// fits reports whether c can be the delimiter with d's other settings: it
// is not the quote or escape character, nor part of the line separator.
func (d *dialect) fits(c byte) bool {
	return !d.isQuote(c) && (d.escape == 0 || c != d.escape) && bytes.IndexByte(d.sep, c) < 0
}

// isQuote reports whether c is the quote character.
func (d *dialect) isQuote(c byte) bool { return c == d.quote && !d.noQuote }

// isQuoteIn reports whether b holds the quote character.
func (d *dialect) isQuoteIn(b []byte) bool {
	return !d.noQuote && bytes.IndexByte(b, d.quote) >= 0
}

// trimEnd cuts the line end off a line: the line separator when one is
// set, else "\n" or "\r\n". The last line of the input has no separator;
// a line end ending it is not data either.
func (d *dialect) trimEnd(line []byte) []byte {
	if d.sep != nil && bytes.HasSuffix(line, d.sep) {
		return line[:len(line)-len(d.sep)]
	}
	return trimEOL(line)
}

// trimEOL cuts a line end ("\n" or "\r\n", or "\r" at the end of the input)
// off a line.
func trimEOL(line []byte) []byte {
	n := len(line)
	if n > 0 && line[n-1] == '\n' {
		n--
	}
	if n > 0 && line[n-1] == '\r' {
		n--
	}
	return line[:n]
}
