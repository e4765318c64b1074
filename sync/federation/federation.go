// Package federation is what country hubs and the regional joint database
// share: the code-protected package by which the regional authority admits a
// country hub, the blind-index tokens computed under the region's shared
// index key, and the rule by which the region turns shared tokens into a hit.
//
// Only tokens cross the border for matching. A token is a keyed hash
// (HMAC-SHA-256, truncated) of one of the matcher's blocking keys
// (match.BlockingKeys): phonetic skeletons of name words with a two-year
// birth band, pairs of name skeletons, the folded document number and its
// halves. The region holds tokens, never the keys they were made from, and
// never the shared key's inputs.
package federation

import (
	"errors"
	"fmt"
	"strings"

	"github.com/fxamacker/cbor/v2"

	"github.com/fieldreg/fieldreg/crypto/blind"
	"github.com/fieldreg/fieldreg/crypto/vault"
	"github.com/fieldreg/fieldreg/match"
	"github.com/fieldreg/fieldreg/registry"
	"github.com/fieldreg/fieldreg/sync/enrol"
)

// Format names the federation package file.
const Format = "fieldreg-federation-package-v1"

// MaxFileSize bounds a package file read from disk.
const MaxFileSize = 64 << 10

// Package is what a country hub needs to join the regional joint database.
// SignSeed and IndexKey are secret.
type Package struct {
	Region     string `cbor:"1,keyasint"` // the region's code
	Country    string `cbor:"2,keyasint"` // the country admitted
	ClientID   string `cbor:"3,keyasint"` // the country hub's identity at the region (certificate common name)
	SignSeed   []byte `cbor:"4,keyasint"` // Ed25519 seed of the client certificate's key
	ClientCert []byte `cbor:"5,keyasint"` // DER: mTLS client certificate issued by the regional authority
	RegionURL  string `cbor:"6,keyasint"`
	RegionCert []byte `cbor:"7,keyasint"` // DER: the regional hub's certificate, pinned
	IndexKey   []byte `cbor:"8,keyasint"` // the shared index key: tokens match across countries
	Sharing    string `cbor:"9,keyasint"` // "index" (the only mode implemented)
	Issued     int64  `cbor:"10,keyasint"`
}

// Wipe overwrites the secret parts.
func (p *Package) Wipe() {
	clear(p.SignSeed)
	clear(p.IndexKey)
}

var (
	encMode, _ = cbor.CoreDetEncOptions().EncMode()
	decMode, _ = cbor.DecOptions{MaxArrayElements: 16, MaxMapPairs: 32, MaxNestedLevels: 4, DupMapKey: cbor.DupMapKeyEnforcedAPF}.DecMode()
	packageAD  = []byte("fieldreg federation package v1")
)

// ErrWrongCode means the code does not open the package.
var ErrWrongCode = errors.New("the code does not open this federation package (mistyped code, or a damaged or different file)")

// Marshal is the CBOR form of p (the country hub seals it at rest).
func (p *Package) Marshal() []byte {
	b, _ := encMode.Marshal(p)
	return b
}

// Unmarshal decodes and checks a package.
func Unmarshal(b []byte) (*Package, error) {
	var p Package
	if err := decMode.Unmarshal(b, &p); err != nil {
		return nil, errors.New("this federation package is damaged")
	}
	if len(p.SignSeed) != 32 || len(p.IndexKey) != 32 || p.ClientID == "" || p.RegionURL == "" ||
		len(p.ClientCert) == 0 || len(p.RegionCert) == 0 || p.Country == "" {
		return nil, errors.New("this federation package is incomplete")
	}
	return &p, nil
}

// Seal encrypts p under a one-time code (enrol.NewCode) with Argon2id.
func Seal(p *Package, code string, params vault.Params) ([]byte, error) {
	pt := p.Marshal()
	defer clear(pt)
	return enrol.SealWithCode(pt, code, Format, packageAD, params)
}

