package e2e

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fieldreg/fieldreg/crypto/seal"
	"github.com/fieldreg/fieldreg/registry"
	"github.com/fieldreg/fieldreg/registry/vector"
	"github.com/fieldreg/fieldreg/sync/client"
	"github.com/fieldreg/fieldreg/sync/pki"
	"github.com/fieldreg/fieldreg/sync/wire"
	"github.com/fieldreg/fieldreg/trust"
)

// rawClient speaks HTTPS to the hub with a device's certificate, so a test
// can send what no honest device would.
func rawClient(d *devProc) *http.Client {
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		TLSClientConfig: pki.ClientConfig(d.pkg.HubCert, d.pkg.ClientCert, d.signKey())}}
}

func post(t *testing.T, hc *http.Client, url string, body io.Reader) (int, string) {
	t.Helper()
	resp, err := hc.Post(url, "application/octet-stream", body)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// fakeEvent makes an event of device d's key in a synthetic log (epoch),
// payload sealed under the deployment's records key.
func fakeEvent(t testing.TB, d *devProc, key ed25519.PrivateKey, epoch, seq uint64, hlc registry.HLC, family string) *registry.Event {
	t.Helper()
	id, err := registry.NewRegID("BIH", nil)
	if err != nil {
		t.Fatal(err)
	}
	return fakeEventFor(t, d, key, epoch, seq, hlc, id, family)
}

// fakeEventFor is fakeEvent for a given record ID.
func fakeEventFor(t testing.TB, d *devProc, key ed25519.PrivateKey, epoch, seq uint64, hlc registry.HLC, record, family string) *registry.Event {
	t.Helper()
	e := &registry.Event{Origin: d.pkg.DeviceID, Epoch: epoch, Seq: seq, HLC: hlc, Officer: "officer0", Record: record, Op: registry.OpRegister}
	rk, _ := seal.KeyFromBytes(d.pkg.RecordsKey)
	p := &registry.Person{FamilyName: family, GivenNames: "Testee", Sex: "X", BirthDate: registry.Date{Year: 1990}, Nationalities: []string{"XXA"}, Category: registry.CategoryIrregular,
		Encounter: registry.Encounter{Kind: "apprehension", At: hlc.Time().Add(-time.Minute).UTC().Truncate(time.Second)}}
	if err := e.SealChange(rk, &registry.Change{Fields: registry.FieldsOf(p)}); err != nil {
		t.Fatal(err)
	}
	e.Sign(key)
	return e
}

func chunk(evs ...*registry.Event) *bytes.Buffer {
	var b bytes.Buffer
	w := wire.NewWriter(&b)
	for _, e := range evs {
		_ = w.Event(wire.EncodeEvent(e))
	}
	_ = w.Close(false)
	return &b
}

// TestHostileInput: malformed and oversized input and a revoked device are
// refused with 4xx and nothing of a refused request is applied; forged,
// forked and invalid events are quarantined beside the good ones; and the
// hub keeps serving the honest device.
func TestHostileInput(t *testing.T) {
	h := serving(t)
	a := newDevice(t, h, "tablet-a", "BIH-IZACIC")
	b := newDevice(t, h, "tablet-b", "BIH-IZACIC")
	a.register(3, "A")
	a.mustSync("first sync")
	hc := rawClient(a)
	u := h.url()
	now := registry.MakeHLC(time.Now().UnixMilli(), 0)
	events := func() string {
		t.Helper()
		resp, err := hc.Post(u+wire.PathHello, "application/json", strings.NewReader(`{"version":1,"vector":[]}`))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var rep wire.HelloReply
		if err := json.NewDecoder(resp.Body).Decode(&rep); err != nil {
			t.Fatal(err)
		}
		v, _ := wire.ToVector(rep.Vector)
		return v.String()
	}
	before := events()

	wrongKey := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{9}, 32))
	good := fakeEvent(t, a, a.signKey(), 77, 1, now, "Fakeone")
	forged := fakeEvent(t, a, wrongKey, 77, 2, now, "Fakeforged")
	unknown := fakeEvent(t, a, a.signKey(), 77, 2, now, "Fakeunknown")
	unknown.Origin = "00000000deadbeef"
	unknown.Sign(a.signKey())
	// Frames of 1 MiB each, within the event limit, past the request limit.
	huge := bytes.Repeat(append([]byte{'E', 0x80, 0x80, 0x40}, make([]byte, 1<<20)...), 5)

	cases := []struct {
		name, path string
		body       io.Reader
		status     int
	}{
		{"hello not JSON", wire.PathHello, strings.NewReader("{{{"), 400},
		{"hello unknown field", wire.PathHello, strings.NewReader(`{"version":1,"evil":true}`), 400},
		{"hello wrong version", wire.PathHello, strings.NewReader(`{"version":99}`), 400},
		{"hello oversized", wire.PathHello, bytes.NewReader(bytes.Repeat([]byte(" "), wire.MaxJSONBytes+10)), 413},
		{"pull malformed vector", wire.PathPull, strings.NewReader(`{"vector":[{"o":"","e":1,"s":1}]}`), 400},
		{"push garbage", wire.PathPush, strings.NewReader("not frames at all"), 400},
		{"push without trailer", wire.PathPush, bytes.NewReader(chunk(good).Bytes()[:10]), 400},
		{"push oversized", wire.PathPush, bytes.NewReader(huge), 413},
	}
	for _, c := range cases {
		status, body := post(t, hc, u+c.path, c.body)
		if status != c.status {
			t.Errorf("%s: status %d, want %d (%s)", c.name, status, c.status, body)
		}
	}
	var many []*registry.Event
	for i := uint64(1); i <= wire.MaxChunkEvents+1; i++ {
		many = append(many, fakeEvent(t, a, a.signKey(), 78, i, now, "Fakemany"))
	}
	if status, _ := post(t, hc, u+wire.PathPush, chunk(many...)); status != 413 {
		t.Errorf("push of %d events: status %d", len(many), status)
	}
	if got := events(); got != before {
		t.Fatalf("refused requests changed the hub: %s -> %s", before, got)
	}

	// Replay: the same chunk twice is taken once; the second is a no-op.
	var rep wire.PushReply
	for i, want := range []wire.PushReply{{Accepted: 1}, {Duplicates: 1}} {
		status, body := post(t, hc, u+wire.PathPush, chunk(good))
		if status != 200 || json.Unmarshal([]byte(body), &rep) != nil || rep.Accepted != want.Accepted || rep.Duplicates != want.Duplicates {
			t.Fatalf("push %d: %d %s", i, status, body)
		}
	}
	// A different event under an existing key (a forked log) is quarantined.
	fork := fakeEvent(t, a, a.signKey(), 77, 1, now+5, "Fakefork")
	status, body := post(t, hc, u+wire.PathPush, chunk(fork))
	if status != 200 || json.Unmarshal([]byte(body), &rep) != nil || len(rep.Quarantined) != 1 {
		t.Fatalf("fork: %d %s", status, body)
	}
	// Stamped two days ahead: accepted and flagged.
	future := fakeEvent(t, a, a.signKey(), 77, 2, registry.MakeHLC(time.Now().Add(48*time.Hour).UnixMilli(), 0), "Fakefuture")
	status, body = post(t, hc, u+wire.PathPush, chunk(future))
	if status != 200 || json.Unmarshal([]byte(body), &rep) != nil || rep.Accepted != 1 || rep.Flagged != 1 {
		t.Fatalf("future: %d %s", status, body)
	}
	// A forged signature and an unknown origin beside a good event: the
	// good one is taken, the other two quarantined with their reasons.
	forged.Seq, unknown.Seq = 3, 1
	forged.Sign(wrongKey)
	unknown.Sign(a.signKey())
	good3 := fakeEvent(t, a, a.signKey(), 77, 4, now, "Fakegoodafter")
	status, body = post(t, hc, u+wire.PathPush, chunk(forged, unknown, good3))
	if status != 200 || json.Unmarshal([]byte(body), &rep) != nil || rep.Accepted != 1 || len(rep.Quarantined) != 2 ||
		rep.Quarantined[0].Reason != "bad signature" || rep.Quarantined[1].Reason != "unknown device" {
		t.Fatalf("forged and unknown beside a good event: %d %s", status, body)
	}

	// Signed, but no record can be built from it (a day that does not
	// exist): quarantined at the hub, and by a device applying it, which
	// takes the rest; no reason names the value.
	bad := fakeEvent(t, a, a.signKey(), 79, 1, now+7, "Fakebaddate")
	rk, _ := seal.KeyFromBytes(a.pkg.RecordsKey)
	bc, _ := bad.OpenChange(rk)
	bc.Fields["birth_date"] = json.RawMessage(`"1990-02-30"`)
	if err := bad.SealChange(rk, bc); err != nil {
		t.Fatal(err)
	}
	bad.Sign(a.signKey())
	if status, body := post(t, hc, u+wire.PathPush, chunk(bad)); status != 200 || !strings.Contains(body, "quarantined") || strings.Contains(body, "1990-02-30") {
		t.Errorf("malformed change: %d %s", status, body)
	}
	sess, done := a.session()
	okEv := fakeEvent(t, a, a.signKey(), 79, 2, now+8, "Fakegoodafter")
	res, err := sess.ApplyEvents([]*registry.Event{bad, okEv})
	if err != nil || res.Quarantined != 1 || res.Received != 1 {
		t.Errorf("device applying a malformed change: %+v %v", res, err)
	}
	if _, err := sess.Get(okEv.Record); err != nil {
		t.Errorf("the good event's record: %v", err)
	}
	done()

	// No client certificate: the device paths refuse, /healthz answers.
	anon := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	if status, _ := post(t, anon, u+wire.PathHello, strings.NewReader(`{"version":1}`)); status != 401 {
		t.Errorf("anonymous hello: %d", status)
	}
	// A certificate from another authority fails the handshake.
	other, _ := trust.NewAuthority("SRB", nil, time.Now())
	oca, _ := pki.CA(other, time.Now())
	ocred := other.IssueCredential(a.pkg.DeviceID, "impostor", "X", a.signKey().Public().(ed25519.PublicKey), time.Now(), time.Hour)
	ocert, _ := pki.ClientCert(other, oca, ocred)
	imp := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: pki.ClientConfig(a.pkg.HubCert, ocert, a.signKey())}}
	if resp, err := imp.Post(u+wire.PathHello, "application/json", strings.NewReader(`{"version":1}`)); err == nil {
		resp.Body.Close()
		if resp.StatusCode < 400 {
			t.Errorf("impostor certificate accepted: %d", resp.StatusCode)
		}
	}
	// A server with another certificate is not the hub: certificate mismatch.
	c := client.New(client.Config{URL: u, HubCert: ocert, ClientCert: a.pkg.ClientCert, Key: a.signKey()})
	if _, err := c.Hello(context.Background(), vector.Vector{}); !errors.Is(err, client.ErrCertMismatch) || client.Retryable(err) {
		t.Errorf("pinned certificate mismatch: %v", err)
	}

	// Revocation while serving: B is refused from the next request on; A
	// keeps syncing and receives the revocation list naming B.
	must(t, "reghub", "revoke", "--data", h.dir, "--passphrase-file", h.passFile, "--device", "tablet-b")
	code, out := b.sync("")
	if code != 1 || !strings.Contains(out, "this device was revoked") {
		t.Errorf("revoked device sync: exit %d\n%s", code, out)
	}
	if code, out := a.sync(""); code != 0 || !strings.Contains(out, "received 3,") || !strings.Contains(out, "future-dated 1") {
		// The synthetic events of log 77 arrive (the fork and the forged
		// one stayed in the hub's quarantine); the future-dated one is
		// flagged.
		t.Errorf("honest device after hostile traffic: exit %d\n%s", code, out)
	}
	s, done := a.session()
	tf, err := s.Device().TrustFile()
	if err != nil {
		t.Fatal(err)
	}
	if _, revoked := tf.RevokedAt("BIH", b.pkg.DeviceID); !revoked {
		t.Error("device A did not receive the revocation of B")
	}
	done()
	resp, err := anon.Get(u + wire.PathHealth)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("healthz after hostile input: %v", err)
	}
	resp.Body.Close()
	st := h.status()
	if !strings.Contains(st, "quarantined 4") || !strings.Contains(st, "future      1") || !strings.Contains(st, "revoked") {
		t.Errorf("hub status:\n%s", st)
	}
	t.Log(st)
}

// TestEnrolNeverOverwrites: an enrolment file already at --out is not
// replaced, and no device is issued for it.
func TestEnrolNeverOverwrites(t *testing.T) {
	h := newHub(t)
	out := filepath.Join(t.TempDir(), "tablet.enrol")
	if err := os.WriteFile(out, []byte("an earlier package"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, errs := run(t, "reghub", "enrol", "--data", h.dir, "--passphrase-file", h.passFile, "--kdf", "low",
		"--device", "tablet-x", "--station", "BIH-X", "--out", out)
	if code != 1 || !strings.Contains(errs, "already exists") {
		t.Fatalf("enrol over an existing file: exit %d %s", code, errs)
	}
	if b, _ := os.ReadFile(out); string(b) != "an earlier package" {
		t.Error("the existing file was changed")
	}
	if st := h.status(); strings.Contains(st, "tablet-x") {
		t.Errorf("a device was issued anyway:\n%s", st)
	}
}
