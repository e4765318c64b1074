// Package receipt is the signed QR receipt a registered person takes away:
// CWT claims, signed as COSE_Sign1 with the issuing device's Ed25519 key,
// zlib-compressed, Base45-encoded and printed as an alphanumeric QR code, the
// pipeline of the EU Digital COVID Certificate and of MOSIP's Claim 169.
//
// A receipt carries the minimum data (registration ID, name in Latin form,
// year of birth, date, place, issuing country) and the issuing device's
// credential, so any officer holding only the country's root public key can
// verify it offline. It never carries nationality, category,
// vulnerabilities or a photo: a receipt taken from a person must not
// endanger them.
package receipt

import (
	"bytes"
	"compress/zlib"
	"crypto/ed25519"
	"crypto/rand"
	_ "crypto/sha256" // go-cose refuses to sign unless SHA-256 is linked in
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/fxamacker/cbor/v2"
	"github.com/skip2/go-qrcode"
	"github.com/veraison/go-cose"

	"github.com/fieldreg/fieldreg/trust"
)

// Prefix starts the text of every fieldreg receipt (format version 1). It is
// in the QR alphanumeric character set, like the EU certificate's "HC1:".
const Prefix = "FR1:"

// Limits on untrusted input.
const (
	// MaxTextLen is the longest text Verify accepts: the alphanumeric
	// capacity of the largest QR code (version 40-L).
	MaxTextLen = 4296
	// MaxCOSESize bounds the inflated COSE message, so a small
	// compressed input cannot expand into a large allocation.
	MaxCOSESize = 8 << 10
)

// Size budget and defaults of issued receipts.
const (
	// MaxQRVersion is the largest QR version (at error correction M) a
	// receipt may need: 77x77 modules, readable printed 35 mm wide.
	MaxQRVersion = 15
	// MaxNameBytes bounds the name on a receipt, as the name field of a
	// passport's machine-readable zone does; longer names are cut.
	MaxNameBytes = 39
	// MinNameBytes is as far as Issue cuts a name to fit the size budget
	// (with a long station or device name) before it gives up.
	MinNameBytes = 16
	// DefaultValidity is how long a receipt stays valid when the issuer
	// sets no other validity.
	DefaultValidity = 365 * 24 * time.Hour
	// MaxValidity is the authorities' policy: no receipt is valid for
	// longer than this after it was issued. A person registered again
	// after a year gets a new receipt. Verify refuses a receipt whose
	// device chose a longer validity (ReasonPolicy), whatever it says.
	MaxValidity = 366 * 24 * time.Hour
	// MaxIssueSkew is how far before its device's credential was issued a
	// receipt may say it was issued (the device's clock may run a little
	// behind the hub's that issued the credential); further back, the
	// device did not exist yet and Verify answers ReasonUnknownIssuer.
	MaxIssueSkew = time.Hour
)

// headerCredential is the COSE header label of the issuing device's
// credential: below -65536, private use in the COSE registry (as is the
// claim key -65537 of fieldregClaims in the CWT registry).
const headerCredential = -65537

// ErrTooLarge is returned by Issue when the receipt would not fit the QR
// size budget.
var ErrTooLarge = errors.New("receipt does not fit in a QR code of version 15 at error correction M")

type claims struct {
	Issuer   string         `cbor:"1,keyasint"`
	Expires  int64          `cbor:"4,keyasint"`
	IssuedAt int64          `cbor:"6,keyasint"`
	CTI      []byte         `cbor:"7,keyasint"`
	Identity identityClaim  `cbor:"169,keyasint"`
	Fieldreg fieldregClaims `cbor:"-65537,keyasint"`
}

// identityClaim uses the keys of MOSIP's Claim 169 that fit.
type identityClaim struct {
	ID        string `cbor:"1,keyasint"`
	FullName  string `cbor:"4,keyasint"`
	BirthDate string `cbor:"8,keyasint,omitempty"` // YYYYMMDD, only when the deployment prints the full date
	Country   string `cbor:"23,keyasint"`
}

// fieldregClaims are what Claim 169 has no key for.
type fieldregClaims struct {
	Registered int64 `cbor:"1,keyasint"`           // day of registration, days since 1970-01-01 (UTC)
	BirthYear  int   `cbor:"2,keyasint,omitempty"` // year of birth, when only the year is printed
}

var (
	encMode, _ = cbor.CoreDetEncOptions().EncMode()
	decMode, _ = cbor.DecOptions{MaxNestedLevels: 4, MaxArrayElements: 16, MaxMapPairs: 16,
		DupMapKey: cbor.DupMapKeyEnforcedAPF, IndefLength: cbor.IndefLengthForbidden}.DecMode()
)

