package registry

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Registration IDs look like "BIH-7KQ4-M2XD-9TRC": the issuing country, then
// eleven random characters of Crockford's Base32 (no I, L, O, U: easy to read
// aloud and to type) and one check character. 55 random bits make a collision
// within one country negligible (below 1e-4 at ten million records) without
// any coordination between devices. The check character is computed in the
// style of ISO 7064 but with Damm's totally anti-symmetric quasigroup over
// GF(32) (x*y = 2x + y), because ISO 7064's hybrid MOD 33,32 misses some
// adjacent swaps; this one catches every single mistyped character and every
// swap of two adjacent characters, and stays inside the readable alphabet.

const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

const regIDRandom = 11

// ErrBadRegID is returned (wrapped) for text that is not a registration ID or
// whose check character does not match.
var ErrBadRegID = errors.New("not a valid registration ID")

// ErrRegIDCheck is an ID of the right shape whose check character does not
// match: a character was mistyped (it wraps ErrBadRegID).
var ErrRegIDCheck = fmt.Errorf("%w: check character does not match (a character was mistyped)", ErrBadRegID)

// NewRegID mints a registration ID for country, reading randomness from r
// (crypto/rand.Reader when nil).
func NewRegID(country string, r io.Reader) (string, error) {
	if r == nil {
		r = rand.Reader
	}
	buf := make([]byte, regIDRandom)
	if _, err := io.ReadFull(r, buf); err != nil {
		return "", fmt.Errorf("registration id: random: %w", err)
	}
	body := make([]byte, regIDRandom)
	for i, b := range buf {
		body[i] = crockford[b&31]
	}
	return formatRegID(country, string(body)+string(checkChar(string(body)))), nil
}

func formatRegID(country, body string) string {
	return country + "-" + body[0:4] + "-" + body[4:8] + "-" + body[8:12]
}

// checkChar computes the Damm check character over GF(32) with the
// primitive polynomial x^5 + x^2 + 1.
func checkChar(body string) byte {
	interim := 0
	for i := 0; i < len(body); i++ {
		interim = gf32Double(interim) ^ strings.IndexByte(crockford, body[i])
	}
	return crockford[gf32Double(interim)]
}

func gf32Double(x int) int {
	x <<= 1
	if x&32 != 0 {
		x ^= 0x25
	}
	return x
}

// ParseRegID normalises typed or scanned text (any case, spaces or hyphens,
// O for 0, I and L for 1) and checks its check character. It returns the
// canonical form.
func ParseRegID(s string) (string, error) {
	var b strings.Builder
	for _, r := range strings.ToUpper(s) {
		switch {
		case r == '-' || r == ' ' || r == '\t':
		case r < 128:
			b.WriteRune(r)
		default:
			return "", fmt.Errorf("%w: unexpected character", ErrBadRegID)
		}
	}
	t := b.String()
	if len(t) != 3+regIDRandom+1 {
		return "", fmt.Errorf("%w: wrong length", ErrBadRegID)
	}
	country := t[:3]
	for i := 0; i < 3; i++ {
		if country[i] < 'A' || country[i] > 'Z' {
			return "", fmt.Errorf("%w: country code must be three letters", ErrBadRegID)
		}
	}
	body := []byte(t[3:])
	for i, c := range body {
		switch c {
		case 'O':
			body[i] = '0'
		case 'I', 'L':
			body[i] = '1'
		}
		if strings.IndexByte(crockford, body[i]) < 0 {
			return "", fmt.Errorf("%w: unexpected character", ErrBadRegID)
		}
	}
	if checkChar(string(body[:regIDRandom])) != body[regIDRandom] {
		return "", ErrRegIDCheck
	}
	return formatRegID(country, string(body)), nil
}

// LooksLikeRegID reports whether s is plausibly meant as a registration ID
// (used to route a search query), without checking the check character.
func LooksLikeRegID(s string) bool {
	s = strings.ToUpper(strings.TrimSpace(s))
	return len(s) >= 8 && len(s) <= 20 && s[3] == '-' && strings.IndexFunc(s, func(r rune) bool {
		return !(r == '-' || (r >= '0' && r <= '9') || (r >= 'A' && r <= 'Z'))
	}) < 0
}
