package hub

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fieldreg/fieldreg/sync/hubstore"
	"github.com/fieldreg/fieldreg/sync/hubstore/pg/pgtest"
	"github.com/fieldreg/fieldreg/trust"

	"github.com/fieldreg/fieldreg/crypto/seal"
	"github.com/fieldreg/fieldreg/crypto/vault"
	"github.com/fieldreg/fieldreg/registry"
	"github.com/fieldreg/fieldreg/sync/bundle"
	"github.com/fieldreg/fieldreg/sync/client"
	"github.com/fieldreg/fieldreg/sync/enrol"
	"github.com/fieldreg/fieldreg/sync/federation"
	"github.com/fieldreg/fieldreg/sync/wire"
)

var pass = []byte("Fake-Hub-Passphrase-42")

func lowOpts() Options { p := vault.LowParams; return Options{Params: &p} }

type enrolled struct {
	pkg  *enrol.Package
	priv ed25519.PrivateKey
	cert *x509.Certificate
}

func enrolDev(t testing.TB, h *Hub, name, station, scope string) *enrolled {
	t.Helper()
	e, err := h.Enrol(context.Background(), EnrolConfig{Name: name, Station: station, Scope: scope})
	if err != nil {
		t.Fatal(err)
	}
	p, err := enrol.Open(e.File, e.Code)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(p.ClientCert)
	if err != nil {
		t.Fatal(err)
	}
	return &enrolled{pkg: p, priv: ed25519.NewKeyFromSeed(p.SignSeed), cert: c}
}

func mkEvent(t *testing.T, d *enrolled, seq uint64, rec string, p registry.Person) *registry.Event {
	t.Helper()
	e := &registry.Event{Origin: d.pkg.DeviceID, Epoch: 7, Seq: seq, HLC: registry.MakeHLC(time.Now().UnixMilli(), 0),
		Officer: "off1", Record: rec, Op: registry.OpRegister}
	k, _ := seal.KeyFromBytes(d.pkg.RecordsKey)
	if err := e.SealChange(k, &registry.Change{Fields: registry.FieldsOf(&p)}); err != nil {
		t.Fatal(err)
	}
	e.Sign(d.priv)
	return e
}

// newTestHub initialises and opens a hub (a region if region is set).
func newTestHub(t testing.TB, country string, region bool) *Hub {
	t.Helper()
	h, _ := newTestHubIn(t, country, region)
	t.Cleanup(func() { h.Close() })
	return h
}

// newTestHubIn makes a hub as newTestHub does, and returns its directory
// (to open it again, as a restarted server would); the caller closes it.
func newTestHubIn(t testing.TB, country string, region bool) (*Hub, string) {
	t.Helper()
	dir := t.TempDir()
	cfg := InitConfig{Country: country, Passphrase: pass, Region: region}
	if pgtest.Postgres() {
		cfg.DB = pgtest.DB(t)
	}
	if err := Init(context.Background(), dir, cfg, lowOpts()); err != nil {
		t.Fatal(err)
	}
	h, err := Open(context.Background(), dir, pass, lowOpts())
	if err != nil {
		t.Fatal(err)
	}
	return h, dir
}

func asDevice(r *http.Request, d *enrolled) *http.Request {
	r.TLS = &tls.ConnectionState{PeerCertificates: []*x509.Certificate{d.cert}, VerifiedChains: [][]*x509.Certificate{{d.cert}}}
	return r
}

