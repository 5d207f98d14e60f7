package csv

// Delimiter inference: each candidate splits the first records of the file
// (quotes respected); the one that gives the same field count, above one,
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
// or ',' when no candidate splits it. eof reports whether data is the
// whole file; when it is not, the last record of data, which may be cut
// short, is not counted.
func sniff(data []byte, eof bool) byte {
	best, bestFreq, bestFields := byte(','), 0, 0
	var counts [sniffRecords]int
	for _, c := range candidates {
		n := fieldCounts(data, c, eof, counts[:])
		fields, freq := mode(counts[:n])
		if fields > 1 && (freq > bestFreq || freq == bestFreq && fields > bestFields) {
			best, bestFreq, bestFields = c, freq, fields
		}
	}
	return best
}

// fieldCounts splits data into records with delimiter comma and stores the
// field count of each record that is not blank in counts, returning how
// many it stored.
func fieldCounts(data []byte, comma byte, eof bool, counts []int) int {
	n := 0
	fields, blank := 1, true
	inQuote, fieldStart := false, true
	for i := 0; i < len(data) && n < len(counts); i++ {
		c := data[i]
		switch {
		case inQuote:
			if c == '"' {
				if i+1 < len(data) && data[i+1] == '"' {
					i++
				} else {
					inQuote = false
				}
			}
		case c == '"' && fieldStart:
			inQuote, fieldStart, blank = true, false, false
		case c == comma:
			fields++
			fieldStart, blank = true, false
		case c == '\n':
			if !blank {
				counts[n] = fields
				n++
			}
			fields, blank, fieldStart = 1, true, true
		default:
			fieldStart = false
			if c != '\r' {
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
