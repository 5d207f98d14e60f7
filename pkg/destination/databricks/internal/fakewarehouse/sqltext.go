package fakewarehouse

import (
	"fmt"
	"strings"
	"unicode"
)

// tokKind is the kind of a SQL token.
type tokKind int

const (
	tWord   tokKind = iota // a bare word: keyword or identifier
	tIdent                 // a backquoted identifier
	tString                // a string literal ('...' or "..."), unescaped
	tNumber                // a number
	tParam                 // a named parameter, :name
	tPunct                 // punctuation or an operator
)

type token struct {
	kind tokKind
	text string // the word, identifier, unescaped string, number, parameter name or punctuation
}

// is reports whether t is the keyword kw (case-insensitive).
func (t token) is(kw string) bool { return t.kind == tWord && strings.EqualFold(t.text, kw) }

// tokenize splits Databricks SQL into tokens, dropping white space.
func tokenize(sql string) ([]token, error) {
	var out []token
	r := []rune(sql)
	for i := 0; i < len(r); {
		c := r[i]
		switch {
		case unicode.IsSpace(c):
			i++
		case c == '`':
			var b strings.Builder
			j := i + 1
			for ; j < len(r); j++ {
				if r[j] == '`' {
					if j+1 < len(r) && r[j+1] == '`' {
						b.WriteRune('`')
						j++
						continue
					}
					break
				}
				b.WriteRune(r[j])
			}
			if j >= len(r) {
				return nil, fmt.Errorf("unterminated identifier")
			}
			out = append(out, token{tIdent, b.String()})
			i = j + 1
		case c == '\'' || c == '"':
			var b strings.Builder
			j := i + 1
			for ; j < len(r) && r[j] != c; j++ {
				if r[j] == '\\' && j+1 < len(r) {
					j++
					switch r[j] {
					case 'n':
						b.WriteRune('\n')
					case 't':
						b.WriteRune('\t')
					default:
						b.WriteRune(r[j])
					}
					continue
				}
				b.WriteRune(r[j])
			}
			if j >= len(r) {
				return nil, fmt.Errorf("unterminated string literal")
			}
			out = append(out, token{tString, b.String()})
			i = j + 1
		case c == ':' && i+1 < len(r) && (unicode.IsLetter(r[i+1]) || r[i+1] == '_'):
			j := i + 1
			for j < len(r) && (unicode.IsLetter(r[j]) || unicode.IsDigit(r[j]) || r[j] == '_') {
				j++
			}
			out = append(out, token{tParam, string(r[i+1 : j])})
			i = j
		case unicode.IsLetter(c) || c == '_':
			j := i
			for j < len(r) && (unicode.IsLetter(r[j]) || unicode.IsDigit(r[j]) || r[j] == '_') {
				j++
			}
			out = append(out, token{tWord, string(r[i:j])})
			i = j
		case unicode.IsDigit(c):
			j := i
			for j < len(r) && (unicode.IsDigit(r[j]) || r[j] == '.') {
				j++
			}
			out = append(out, token{tNumber, string(r[i:j])})
			i = j
		default:
			for _, op := range []string{"<=>", "<>", "!=", "<=", ">=", "||"} {
				if strings.HasPrefix(string(r[i:min(i+len(op), len(r))]), op) {
					out = append(out, token{tPunct, op})
					i += len([]rune(op))
					goto next
				}
			}
			out = append(out, token{tPunct, string(c)})
			i++
		next:
		}
	}
	return out, nil
}

// isName reports whether t can be (part of) a name.
func (t token) isName() bool { return t.kind == tIdent || t.kind == tWord }

// qualified reads a name of one to three parts at toks[i]; it returns the
// parts and the index after them.
func qualified(toks []token, i int) ([]string, int) {
	var parts []string
	for i < len(toks) && toks[i].isName() {
		parts = append(parts, toks[i].text)
		i++
		if i+1 < len(toks) && toks[i].text == "." && toks[i].kind == tPunct && toks[i+1].isName() {
			i++
			continue
		}
		break
	}
	return parts, i
}

