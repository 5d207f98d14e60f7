package config

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// limits reads the limits: block's keys m.
func (p *parser) limits(m fields) Limits {
	return Limits{
		MaxDecompressedBytes: p.size(m.val("max_decompressed_bytes"), "limits.max_decompressed_bytes", DefaultMaxDecompressedBytes),
		MaxRatio:             int64(p.positiveInt(m.val("max_ratio"), "limits.max_ratio", DefaultMaxRatio)),
		MaxMembers:           p.positiveInt(m.val("max_members"), "limits.max_members", DefaultMaxMembers),
		MaxLineBytes:         p.intSize(m.val("max_line_bytes"), "limits.max_line_bytes", DefaultMaxLineBytes),
		MaxFieldBytes:        p.intSize(m.val("max_field_bytes"), "limits.max_field_bytes", DefaultMaxFieldBytes),
		MaxSpoolBytes:        p.size(m.val("max_spool_bytes"), "limits.max_spool_bytes", DefaultMaxSpoolBytes),
	}
}

// maxLineBytes makes parser.max_line_bytes (field pf) and
// limits.max_line_bytes (field lf), two spellings of one setting, agree in
// pl: the one given wins over the default; both given must be equal.
func (p *parser) maxLineBytes(pf, lf field, pl *Pipeline) {
	const pk, lk = "parser.max_line_bytes", "limits.max_line_bytes"
	switch {
	case present(pf.val) && present(lf.val):
		if p.failed(pk) || p.failed(lk) || pl.Parser.MaxLineBytes == pl.Limits.MaxLineBytes {
			return
		}
		first, later, laterKey := pf, lf, lk
		if pf.key.Line > lf.key.Line {
			first, later, laterKey = lf, pf, pk
		}
		other := pk
		if laterKey == pk {
			other = lk
		}
		p.add(later.key, laterKey, nil, "%s (line %d) and %s differ: they are the same setting; give one", other, first.key.Line, laterKey)
	case present(pf.val):
		pl.Limits.MaxLineBytes = pl.Parser.MaxLineBytes
	case present(lf.val):
		pl.Parser.MaxLineBytes = pl.Limits.MaxLineBytes
	}
}

// failed reports whether a problem was recorded for key.
func (p *parser) failed(key string) bool {
	for _, e := range p.errs {
		if e.Key == key {
			return true
		}
	}
	return false
}

// size returns the value of n as a positive byte size (see ParseSize), or
// def.
func (p *parser) size(n *yaml.Node, key string, def int64) int64 {
	v, ok := p.str(n, key)
	if !ok {
		return def
	}
	s, err := ParseSize(v)
	if err != nil {
		p.add(n, key, err, "%s: %v", quote(n, v), err)
		return def
	}
	if s < 1 {
		p.add(n, key, nil, "must be at least 1 byte, not %d", s)
		return def
	}
	return s
}

// intSize is size for a setting held in an int.
func (p *parser) intSize(n *yaml.Node, key string, def int) int {
	before := len(p.errs)
	s := p.size(n, key, int64(def))
	if s > math.MaxInt && len(p.errs) == before {
		p.add(n, key, nil, "%d bytes is more than this platform can hold (%d)", s, math.MaxInt)
		return def
	}
	return int(s)
}

// sizeSyntax splits a size into its number and its unit.
var sizeSyntax = regexp.MustCompile(`^([0-9][0-9_]*(?:\.[0-9]+)?)\s*([A-Za-z]*)$`)

// sizeUnits are the units of ParseSize, by lower-case name.
var sizeUnits = map[string]int64{
	"": 1, "b": 1,
	"kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12, "pb": 1e15,
	"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40, "pib": 1 << 50,
	"ki": 1 << 10, "mi": 1 << 20, "gi": 1 << 30, "ti": 1 << 40, "pi": 1 << 50,
}

// ParseSize reads a byte size as written in pipeline.yaml or on a command
// line: a whole number of bytes (16777216, 16_777_216), or a number and a
// unit, with or without a space between them: B; kB, MB, GB, TB, PB
// (powers of 1000); KiB, MiB, GiB, TiB, PiB (powers of 1024; also Ki, Mi,
// Gi, Ti, Pi). Units are case-insensitive. The number may have a fraction
// when the result is whole (1.5GiB). A bare K, M, G or T is refused as
// ambiguous. The result is 0 or more.
func ParseSize(s string) (int64, error) {
	m := sizeSyntax.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return 0, errors.New("not a size: write a number of bytes, or a number and a unit (512MiB, 100MB, 64GiB)")
	}
	num, unit := strings.ReplaceAll(m[1], "_", ""), strings.ToLower(m[2])
	mult, ok := sizeUnits[unit]
	if !ok {
		if len(unit) == 1 && strings.Contains("kmgtp", unit) {
			u := strings.ToUpper(unit)
			return 0, fmt.Errorf("%s is ambiguous: write %sB (powers of 1000) or %siB (powers of 1024)", m[2], u, u)
		}
		return 0, fmt.Errorf("unknown unit %q (known: B, kB, MB, GB, TB, PB, KiB, MiB, GiB, TiB, PiB)", m[2])
	}
	r, ok := new(big.Rat).SetString(num)
	if !ok {
		return 0, errors.New("not a size: write a number of bytes, or a number and a unit (512MiB, 100MB, 64GiB)")
	}
	r.Mul(r, new(big.Rat).SetInt64(mult))
	if !r.IsInt() {
		return 0, errors.New("not a whole number of bytes")
	}
	if !r.Num().IsInt64() {
		return 0, fmt.Errorf("too large (at most %d bytes)", int64(math.MaxInt64))
	}
	return r.Num().Int64(), nil
}
