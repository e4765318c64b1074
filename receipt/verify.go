package receipt

import (
	"bytes"
	"compress/zlib"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/veraison/go-cose"

	"github.com/fieldreg/fieldreg/trust"
)

// Reason says why a receipt is not valid. The set is fixed; a screen maps
// each to plain words in the officer's language.
type Reason string

// The reasons a receipt is not valid.
const (
	// ReasonAltered: the text was changed or damaged after signing.
	ReasonAltered Reason = "altered"
	// ReasonUnknownIssuer: the country is not in the verifier's trust, or
	// the device's credential is not signed by its root key, or was not
	// valid when the receipt was issued.
	ReasonUnknownIssuer Reason = "unknown_issuer"
	// ReasonRevoked: the issuing device was revoked before it issued the
	// receipt.
	ReasonRevoked Reason = "device_revoked"
	// ReasonExpired: the receipt's validity has passed.
	ReasonExpired Reason = "expired"
	// ReasonNotReceipt: the text is not a fieldreg receipt at all.
	ReasonNotReceipt Reason = "not_a_receipt"
	// ReasonPolicy: genuine, but the device gave it a validity longer
	// than the authority's policy (MaxValidity) allows.
	ReasonPolicy Reason = "validity_beyond_policy"
)

// Message is the reason in plain English words.
func (r Reason) Message() string {
	switch r {
	case "":
		return "valid"
	case ReasonAltered:
		return "altered or damaged: the content does not match its signature"
	case ReasonUnknownIssuer:
		return "unknown issuer: not signed by a device of a trusted authority"
	case ReasonRevoked:
		return "issuing device revoked"
	case ReasonExpired:
		return "expired"
	case ReasonNotReceipt:
		return "not a fieldreg receipt"
	case ReasonPolicy:
		return "valid for longer than the authority allows: the issuing device is faulty or misused"
	}
	return string(r)
}

// Trust is what a verifier knows: each country's root public keys and its
// revoked devices. *trust.File implements it.
type Trust interface {
	RootKeys(country string) []ed25519.PublicKey
	RevokedAt(country, device string) (time.Time, bool)
}

var _ Trust = (*trust.File)(nil)

// Verdict is the outcome of verifying a receipt.
//
// Fields is set when the signature is genuine (valid, expired, revoked), so
// the officer can see what the receipt says; for an unknown issuer only
// IssuerCountry is set (the content is not vouched for); for an altered text
// or something else nothing is.
type Verdict struct {
	Valid   bool   `json:"valid"`
	Reason  Reason `json:"reason,omitempty"`
	Message string `json:"message"`
	*Fields
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}

func refuse(r Reason) *Verdict { return &Verdict{Reason: r, Message: r.Message()} }

// errAltered marks decoding failures of text that carries the prefix.
var errAltered = errors.New("receipt altered or damaged")

// Verify checks a receipt's text against tr at time now. It never fails
// with an error: whatever the input, the verdict says valid or why not.
// Leading and trailing line breaks and tabs (from scanners) are ignored;
// spaces are not, as Base45 uses them.
func Verify(text string, tr Trust, now time.Time) *Verdict {
	signed, err := decode(text)
	switch {
	case errors.Is(err, errAltered):
		return refuse(ReasonAltered)
	case err != nil:
		return refuse(ReasonNotReceipt)
	}
	return verifySigned(signed, tr, now)
}

