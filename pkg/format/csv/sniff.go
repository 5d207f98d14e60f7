package csv

import "bytes"

// Delimiter inference: each candidate splits the first records of the file
// (quotes respected, with the dialect's quote character and line
// separator; escapes are not looked at); the one that gives the same field count, above one,
// to the most records wins, and among equals the one with more fields, then
// the earlier candidate.

// candidates are the delimiters inference chooses from, in order of
// preference.
var candidates = [...]byte{',', ';', '\t', '|', 0x1f}

const (
	// sniffBytes is how much of the file inference looks at, at most.
	sniffBytes = 64 << 10
	// sniffRecords is how many records inference looks at, at most.
	sniffRecords = 20
)

// sniff returns the delimiter of the delimited text that starts with data,
// or the first candidate that fits d (',' unless it clashes with d's
// other settings) when no candidate splits it. eof reports whether data is the
// whole file; when it is not, the last record of data, which may be cut
// short, is not counted.
func sniff(data []byte, eof bool, d *dialect) byte {
	best, bestFreq, bestFields := byte(','), 0, 0
	for _, c := range candidates {
		if d.fits(c) {
			best = c
			break
		}
	}
	var counts [sniffRecords]int
	for _, c := range candidates {
		n := fieldCounts(data, c, eof, d, counts[:])
		fields, freq := mode(counts[:n])
		if fields > 1 && (freq > bestFreq || freq == bestFreq && fields > bestFields) {
			best, bestFreq, bestFields = c, freq, fields
		}
	}
	return best
}

// fieldCounts splits data into records with delimiter comma and the quote
// and line separator of d, and stores the field count of each record that
// is not blank (not only white space, whatever comma is) in counts,
// returning how many it stored.
func fieldCounts(data []byte, comma byte, eof bool, d *dialect, counts []int) int {
	quote, sep := d.quote, d.sep
	if !d.fits(comma) {
		return 0
	}
	n := 0
	fields, blank := 1, true
	inQuote, fieldStart := false, true
	for i := 0; i < len(data) && n < len(counts); i++ {
		c := data[i]
		switch {
		case inQuote:
			if c == quote {
				if i+1 < len(data) && data[i+1] == quote {
					i++
				} else {
					inQuote = false
				}
			}
		case c == quote && fieldStart:
			inQuote, fieldStart, blank = true, false, false
		case c == comma:
			fields++
			// A line of white space is blank whatever splits it: a tab
			// there is no evidence of tab-separated text.
			fieldStart, blank = true, blank && (c == ' ' || c == '\t')
		case sep == nil && c == '\n' || sep != nil && bytes.HasPrefix(data[i:], sep):
			i += len(sep) - min(len(sep), 1)
			if !blank {
				counts[n] = fields
				n++
			}
			fields, blank, fieldStart = 1, true, true
		default:
			fieldStart = false
			if c != '\r' && c != ' ' && c != '\t' {
				blank = false
			}
		}
	}
	if eof && !blank && n < len(counts) {
		counts[n] = fields
		n++
	}
	return n
}

// mode returns the most frequent value of counts above one and how often
// it occurs; the larger value wins a tie.
func mode(counts []int) (value, freq int) {
	for i, v := range counts {
		if v <= 1 {
			continue
		}
		f := 0
		for _, w := range counts[i:] {
			if w == v {
				f++
			}
		}
		if f > freq || f == freq && v > value {
			value, freq = v, f
		}
	}
	return value, freq
}
