package match

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// MaxFieldBytes bounds every text field the package looks at. Longer input is
// cut (at a character boundary) before it is normalised, so a hostile or
// broken record costs bounded time and memory.
const MaxFieldBytes = 512

// latinSpecial folds Latin letters that have no decomposition into a base
// letter plus combining marks.
var latinSpecial = map[rune]string{
	'ß': "ss", 'æ': "ae", 'œ': "oe", 'ø': "o", 'đ': "dj", 'ð': "d",
	'þ': "th", 'ł': "l", 'ı': "i", 'ħ': "h", 'ŧ': "t", 'ŋ': "n", 'ĸ': "k",
	'ſ': "s", 'ɨ': "i", 'ə': "e", 'ȷ': "j", 'ɛ': "e", 'ɔ': "o",
}

// isApostrophe reports characters written inside names (Sa'id, Ma'ruf,
// transliterated ayn and hamza) that join rather than separate.
func isApostrophe(r rune) bool {
	switch r {
	case '\'', '`', '´', '‘', '’', 'ʼ', 'ʻ', 'ʽ', 'ʾ', 'ʿ', 'ˈ', '′':
		return true
	}
	return false
}

// truncate cuts s to at most max bytes without splitting a character.
func truncate(s string, max int) string {
	if len(s) <= max {
		return s
	}
	s = s[:max]
	for len(s) > 0 {
		r, size := utf8.DecodeLastRuneInString(s)
		if r != utf8.RuneError || size > 1 {
			break
		}
		s = s[:len(s)-1]
	}
	return s
}

// Normalize folds a name (or any free text) for comparison: Unicode NFKC,
// lower case, accents and other combining marks removed, Cyrillic, Greek,
// Arabic and Persian script transliterated to Latin, apostrophes dropped and
// every other run of non-letters turned into a single space. The result is
// the words of s, lower case and mostly ASCII (letters of scripts without a
// table, such as Ge'ez or Han, are kept as they are), separated by single
// spaces. Input longer than MaxFieldBytes is cut first; invalid UTF-8 is
// treated as separators. Normalize never fails.
func Normalize(s string) string {
	s = truncate(s, MaxFieldBytes)
	s = strings.Map(func(r rune) rune {
		if isApostrophe(r) {
			return -1
		}
		return r
	}, s)
	s = norm.NFKC.String(s)
	s = strings.ToLower(s)
	s = norm.NFD.String(s)
	s = strings.Map(func(r rune) rune {
		if unicode.Is(unicode.Mn, r) {
			return -1
		}
		return r
	}, s)
	s = translitScripts(s)

	var b strings.Builder
	b.Grow(len(s))
	sep := false
	space := func() {
		if sep && b.Len() > 0 {
			b.WriteByte(' ')
		}
		sep = false
	}
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			space()
			b.WriteByte(byte(r))
		case r < utf8.RuneSelf:
			sep = true
		case latinSpecial[r] != "":
			space()
			b.WriteString(latinSpecial[r])
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			space()
			b.WriteRune(unicode.ToLower(r))
		case isApostrophe(r):
			// NFKC can produce some of them; they still join.
		default:
			sep = true
		}
	}
	return b.String()
}
