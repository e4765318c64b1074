package receipt

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// icaoSpecial are the letters ICAO Doc 9303 Part 3 transliterates to more
// than their base letter, or that have no decomposition.
var icaoSpecial = map[rune]string{
	'Ä': "AE", 'Å': "AA", 'Æ': "AE", 'Ö': "OE", 'Ø': "OE", 'Ü': "UE", 'ß': "SS",
	'Þ': "TH", 'Ð': "D", 'Đ': "D", 'Ħ': "H", 'Ĳ': "IJ", 'ı': "I", 'Ŀ': "L",
	'Ł': "L", 'Ŋ': "N", 'Œ': "OE", 'Ŧ': "T",
}

// ICAOName writes a name in the Latin form of travel documents (ICAO Doc
// 9303 Part 3): upper case A to Z, diacritics removed or transliterated as
// the standard says (Ä → AE, Ł → L, ß → SS, ...), as "FAMILY, GIVEN NAMES".
// Letters of other scripts are kept, upper-cased, rather than lost; other
// characters become spaces, apostrophes vanish.
func ICAOName(family, given string) string {
	f, g := icaoWords(family), icaoWords(given)
	switch {
	case f == "":
		return g
	case g == "":
		return f
	}
	return f + ", " + g
}

func icaoWords(s string) string {
	var b strings.Builder
	for _, r := range norm.NFC.String(strings.ToUpper(s)) {
		if t, ok := icaoSpecial[r]; ok {
			b.WriteString(t)
			continue
		}
		switch {
		case r == '\'' || r == '’' || r == 'ʼ' || r == '`':
			continue
		case r == '-':
			b.WriteRune(r)
			continue
		case r < 0x80 && (r >= 'A' && r <= 'Z'):
			b.WriteRune(r)
			continue
		case !unicode.IsLetter(r):
			b.WriteByte(' ')
			continue
		}
		// Strip combining marks: "Ć" decomposes to "C" + U+0301.
		base := []rune(norm.NFD.String(string(r)))
		if base[0] < 0x80 {
			b.WriteRune(base[0])
		} else {
			b.WriteRune(r)
		}
	}
	return strings.Join(strings.Fields(b.String()), " ")
}
