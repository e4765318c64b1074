package device

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/fieldreg/fieldreg/registry"
	"github.com/fieldreg/fieldreg/sync/wire"
	"github.com/fieldreg/fieldreg/trust"
)

// TestAttackAuthorityDocuments: every kind of authority document reaches a
// device through the one path (takeTrust, behind both sync and bundles),
// and every kind resists the same attacks: an older document replayed
// changes nothing; one signed by another authority, one tampered with
// after signing, and one of the same authority for another country are
// refused, and nothing changes.
func TestAttackAuthorityDocuments(t *testing.T) {
	d, clk := newTestDevice(t)
	s := unlock(t, d)
	var auth *trust.Authority
	if err := s.withKeys(func(k *keys) error {
		var err error
		auth, err = trust.UnmarshalAuthority(k.authority.Marshal())
		return err
	}); err != nil {
		t.Fatal(err)
	}
	impostor, err := trust.NewAuthority("BIH", nil, clk.t)
	if err != nil {
		t.Fatal(err)
	}
	elsewhere := *auth
	elsewhere.Country = "SRB" // the same root key, another country's document
	t1, t2, t3 := clk.t.Add(time.Hour), clk.t.Add(2*time.Hour), clk.t.Add(3*time.Hour)

	contacts := trust.Contacts{Controller: "Ministry of Testing", ControllerContact: "info@example.ba", DPO: "dpo@example.ba",
		Supervisor: "Test Agency", SupervisorContact: "agency@example.ba"}
	centres := *(&trust.Centres{}).With(trust.Centre{Code: "BIH-TEST-1", Name: "Test Centre", Place: "Testgrad", Kind: "transit",
		Status: "open", Capacity: map[string]int{"families": 4}})
	for _, tc := range []struct {
		kind   trust.DocKind
		sign   func(a *trust.Authority, now time.Time) (trust.Document, error)
		tamper func(trust.Document)
	}{
		{trust.ContactsKind,
			func(a *trust.Authority, now time.Time) (trust.Document, error) {
				return a.SignContacts(contacts, nil, now)
			},
			func(doc trust.Document) { doc.(*trust.Contacts).DPO = "attacker@example.com" }},
		{trust.CentresKind,
			func(a *trust.Authority, now time.Time) (trust.Document, error) {
				return a.SignCentres(centres, nil, now)
			},
			func(doc trust.Document) { doc.(*trust.Centres).Centres[0].Capacity["families"] = 400 }},
		{trust.RetentionKind,
			func(a *trust.Authority, now time.Time) (trust.Document, error) {
				return a.SignRetention(registry.DefaultRetention, nil, now)
			},
			func(doc trust.Document) { doc.(*trust.RetentionRules).Periods[registry.CategoryIrregular] = "30y" }},
	} {
		t.Run(tc.kind.Name(), func(t *testing.T) {
			sign := func(a *trust.Authority, now time.Time) []byte {
				t.Helper()
				doc, err := tc.sign(a, now)
				if err != nil {
					t.Fatal(err)
				}
				return doc.Marshal()
			}
			take := func(raw []byte) error {
				rep := &wire.HelloReply{}
				if !rep.SetDocument(tc.kind.Name(), raw) {
					t.Fatalf("sync carries no %s", tc.kind.Name())
				}
				return s.takeTrust(rep, nil)
			}
			heldNow := func() []byte {
				b, _ := d.st.GetMeta(tc.kind.Name())
				return b
			}
			older, newer := sign(auth, t1), sign(auth, t2)
			if err := take(older); err != nil {
				t.Fatal(err)
			}
			if err := take(newer); err != nil || !bytes.Equal(heldNow(), newer) {
				t.Fatalf("the newer %s not taken: %v", tc.kind.Name(), err)
			}
			if doc, err := d.heldDocument(tc.kind); err != nil || doc.Kind().Name() != tc.kind.Name() {
				t.Fatalf("held: %v, %v", doc, err)
			}
			// Replayed: the older one is no error, and changes nothing.
			if err := take(older); err != nil || !bytes.Equal(heldNow(), newer) {
				t.Fatalf("the older %s replayed: %v", tc.kind.Name(), err)
			}
			tampered, err := tc.kind.Parse(sign(auth, t3))
			if err != nil {
				t.Fatal(err)
			}
			tc.tamper(tampered)
			for _, bad := range []struct {
				name string
				raw  []byte
				want error
			}{
				{"another authority's key", sign(impostor, t3), trust.ErrBadSignature},
				{"tampered with", tampered.Marshal(), trust.ErrBadSignature},
				{"another country", sign(&elsewhere, t3), trust.ErrOtherCountry},
			} {
				err := take(bad.raw)
				if !errors.Is(err, bad.want) || !strings.Contains(err.Error(), "do not verify") {
					t.Errorf("%s: %v", bad.name, err)
				}
				if !bytes.Equal(heldNow(), newer) {
					t.Errorf("%s: the held %s changed", bad.name, tc.kind.Name())
				}
			}
		})
	}
}
