package device

import (
	"context"
	"testing"

	"github.com/fieldreg/fieldreg/registry/vector"
	"github.com/fieldreg/fieldreg/store"
)

// An acknowledgement of more of this device's own log than it wrote is cut
// down to what exists: it cannot take registrations off the list of what
// must still reach the hub. Other logs are taken as the hub states them.
func TestHubAcknowledgementBoundedByOwnLog(t *testing.T) {
	d, _ := newTestDevice(t)
	s := unlock(t, d)
	for _, given := range []string{"One", "Two", "Three"} {
		if _, err := s.Register(testPerson("Familyname", given)); err != nil {
			t.Fatal(err)
		}
	}
	own := vector.Key{Origin: d.info.DeviceID, Epoch: d.info.Epoch}
	other := vector.Key{Origin: "0123456789abcdef", Epoch: 1}
	err := d.st.Update(context.Background(), func(tx *store.Tx) error {
		return raiseHubHeads(tx, d.info.DeviceID, vector.Vector{own: 999_999, other: 40})
	})
	if err != nil {
		t.Fatal(err)
	}
	acked, err := d.st.PeerHeads(hubPeer)
	if err != nil {
		t.Fatal(err)
	}
	if acked[own] != 3 || acked[other] != 40 {
		t.Fatalf("acknowledged own %d (want 3), other %d (want 40)", acked[own], acked[other])
	}
}
