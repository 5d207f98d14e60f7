package record

import (
	"bytes"
	"errors"
	"fmt"
	"math/bits"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/decimal256"
)

// This file holds the exact decimal arithmetic behind decimal columns: the
// text parser (no float on the way), the unscaled integers Arrow's
// Decimal128 and Decimal256 hold (two or four 64-bit words, little-endian,
// two's complement), and their text.

var (
	// errNotDecimal is a text that is not a decimal literal.
	errNotDecimal = errors.New("not a decimal")
	// errDecimalDigits is a decimal literal with more integer or fraction
	// digits than any decimal type holds (MaxDecimalPrecision).
	errDecimalDigits = errors.New("too many digits")
)

// maxExponent bounds the exponent parseDecimal reads, so that its
// arithmetic cannot overflow; any larger exponent of a non-zero value
// makes more digits than a decimal holds.
const maxExponent = 1 << 20

// parseDecimal reads s as an exact decimal literal and appends its
// canonical text to dst: a '-' for a negative value, the integer digits
// without leading zeros ("0" when there are none), and, when the value has
// a fraction, '.' and the fraction's digits without trailing zeros. It
// returns the number of significant integer digits (0 for a value below 1)
// and of fraction digits, the digits a decimal type needs for the value:
// "0012.3400" is "12.34", with 2 and 2. Trailing zeros of the fraction say
// nothing of the value, so "1.50" fits decimal(2,1).
//
// The grammar is what a user who declares a decimal means:
//
//	[+-]? ( digits ( '.' digits? )? | '.' digits ) ( [eE] [+-]? digits )?
//
// so "+1.5", "-.5", "1.", "007" and "1.5e3" are decimals, while "", "1,5",
// " 1", "NaN", "Inf" and "0x10" are not (errNotDecimal). A value with more
// than MaxDecimalPrecision integer or fraction digits is errDecimalDigits,
// and then nothing is appended. parseDecimal allocates nothing beyond dst.
func parseDecimal(dst []byte, s string) (out []byte, intDigits, fracDigits int, err error) {
	i, n := 0, len(s)
	neg := false
	if i < n && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	intStart := i
	for i < n && s[i]-'0' <= 9 {
		i++
	}
	intEnd, fracStart, fracEnd := i, i, i
	if i < n && s[i] == '.' {
		i++
		fracStart = i
		for i < n && s[i]-'0' <= 9 {
			i++
		}
		fracEnd = i
	}
	if intEnd == intStart && fracEnd == fracStart {
		return dst, 0, 0, errNotDecimal
	}
	exp := 0
	if i < n && (s[i] == 'e' || s[i] == 'E') {
		var ok bool
		if exp, ok = parseExponent(s[i+1:], maxExponent); !ok {
			return dst, 0, 0, errNotDecimal
		}
	} else if i != n {
		return dst, 0, 0, errNotDecimal
	}

	// The coefficient's digits are the integer digits then the fraction
	// digits: digit(k) for k in [0, nd). The value is that integer times
	// 10^e.
	li := intEnd - intStart
	nd := li + fracEnd - fracStart
	digit := func(k int) byte {
		if k < li {
			return s[intStart+k]
		}
		return s[fracStart+k-li]
	}
	e := exp - (fracEnd - fracStart)
	first, last := 0, nd // the significant digits: no leading or trailing zeros
	for first < last && digit(first) == '0' {
		first++
	}
	for last > first && digit(last-1) == '0' {
		last--
		e++
	}
	if first == last {
		return append(dst, '0'), 0, 0, nil
	}
	sig := last - first
	if e >= 0 {
		intDigits = sig + e
	} else {
		fracDigits = -e
		intDigits = max(sig-fracDigits, 0)
	}
	if intDigits > MaxDecimalPrecision || fracDigits > MaxDecimalPrecision {
		return dst, 0, 0, errDecimalDigits
	}
	if neg {
		dst = append(dst, '-')
	}
	if intDigits == 0 {
		dst = append(dst, '0', '.')
		for range fracDigits - sig {
			dst = append(dst, '0')
		}
		for k := first; k < last; k++ {
			dst = append(dst, digit(k))
		}
		return dst, intDigits, fracDigits, nil
	}
	for k := first; k < last; k++ {
		if k-first == intDigits {
			dst = append(dst, '.')
		}
		dst = append(dst, digit(k))
	}
	for ; e > 0; e-- {
		dst = append(dst, '0')
	}
	return dst, intDigits, fracDigits, nil
}

// decimalNeedsText returns the narrowest decimal type that holds a value
// given by its canonical text (see parseDecimal).
func decimalNeedsText(text []byte) Type {
	if len(text) > 0 && text[0] == '-' {
		text = text[1:]
	}
	point := bytes.IndexByte(text, '.')
	if point < 0 {
		point = len(text)
	}
	intDigits, fracDigits := point, max(len(text)-point-1, 0)
	if point == 1 && text[0] == '0' {
		intDigits = 0
	}
	return decimalNeeds(intDigits, fracDigits)
}

