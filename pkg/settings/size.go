package settings

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// Size is a number of bytes, written in a settings file as ParseSize
// reads it (64GiB, 512MiB, 16_777_216). Block.Decode fills a Size field with
// a value of at least 1.
type Size int64

// Size returns the value of n as a positive byte size (see ParseSize), or
// def.
func (f *File) Size(n *yaml.Node, key string, def int64) int64 {
	v, ok := f.Str(n, key)
	if !ok {
		return def
	}
	s, err := ParseSize(v)
	if err != nil {
		f.Add(n, key, err, "%s: %v", Quote(n, v), err)
		return def
	}
	if s < 1 {
		f.Add(n, key, nil, "must be at least 1 byte, not %d", s)
		return def
	}
	return s
}

// IntSize is Size for a setting held in an int.
func (f *File) IntSize(n *yaml.Node, key string, def int) int {
	before := len(f.errs)
	s := f.Size(n, key, int64(def))
	if s > math.MaxInt && len(f.errs) == before {
		f.Add(n, key, nil, "%d bytes is more than this platform can hold (%d)", s, math.MaxInt)
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

// ParseSize reads a byte size as written in a settings file or on a
// command line: a whole number of bytes (16777216, 16_777_216), or a number
// and a unit, with or without a space between them: B; kB, MB, GB, TB, PB
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