// Open decrypts a package file with its code.
func Open(b []byte, code string) (*Package, error) {
	pt, err := enrol.OpenWithCode(b, code, enrol.CodeFile{Format: Format, AD: packageAD, What: "a federation package", MaxSize: MaxFileSize, ErrWrongCode: ErrWrongCode})
	if err != nil {
		return nil, err
	}
	defer clear(pt)
	return Unmarshal(pt)
}

// Token kinds: the first letter of the blocking key it was made from.
const (
	KindNameYear = "n" // one name word's phonetic key and a two-year birth band
	KindNamePair = "p" // two name words' phonetic keys
	KindDoc      = "d" // the folded document number
	KindDocHalf  = "h" // one half of it
)

// Limits on what a peer may send.
const (
	MaxKeys   = 512 // blocking keys (or tokens) of one person
	MaxKeyLen = 256
)

// Token is one blind-index token and its kind.
type Token struct {
	Kind  string `json:"k"`
	Token []byte `json:"t"`
}

// KeysOf returns the matcher's blocking keys of a person (on the device or
// the country hub, which can read the person).
func KeysOf(p *registry.Person) []string {
	return match.BlockingKeys(match.Record{FamilyName: p.FamilyName, GivenNames: p.GivenNames, Sex: p.Sex,
		BirthDate: p.BirthDate.String(), Nationalities: p.Nationalities, DocumentNumber: p.Document.Number})
}

// CheckKeys refuses blocking keys that are not of the matcher's form.
func CheckKeys(keys []string) error {
	if len(keys) == 0 || len(keys) > MaxKeys {
		return fmt.Errorf("between 1 and %d blocking keys are needed", MaxKeys)
	}
	for _, k := range keys {
		if len(k) < 3 || len(k) > MaxKeyLen || k[1] != ':' || !strings.Contains("npdh", k[:1]) {
			return errors.New("a blocking key is malformed")
		}
	}
	return nil
}

// Tokens turns blocking keys into tokens under the shared index key.
func Tokens(indexKey []byte, keys []string) []Token {
	x := blind.New(indexKey)
	out := make([]Token, 0, len(keys))
	for _, k := range keys {
		if len(k) < 3 || k[1] != ':' {
			continue
		}
		out = append(out, Token{Kind: k[:1], Token: x.Token("fieldreg federation", k)})
	}
	return out
}

// CheckTokens refuses tokens from a peer that are not of the right form.
func CheckTokens(ts []Token) error {
	if len(ts) > MaxKeys {
		return fmt.Errorf("more than %d tokens", MaxKeys)
	}
	for _, t := range ts {
		if len(t.Token) != blind.TokenSize || len(t.Kind) != 1 || !strings.Contains("npdh", t.Kind) {
			return errors.New("a token is malformed")
		}
	}
	return nil
}

// Shared counts the tokens of each kind two people share.
type Shared struct{ Name, Pair, Doc, DocHalf int }

// Add counts one shared token of kind.
func (s *Shared) Add(kind string) {
	switch kind {
	case KindNameYear:
		s.Name++
	case KindNamePair:
		s.Pair++
	case KindDoc:
		s.Doc++
	case KindDocHalf:
		s.DocHalf++
	}
}

// Hit decides whether shared tokens make a hit, and says on what evidence
// (plain words, no values). One shared name word alone is not a hit: common
// names would flood the answer. The rule:
//   - the same document number; or
//   - two name words in agreement (a pair) and one of them with a birth year
//     within two years; or
//   - half the document number and a name agreement (one mistyped character).
func (s Shared) Hit() (bool, string) {
	switch {
	case s.Doc > 0:
		return true, "same document number"
	case s.Pair > 0 && s.Name > 0:
		return true, "names and birth year agree"
	case s.DocHalf > 0 && (s.Pair > 0 || s.Name > 0):
		return true, "document number within one character, and name"
	}
	return false, ""
}