// verifySigned checks the COSE message inside a receipt.
func verifySigned(signed []byte, tr Trust, now time.Time) *Verdict {
	var msg cose.Sign1Message
	if err := msg.UnmarshalCBOR(signed); err != nil {
		return refuse(ReasonAltered)
	}
	if alg, err := msg.Headers.Protected.Algorithm(); err != nil || alg != cose.AlgorithmEdDSA {
		return refuse(ReasonAltered)
	}
	raw, ok := msg.Headers.Protected[int64(headerCredential)].([]byte)
	if !ok {
		return refuse(ReasonAltered)
	}
	cred, err := trust.UnmarshalCredential(raw)
	if err != nil || len(cred.PublicKey) != ed25519.PublicKeySize {
		return refuse(ReasonAltered)
	}
	// The device's signature covers the credential (protected header) and
	// the claims: any change to either fails here, before the credential's
	// own signature is looked at.
	verifier, err := cose.NewVerifier(cose.AlgorithmEdDSA, cred.PublicKey)
	if err != nil || msg.Verify(nil, verifier) != nil {
		return refuse(ReasonAltered)
	}
	var cl claims
	if err := decMode.Unmarshal(msg.Payload, &cl); err != nil || !complete(&cl) {
		return refuse(ReasonAltered)
	}
	issued := time.Unix(cl.IssuedAt, 0)
	// Issued before the device's credential existed (beyond clock skew)
	// or after it expired: the device had no authority to sign then.
	existed := cl.IssuedAt >= cred.IssuedAt-int64(MaxIssueSkew/time.Second) && cl.IssuedAt <= cred.ExpiresAt
	if !existed || !trusted(tr, cred, issued) || cl.Issuer != cred.Country || cl.Identity.Country != cred.Country {
		v := refuse(ReasonUnknownIssuer)
		v.Fields = &Fields{IssuerCountry: cred.Country}
		return v
	}
	f := fieldsOf(&cl, cred)
	if at, ok := tr.RevokedAt(cred.Country, cred.DeviceID); ok && !issued.Before(at) {
		v := refuse(ReasonRevoked)
		v.Fields, v.RevokedAt = &f, &at
		return v
	}
	if cl.Expires-cl.IssuedAt > int64(MaxValidity/time.Second) {
		v := refuse(ReasonPolicy)
		v.Fields = &f
		return v
	}
	if now.Unix() > cl.Expires {
		v := refuse(ReasonExpired)
		v.Fields = &f
		return v
	}
	return &Verdict{Valid: true, Message: Reason("").Message(), Fields: &f}
}

func trusted(tr Trust, cred *trust.Credential, at time.Time) bool {
	for _, root := range tr.RootKeys(cred.Country) {
		if cred.Verify(root, at) == nil {
			return true
		}
	}
	return false
}

func complete(cl *claims) bool {
	return cl.Identity.ID != "" && cl.Identity.FullName != "" && cl.IssuedAt > 0 && cl.Expires > cl.IssuedAt && len(cl.CTI) > 0
}

// decode unpacks text down to the signed COSE message, without checking
// anything inside it. Errors wrapping errAltered mean the text claims to be
// a receipt but is damaged.
func decode(text string) ([]byte, error) {
	text = strings.Trim(text, "\r\n\t")
	if len(text) > MaxTextLen {
		return nil, fmt.Errorf("text longer than %d characters", MaxTextLen)
	}
	body, ok := strings.CutPrefix(text, Prefix)
	if !ok {
		return nil, errors.New("no receipt prefix")
	}
	z, err := decodeBase45(body)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errAltered, err)
	}
	signed, err := inflate(z)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errAltered, err)
	}
	return signed, nil
}

// inflate decompresses zlib data, refusing output over MaxCOSESize and
// bytes after the end of the zlib stream.
func inflate(z []byte) ([]byte, error) {
	br := bytes.NewReader(z)
	zr, err := zlib.NewReader(br)
	if err != nil {
		return nil, fmt.Errorf("zlib: %w", err)
	}
	defer zr.Close()
	out, err := io.ReadAll(io.LimitReader(zr, MaxCOSESize+1))
	if err != nil {
		return nil, fmt.Errorf("zlib: %w", err)
	}
	if len(out) > MaxCOSESize {
		return nil, fmt.Errorf("zlib: inflates beyond %d bytes", MaxCOSESize)
	}
	if br.Len() != 0 {
		return nil, errors.New("zlib: data after the end of the stream")
	}
	return out, nil
}
