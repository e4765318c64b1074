package match

import "strings"

// Name particles. The lists come from the grammar of the naming systems, not
// from any data set: the Arabic article in its spellings, the words for "son
// of"/"daughter of", compounds that are written joined or apart, and the
// usual European particles.

// articles are the Arabic definite article (and the Urdu/Persian "ul" of
// compounds such as Zia-ul-Haq). Dropped when another word follows.
var articles = map[string]bool{"al": true, "el": true, "ul": true, "il": true, "ol": true}

// sunArticles are the article assimilated to a following "sun letter"
// (ash-Shami, ar-Rashid, ad-Din, ud-Din). Dropped only when the next word
// begins with the assimilated consonant.
var sunArticles = map[string]bool{
	"ad": true, "ar": true, "as": true, "ash": true, "at": true, "az": true,
	"an": true, "ath": true, "adh": true, "ed": true, "er": true, "es": true,
	"esh": true, "et": true, "ez": true, "en": true, "ud": true, "ur": true,
	"us": true, "ush": true, "ut": true, "uz": true, "un": true,
}

// filiation are "son/daughter of" and similar connectors. Dropped when another
// word follows; the father's name itself stays as an ordinary word.
var filiation = map[string]bool{
	"bin": true, "ibn": true, "ben": true, "bint": true, "bent": true,
	"binti": true, "ould": true, "wuld": true, "walad": true,
	"van": true, "von": true, "de": true, "der": true, "den": true,
	"del": true, "della": true, "di": true, "du": true, "dos": true, "das": true,
}

// joinNext are words that form one name with the next word: Abd al-Rahman is
// written Abdulrahman as often as apart, Abu Bakr as Abubakar.
var joinNext = map[string]bool{
	"abd": true, "abdul": true, "abdel": true, "abdal": true, "abdol": true,
	"abdoul": true, "abdou": true, "abdu": true, "abdur": true, "abdar": true,
	"abu": true, "abou": true, "abo": true, "umm": true,
}

// abbreviations are conventional written short forms of a name.
var abbreviations = map[string]string{
	"mohd": "muhammad", "muhd": "muhammad", "mhd": "muhammad", "md": "muhammad",
}

// nameToken is one word of a name ready for comparison.
type nameToken struct {
	full   string // normalised word, after joins
	base   string // full without an attached article (alhassan -> hassan)
	key    string // phonetic key of base
	alt    string // alternate key (French reading of c), "" if the same
	vowel  byte   // class of the first vowel after a consonant, 0 if open
	family bool   // came from the family name field
}

// nameTokens splits a family and a given-names field into tokens, removing
// particles and joining compounds.
func nameTokens(family, given string) []nameToken {
	var out []nameToken
	for i, field := range [2]string{family, given} {
		words := strings.Fields(Normalize(field))
		for _, w := range fieldWords(words) {
			out = append(out, newToken(w, i == 0))
		}
	}
	return out
}

func newToken(w string, family bool) nameToken {
	base := stripArticle(w)
	t := nameToken{full: w, base: base, key: phoneticKey(base, false), vowel: firstVowel(base), family: family}
	if alt := phoneticKey(base, true); alt != t.key {
		t.alt = alt
	}
	return t
}

// firstVowel classes the first vowel after the first consonant: u for o and
// u (which transliterations swap freely), a for a and i (Maryam, Miriam);
// e and y, which stand for either, give 0. Equal phonetic keys count as a variant only when these
// agree, so Hassan and Hussein, two different names with one skeleton, stay
// apart while Mohammed and Muhammad meet.
func firstVowel(w string) byte {
	i := 0
	for i < len(w) && isVowel(w[i]) {
		i++
	}
	for i < len(w) && !isVowel(w[i]) {
		i++
	}
	if i >= len(w) {
		return 0
	}
	switch w[i] {
	case 'a', 'i':
		return 'a'
	case 'o', 'u':
		return 'u'
	}
	return 0
}

