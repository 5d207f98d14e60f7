package bus

import (
	"strconv"
	"unicode/utf8"
)

// Message.Key may hold any bytes: it is a file's path on the Files topic,
// and a file name may hold line breaks, tabs, other control bytes and bytes
// that are not UTF-8. Buses that carry keys as text (a NATS header, which
// ends at a line break and loses leading and trailing blanks) carry
// QuoteKey(key) and give back UnquoteKey of what they read.

// QuoteKey returns the text form of a message key: the key itself when it
// is printable UTF-8 (spaces included) that neither starts nor ends with a
// space and does not start with '"'; otherwise the key as a Go
// double-quoted string (strconv.Quote), which escapes control characters,
// non-printable characters and bytes that are not UTF-8. The result holds
// no line break and no leading or trailing blank, and UnquoteKey turns it
// back into the exact key.
func QuoteKey(key string) string {
	if plainKey(key) {
		return key
	}
	return strconv.Quote(key)
}

// UnquoteKey returns the key whose text form is s (see QuoteKey). Text that
// starts with '"' but is not a valid quoted string (written by something
// other than QuoteKey) is returned as it is.
func UnquoteKey(s string) string {
	if len(s) == 0 || s[0] != '"' {
		return s
	}
	if k, err := strconv.Unquote(s); err == nil {
		return k
	}
	return s
}

func plainKey(s string) bool {
	if s == "" {
		return true
	}
	if s[0] == '"' || s[0] == ' ' || s[len(s)-1] == ' ' || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if !strconv.IsPrint(r) {
			return false
		}
	}
	return true
}