// hello tells a station-scoped device only the logs of its station, and a
// device of scope "all" every log.
func TestHelloVectorIsScoped(t *testing.T) {
	h := newTestHub(t, "BIH", false)
	a := enrolDev(t, h, "tab-a", "POST-A", "station")
	b := enrolDev(t, h, "tab-b", "POST-B", "all")
	bd, _ := registry.ParseDate("1990-03-04")
	ev := mkEvent(t, b, 1, "BIH-0000-0000-0001", registry.Person{FamilyName: "Fake", GivenNames: "X", BirthDate: bd, Sex: "M", Category: "irregular_crossing"})
	if err := h.ingestAccepted(context.Background(), accepted(ev)); err != nil {
		t.Fatal(err)
	}
	hello := func(d *enrolled) wire.HelloReply {
		t.Helper()
		body, _ := json.Marshal(wire.Hello{Version: wire.Version})
		rr := httptest.NewRecorder()
		h.Handler().ServeHTTP(rr, asDevice(httptest.NewRequest("POST", wire.PathHello, bytes.NewReader(body)), d))
		var rep wire.HelloReply
		if err := json.Unmarshal(rr.Body.Bytes(), &rep); err != nil {
			t.Fatalf("hello: HTTP %d: %v", rr.Code, err)
		}
		return rep
	}
	holds := func(rep wire.HelloReply, origin string) bool {
		for _, hd := range rep.Vector {
			if hd.Origin == origin {
				return true
			}
		}
		return false
	}
	if rep := hello(a); holds(rep, b.pkg.DeviceID) || rep.Incoming != 0 {
		t.Errorf("a station-scoped device is told of another station's log (incoming %d)", rep.Incoming)
	}
	if rep := hello(b); !holds(rep, b.pkg.DeviceID) {
		t.Error("a device of scope all is not told of the logs the hub holds")
	}
}

// One record whose category the region does not know stops every later
// record from ever reaching the region.
func TestFederationPoisonRecord(t *testing.T) {
	ctx := context.Background()
	rdir, cdir := t.TempDir(), t.TempDir()
	if err := Init(context.Background(), rdir, InitConfig{Country: "WBR", Passphrase: pass, Region: true}, lowOpts()); err != nil {
		t.Fatal(err)
	}
	if err := Init(context.Background(), cdir, InitConfig{Country: "BIH", Passphrase: pass}, lowOpts()); err != nil {
		t.Fatal(err)
	}
	region, err := Open(context.Background(), rdir, pass, lowOpts())
	if err != nil {
		t.Fatal(err)
	}
	defer region.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go region.Serve(sctx, ln)
	ce, err := region.EnrolCountrySharing(context.Background(), "BIH", "https://"+ln.Addr().String(), federation.SharingIndex)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Federate(context.Background(), cdir, pass, ce.File, ce.Code, lowOpts()); err != nil {
		t.Fatal(err)
	}
	country, err := Open(context.Background(), cdir, pass, lowOpts())
	if err != nil {
		t.Fatal(err)
	}
	defer country.Close()
	d := enrolDev(t, country, "tab-a", "POST-A", "all")
	bd, _ := registry.ParseDate("1990-03-04")
	// A category this region build does not know (stored by a newer
	// country hub that knows it; this build's push check would quarantine
	// it): the upstream push skips it.
	bad := mkEvent(t, d, 1, "BIH-0000-0000-0001", registry.Person{FamilyName: "Fake", GivenNames: "A", BirthDate: bd, Sex: "M", Category: "relocation"})
	good := mkEvent(t, d, 2, "BIH-0000-0000-0002", registry.Person{FamilyName: "Fakeother", GivenNames: "B", BirthDate: bd, Sex: "F", Category: "irregular_crossing"})
	if err := country.ingestAccepted(ctx, accepted(bad, good)); err != nil {
		t.Fatal(err)
	}
	rep, err := country.PushUpstream(ctx)
	if err != nil || rep.Records != 1 || rep.Skipped != 1 {
		t.Fatalf("push: %+v, %v; want the good record sent and the other skipped", rep, err)
	}
	if cs, err := region.st.FedCountries(ctx); err != nil || len(cs) != 1 || cs[0].Records != 1 {
		t.Fatalf("region holds %+v (%v), want 1 record", cs, err)
	}
	if st, err := country.FederationStatus(ctx); err != nil || st.Unpushed != 0 {
		t.Fatalf("country status: %+v, %v", st, err)
	}
	if rep, err := country.PushUpstream(ctx); err != nil || rep.Records != 0 {
		t.Fatalf("second push: %+v, %v; want nothing to send", rep, err)
	}
	// The region shows when the country hub last pushed.
	devs, err := region.Devices(context.Background())
	if err != nil || len(devs) != 1 || devs[0].LastSync.IsZero() {
		t.Fatalf("region's view of the country hub: %+v %v", devs, err)
	}
	// Revoked at the region, the country hub is told so (reghub federate
	// and the devices' questions say it in those words), not "try later".
	if _, err := region.Revoke(context.Background(), devs[0].Name); err != nil {
		t.Fatal(err)
	}
	later := mkEvent(t, d, 3, "BIH-0000-0000-0003", registry.Person{FamilyName: "Fakethird", GivenNames: "C", BirthDate: bd, Sex: "F", Category: "irregular_crossing"})
	if err := country.ingestAccepted(ctx, accepted(later)); err != nil {
		t.Fatal(err)
	}
	if _, err := country.PushUpstream(ctx); !errors.Is(err, client.ErrRevoked) {
		t.Fatalf("push after the revocation: %v", err)
	}
}

