package receipt

import (
	"errors"
	"fmt"
)

// Base45 (RFC 9285) maps bytes onto the 45 characters of the QR code's
// alphanumeric mode, which packs 11 bits per 2 characters: the densest way to
// put binary data into a QR code that every reader returns unchanged.

const base45Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"

var base45Value = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for i := 0; i < len(base45Alphabet); i++ {
		t[base45Alphabet[i]] = int8(i)
	}
	return t
}()

// ErrBase45 is returned (wrapped) for text that is not valid Base45.
var ErrBase45 = errors.New("not valid Base45")

// encodeBase45 encodes b as RFC 9285 Base45: each pair of bytes becomes three
// characters, a final single byte two.
func encodeBase45(b []byte) string {
	out := make([]byte, 0, (len(b)+1)/2*3)
	for i := 0; i+1 < len(b); i += 2 {
		n := int(b[i])<<8 | int(b[i+1])
		out = append(out, base45Alphabet[n%45], base45Alphabet[n/45%45], base45Alphabet[n/2025])
	}
	if len(b)%2 == 1 {
		n := int(b[len(b)-1])
		out = append(out, base45Alphabet[n%45], base45Alphabet[n/45])
	}
	return string(out)
}

// decodeBase45 decodes RFC 9285 Base45. It refuses characters outside the
// alphabet, a dangling single character, and groups whose value does not fit
// in two bytes (or one, for a final pair).
func decodeBase45(s string) ([]byte, error) {
	if len(s)%3 == 1 {
		return nil, fmt.Errorf("%w: length %d leaves a single character", ErrBase45, len(s))
	}
	out := make([]byte, 0, len(s)/3*2+1)
	for i := 0; i < len(s); i += 3 {
		group := s[i:min(i+3, len(s))]
		n := 0
		for j := len(group) - 1; j >= 0; j-- {
			v := base45Value[group[j]]
			if v < 0 {
				return nil, fmt.Errorf("%w: character %d is not in the alphabet", ErrBase45, i+j+1)
			}
			n = n*45 + int(v)
		}
		if len(group) == 3 {
			if n > 0xFFFF {
				return nil, fmt.Errorf("%w: group at %d is too large", ErrBase45, i+1)
			}
			out = append(out, byte(n>>8), byte(n))
		} else {
			if n > 0xFF {
				return nil, fmt.Errorf("%w: final group is too large", ErrBase45)
			}
			out = append(out, byte(n))
		}
	}
	return out, nil
}