// decimalFits reports why a value of intDigits integer and fracDigits
// fraction digits (see parseDecimal) does not fit decimal type t of fixed
// precision, or nil when it fits.
func decimalFits(text string, intDigits, fracDigits int, t Type) error {
	switch p, s := t.Precision(), t.Scale(); {
	case fracDigits > s:
		return fmt.Errorf("%w: %s has %d digits after the point, %v holds %d (it would be rounded)", ErrConvert, quoteValue(text), fracDigits, t, s)
	case intDigits > p-s:
		return fmt.Errorf("%w: %s has %d digits before the point, %v holds %d", ErrConvert, quoteValue(text), intDigits, t, p-s)
	}
	return nil
}

// decimalNeeds returns the narrowest decimal type that holds a value of
// intDigits integer and fracDigits fraction digits.
func decimalNeeds(intDigits, fracDigits int) Type {
	return DecimalOf(max(intDigits+fracDigits, 1), fracDigits)
}

// parseDecimalFor parses text as a value of decimal type t (Decimal: of any
// precision), appending its canonical text to dst, and returns the
// narrowest decimal type that holds it. A value that is not a decimal, or
// does not fit t, is an error wrapping ErrConvert; nothing is rounded.
func parseDecimalFor(dst []byte, text string, t Type) ([]byte, Type, error) {
	out, intDigits, fracDigits, err := parseDecimal(dst, text)
	switch {
	case errors.Is(err, errDecimalDigits):
		return dst, Unknown, fmt.Errorf("%w: %s has more than %d digits before or after the point", ErrConvert, quoteValue(text), MaxDecimalPrecision)
	case err != nil:
		return dst, Unknown, convertError(text, t)
	}
	need := decimalNeeds(intDigits, fracDigits)
	if t != Decimal {
		if err := decimalFits(text, intDigits, fracDigits, t); err != nil {
			return dst, Unknown, err
		}
	}
	return out, need, nil
}

// ConvertDecimal converts c to decimal type t: it returns the exact
// decimal text of the value with exactly t's scale ("12.50" in
// decimal(12,2)), or, for Decimal, the value's own digits ("12.5"). It
// accepts a leading '+', leading zeros, trailing zeros after the point and
// an exponent ("1.25e2" is 125). A value with more digits after the point
// than t's scale, or before it than its precision less its scale, does not
// convert (ErrConvert): it is never rounded.
func ConvertDecimal(c Cell, t Type) (string, error) {
	if !t.IsDecimal() {
		return "", fmt.Errorf("record: ConvertDecimal to %v", t)
	}
	if c.nullIn(t) {
		return "", ErrNull
	}
	text, _, err := parseDecimalFor(nil, c.Text, t)
	if err != nil {
		return "", err
	}
	if t == Decimal {
		return string(text), nil
	}
	var w [4]uint64
	decimalWords(string(text), t.Scale(), w[:])
	return string(appendWords(nil, w[:], t.Scale())), nil
}

// decimalWords sets w, little-endian 64-bit words in two's complement, to
// the unscaled value of canonical decimal text s (see parseDecimal) at the
// given scale: s times 10^scale. The caller has checked that s has no more
// fraction digits than scale and that the result fits w.
func decimalWords[T string | []byte](s T, scale int, w []uint64) {
	clear(w)
	neg := len(s) > 0 && s[0] == '-'
	if neg {
		s = s[1:]
	}
	var acc uint64
	accDigits, frac, inFrac := 0, 0, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '.' {
			inFrac = true
			continue
		}
		if inFrac {
			frac++
		}
		acc = acc*10 + uint64(c-'0')
		if accDigits++; accDigits == 19 {
			mulAdd(w, pow10u64[19], acc)
			acc, accDigits = 0, 0
		}
	}
	mulAdd(w, pow10u64[accDigits], acc)
	for k := scale - frac; k > 0; k -= 19 {
		mulAdd(w, pow10u64[min(k, 19)], 0)
	}
	if neg {
		negateWords(w)
	}
}

// pow10u64 holds the powers of ten that fit a uint64.
var pow10u64 = func() (p [20]uint64) {
	p[0] = 1
	for i := 1; i < len(p); i++ {
		p[i] = p[i-1] * 10
	}
	return p
}()

// mulAdd sets w to w*m + a, dropping what overflows.
func mulAdd(w []uint64, m, a uint64) {
	carry := a
	for i := range w {
		hi, lo := bits.Mul64(w[i], m)
		var c uint64
		w[i], c = bits.Add64(lo, carry, 0)
		carry = hi + c
	}
}

// negateWords sets w to -w.
func negateWords(w []uint64) {
	carry := uint64(1)
	for i := range w {
		w[i], carry = bits.Add64(^w[i], 0, carry)
	}
}

