package app

import (
	"errors"
	"testing"
	"time"

	"github.com/fieldreg/fieldreg/device"
	"github.com/fieldreg/fieldreg/registry"
)

// TestEraseFromRecordScreen: the record screen shows when the record is
// erased at the latest; a supervisor erases it with a reason, after a
// confirmation; the record then opens as erased, with date and reason.
func TestEraseFromRecordScreen(t *testing.T) {
	h, _ := unlocked(t)
	p := syncFakePerson("Fakeerase", "Example")
	p.Category = registry.CategoryIrregular
	id, err := h.u.sess.Register(p)
	if err != nil {
		t.Fatal(err)
	}
	h.u.sh.open(navRecords)
	d := newDetailScreen(h.u, id, func() {})
	h.u.sh.show(navRecords, d.root)
	due := h.u.dev.Now().AddDate(5, 0, 0).Format(time.DateOnly)
	h.waitFor("the erasure date", func() bool { return h.shows("Erased on " + due + " at the latest") })
	h.tap("Erase")
	h.tap("Erase now")
	if !h.shows("Give the reason.") {
		t.Fatal("erasing without a reason is not refused")
	}
	h.typeInto("Or an earlier erasure date (YYYY-MM-DD)", "2999-01-01")
	h.typeInto("Reason", "data subject request")
	h.tap("Set earlier date")
	h.waitFor("the refusal of a later date", func() bool {
		return h.shows("Nothing was saved. An erasure date can only be brought forward, never put back.")
	})
	h.tap("Erase now")
	h.tapOverlay("Yes")
	h.waitFor("the erased record", func() bool {
		return h.shows("This record was erased on " + h.u.dev.Now().Format(time.DateOnly) + " (data subject request).")
	})
	var ee *device.ErasedError
	if _, err := h.u.sess.Get(id); !errors.As(err, &ee) {
		t.Fatalf("the record is not erased: %v", err)
	}
}
