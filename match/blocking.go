package match

import (
	"sort"
	"strconv"
)

// Blocking key kinds. Each key starts with its kind so that values of
// different kinds never collide.
const (
	keyNameYear = "n:" // phonetic key of one name word + two-year band
	keyNamePair = "p:" // phonetic keys of two name words, any date
	keyDoc      = "d:" // OCR-folded document number
	keyDocHalf  = "h:" // one half of it, for one-character slips
)

// maxPairWords bounds the words used for pair keys (n*(n-1)/2 keys).
const maxPairWords = 6

// BlockingKeys returns the keys under which r is filed for candidate search:
// phonetic keys of its name words combined with two-year birth bands (so a
// year off still meets), pairs of phonetic keys without the date (for a
// missing or wrong date), and the folded document number whole and in
// halves (so one mistyped character still meets). Two records of one person
// share at least one key unless both the names and the document changed
// beyond recognition. Keys are deterministic, sorted and free of duplicates;
// they carry phonetic skeletons, never a name as written, and are meant to be
// turned into blind indexes with a keyed hash before storage.
func BlockingKeys(r Record) []string {
	p := prepare(r)
	return p.blockingKeys()
}

func (p *prepared) blockingKeys() []string {
	var words []string
	seen := map[string]bool{}
	for _, t := range p.tokens {
		if len(t.key) >= 2 && !seen[t.key] {
			seen[t.key] = true
			words = append(words, t.key)
		}
	}
	nameKeys := words
	for _, t := range p.tokens {
		if len(t.alt) >= 2 && !seen[t.alt] {
			seen[t.alt] = true
			nameKeys = append(nameKeys[:len(nameKeys):len(nameKeys)], t.alt)
		}
	}
	for _, j := range p.joins {
		if len(j.tok.key) >= 2 && !seen[j.tok.key] {
			seen[j.tok.key] = true
			nameKeys = append(nameKeys[:len(nameKeys):len(nameKeys)], j.tok.key)
		}
	}
	bands := p.dob.bands()
	n := len(bands)*len(nameKeys) + maxPairWords*(maxPairWords-1)/2 + 3 // at most
	kb := keyBuf{b: make([]byte, 0, 16*n), ends: make([]int, 0, n)}
	for _, band := range bands {
		for _, k := range nameKeys {
			kb.add(keyNameYear, k, ":", band)
		}
	}
	if len(words) > maxPairWords {
		words = words[:maxPairWords]
	}
	sorted := append([]string(nil), words...)
	sort.Strings(sorted)
	for i := range sorted {
		for j := i + 1; j < len(sorted); j++ {
			kb.add(keyNamePair, sorted[i], "+", sorted[j])
		}
	}
	if d := p.doc; d != "" {
		kb.add(keyDoc, d)
		if len(d) >= 6 {
			n := strconv.Itoa(len(d))
			kb.add(keyDocHalf, n, ":0:", d[:len(d)/2])
			kb.add(keyDocHalf, n, ":1:", d[len(d)/2:])
		}
	}
	keys := kb.strings()
	sort.Strings(keys)
	out := keys[:0]
	for i, k := range keys {
		if i == 0 || k != keys[i-1] {
			out = append(out, k)
		}
	}
	return out
}

// keyBuf builds keys end to end in one buffer, turned into strings with
// one allocation instead of one per key.
type keyBuf struct {
	b    []byte
	ends []int
}

// add appends one key made of parts.
func (kb *keyBuf) add(parts ...string) {
	for _, p := range parts {
		kb.b = append(kb.b, p...)
	}
	kb.ends = append(kb.ends, len(kb.b))
}

// strings returns the keys added, in order.
func (kb *keyBuf) strings() []string {
	s := string(kb.b)
	out := make([]string, len(kb.ends))
	start := 0
	for i, end := range kb.ends {
		out[i], start = s[start:end], end
	}
	return out
}

// bands returns the two-year birth bands a date is filed under: those of the
// year before and after (and more for an estimated year), so records whose
// years differ by up to two share a band. An unknown date has its own band.
func (d birthDate) bands() []string {
	if !d.known() {
		return []string{"?"}
	}
	spread := 1
	if d.estimated {
		spread = 3
	}
	var out []string
	for y := d.year - spread; y <= d.year+spread; y++ {
		b := strconv.Itoa(y / 2)
		if len(out) == 0 || out[len(out)-1] != b {
			out = append(out, b)
		}
	}
	return out
}
