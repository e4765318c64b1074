package e2e

import (
	"strings"
	"testing"
)

// TestTwoDevicesAndHub: a hub and two devices as real processes on
// loopback; each device registers 1,000 people, both sync, and both then
// hold the same 2,000 records (same digest of the folded state).
func TestTwoDevicesAndHub(t *testing.T) {
	h := serving(t)
	a := newDevice(t, h, "tablet-a", "BIH-IZACIC")
	b := newDevice(t, h, "tablet-b", "BIH-SAMAC")
	a.register(1000, "A")
	b.register(1000, "B")

	for _, step := range []struct {
		d    *devProc
		want string
	}{{a, "sent 1000 "}, {b, "sent 1000 "}, {a, "received 1000,"}} {
		code, out := step.d.sync("")
		if code != 0 || !strings.Contains(out, step.want) {
			t.Fatalf("sync: exit %d, want %q in\n%s", code, step.want, out)
		}
	}
	sameRecords(t, 2000, a, b)
	// Nothing waits for the hub any more: the 72-hour clock has stopped.
	for _, d := range []*devProc{a, b} {
		s, done := d.session()
		if p, err := s.Pending(); err != nil || len(p) != 0 {
			t.Errorf("pending after sync: %d %v", len(p), err)
		}
		st, err := s.Device().SyncStatus()
		if err != nil || st.Waiting != 0 || st.LastSync.IsZero() || !st.Enrolled {
			t.Errorf("sync status %+v %v", st, err)
		}
		done()
	}
	// A second sync with nothing new is a no-op.
	if code, out := a.sync(""); code != 0 || !strings.Contains(out, "sent 0 ") || !strings.Contains(out, "received 0,") {
		t.Fatalf("idle sync: %d %s", code, out)
	}
	st := h.status()
	if !strings.Contains(st, "events      2000 in 2 logs") || !strings.Contains(st, "tablet-a") {
		t.Errorf("hub status:\n%s", st)
	}
	h.stop()
	// The hub's logs name devices and events, never people.
	if strings.Contains(h.logs.String(), "Fakeperson") || strings.Contains(h.logs.String(), "Testee") {
		t.Error("personal data in the hub's logs")
	}
}
