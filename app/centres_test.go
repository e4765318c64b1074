package app

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"github.com/fieldreg/fieldreg/trust"
)

// The referral panel after saving offers the centres that fit, records the
// referral and prints the centre on the receipt; the centre's screen checks
// the person in by the receipt's text and out with a reason; the capacity
// view counts it.
func TestReferCheckInCapacityScreens(t *testing.T) {
	h, _ := unlocked(t)
	for _, c := range []trust.Centre{
		{Code: "BIH-TEST-W", Name: "Test Women Centre", Place: "Testgrad", Address: "2 Sample Road", Kind: "temporary_reception", Status: "open",
			Capacity: map[string]int{"single_women": 1}},
		{Code: "BIH-TEST-M", Name: "Test Men Centre", Place: "Testvik", Kind: "transit", Status: "open", Capacity: map[string]int{"single_men": 5}},
	} {
		if _, err := h.u.sess.SetCentre(c, true); err != nil {
			t.Fatal(err)
		}
	}
	h.registerOne("Sample-Haddad", "Example Lina", "Female", "1990-04-12")
	h.waitFor("the referral panel", func() bool { return h.hasButton("Refer") })
	if !h.shows("Where do they sleep tonight?") || h.shows("Test Men Centre") {
		t.Fatalf("the panel offers what does not fit: %v", h.texts())
	}
	offer := false
	for _, s := range h.texts() {
		offer = offer || (strings.Contains(s, "Test Women Centre, Testgrad · Single women · 1 free · known just now"))
	}
	if !offer {
		t.Fatalf("the offer: %v", h.texts())
	}
	text := h.u.sh.reg.receipts.issued[0].Text
	h.tap("Refer")
	h.waitFor("the referral", func() bool { return h.shows("Referred to Test Women Centre, 2 Sample Road, Testgrad (Single women).") })
	h.waitFor("the centre on the receipt", func() bool { return h.shows("Reception centre") })

	h.tap("Capacity")
	h.waitFor("the capacity view", func() bool { return h.shows("Reception capacity") && h.shows("0 free") })

	h.tap("Centre")
	h.waitFor("the first centre's list", func() bool { return h.shows("Nobody is expected or staying here.") })
	h.choose("Test Women Centre (BIH-TEST-W)")
	h.waitFor("the arrival", func() bool { return h.shows("Expected") })
	var scan *scanEntry
	walkObj(h.u.win.Content(), func(o fyne.CanvasObject) {
		if e, ok := o.(*scanEntry); ok {
			scan = e
		}
	})
	if scan == nil {
		t.Fatal("no scan field")
	}
	// A handheld scanner types the receipt's text and Enter.
	scan.SetText(text)
	scan.OnSubmitted(scan.Text)
	h.waitFor("the check-in", func() bool { return h.shows("1 person checked in.") && h.shows("Residents") })
	h.tap("Check out")
	var reasons *widget.RadioGroup
	walkObj(h.u.win.Canvas().Overlays().Top(), func(o fyne.CanvasObject) {
		if r, ok := o.(*widget.RadioGroup); ok {
			reasons = r
		}
	})
	if reasons == nil || len(reasons.Options) != 5 || reasons.Options[0] != "Left the centre" {
		t.Fatalf("the reasons: %+v", reasons)
	}
	reasons.SetSelected("Returned home (voluntary return)")
	h.tapOverlay("Check out")
	h.waitFor("the list empty", func() bool { return h.shows("Nobody is expected or staying here.") })
	h.tap("Capacity")
	h.waitFor("the bed free again", func() bool { return h.shows("1 free") })
}