// variantVowels reports whether two words' first vowels are compatible.
func variantVowels(a, b *nameToken) bool {
	return a.vowel == 0 || b.vowel == 0 || a.vowel == b.vowel
}

// sameKey reports whether two words share a phonetic key, primary or
// alternate.
func sameKey(a, b *nameToken) bool {
	if a.key == "" || b.key == "" {
		return false
	}
	return a.key == b.key || (b.alt != "" && a.key == b.alt) ||
		(a.alt != "" && (a.alt == b.key || a.alt == b.alt))
}

// fieldWords applies particle rules to the words of one field.
func fieldWords(words []string) []string {
	out := make([]string, 0, len(words))
	for i := 0; i < len(words); i++ {
		w := words[i]
		if a, ok := abbreviations[w]; ok {
			w = a
		}
		hasNext := i+1 < len(words)
		switch {
		case !hasNext:
		case joinNext[w]:
			j := i + 1
			if j+1 < len(words) && (articles[words[j]] || isSunArticle(words[j], words[j+1])) {
				j++
			}
			out = append(out, w+words[j])
			i = j
			continue
		case articles[w], filiation[w], isSunArticle(w, words[i+1]):
			continue
		}
		out = append(out, w)
	}
	if len(out) == 0 && len(words) > 0 {
		// A field made only of particles keeps them.
		return words
	}
	return out
}

// isSunArticle reports an assimilated article before next: "ash" before
// "shami", "ad" before "din".
func isSunArticle(w, next string) bool {
	return sunArticles[w] && strings.HasPrefix(next, w[1:])
}

// stripArticle removes an article written joined to the name: alhassan,
// elhaddad. It keeps short remainders (Almaz, Elham stay whole).
func stripArticle(w string) string {
	if len(w) >= 6 && (strings.HasPrefix(w, "al") || strings.HasPrefix(w, "el")) &&
		!isVowel(w[2]) && w[2] != 'l' {
		return w[2:]
	}
	return w
}

func isVowel(c byte) bool {
	switch c {
	case 'a', 'e', 'i', 'o', 'u', 'y':
		return true
	}
	return false
}