// ingestAccepted stores events as if the acceptance rule had passed them, for
// tests that store events directly.
func (h *Hub) ingestAccepted(ctx context.Context, evs []hubstore.Arrival) error {
	return h.st.Update(ctx, func(tx hubstore.Tx) error {
		_, err := tx.Ingest(evs, time.Now())
		return err
	})
}

// accepted are events as the acceptance rule passes them.
func accepted(evs ...*registry.Event) []hubstore.Arrival {
	out := make([]hubstore.Arrival, len(evs))
	for i, e := range evs {
		out[i] = hubstore.Arrival{Event: e}
	}
	return out
}

// A bundle stamped years ahead by a tablet with a wrong clock does not make
// the hub ignore the device's later bundles: the vector decides.
func TestNewerBundleByVector(t *testing.T) {
	head := func(seq uint64) []wire.Head { return []wire.Head{{Origin: "dev-a", Epoch: 1, Seq: seq}} }
	future := deviceVector{Created: time.Date(2036, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli(), Vector: head(10)}
	now := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC).UnixMilli()
	for _, c := range []struct {
		name    string
		created int64
		vec     []wire.Head
		want    bool
	}{
		{"more events, correct clock", now, head(12), true},
		{"fewer events (an older bundle carried late)", now, head(8), false},
		{"same events, earlier stamp", now, head(10), false},
		{"same events, later stamp", future.Created + 1, head(10), true},
	} {
		if got := newerBundle(future, &bundle.Header{Created: c.created, Vector: c.vec}); got != c.want {
			t.Errorf("%s: newer = %v, want %v", c.name, got, c.want)
		}
	}
}

