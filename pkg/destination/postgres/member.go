package postgres

import (
	"strings"

	"github.com/filedge/filedge/pkg/destination"
)

// memberPattern returns the LIKE pattern, for ESCAPE '\', that matches the
// names of every member of the archive at path and nothing else: the path
// with the LIKE wildcards (% and _) and the escape character escaped, then
// "!/%".
func memberPattern(path string) string {
	var b strings.Builder
	b.Grow(len(path) + 8)
	for i := 0; i < len(path); i++ {
		switch c := path[i]; c {
		case '\\', '%', '_':
			b.WriteByte('\\')
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteString(destination.MemberSeparator + "%")
	return b.String()
}
