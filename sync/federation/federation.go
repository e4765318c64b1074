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
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"filippo.io/age"
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
	Sharing    string `cbor:"9,keyasint"` // SharingIndex or SharingFull, set by the regional authority
	Issued     int64  `cbor:"10,keyasint"`
	// DetailsRecipient is the region's age X25519 recipient (full sharing
	// only): the country hub encrypts each record's Eurodac data set to it,
	// so only the regional hub can open what it stores.
	DetailsRecipient string `cbor:"11,keyasint,omitempty"`
}

// Sharing modes, a per-deployment setting of the regional authority
// (reghub enrol-country --sharing).
const (
	// SharingIndex: tokens plus country, reference, date, place and
	// category. No names, no documents, no photos. The default.
	SharingIndex = "index"
	// SharingFull: as index, plus each record's Eurodac data set (without
	// the photo) encrypted to the region; hits answered to a country that
	// itself shares in full carry the hit record's identity details.
	SharingFull = "full"
)

// CheckSharing refuses an unknown sharing mode in plain words.
func CheckSharing(s string) error {
	if s != SharingIndex && s != SharingFull {
		return fmt.Errorf("sharing must be %q (tokens and minimal metadata, the default) or %q (also each record's Eurodac data set, encrypted to the region), got %q",
			SharingIndex, SharingFull, s)
	}
	return nil
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
	if err := CheckSharing(p.Sharing); err != nil {
		return nil, fmt.Errorf("this federation package is damaged: %w", err)
	}
	if p.Sharing == SharingFull {
		if _, err := age.ParseX25519Recipient(p.DetailsRecipient); err != nil {
			return nil, errors.New("this federation package is incomplete: full sharing without the region's key")
		}
	} else if p.DetailsRecipient != "" {
		return nil, errors.New("this federation package is damaged: a region key for index-only sharing")
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

// TokensVersion changes whenever KeysOf or Tokens change what a record
// yields: country hubs then push every record again. 2: aliases and the name
// in original script.
const TokensVersion = 2

// KeysOf returns the matcher's blocking keys of a person (on the device or
// the country hub, which can read the person): those of the name, and of
// the name in original script and each alias read as a name of their own
// (the matcher transliterates Cyrillic, Greek and Arabic script), so a
// person registered in one country under an alias or in Cyrillic is found
// from another under that name. At most MaxKeys, the primary name's first.
func KeysOf(p *registry.Person) []string {
	r := match.Record{FamilyName: p.FamilyName, GivenNames: p.GivenNames, Sex: p.Sex,
		BirthDate: p.BirthDate.String(), Nationalities: p.Nationalities, DocumentNumber: p.Document.Number}
	keys := match.BlockingKeys(r)
	seen := make(map[string]bool, len(keys))
	for _, k := range keys {
		seen[k] = true
	}
	for _, n := range append([]string{p.OriginalScriptName}, p.Aliases...) {
		if strings.TrimSpace(n) == "" {
			continue
		}
		r.FamilyName, r.GivenNames = "", n
		for _, k := range match.BlockingKeys(r) {
			if !seen[k] && len(keys) < MaxKeys {
				seen[k] = true
				keys = append(keys, k)
			}
		}
	}
	return keys
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

// Strength orders hits, strongest evidence first: a shared document number,
// then half of one with a name, then by how many name keys agree. When an
// answer must be cut short, the weakest hits go.
func (s Shared) Strength() int {
	return 1_000_000*min(s.Doc, 1) + 10_000*min(s.DocHalf, 1) + 100*min(s.Pair, 99) + min(s.Name, 99)
}

// Details: in full sharing, each record's Eurodac data set goes to the
// region encrypted with age to the region's X25519 recipient, so only the
// regional hub (whose identity is sealed under its operator's passphrase)
// can open it; the region's tables hold ciphertext only. Inside the
// encryption the data set is bound to its country and reference, so a
// ciphertext moved to another row, or sent by another country, does not
// open as that row's.

// DetailsFormat names the plaintext inside a details ciphertext.
const DetailsFormat = "fieldreg-federation-details-v1"

// MaxDetails bounds one details ciphertext (the data set carries no photo).
const MaxDetails = 16 << 10

type detailsEnvelope struct {
	Format  string `cbor:"1,keyasint"`
	Country string `cbor:"2,keyasint"`
	Ref     string `cbor:"3,keyasint"`
	Data    []byte `cbor:"4,keyasint"` // the data set (JSON)
}

// ErrDetails means a details ciphertext does not open as the data of the
// row it is for.
var ErrDetails = errors.New("the record's details do not open with the region's key, or belong to another record")

// SealDetails encrypts data (a record's data set) to the region's recipient,
// bound to country and ref.
func SealDetails(recipient, country, ref string, data []byte) ([]byte, error) {
	r, err := age.ParseX25519Recipient(recipient)
	if err != nil {
		return nil, errors.New("the region's details key is malformed")
	}
	pt, err := encMode.Marshal(detailsEnvelope{Format: DetailsFormat, Country: country, Ref: ref, Data: data})
	if err != nil {
		return nil, err
	}
	defer clear(pt)
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, r)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(pt); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	if buf.Len() > MaxDetails {
		return nil, fmt.Errorf("the record's details are over %d KiB", MaxDetails>>10)
	}
	return buf.Bytes(), nil
}

// OpenDetails decrypts a details ciphertext with the region's identity and
// checks it is the data of country's record ref. The caller clears the
// result after use.
func OpenDetails(id *age.X25519Identity, country, ref string, b []byte) ([]byte, error) {
	if len(b) == 0 || len(b) > MaxDetails {
		return nil, ErrDetails
	}
	r, err := age.Decrypt(bytes.NewReader(b), id)
	if err != nil {
		return nil, ErrDetails
	}
	pt, err := io.ReadAll(io.LimitReader(r, MaxDetails))
	if err != nil {
		clear(pt)
		return nil, ErrDetails
	}
	defer clear(pt)
	var e detailsEnvelope
	if err := decMode.Unmarshal(pt, &e); err != nil || e.Format != DetailsFormat || e.Country != country || e.Ref != ref {
		clear(e.Data)
		return nil, ErrDetails
	}
	return e.Data, nil
}