// Content is what a receipt states about one registration: the minimum data.
type Content struct {
	RegistrationID string
	// FamilyName and GivenNames are the name in Latin form; the receipt
	// shows it as ICAOName does, cut to MaxNameBytes.
	FamilyName, GivenNames string
	// Birth is the year of birth "YYYY", or the full date "YYYY-MM-DD" if
	// the deployment prints it; empty when unknown.
	Birth string
	// Registered is when the person was registered (the receipt keeps the
	// day).
	Registered time.Time
}

// Fields are the readable content of a receipt, as issued or as verified.
type Fields struct {
	RegistrationID string    `json:"registration_id,omitempty"`
	Name           string    `json:"name,omitempty"`
	Birth          string    `json:"birth,omitempty"`         // "YYYY" or "YYYY-MM-DD"
	RegisteredOn   string    `json:"registered_on,omitempty"` // YYYY-MM-DD (UTC)
	IssuerCountry  string    `json:"issuer_country,omitempty"`
	Station        string    `json:"station,omitempty"`
	DeviceID       string    `json:"device_id,omitempty"`
	DeviceName     string    `json:"device_name,omitempty"`
	IssuedAt       time.Time `json:"issued_at,omitzero"`
	ExpiresAt      time.Time `json:"expires_at,omitzero"`
	ReceiptID      string    `json:"receipt_id,omitempty"` // the cti claim, hex
}

// Line is one readable line of a receipt: a label and its value. Key names
// the line for translations of its label (Translation.Labels).
type Line struct{ Label, Value, Key string }

// Keys of the readable lines.
const (
	LineID        = "id"
	LineName      = "name"
	LineBirthYear = "birth_year"
	LineBirthDate = "birth_date"
	LineDate      = "registered"
	LinePlace     = "place"
	LineCountry   = "country"
	LineDevice    = "device"
	LineIssued    = "issued"
	LineExpires   = "expires"
	LineCentre    = "centre" // printed only: Receipt.Centre
)

// Lines are the readable lines printed beside the QR code and shown by a
// verifier, in order.
func (f *Fields) Lines() []Line {
	birth, birthKey := "Year of birth", LineBirthYear
	if len(f.Birth) > 4 {
		birth, birthKey = "Date of birth", LineBirthDate
	}
	ls := []Line{
		{"Registration ID", f.RegistrationID, LineID},
		{"Name", f.Name, LineName},
	}
	if f.Birth != "" {
		ls = append(ls, Line{birth, f.Birth, birthKey})
	}
	return append(ls,
		Line{"Registered on", f.RegisteredOn, LineDate},
		Line{"Place", f.Station, LinePlace},
		Line{"Country", f.IssuerCountry, LineCountry},
		Line{"Device", f.DeviceName + " (" + f.DeviceID + ")", LineDevice},
		Line{"Issued", f.IssuedAt.UTC().Format("2006-01-02"), LineIssued},
		Line{"Valid until", f.ExpiresAt.UTC().Format("2006-01-02"), LineExpires},
	)
}

// Receipt is an issued receipt: its text (what the QR code holds) and its
// readable fields.
type Receipt struct {
	Fields
	Text string
	// Centre is the reception centre the person is referred to, its name
	// and address, printed for the person beside the lines and never put
	// in the signed code ("" when none).
	Centre string
	qr     *qrcode.QRCode
}

// Lines are the receipt's readable lines (Fields.Lines) and, when the
// person is referred to a reception centre, the centre's name and address.
func (r *Receipt) Lines() []Line {
	ls := r.Fields.Lines()
	if r.Centre != "" {
		ls = append(ls, Line{"Reception centre", r.Centre, LineCentre})
	}
	return ls
}

// QRVersion is the version (size) of the receipt's QR code at error
// correction M; at most MaxQRVersion.
func (r *Receipt) QRVersion() int { return r.qr.VersionNumber }

// Issuer signs receipts with one device's key.
type Issuer struct {
	Credential *trust.Credential  // the device's credential, carried in every receipt
	Key        ed25519.PrivateKey // the device's signing key, certified by Credential
	Validity   time.Duration      // DefaultValidity when zero
	Rand       io.Reader          // for the receipt ID; crypto/rand when nil
}

var birthRE = regexp.MustCompile(`^[0-9]{4}(-[0-9]{2}-[0-9]{2})?$`)