// When a common name brings more hits than an answer holds, the record
// with the same document number is kept and the answer says more were found.
func TestRegionQueryStrongestFirst(t *testing.T) {
	ctx := context.Background()
	region := newTestHub(t, "WBR", true)
	tok := func(b byte) []byte { return bytes.Repeat([]byte{b}, 16) }
	nameYear, namePair, doc := tok(1), tok(2), tok(3)
	add := func(country, ref, day string, kinds map[string][]byte) {
		t.Helper()
		e := hubstore.Entry{Ref: ref, Date: day, Place: country + "-TEST", Category: "irregular_crossing"}
		for kind, tk := range kinds {
			e.Tokens = append(e.Tokens, hubstore.Token{Token: tk, Kind: kind})
		}
		if err := region.st.Update(ctx, func(tx hubstore.Tx) error { return tx.PutEntry(country, e, time.Unix(0, 0)) }); err != nil {
			t.Fatal(err)
		}
	}
	// 80 records of the same common name and birth band, registered early;
	// the one with the same passport number registered last.
	for i := 0; i < 80; i++ {
		add("BIH", fmt.Sprintf("BIH-COMMON-%02d", i), "2020-01-01", map[string][]byte{federation.KindNameYear: nameYear, federation.KindNamePair: namePair})
	}
	add("BIH", "BIH-SAME-PASSPORT", "2026-11-01", map[string][]byte{federation.KindDoc: doc})
	hits, more, err := region.RegionQuery(ctx, "SRB", "", []federation.Token{
		{Kind: federation.KindNameYear, Token: nameYear}, {Kind: federation.KindNamePair, Token: namePair}, {Kind: federation.KindDoc, Token: doc}})
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) != maxHits || !more {
		t.Fatalf("%d hits, more %v; want %d and more", len(hits), more, maxHits)
	}
	if hits[0].Ref != "BIH-SAME-PASSPORT" || hits[0].Evidence != "same document number" {
		t.Fatalf("first hit %s (%s), want the same passport", hits[0].Ref, hits[0].Evidence)
	}

	// Among equally strong hits, the oldest registrations are kept (the
	// country of first entry), whatever the countries' codes.
	add("MNE", "MNE-FIRST-ENTRY", "2015-06-01", map[string][]byte{federation.KindNameYear: nameYear, federation.KindNamePair: namePair})
	hits, _, err = region.RegionQuery(ctx, "SRB", "", []federation.Token{{Kind: federation.KindNameYear, Token: nameYear}, {Kind: federation.KindNamePair, Token: namePair}})
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) != maxHits || hits[0].Ref != "MNE-FIRST-ENTRY" {
		t.Fatalf("%d hits, first %s; want the 2015 registration kept and first", len(hits), hits[0].Ref)
	}
}

// The Eurodac export writes an estimated year as a year, flagged, never
// with the app's "~" sign.
func TestEurodacEstimatedBirth(t *testing.T) {
	h := newTestHub(t, "BIH", false)
	d := enrolDev(t, h, "tab-a", "POST-A", "all")
	est := registry.Date{Year: 2019, Estimated: true}
	full, _ := registry.ParseDate("1990-03-04")
	evs := []*registry.Event{
		mkEvent(t, d, 1, "BIH-0000-0000-0001", registry.Person{FamilyName: "Fake", GivenNames: "Child", BirthDate: est, Sex: "F", Category: "irregular_crossing"}),
		mkEvent(t, d, 2, "BIH-0000-0000-0002", registry.Person{FamilyName: "Fake", GivenNames: "Adult", BirthDate: full, Sex: "M", Category: "irregular_crossing"}),
	}
	if err := h.ingestAccepted(context.Background(), accepted(evs...)); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if _, err := h.ExportEurodac(context.Background(), &out); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	if strings.Contains(got, "~") || !strings.Contains(got, `"date_of_birth":"2019","date_of_birth_estimated":true`) ||
		!strings.Contains(got, `"date_of_birth":"1990-03-04","place_of_birth`) && !strings.Contains(got, `"date_of_birth":"1990-03-04","sex"`) {
		t.Fatalf("export: %s", got)
	}
}

// A hub bundle export killed mid-write left its temporary file on the
// stick: the next Open of the hub deletes it (bundle.RemoveStale).
func TestOpenRemovesStaleExport(t *testing.T) {
	dir, usb := t.TempDir(), t.TempDir()
	if err := Init(context.Background(), dir, InitConfig{Country: "BIH", Passphrase: pass}, lowOpts()); err != nil {
		t.Fatal(err)
	}
	tmp := filepath.Join(usb, ".bundle-00000000000000ee.tmp")
	if err := os.WriteFile(tmp, make([]byte, 1<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ".fieldreg-writing-00000000000000ee"), []byte(tmp), 0o600); err != nil {
		t.Fatal(err)
	}
	h, err := Open(context.Background(), dir, pass, lowOpts())
	if err != nil {
		t.Fatal(err)
	}
	h.Close()
	if _, err := os.Stat(tmp); !os.IsNotExist(err) {
		t.Fatalf("the stale temporary bundle is still there: %v", err)
	}
}

