package match

import "strings"

// The tables below map Cyrillic, Greek, Arabic and Persian letters to Latin.
// Cyrillic and Greek follow the transliteration table of ICAO Doc 9303 Part 3
// (the letters used in machine readable zones). Arabic follows the ICAO Arabic
// table for consonants; short vowels are not written in Arabic script, so the
// output is consonant heavy and the phonetic key, which drops vowels, carries
// the comparison. Persian and Urdu letters not in Arabic are added with their
// usual romanisation.

// cyrillic maps lower-case Cyrillic letters (ICAO 9303 Part 3). Upper case is
// folded before lookup.
var cyrillic = map[rune]string{
	'а': "a", 'б': "b", 'в': "v", 'г': "g", 'ґ': "g", 'ѓ': "g", 'д': "d",
	'ђ': "d", 'е': "e", 'ё': "e", 'є': "ie", 'ж': "zh", 'з': "z", 'ѕ': "dz",
	'и': "i", 'і': "i", 'ї': "i", 'й': "i", 'ј': "j", 'к': "k", 'ќ': "k",
	'л': "l", 'љ': "lj", 'м': "m", 'н': "n", 'њ': "nj", 'о': "o", 'п': "p",
	'р': "r", 'с': "s", 'т': "t", 'ћ': "c", 'у': "u", 'ў': "u", 'ф': "f",
	'х': "kh", 'ц': "ts", 'ч': "ch", 'џ': "dz", 'ш': "sh", 'щ': "shch",
	'ъ': "ie", 'ы': "y", 'ь': "", 'э': "e", 'ю': "iu", 'я': "ia",
}

// greek maps lower-case Greek letters (ICAO 9303 Part 3). The digraphs that
// ICAO writes as one sound are in greekPairs.
var greek = map[rune]string{
	'α': "a", 'β': "v", 'γ': "g", 'δ': "d", 'ε': "e", 'ζ': "z", 'η': "i",
	'θ': "th", 'ι': "i", 'κ': "k", 'λ': "l", 'μ': "m", 'ν': "n", 'ξ': "x",
	'ο': "o", 'π': "p", 'ρ': "r", 'σ': "s", 'ς': "s", 'τ': "t", 'υ': "y",
	'φ': "f", 'χ': "ch", 'ψ': "ps", 'ω': "o",
}

// greekPairs are Greek vowel digraphs with a single Latin rendering.
var greekPairs = map[string]string{
	"ου": "ou", "αυ": "av", "ευ": "ev", "ηυ": "iv",
}

// arabic maps Arabic, Persian and Urdu letters. The weak letters waw and yeh
// are handled in context by translitArabic (consonant or long vowel).
var arabic = map[rune]string{
	'ا': "a", 'أ': "a", 'إ': "i", 'آ': "a", 'ٱ': "a", 'ء': "", 'ؤ': "u",
	'ئ': "i", 'ب': "b", 'ت': "t", 'ث': "th", 'ج': "j", 'ح': "h", 'خ': "kh",
	'د': "d", 'ذ': "dh", 'ر': "r", 'ز': "z", 'س': "s", 'ش': "sh", 'ص': "s",
	'ض': "d", 'ط': "t", 'ظ': "z", 'ع': "a", 'غ': "gh", 'ف': "f", 'ق': "q",
	'ك': "k", 'ل': "l", 'م': "m", 'ن': "n", 'ه': "h", 'ة': "a", 'ى': "a",
	// Persian
	'پ': "p", 'چ': "ch", 'ژ': "zh", 'گ': "g", 'ک': "k", 'ۀ': "e",
	// Urdu and Pashto
	'ٹ': "t", 'ڈ': "d", 'ڑ': "r", 'ں': "n", 'ھ': "h", 'ہ': "h", 'ے': "e",
	'ټ': "t", 'ډ': "d", 'ړ': "r", 'ږ': "zh", 'ښ': "sh", 'ځ': "dz", 'څ': "ts",
	'ڼ':      "n",
	'\u0640': "", // tatweel, a stretching stroke
}

// isArabicVowelLetter reports letters after which waw and yeh are consonants.
func isArabicVowelLetter(r rune) bool {
	switch r {
	case 'ا', 'أ', 'إ', 'آ', 'ٱ', 'ى', 'ة':
		return true
	}
	return false
}

func isArabicLetter(r rune) bool {
	_, ok := arabic[r]
	return ok || r == 'و' || r == 'ي' || r == 'ی' || r == 'ې' || r == 'ۍ'
}

// translitScripts rewrites Cyrillic, Greek, Arabic and Persian letters to
// Latin and leaves everything else alone. The caller has lower-cased the
// input and removed combining marks (accents, Arabic short vowel marks and
// hamza seats), so precomposed letters reach here in their base form.
func translitScripts(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	rs := []rune(s)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case r < 0x370:
			b.WriteRune(r)
		case r >= 0x370 && r <= 0x3FF:
			if i+1 < len(rs) {
				if v, ok := greekPairs[string(rs[i:i+2])]; ok {
					b.WriteString(v)
					i++
					continue
				}
			}
			if v, ok := greek[r]; ok {
				b.WriteString(v)
			} else {
				b.WriteRune(r)
			}
		case r >= 0x400 && r <= 0x4FF:
			if v, ok := cyrillic[r]; ok {
				b.WriteString(v)
			} else {
				b.WriteRune(r)
			}
		case r >= 0x600 && r <= 0x6FF:
			b.WriteString(translitArabic(rs, i))
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// translitArabic renders the Arabic-script letter at rs[i]. Waw and yeh are
// consonants (w, y) at the start of a word or after a vowel letter, and long
// vowels (u, i) after a consonant. Arabic-Indic digits become ASCII digits.
func translitArabic(rs []rune, i int) string {
	r := rs[i]
	switch {
	case r >= '٠' && r <= '٩':
		return string('0' + (r - '٠'))
	case r >= '۰' && r <= '۹':
		return string('0' + (r - '۰'))
	}
	if v, ok := arabic[r]; ok {
		return v
	}
	switch r {
	case 'و', 'ي', 'ی', 'ې', 'ۍ':
		consonant := i == 0 || !isArabicLetter(rs[i-1]) || isArabicVowelLetter(rs[i-1])
		if r == 'و' {
			if consonant {
				return "w"
			}
			return "u"
		}
		if consonant {
			return "y"
		}
		return "i"
	}
	return string(r)
}
