// Package suggest finds the word a user probably meant: the keyword, function,
// table or column nearest a misspelled one.
package suggest

// Distance counts the insertions, deletions, substitutions and transpositions
// of adjacent characters that turn a into b, ignoring ASCII case.
func Distance(a, b string) int {
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if fold(a[i-1]) == fold(b[j-1]) {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && fold(a[i-1]) == fold(b[j-2]) && fold(a[i-2]) == fold(b[j-1]) {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}

func fold(c byte) byte {
	if 'a' <= c && c <= 'z' {
		return c - ('a' - 'A')
	}
	return c
}

// Limit is how many edits still read as a typo of a word of n bytes.
func Limit(n int) int { return max(1, n/3) }

// Closest returns the candidate nearest name if it is within Limit edits,
// else "". Of equally near candidates the first wins.
func Closest(name string, candidates []string) string {
	best, bestD := "", Limit(len(name))+1
	for _, c := range candidates {
		if d := Distance(name, c); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}
