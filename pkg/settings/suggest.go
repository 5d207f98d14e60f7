package settings

import "strings"

// Suggest returns the candidate closest to s within edit distance 2 (or
// equal to it but for case), or "" when none is that close: the "did you
// mean" of a misspelt key or value.
func Suggest(s string, candidates []string) string {
	ls := strings.ToLower(s)
	best, bestD := "", 3
	for _, c := range candidates {
		d := editDistance(ls, strings.ToLower(c))
		if d < bestD && d < len(c) {
			best, bestD = c, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, in runes.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
