package trust

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/fieldreg/fieldreg/registry"
)

// Limits of the centres list.
const (
	MaxCentres       = 500     // centres in one country's list
	MaxCentreField   = 200     // bytes of a name, place, address or contact
	MaxSectionBeds   = 5000    // beds in one section: more is a typing mistake
	MaxCentresSize   = 1 << 20 // encoded size of the list
	DefaultAbsence   = 5       // days absent before a resident is flagged for check-out
	DefaultNoShow    = 48      // hours before a referral that never arrived is flagged
	maxAbsenceDays   = 90
	maxNoShowHours   = 24 * 30
	centresSignLabel = "fieldreg centres v1\x00"
)

// Centre kinds.
var CentreKinds = []string{"temporary_reception", "asylum_centre", "children_centre", "transit"}

// Centre statuses: open takes referrals; closed takes none; full (by the
// authority's decision) takes none whatever the count says.
var CentreStatuses = []string{"open", "closed", "full"}

// Centre is one reception centre as the country authority describes it.
// Nothing in it is personal.
type Centre struct {
	Code        string         `cbor:"1,keyasint" json:"code"`
	Name        string         `cbor:"2,keyasint" json:"name"`
	Place       string         `cbor:"3,keyasint" json:"place"`
	Address     string         `cbor:"4,keyasint,omitempty" json:"address,omitempty"`
	Kind        string         `cbor:"5,keyasint" json:"kind"`
	Status      string         `cbor:"6,keyasint" json:"status"`
	Contact     string         `cbor:"7,keyasint,omitempty" json:"contact,omitempty"`
	Capacity    map[string]int `cbor:"8,keyasint" json:"capacity"`                         // beds per section (registry.Sections)
	AbsenceDays int            `cbor:"9,keyasint,omitempty" json:"absence_days,omitempty"` // 0: DefaultAbsence
	NoShowHours int            `cbor:"10,keyasint,omitempty" json:"no_show_hours,omitempty"`
}

// Absence is how long a resident may be away before being flagged.
func (c *Centre) Absence() time.Duration {
	d := c.AbsenceDays
	if d == 0 {
		d = DefaultAbsence
	}
	return time.Duration(d) * 24 * time.Hour
}

// NoShow is how long a referral may stay open before it is listed as "did
// not arrive".
func (c *Centre) NoShow() time.Duration {
	h := c.NoShowHours
	if h == 0 {
		h = DefaultNoShow
	}
	return time.Duration(h) * time.Hour
}

// Centres is the country authority's list of reception centres, signed with
// its root key. Hubs carry it to devices by sync and in bundles, like the
// notice contacts; a newer one (by Issued) replaces an older one.
type Centres struct {
	Country   string   `cbor:"1,keyasint" json:"country"`
	Issued    int64    `cbor:"2,keyasint" json:"issued"` // Unix seconds
	Centres   []Centre `cbor:"3,keyasint" json:"centres"`
	Signature []byte   `cbor:"4,keyasint,omitempty" json:"signature,omitempty"`
}

// ErrBadCentre is a centre that breaks the rules; the error says which.
var ErrBadCentre = errors.New("centre refused")

// Check checks one centre's fields.
func (c *Centre) Check() error {
	if !registry.ValidCentreCode(c.Code) {
		return fmt.Errorf("%w: the code must be 2 to 24 capital letters, digits or hyphens (like BIH-BORICI)", ErrBadCentre)
	}
	for _, f := range []struct{ name, v string }{{"name", c.Name}, {"place", c.Place}, {"address", c.Address}, {"contact", c.Contact}} {
		if len(f.v) > MaxCentreField || !utf8.ValidString(f.v) || strings.ContainsFunc(f.v, unicode.IsControl) {
			return fmt.Errorf("%w: %s: the %s is longer than %d bytes or holds control characters", ErrBadCentre, c.Code, f.name, MaxCentreField)
		}
	}
	if strings.TrimSpace(c.Name) == "" || strings.TrimSpace(c.Place) == "" {
		return fmt.Errorf("%w: %s: a name and a place are required", ErrBadCentre, c.Code)
	}
	if !slices.Contains(CentreKinds, c.Kind) {
		return fmt.Errorf("%w: %s: the kind must be one of %s", ErrBadCentre, c.Code, strings.Join(CentreKinds, ", "))
	}
	if !slices.Contains(CentreStatuses, c.Status) {
		return fmt.Errorf("%w: %s: the status must be one of %s", ErrBadCentre, c.Code, strings.Join(CentreStatuses, ", "))
	}
	if len(c.Capacity) == 0 {
		return fmt.Errorf("%w: %s: give the capacity of at least one section", ErrBadCentre, c.Code)
	}
	for s, n := range c.Capacity {
		if !registry.ValidSection(s) {
			return fmt.Errorf("%w: %s: unknown section %q (sections: %s)", ErrBadCentre, c.Code, s, strings.Join(registry.Sections, ", "))
		}
		if n < 0 || n > MaxSectionBeds {
			return fmt.Errorf("%w: %s: the capacity of %s must be between 0 and %d beds", ErrBadCentre, c.Code, s, MaxSectionBeds)
		}
	}
	if c.AbsenceDays < 0 || c.AbsenceDays > maxAbsenceDays {
		return fmt.Errorf("%w: %s: the absence limit must be between 1 and %d days", ErrBadCentre, c.Code, maxAbsenceDays)
	}
	if c.NoShowHours < 0 || c.NoShowHours > maxNoShowHours {
		return fmt.Errorf("%w: %s: the did-not-arrive limit must be between 1 and %d hours", ErrBadCentre, c.Code, maxNoShowHours)
	}
	return nil
}