// Issue signs a receipt for c at time now. It fails if the content is
// incomplete, the key does not match the credential, or the receipt would
// not fit the QR size budget even with the name cut to MinNameBytes
// (ErrTooLarge).
func (is *Issuer) Issue(c Content, now time.Time) (*Receipt, error) {
	if is.Credential == nil || len(is.Key) != ed25519.PrivateKeySize ||
		!bytes.Equal(is.Key.Public().(ed25519.PublicKey), is.Credential.PublicKey) {
		return nil, errors.New("receipt: the signing key does not match the device credential")
	}
	if c.RegistrationID == "" || len(c.RegistrationID) > 32 {
		return nil, errors.New("receipt: registration ID missing or too long")
	}
	name := ICAOName(c.FamilyName, c.GivenNames)
	if name == "" {
		return nil, errors.New("receipt: name missing")
	}
	if c.Birth != "" && !birthRE.MatchString(c.Birth) {
		return nil, errors.New("receipt: birth must be YYYY or YYYY-MM-DD")
	}
	if c.Registered.Unix() <= 0 {
		return nil, errors.New("receipt: registration date missing")
	}
	validity := is.Validity
	if validity <= 0 {
		validity = DefaultValidity
	}
	if validity > MaxValidity {
		return nil, fmt.Errorf("receipt: validity longer than the authority's policy of %d days", MaxValidity/(24*time.Hour))
	}
	cti := make([]byte, 8)
	rnd := is.Rand
	if rnd == nil {
		rnd = rand.Reader
	}
	if _, err := io.ReadFull(rnd, cti); err != nil {
		return nil, fmt.Errorf("receipt: random: %w", err)
	}
	cred := is.Credential
	cl := claims{Issuer: cred.Country, IssuedAt: now.Unix(), Expires: now.Add(validity).Unix(), CTI: cti,
		Identity: identityClaim{ID: c.RegistrationID, Country: cred.Country},
		Fieldreg: fieldregClaims{Registered: c.Registered.Unix() / 86400}}
	if len(c.Birth) == 4 {
		fmt.Sscanf(c.Birth, "%d", &cl.Fieldreg.BirthYear)
	} else if c.Birth != "" {
		cl.Identity.BirthDate = strings.ReplaceAll(c.Birth, "-", "")
	}
	signer, err := cose.NewSigner(cose.AlgorithmEdDSA, is.Key)
	if err != nil {
		return nil, fmt.Errorf("receipt: %w", err)
	}
	credBytes := cred.Marshal()
	for limit := MaxNameBytes; ; limit = max(limit-4, MinNameBytes) {
		cl.Identity.FullName = cutName(name, limit)
		text, err := seal(&cl, credBytes, signer)
		if err != nil {
			return nil, err
		}
		qr, err := qrcode.New(text, qrcode.Medium)
		if err != nil {
			return nil, fmt.Errorf("receipt: QR code: %w", err)
		}
		if qr.VersionNumber <= MaxQRVersion {
			return &Receipt{Text: text, qr: qr, Fields: fieldsOf(&cl, cred)}, nil
		}
		if limit == MinNameBytes {
			return nil, fmt.Errorf("%w (needs version %d)", ErrTooLarge, qr.VersionNumber)
		}
	}
}

// seal signs the claims and packs them into receipt text.
func seal(cl *claims, cred []byte, signer cose.Signer) (string, error) {
	payload, err := encMode.Marshal(cl)
	if err != nil {
		return "", fmt.Errorf("receipt: encode claims: %w", err)
	}
	msg := cose.NewSign1Message()
	msg.Headers.Protected.SetAlgorithm(cose.AlgorithmEdDSA)
	msg.Headers.Protected[int64(headerCredential)] = cred
	msg.Payload = payload
	if err := msg.Sign(nil, nil, signer); err != nil {
		return "", fmt.Errorf("receipt: sign: %w", err)
	}
	signed, err := msg.MarshalCBOR()
	if err != nil {
		return "", fmt.Errorf("receipt: encode COSE: %w", err)
	}
	var z bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&z, zlib.BestCompression)
	zw.Write(signed)
	if err := zw.Close(); err != nil {
		return "", fmt.Errorf("receipt: compress: %w", err)
	}
	return Prefix + encodeBase45(z.Bytes()), nil
}

// cutName cuts s to at most n bytes at a character boundary.
func cutName(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return strings.TrimRight(s[:n], " ,-")
}

func fieldsOf(cl *claims, cred *trust.Credential) Fields {
	f := Fields{RegistrationID: cl.Identity.ID, Name: cl.Identity.FullName, IssuerCountry: cl.Issuer,
		Station: cred.Station, DeviceID: cred.DeviceID, DeviceName: cred.Name,
		RegisteredOn: time.Unix(cl.Fieldreg.Registered*86400, 0).UTC().Format(time.DateOnly), IssuedAt: time.Unix(cl.IssuedAt, 0).UTC(),
		ExpiresAt: time.Unix(cl.Expires, 0).UTC(), ReceiptID: hex.EncodeToString(cl.CTI)}
	switch b := cl.Identity.BirthDate; {
	case len(b) == 8:
		f.Birth = b[0:4] + "-" + b[4:6] + "-" + b[6:8]
	case cl.Fieldreg.BirthYear > 0:
		f.Birth = fmt.Sprintf("%04d", cl.Fieldreg.BirthYear)
	}
	return f
}