// appendWords appends the value of w (little-endian words, two's
// complement) divided by 10^scale, exactly, with scale digits after the
// point: "-12.50", "0.05", "7".
func appendWords(dst []byte, w []uint64, scale int) []byte {
	var abs [4]uint64
	v := abs[:copy(abs[:], w)]
	if v[len(v)-1]>>63 == 1 {
		negateWords(v)
		dst = append(dst, '-')
	}
	// The digits, most significant first.
	var buf [80]byte
	digits := wordDigits(buf[:0], v)
	if scale < 0 { // from Arrow arrays of elsewhere: whole tens
		if len(digits) == 1 && digits[0] == '0' {
			return append(dst, '0')
		}
		dst = append(dst, digits...)
		for range -scale {
			dst = append(dst, '0')
		}
		return dst
	}
	intLen := len(digits) - scale
	if intLen > 0 {
		dst = append(dst, digits[:intLen]...)
	} else {
		dst = append(dst, '0')
	}
	if scale > 0 {
		dst = append(dst, '.')
		for range -intLen { // zeros between the point and the digits
			dst = append(dst, '0')
		}
		dst = append(dst, digits[max(intLen, 0):]...)
	}
	return dst
}

// wordDigits appends the decimal digits of the non-negative integer v
// (little-endian words), most significant first, "0" for zero. It
// overwrites v.
func wordDigits(dst []byte, v []uint64) []byte {
	high := len(v) - 1
	for high > 0 && v[high] == 0 {
		high--
	}
	if high == 0 { // the common case: one word
		return strconv.AppendUint(dst, v[0], 10)
	}
	// Least significant first, by repeated division by 10^19.
	var rev [80]byte
	n := 0
	for {
		var rem uint64
		zero := true
		for i := high; i >= 0; i-- {
			v[i], rem = bits.Div64(rem, v[i], pow10u64[19])
			zero = zero && v[i] == 0
		}
		for k := 0; k < 19 && (rem != 0 || !zero); k++ {
			rev[n] = byte('0' + rem%10)
			rem /= 10
			n++
		}
		if zero {
			break
		}
	}
	for i := n - 1; i >= 0; i-- {
		dst = append(dst, rev[i])
	}
	return dst
}

// IsDecimalArray reports whether a is a decimal array AppendDecimal reads:
// Arrow Decimal128 or Decimal256.
func IsDecimalArray(a arrow.Array) bool {
	switch a.(type) {
	case *array.Decimal128, *array.Decimal256:
		return true
	}
	return false
}

// AppendDecimal appends value i of a decimal array (Arrow Decimal128 or
// Decimal256, as the types DecimalOf carries) to dst as exact text with the
// array's scale digits after the point ("12.50", "-0.01", "100"), and
// reports true; for any other array it returns dst and false. The value
// must not be null.
func AppendDecimal(dst []byte, a arrow.Array, i int) ([]byte, bool) {
	switch a := a.(type) {
	case *array.Decimal128:
		v := a.Value(i)
		w := [2]uint64{v.LowBits(), uint64(v.HighBits())}
		return appendWords(dst, w[:], int(a.DataType().(*arrow.Decimal128Type).Scale)), true
	case *array.Decimal256:
		w := a.Value(i).Array()
		return appendWords(dst, w[:], int(a.DataType().(*arrow.Decimal256Type).Scale)), true
	}
	return dst, false
}

// quoteValue quotes a value for a message, shortened as convertError does.
func quoteValue(text string) string {
	return fmt.Sprintf("%q", shorten(text))
}

// AppendDecimalValue appends the decimal text s (as ConvertDecimal reads
// it) to b, an *array.Decimal128Builder or *array.Decimal256Builder, at the
// builder's precision and scale. A text that does not fit them is an error
// wrapping ErrConvert, and nothing is appended.
func AppendDecimalValue(b array.Builder, s string) error {
	var dt arrow.DecimalType
	switch b := b.(type) {
	case *array.Decimal128Builder:
		dt = b.Type().(arrow.DecimalType)
	case *array.Decimal256Builder:
		dt = b.Type().(arrow.DecimalType)
	default:
		return fmt.Errorf("record: AppendDecimalValue to %T", b)
	}
	p, scale := int(dt.GetPrecision()), int(dt.GetScale())
	if err := checkDecimal(p, scale); err != nil {
		return fmt.Errorf("record: AppendDecimalValue: %w", err)
	}
	text, _, err := parseDecimalFor(nil, s, DecimalOf(p, scale))
	if err != nil {
		return err
	}
	var w [4]uint64
	decimalWords(text, scale, w[:])
	switch b := b.(type) {
	case *array.Decimal128Builder:
		b.Append(decimal128.New(int64(w[1]), w[0]))
	case *array.Decimal256Builder:
		b.Append(decimal256.New(w[3], w[2], w[1], w[0]))
	}
	return nil
}