func (cs *Centres) check() error {
	if !ValidCountry(cs.Country) {
		return errors.New("trust: centres name no valid country")
	}
	if len(cs.Centres) > MaxCentres {
		return fmt.Errorf("%w: more than %d centres", ErrBadCentre, MaxCentres)
	}
	seen := map[string]bool{}
	for i := range cs.Centres {
		if err := cs.Centres[i].Check(); err != nil {
			return err
		}
		if seen[cs.Centres[i].Code] {
			return fmt.Errorf("%w: the code %s is given twice", ErrBadCentre, cs.Centres[i].Code)
		}
		seen[cs.Centres[i].Code] = true
	}
	return nil
}

func (cs *Centres) signedBytes() []byte {
	u := *cs
	u.Signature = nil
	b, _ := encMode.Marshal(&u)
	return append([]byte(centresSignLabel), b...)
}

// Find returns the centre with code, or nil.
func (cs *Centres) Find(code string) *Centre {
	if cs == nil {
		return nil
	}
	for i := range cs.Centres {
		if cs.Centres[i].Code == code {
			return &cs.Centres[i]
		}
	}
	return nil
}

// With returns a copy of cs with c added (or replacing the centre of the
// same code), in code order.
func (cs *Centres) With(c Centre) *Centres {
	out := &Centres{}
	if cs != nil {
		out.Country, out.Issued = cs.Country, cs.Issued
		for _, o := range cs.Centres {
			if o.Code != c.Code {
				o.Capacity = maps.Clone(o.Capacity)
				out.Centres = append(out.Centres, o)
			}
		}
	}
	c.Capacity = maps.Clone(c.Capacity)
	out.Centres = append(out.Centres, c)
	slices.SortFunc(out.Centres, func(a, b Centre) int { return strings.Compare(a.Code, b.Code) })
	return out
}

// SignCentres signs the list for the authority's country, dated now (or
// after prev, the list it replaces, if any: NextIssued). It
// fails, naming the rule, when a centre breaks one.
func (a *Authority) SignCentres(cs Centres, prev *Centres, now time.Time) (*Centres, error) {
	cs.Country, cs.Issued, cs.Signature = a.Country, NextIssued(prev, now).Unix(), nil
	for i := range cs.Centres {
		c := &cs.Centres[i]
		c.Name, c.Place, c.Address, c.Contact = strings.TrimSpace(c.Name), strings.TrimSpace(c.Place), strings.TrimSpace(c.Address), strings.TrimSpace(c.Contact)
	}
	if err := cs.check(); err != nil {
		return nil, err
	}
	cs.Signature = a.Sign(cs.signedBytes())
	return &cs, nil
}

// Verify checks the form of cs and its signature against root.
func (cs *Centres) Verify(root ed25519.PublicKey) error {
	return verifyDoc(cs, cs.Signature, root)
}

// Marshal encodes cs as CBOR.
func (cs *Centres) Marshal() []byte {
	b, _ := encMode.Marshal(cs)
	return b
}

// Kind is CentresKind.
func (cs *Centres) Kind() DocKind { return CentresKind }

// Issuer is the country and the date of cs.
func (cs *Centres) Issuer() (string, int64) {
	if cs == nil {
		return "", 0
	}
	return cs.Country, cs.Issued
}

// UnmarshalCentres decodes a CBOR centres list (untrusted input: it checks
// the form, not the signature; call Verify).
func UnmarshalCentres(b []byte) (*Centres, error) {
	return unmarshalDoc[Centres](b, MaxCentresSize, "centres list")
}

// ParseCapacity reads "single_men=800,families=200" into beds per section.
// An unknown section, a number that is not one, a negative or absurd
// capacity (over MaxSectionBeds) or a section given twice is refused.
func ParseCapacity(s string) (map[string]int, error) {
	out := map[string]int{}
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, num, ok := strings.Cut(part, "=")
		name = strings.TrimSpace(name)
		if !ok {
			return nil, fmt.Errorf("%w: %q is not section=beds", ErrBadCentre, part)
		}
		if !registry.ValidSection(name) {
			return nil, fmt.Errorf("%w: unknown section %q (sections: %s)", ErrBadCentre, name, strings.Join(registry.Sections, ", "))
		}
		if _, dup := out[name]; dup {
			return nil, fmt.Errorf("%w: the section %s is given twice", ErrBadCentre, name)
		}
		var n int
		if _, err := fmt.Sscanf(strings.TrimSpace(num), "%d", &n); err != nil || fmt.Sprint(n) != strings.TrimSpace(num) {
			return nil, fmt.Errorf("%w: the capacity of %s is not a whole number", ErrBadCentre, name)
		}
		if n < 0 || n > MaxSectionBeds {
			return nil, fmt.Errorf("%w: the capacity of %s must be between 0 and %d beds", ErrBadCentre, name, MaxSectionBeds)
		}
		out[name] = n
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: give the capacity of at least one section, like single_men=800,families=200", ErrBadCentre)
	}
	return out, nil
}