// matching returns the index of the parenthesis that closes the one at
// toks[open].
func matching(toks []token, open int) (int, error) {
	depth := 0
	for i := open; i < len(toks); i++ {
		if toks[i].kind != tPunct {
			continue
		}
		switch toks[i].text {
		case "(":
			depth++
		case ")":
			depth--
			if depth == 0 {
				return i, nil
			}
		}
	}
	return 0, fmt.Errorf("unbalanced parentheses")
}

// splitTop splits toks at each top-level token for which at holds.
func splitTop(toks []token, at func(token) bool) [][]token {
	var out [][]token
	depth, start := 0, 0
	for i, t := range toks {
		if t.kind == tPunct && t.text == "(" {
			depth++
		} else if t.kind == tPunct && t.text == ")" {
			depth--
		} else if depth == 0 && at(t) {
			out = append(out, toks[start:i])
			start = i + 1
		}
	}
	return append(out, toks[start:])
}

// indexTop returns the index of the first top-level token at or after
// from for which at holds, or -1.
func indexTop(toks []token, from int, at func(token) bool) int {
	depth := 0
	for i := from; i < len(toks); i++ {
		t := toks[i]
		if t.kind == tPunct && t.text == "(" {
			depth++
		} else if t.kind == tPunct && t.text == ")" {
			depth--
		} else if depth == 0 && at(t) {
			return i
		}
	}
	return -1
}

func keyword(kw string) func(token) bool { return func(t token) bool { return t.is(kw) } }

func comma(t token) bool { return t.kind == tPunct && t.text == "," }

// sqliteIdent quotes a name for SQLite.
func sqliteIdent(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// sqliteString quotes a string literal for SQLite.
func sqliteString(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// translator turns Databricks SQL tokens into SQLite text.
type translator struct {
	e *engine
	// types gives the Databricks type of the columns of the table a
	// statement reads (a CREATE OR REPLACE TABLE ... AS SELECT), for
	// CAST of a column.
	types map[string]string
	// params collects the parameters the text uses.
	params map[string]bool
}

// text translates toks.
func (tr *translator) text(toks []token) (string, error) {
	var b strings.Builder
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		switch {
		case t.is("CAST") && i+1 < len(toks) && toks[i+1].text == "(":
			end, err := matching(toks, i+1)
			if err != nil {
				return "", err
			}
			inner := toks[i+2 : end]
			as := -1
			for j := range inner {
				if inner[j].is("AS") && indexTop(inner, j, keyword("AS")) == j {
					as = j
				}
			}
			if as < 0 {
				return "", fmt.Errorf("CAST without AS")
			}
			expr, err := tr.text(inner[:as])
			if err != nil {
				return "", err
			}
			src := ""
			if parts, n := qualified(inner[:as], 0); n == as && len(parts) > 0 && len(parts) <= 2 {
				src = tr.types[parts[len(parts)-1]]
			}
			fmt.Fprintf(&b, "__cast(%s, %s, %s)", expr, sqliteString(src), sqliteString(typeText(inner[as+1:])))
			i = end
		case t.isName():
			parts, n := qualified(toks, i)
			i = n - 1
			switch {
			case len(parts) == 3 && strings.EqualFold(parts[1], "information_schema"):
				b.WriteString(sqliteIdent("__" + strings.ToLower(parts[2])))
			case len(parts) == 3:
				b.WriteString(sqliteIdent(tableKey(parts)))
			default:
				for j, p := range parts {
					if j > 0 {
						b.WriteByte('.')
					}
					if toks[n-len(parts)+j].kind == tIdent {
						b.WriteString(sqliteIdent(p))
					} else {
						b.WriteString(p) // a keyword, a function, an alias or a plain name
					}
				}
			}
		case t.kind == tString:
			b.WriteString(sqliteString(t.text))
		case t.kind == tParam:
			tr.params[t.text] = true
			b.WriteString(":" + t.text)
		case t.kind == tPunct && t.text == "<=>":
			b.WriteString("IS")
		default:
			b.WriteString(t.text)
		}
	}
	return b.String(), nil
}

// typeText writes a type's tokens as one name: DECIMAL(10,2).
func typeText(toks []token) string {
	var b strings.Builder
	for _, t := range toks {
		b.WriteString(strings.ToUpper(t.text))
	}
	return b.String()
}

// tableKey is the SQLite name of a table of three parts.
func tableKey(parts []string) string { return strings.Join(parts, ".") }