// A device speaking another sync protocol is told in words which side is
// older and who must update; the hub's own version goes with it.
func TestHelloOtherProtocolSaysWhoUpdates(t *testing.T) {
	h := newTestHub(t, "BIH", false)
	d := enrolDev(t, h, "tab-a", "POST-A", "all")
	for _, tt := range []struct {
		device int
		says   string
	}{
		{wire.Version + 1, "the hub is older than this app"},
		{wire.Version - 1, "this app is older than the hub"},
	} {
		body, _ := json.Marshal(wire.Hello{Version: tt.device})
		rr := httptest.NewRecorder()
		h.Handler().ServeHTTP(rr, asDevice(httptest.NewRequest("POST", wire.PathHello, bytes.NewReader(body)), d))
		var e wire.Error
		if err := json.Unmarshal(rr.Body.Bytes(), &e); err != nil || rr.Code != http.StatusBadRequest {
			t.Fatalf("protocol %d: HTTP %d, %v", tt.device, rr.Code, err)
		}
		if e.Code != wire.CodeVersion || e.Protocol != wire.Version || !strings.Contains(e.Message, tt.says) {
			t.Errorf("protocol %d: %+v", tt.device, e)
		}
	}
}

// /healthz needs no certificate and names the release and the protocol.
func TestHealthNamesTheRelease(t *testing.T) {
	for _, region := range []bool{false, true} {
		h := newTestHub(t, map[bool]string{false: "BIH", true: "WBR"}[region], region)
		rr := httptest.NewRecorder()
		h.Handler().ServeHTTP(rr, httptest.NewRequest("GET", wire.PathHealth, nil))
		var got wire.Health
		if err := json.Unmarshal(rr.Body.Bytes(), &got); err != nil || rr.Code != http.StatusOK {
			t.Fatalf("region %v: HTTP %d %q: %v", region, rr.Code, rr.Body.String(), err)
		}
		if got.Status != "ok" || got.Version == "" || got.Protocol != wire.Version {
			t.Errorf("region %v: %+v", region, got)
		}
	}
}

// Long operations take a context: cancelled before they write, they fail
// with the context's error and change nothing.
func TestCancelledOperationsChangeNothing(t *testing.T) {
	h := newTestHub(t, "BIH", false)
	enrolDev(t, h, "tablet-a", "BIH-IZACIC", "all")
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := h.Enrol(cancelled, EnrolConfig{Name: "tablet-b", Station: "BIH-IZACIC"}); !errors.Is(err, context.Canceled) {
		t.Fatalf("enrol with a cancelled context: %v", err)
	}
	if _, err := h.Revoke(cancelled, "tablet-a"); !errors.Is(err, context.Canceled) {
		t.Fatalf("revoke with a cancelled context: %v", err)
	}
	if _, err := h.Devices(cancelled); !errors.Is(err, context.Canceled) {
		t.Fatalf("devices with a cancelled context: %v", err)
	}
	if _, err := h.SetContacts(cancelled, trust.Contacts{Controller: "Fake Ministry", ControllerContact: "info@example.ba", DPO: "dpo@example.ba",
		Supervisor: "Fake Agency", SupervisorContact: "agency@example.ba"}); !errors.Is(err, context.Canceled) {
		t.Fatalf("contacts with a cancelled context: %v", err)
	}
	devs, err := h.Devices(context.Background())
	if err != nil || len(devs) != 1 || devs[0].Name != "tablet-a" || !devs[0].RevokedAt.IsZero() {
		t.Fatalf("devices after the cancelled calls: %+v %v", devs, err)
	}
	if _, err := h.Contacts(context.Background()); !errors.Is(err, ErrNoContacts) {
		t.Fatalf("contacts set by a cancelled call: %v", err)
	}
}
