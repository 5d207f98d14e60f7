package config

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// globRegexp translates a file_pattern glob into a regular expression
// matched against a path relative to the source folder, '/'-separated:
//
//   - `*` matches any run of characters within one path segment;
//   - `**` as a whole segment matches any number of segments, none included
//     (`data/**/*.csv`, `**/x.json`, `logs/**`); elsewhere it is a `*`;
//   - `?` matches one character other than '/';
//   - `[abc]`, `[a-z]` match one character of a class, `[!abc]` or `[^abc]`
//     one character outside it;
//   - `\` makes the next character literal.
//
// As in .gitignore, a glob without '/' matches the base name in any folder
// (`*.csv` takes data/2024/x.csv), and a glob with '/' matches the whole path
// from the source folder (a leading '/' is allowed; a trailing '/' takes
// everything below). Matching is case-sensitive; a regular expression in
// source.pattern with (?i) is not.
func globRegexp(glob string) (*regexp.Regexp, error) {
	if glob == "" {
		return nil, errors.New("empty glob")
	}
	anchored := strings.Contains(glob, "/")
	glob = strings.TrimPrefix(glob, "/")
	if strings.HasSuffix(glob, "/") {
		glob += "**"
	}
	var b strings.Builder
	b.WriteString("^")
	if !anchored {
		b.WriteString("(?:.*/)?")
	}
	segments := strings.Split(glob, "/")
	for i, seg := range segments {
		last := i == len(segments)-1
		if seg == "**" {
			if last {
				b.WriteString(".*")
			} else {
				b.WriteString("(?:.*/)?")
			}
			continue
		}
		if err := globSegment(&b, seg); err != nil {
			return nil, err
		}
		if !last {
			b.WriteByte('/')
		}
	}
	b.WriteString("$")
	return regexp.Compile(b.String())
}

// globSegment writes the regular expression for one path segment of a glob.
func globSegment(b *strings.Builder, seg string) error {
	rs := []rune(seg)
	for i := 0; i < len(rs); i++ {
		switch c := rs[i]; c {
		case '*':
			for i+1 < len(rs) && rs[i+1] == '*' {
				i++
			}
			b.WriteString("[^/]*")
		case '?':
			b.WriteString("[^/]")
		case '\\':
			if i+1 < len(rs) {
				i++
			}
			b.WriteString(regexp.QuoteMeta(string(rs[i])))
		case '[':
			n, err := globClass(b, rs[i:])
			if err != nil {
				return err
			}
			i += n - 1
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	return nil
}

// globClass writes the regular expression for the character class that
// starts rs (at its '[') and returns how many runes it took.
func globClass(b *strings.Builder, rs []rune) (int, error) {
	i := 1
	negate := i < len(rs) && (rs[i] == '!' || rs[i] == '^')
	if negate {
		i++
	}
	var items []string
	for first := true; ; first = false {
		if i >= len(rs) {
			return 0, fmt.Errorf("unterminated character class %q", string(rs))
		}
		c := rs[i]
		if c == ']' && !first {
			i++
			break
		}
		if c == '\\' && i+1 < len(rs) {
			i++
			c = rs[i]
		}
		i++
		if i+1 < len(rs) && rs[i] == '-' && rs[i+1] != ']' {
			hi := rs[i+1]
			if hi == '\\' && i+2 < len(rs) {
				hi = rs[i+2]
				i++
			}
			i += 2
			if hi < c {
				return 0, fmt.Errorf("bad range %c-%c in character class", c, hi)
			}
			items = append(items, fmt.Sprintf(`\x{%x}-\x{%x}`, c, hi))
			continue
		}
		items = append(items, fmt.Sprintf(`\x{%x}`, c))
	}
	if negate {
		b.WriteString("[^/")
	} else {
		b.WriteString("[")
	}
	b.WriteString(strings.Join(items, ""))
	b.WriteString("]")
	return i, nil
}
