package files

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// maxEscaped is the longest escaped name kept whole; a longer one is cut
// and ends with a digest of the whole name, so that every file name filedge
// makes stays well under the 255 bytes file systems allow, suffixes and
// temporary names included.
const maxEscaped = 160

// escapeName returns s as one file name component that is the same on every
// file system: ASCII lower-case letters, digits, '-', '.' and '_' stay, and
// every other byte (upper-case letters, '/', spaces, non-ASCII) is written
// %XX, as is a leading '.' or '_' (names that readers such as Spark and Hive
// skip as hidden, and that could meet the destination's own _filedge folder
// or "." and ".."). The result differs for different names even on a
// case-insensitive file system, and never holds '~' or '@', which the
// layout uses as separators.
func escapeName(s string) string {
	const hexDigits = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		keep := c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' ||
			(c == '.' || c == '_') && i > 0
		if keep {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}

// FileName returns the name a table, or a source file's path, has in a
// files destination's folder: <path>/<FileName(table)>/ is a table's
// folder, <path>/<FileName(table)>.<ext> a table held in one file, and
// <FileName(source path)>.<ext> a source file's file in a table's folder.
// See escapeName for the rule.
func FileName(s string) string { return nameOf(s) }

// nameOf is escapeName(s), cut to maxEscaped bytes (never inside a %XX)
// and followed by '~' and a digest of s when it is longer: a name that is
// unique to s, short enough for any file system.
func nameOf(s string) string {
	e := escapeName(s)
	if len(e) <= maxEscaped {
		return e
	}
	cut := maxEscaped - 1 - digestLen
	if i := strings.LastIndexByte(e[:cut], '%'); i >= cut-2 {
		cut = i
	}
	return e[:cut] + "~" + digest(s)
}

// digestLen is the length of digest's result.
const digestLen = 16

// digest returns the first 64 bits of the SHA-256 of s, in hex.
func digest(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:digestLen/2])
}

// stripe returns which of the 256 lock files of a kind (paths, tables)
// guards key: locks are striped rather than made one per key, so that their
// number stays bounded however many paths a pipeline sees.
func stripe(key string) int {
	sum := sha256.Sum256([]byte(key))
	return int(sum[0])
}