// phoneticKey reduces a normalised word to a key shared by its usual
// transliterations. With alt it reads c as French does (ch as sh, c as s),
// for a second key in the manner of Double Metaphone. It keeps consonant skeletons and drops vowels, with
// consonant classes tuned for Arabic, Persian and Slavic romanisation:
//
//	kh, ch, h -> H               (Khaled, Chaled, Haled)
//	q, k, ck, hard c -> K        (Qasim, Kasim)
//	s, z, ts, th, soft c -> S    (Hamza, Hamsa; Behzad, Behsad; Othman, Osman)
//	t, d, dh -> T                (Ahmed, Ahmet; Fatima, Fadma)
//	j, dj, dz, g, gh, initial y -> J (Jamal, Djamal, Gamal; Ghulam, Golam)
//	w, v -> V; ph, f -> F; sh, sch -> X
//
// An initial vowel becomes A and a final i (or y, ee), the nisba suffix of
// Ahmadi and Husseini, becomes I; other vowels vanish. A final h after a
// vowel is dropped (Fatimah), as is the article fused into Abdul-
// (Abdulrahman, Abdirahman, Abd al-Rahman).
// Doubled letters count once. Letters outside a-z pass through unchanged.
func phoneticKey(w string, alt bool) string {
	if strings.HasPrefix(w, "abd") && len(w) > 5 && isVowel(w[3]) && w[4] == 'l' && !isVowel(w[5]) {
		w = "abd" + w[5:]
	}
	// Collapse doubled letters.
	buf := make([]byte, 0, len(w))
	for i := 0; i < len(w); i++ {
		if i > 0 && w[i] == w[i-1] {
			continue
		}
		buf = append(buf, w[i])
	}
	s := string(buf)
	// A final i (or y, ee) is the nisba suffix (Ahmadi from Ahmad, Husseini
	// from Hussein): part of the name's identity, so it is kept.
	nisba := len(w) > 2 && !isVowel(w[len(w)-2]) && (w[len(w)-1] == 'i' || w[len(w)-1] == 'y') ||
		len(w) > 3 && strings.HasSuffix(w, "ee") && !isVowel(w[len(w)-3])

	var out []byte
	var last byte // last emitted code, 0 after a vowel
	emit := func(c byte) {
		if c != last {
			out = append(out, c)
		}
		last = c
	}
	for i := 0; i < len(s); {
		c := s[i]
		rest := s[i:]
		switch {
		case c >= 0x80:
			// Pass non-ASCII (scripts without a table) through.
			out = append(out, c)
			last = 0
			i++
		case c == 'y' && i == 0:
			emit('J')
			i++
		case isVowel(c):
			if i == 0 {
				emit('A')
			} else if c == 'o' && i+2 < len(s) && s[i+1] == 'u' && isVowel(s[i+2]) {
				// French ou before a vowel is w (Marouane, Marwan).
				emit('V')
				i += 2
				continue
			}
			last = 0
			i++
		case c == 'j' && i > 0 && isVowel(s[i-1]) && i+1 < len(s) && isVowel(s[i+1]):
			// Between vowels j is the glide y (Soraja, Soraya).
			last = 0
			i++
		case strings.HasPrefix(rest, "tsch"):
			emit('C')
			i += 4
		case strings.HasPrefix(rest, "sch"), strings.HasPrefix(rest, "tch"):
			if rest[0] == 's' {
				emit('X')
			} else {
				emit('C')
			}
			i += 3
		case strings.HasPrefix(rest, "dzh"):
			emit('J')
			i += 3
		case len(rest) >= 2 && rest[1] == 'h' && strings.IndexByte("kcsgptdz", c) >= 0:
			switch c {
			case 'c':
				if alt {
					emit('X') // French ch (Rachid, Aicha)
					break
				}
				fallthrough
			case 'k':
				emit('H')
			case 's':
				emit('X')
			case 'g':
				emit('J')
			case 'p':
				emit('F')
			case 't', 'z':
				// Arabic th is s in Persian, Turkish and Urdu (Osman,
				// Othman); zh is the Slavic z.
				emit('S')
			case 'd':
				emit('T')
			}
			i += 2
		case strings.HasPrefix(rest, "dj"), strings.HasPrefix(rest, "dz"), strings.HasPrefix(rest, "gj"):
			emit('J')
			i += 2
		case strings.HasPrefix(rest, "ck"), strings.HasPrefix(rest, "qu"):
			emit('K')
			i += 2
		case strings.HasPrefix(rest, "ts"):
			emit('S')
			i += 2
		case c == 'h':
			// A final h after a vowel is silent (Fatimah, Abdallah).
			if !(i == len(s)-1 && i > 0 && isVowel(s[i-1])) {
				emit('H')
			}
			i++
		default:
			switch c {
			case 'b':
				emit('B')
			case 'p':
				emit('P')
			case 'f':
				emit('F')
			case 'v', 'w':
				emit('V')
			case 'c':
				// Hard c, or the French c-cedilla that lost its mark
				// (Faycal) in the alternate key.
				if alt || i+1 < len(s) && (s[i+1] == 'e' || s[i+1] == 'i' || s[i+1] == 'y') {
					emit('S')
				} else {
					emit('K')
				}
			case 'k', 'q':
				emit('K')
			case 'g', 'j':
				emit('J')
			case 'x':
				emit('K')
				emit('S')
			case 's', 'z':
				emit('S')
			case 't', 'd':
				emit('T')
			case 'l':
				emit('L')
			case 'm':
				emit('M')
			case 'n':
				emit('N')
			case 'r':
				emit('R')
			default: // digits
				emit(c)
			}
			i++
		}
	}
	if nisba {
		out = append(out, 'I')
	}
	return string(out)
}
