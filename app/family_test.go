package app

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"github.com/fieldreg/fieldreg/registry"
)

// A relative who arrives after the first person was saved is added from
// the record: the new member joins the record's family, and a registration
// in progress is discarded only if the officer agrees.
func TestAddFamilyMemberFromRecord(t *testing.T) {
	h, _ := unlocked(t)
	h.registerOne("Sample-Haddad", "Example Omar", "Male", "1985-02-28")
	headID := h.u.sh.reg.receipts.people[0].id

	// Something typed on the Register screen, not saved.
	h.tap("Register next person")
	h.typeInto("e.g. HADDAD", "Unsaved-Familyname")

	h.tap("Records")
	r := h.u.sh.records
	h.waitFor("the record in the list", func() bool { return len(r.ids) == 1 })
	r.list.Select(0)
	h.waitFor("the record", func() bool { return h.shows("Version 1") })
	h.tap("Add family member")
	if h.u.win.Canvas().Overlays().Top() == nil {
		t.Fatal("no question before the registration in progress is discarded")
	}
	h.tapOverlay("Yes")
	h.waitFor("the member form", func() bool { return h.shows("Family or group: person 2") })
	f := h.u.sh.reg.form
	if f.family.Text != "Sample-Haddad" || f.relationship.Selected != h.u.T(relationshipLabels["child"]) {
		t.Fatalf("the new member's form does not start with the family's data: family %q, relationship %q", f.family.Text, f.relationship.Selected)
	}
	h.fillPerson("Example Lina", "Female", dobFull, "2015-06-01")
	h.radio(h.u.T(categoryLabels[registry.CategoryIrregular])).SetSelected(h.u.T(categoryLabels[registry.CategoryIrregular]))
	h.tap("Review and save")
	h.waitFor("the review", func() bool { return h.shows("Check before saving") })
	numbered := false
	h.walk(func(o fyne.CanvasObject) {
		if c, ok := o.(*widget.Card); ok && c.Title == "2. Sample-Haddad, Example Lina" {
			numbered = true
		}
	})
	if !numbered {
		t.Error("the review does not number the new member as the form did (person 2)")
	}
	h.tap("Save")
	h.waitFor("the receipt", func() bool { return h.u.sh.reg.receipts != nil && h.qrShown() })
	childID := h.u.sh.reg.receipts.people[0].id

	head, err := h.u.sess.Get(headID)
	if err != nil {
		t.Fatal(err)
	}
	child, err := h.u.sess.Get(childID)
	if err != nil {
		t.Fatal(err)
	}
	if head.Person.Group == "" || child.Person.Group != head.Person.Group || head.Person.Relationship != "head" {
		t.Fatalf("not one family: head group %q (%q), child group %q", head.Person.Group, head.Person.Relationship, child.Person.Group)
	}
	if n, _ := h.u.sess.Count(); n != 2 {
		t.Fatalf("%d records, want 2 (nothing of the discarded registration)", n)
	}
}
