package xml

import (
	"bytes"
	stdxml "encoding/xml"
	"slices"

	"github.com/filedge/filedge/pkg/record"
)

// tree is one record being read: its elements, in document order, the
// first one the record's own. Its memory is reused from one record to the
// next.
type tree struct {
	nodes []node
	open  []int32 // the elements not yet closed, innermost last
}

// node is an element of a tree.
type node struct {
	name  string
	attrs []stdxml.Attr
	kids  []int32 // child elements, in document order
	text  []byte  // the element's own character data, pieces joined
}

// reset empties t for a new record.
func (t *tree) reset() {
	t.nodes, t.open = t.nodes[:0], t.open[:0]
}

// start opens an element as a child of the innermost open one.
func (t *tree) start(e stdxml.StartElement) {
	i := int32(len(t.nodes))
	if len(t.nodes) < cap(t.nodes) {
		t.nodes = t.nodes[:i+1]
		n := &t.nodes[i]
		n.name, n.attrs, n.kids, n.text = e.Name.Local, n.attrs[:0], n.kids[:0], n.text[:0]
	} else {
		t.nodes = append(t.nodes, node{name: e.Name.Local})
	}
	n := &t.nodes[i]
	for _, a := range e.Attr {
		if a.Name.Space == "xmlns" || a.Name.Space == "" && a.Name.Local == "xmlns" {
			continue // a namespace declaration
		}
		n.attrs = append(n.attrs, a)
	}
	if k := len(t.open); k > 0 {
		p := &t.nodes[t.open[k-1]]
		p.kids = append(p.kids, i)
	}
	t.open = append(t.open, i)
}

// end closes the innermost open element.
func (t *tree) end() { t.open = t.open[:len(t.open)-1] }

// text adds character data to the innermost open element.
func (t *tree) text(b []byte) {
	if k := len(t.open); k > 0 {
		n := &t.nodes[t.open[k-1]]
		n.text = append(n.text, b...)
	}
}

// appendRecord appends the JSON of the tree's first element to dst: its
// value alone, or, when wrap is set, an object with its name as the only
// key and its value.
func (t *tree) appendRecord(dst []byte, wrap bool) []byte {
	if !wrap {
		return t.appendValue(dst, 0)
	}
	dst = append(dst, '{')
	dst = record.AppendJSONString(dst, t.nodes[0].name)
	dst = append(dst, ':')
	dst = t.appendValue(dst, 0)
	return append(dst, '}')
}

// appendValue appends the JSON value of element i to dst (see the package
// documentation for its shape). The depth of recursion is bounded by the
// reader's cap on nesting.
func (t *tree) appendValue(dst []byte, i int32) []byte {
	n := &t.nodes[i]
	if len(n.attrs) == 0 && len(n.kids) == 0 {
		if len(n.text) == 0 {
			return append(dst, "null"...)
		}
		return record.AppendJSONString(dst, n.text)
	}
	dst = append(dst, '{')
	first := true
	key := func(prefix, name string) {
		if !first {
			dst = append(dst, ',')
		}
		first = false
		mark := len(dst) + 1 // after the opening quote
		dst = record.AppendJSONString(dst, name)
		dst = append(slices.Insert(dst, mark, []byte(prefix)...), ':')
	}
	eachGroup(len(n.attrs), func(k int) string { return n.attrs[k].Name.Local }, func(g []int) {
		key("@", n.attrs[g[0]].Name.Local)
		if len(g) > 1 {
			dst = append(dst, '[')
		}
		for j, k := range g {
			if j > 0 {
				dst = append(dst, ',')
			}
			dst = record.AppendJSONString(dst, n.attrs[k].Value)
		}
		if len(g) > 1 {
			dst = append(dst, ']')
		}
	})
	eachGroup(len(n.kids), func(k int) string { return t.nodes[n.kids[k]].name }, func(g []int) {
		key("", t.nodes[n.kids[g[0]]].name)
		if len(g) > 1 {
			dst = append(dst, '[')
		}
		for j, k := range g {
			if j > 0 {
				dst = append(dst, ',')
			}
			dst = t.appendValue(dst, n.kids[k])
		}
		if len(g) > 1 {
			dst = append(dst, ']')
		}
	})
	text := n.text
	if len(n.kids) > 0 {
		text = bytes.TrimSpace(text)
	}
	if len(text) > 0 {
		key("#", "text")
		dst = record.AppendJSONString(dst, text)
	}
	return append(dst, '}')
}

// eachGroup calls fn with the indexes 0..n-1 grouped by name(index): once
// per name, in the order names first appear, each group in index order.
func eachGroup(n int, name func(int) string, fn func(group []int)) {
	if n <= 16 {
		// Few names: no map.
		var buf [16]int
		for k := range n {
			nk := name(k)
			seen := false
			for j := range k {
				if name(j) == nk {
					seen = true
					break
				}
			}
			if seen {
				continue
			}
			g := buf[:0]
			for j := k; j < n; j++ {
				if j == k || name(j) == nk {
					g = append(g, j)
				}
			}
			fn(g)
		}
		return
	}
	index := make(map[string]int, n)
	var out [][]int
	for k := range n {
		if g, ok := index[name(k)]; ok {
			out[g] = append(out[g], k)
			continue
		}
		index[name(k)] = len(out)
		out = append(out, []int{k})
	}
	for _, g := range out {
		fn(g)
	}
}
