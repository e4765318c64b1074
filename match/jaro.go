package match

import "github.com/adrg/strutil/metrics"

// jaroWinkler is the Jaro-Winkler similarity of a and b, computed as
// github.com/adrg/strutil/metrics.JaroWinkler does (match window of half the
// longer length, prefix bonus up to four characters) but on bytes and
// without allocating for words up to 64 bytes: scoring thousands of
// candidates a search calls it often. Names are ASCII after Normalize;
// other input falls back to strutil, which works on runes.
func jaroWinkler(a, b string) float64 {
	if len(a) > 64 || len(b) > 64 || !isASCII(a) || !isASCII(b) {
		return metrics.NewJaroWinkler().Compare(a, b)
	}
	if len(a) == 0 && len(b) == 0 {
		return 1
	}
	if len(a) == 0 || len(b) == 0 {
		return 0
	}
	window := max(len(a), len(b)) / 2
	var usedB uint64
	var matchA [64]byte
	var posA [64]int
	m := 0
	for i := 0; i < len(a); i++ {
		lo, hi := max(0, i-window), min(len(b), i+window+1)
		for j := lo; j < hi; j++ {
			if usedB&(1<<j) == 0 && a[i] == b[j] {
				usedB |= 1 << j
				matchA[m] = a[i]
				posA[m] = i
				m++
				break
			}
		}
	}
	if m == 0 {
		return 0
	}
	// strutil counts matches from b's side independently; with a symmetric
	// window the counts agree, and the order of b's matches is that of the
	// used positions.
	mb := 0
	var usedA uint64
	var matchB [64]byte
	for j := 0; j < len(b); j++ {
		lo, hi := max(0, j-window), min(len(a), j+window+1)
		for i := lo; i < hi; i++ {
			if usedA&(1<<i) == 0 && b[j] == a[i] {
				usedA |= 1 << i
				matchB[mb] = b[j]
				mb++
				break
			}
		}
	}
	if mb == 0 {
		return 0
	}
	t := 0
	for k := 0; k < min(m, mb); k++ {
		if matchA[k] != matchB[k] {
			t++
		}
	}
	fm, sm := float64(m), float64(mb)
	jaro := (fm/float64(len(a)) + sm/float64(len(b)) + (fm-float64(t/2))/fm) / 3
	prefix := 0
	for prefix < 4 && prefix < len(a) && prefix < len(b) && a[prefix] == b[prefix] {
		prefix++
	}
	return jaro + 0.1*float64(prefix)*(1-jaro)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
