package e2e

import (
	"context"
	"crypto/ed25519"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fieldreg/fieldreg/registry"
	"github.com/fieldreg/fieldreg/registry/vector"
	"github.com/fieldreg/fieldreg/sync/client"
	"github.com/fieldreg/fieldreg/sync/enrol"
	"github.com/fieldreg/fieldreg/sync/hub"
	"github.com/fieldreg/fieldreg/sync/hubstore/pg/pgtest"
	"github.com/fieldreg/fieldreg/sync/wire"
)

// The size of the load test between two servers on one PostgreSQL. CI
// runs a bounded size; the full size is
//
//	go test -run TestServersShareOnePostgres -pg.devices 500 -pg.events 200 -timeout 60m ./sync/e2e/
var (
	simDevices = flag.Int("pg.devices", 24, "simulated devices in TestServersShareOnePostgres")
	simEvents  = flag.Int("pg.events", 200, "events each simulated device pushes")
)

const hubPass = "hub passphrase for tests"

// newPGHub initialises a hub on a fresh PostgreSQL database of the test
// cluster (whatever FIELDREG_HUB_BACKEND says).
func newPGHub(t testing.TB) *hubProc {
	t.Helper()
	root := t.TempDir()
	h := &hubProc{t: t, dir: filepath.Join(root, "hub"), passFile: filepath.Join(root, "hubpass")}
	if err := os.WriteFile(h.passFile, []byte(hubPass+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	must(t, "reghub", "init", "--data", h.dir, "--country", "BIH", "--kdf", "low", "--passphrase-file", h.passFile, "--db", pgtest.DB(t))
	return h
}

// twin is a second server of h: a copy of its directory (as on another
// machine), on the same database.
func (h *hubProc) twin() *hubProc {
	h.t.Helper()
	root := h.t.TempDir()
	o := &hubProc{t: h.t, dir: filepath.Join(root, "hub"), passFile: h.passFile}
	if err := os.MkdirAll(o.dir, 0o700); err != nil {
		h.t.Fatal(err)
	}
	for _, f := range []string{hub.DatabaseFile, hub.KeysFile} {
		b, err := os.ReadFile(filepath.Join(h.dir, f))
		if err != nil {
			h.t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(o.dir, f), b, 0o600); err != nil {
			h.t.Fatal(err)
		}
	}
	return o
}

// simDevice is an enrolled device simulated in this process: its own
// signing key, credential and client certificate, over mutual TLS.
type simDevice struct {
	pkg     *enrol.Package
	key     ed25519.PrivateKey
	clients []*client.Client // one per server
}

// enrolSims enrols n devices at the hub in dir (through the database, so
// while it serves) and makes each a client of every server.
func enrolSims(t *testing.T, dir string, n int, servers ...*hubProc) []*simDevice {
	t.Helper()
	h, err := hub.Open(context.Background(), dir, []byte(hubPass), hub.Options{Params: &lowParams})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	out := make([]*simDevice, n)
	for i := range out {
		e, err := h.Enrol(context.Background(), hub.EnrolConfig{Name: fmt.Sprintf("sim-%03d", i), Station: "BIH-SIM"})
		if err != nil {
			t.Fatal(err)
		}
		p, err := enrol.Open(e.File, e.Code)
		if err != nil {
			t.Fatal(err)
		}
		d := &simDevice{pkg: p, key: ed25519.NewKeyFromSeed(p.SignSeed)}
		for _, s := range servers {
			c := client.New(client.Config{URL: s.url(), HubCert: p.HubCert, ClientCert: p.ClientCert, Key: d.key, Timeout: time.Minute})
			t.Cleanup(c.Close)
			d.clients = append(d.clients, c)
		}
		out[i] = d
	}
	return out
}

// push sends evs in chunks, each to the next server in turn; a chunk
// that fails on one server is sent to the other (a server killed, a
// database restarting), until deadline.
func (d *simDevice) push(ctx context.Context, evs []*registry.Event, chunk int, first int) error {
	srv := first
	for i := 0; i < len(evs); i += chunk {
		raw := make([][]byte, 0, chunk)
		for _, e := range evs[i:min(i+chunk, len(evs))] {
			raw = append(raw, wire.EncodeEvent(e))
		}
		for attempt := 0; ; attempt++ {
			c := d.clients[srv%len(d.clients)]
			srv++
			rep, err := c.Push(ctx, raw)
			if err == nil {
				if len(rep.Quarantined) > 0 {
					return fmt.Errorf("quarantined: %v", rep.Quarantined)
				}
				break
			}
			if !client.Retryable(err) || attempt > 60 || ctx.Err() != nil {
				return err
			}
			time.Sleep(250 * time.Millisecond)
		}
	}
	return nil
}

// checkHub opens the hub's database and checks it holds exactly the
// events of every device, gapless.
func checkHub(t *testing.T, dir string, devs []*simDevice, events int) {
	t.Helper()
	h, err := hub.Open(context.Background(), dir, []byte(hubPass), hub.Options{Params: &lowParams})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	ctx := context.Background()
	if n, err := h.Store().CountEvents(ctx); err != nil || n != len(devs)*events {
		t.Fatalf("the hub holds %d events (%v), want %d", n, err, len(devs)*events)
	}
	v, err := h.Store().Heads(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range devs {
		if got := v[vector.Key{Origin: d.pkg.DeviceID, Epoch: 1}]; got != uint64(events) {
			t.Errorf("device %s: the hub's mark is %d, want %d", d.pkg.DeviceID, got, events)
		}
	}
	if q, _ := h.Store().Quarantined(ctx); len(q) != 0 {
		t.Fatalf("quarantined: %+v", q)
	}
}

// TestServersShareOnePostgres: two reghub serve processes on one
// PostgreSQL database; simulated devices push concurrently, every chunk to
// the other server than the one before. One server is killed (SIGKILL)
// half-way: its devices carry on with the other. Every event is stored
// exactly once, every log is gapless, both servers tell every device the
// same vector, and a revocation made through one is enforced by the other.
func TestServersShareOnePostgres(t *testing.T) {
	a := newPGHub(t)
	b := a.twin()
	a.start("127.0.0.1:0")
	b.start("127.0.0.1:0")
	devs := enrolSims(t, a.dir, *simDevices, a, b)
	evs := make([][]*registry.Event, len(devs))
	for i, d := range devs {
		evs[i] = syntheticWith(d.pkg.RecordsKey, d.key, d.pkg.DeviceID, 1, 1, *simEvents)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	var pushed atomic.Int64
	killed := make(chan struct{})
	go func() {
		// Kill server A once about a third of the events are in.
		for pushed.Load() < int64(len(devs)**simEvents/3) {
			time.Sleep(10 * time.Millisecond)
		}
		a.kill()
		close(killed)
	}()
	var wg sync.WaitGroup
	errs := make(chan error, len(devs))
	sem := make(chan struct{}, 64) // bounded: at most 64 devices at once
	start := time.Now()
	for i, d := range devs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			const chunk = 20
			for j := 0; j < len(evs[i]); j += chunk {
				if err := d.push(ctx, evs[i][j:min(j+chunk, len(evs[i]))], chunk, i+j/chunk); err != nil {
					errs <- fmt.Errorf("device %d: %w", i, err)
					return
				}
				pushed.Add(int64(min(chunk, len(evs[i])-j)))
			}
		}()
	}
	wg.Wait()
	el := time.Since(start)
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	select {
	case <-killed:
	default:
		t.Fatal("server A was never killed")
	}
	t.Logf("%d devices x %d events through two servers (one killed): %s, %.0f events/s", len(devs), *simEvents, el, float64(len(devs)**simEvents)/el.Seconds())
	checkHub(t, b.dir, devs, *simEvents)

	// Server A back: both servers tell every device the same vector.
	a.start("127.0.0.1:0")
	for _, d := range devs[:3] {
		for _, s := range []*hubProc{a, b} {
			c := client.New(client.Config{URL: s.url(), HubCert: d.pkg.HubCert, ClientCert: d.pkg.ClientCert, Key: d.key})
			rep, err := c.Hello(ctx, vector.Vector{})
			c.Close()
			if err != nil {
				t.Fatal(err)
			}
			v, _ := wire.ToVector(rep.Vector)
			if len(v) != len(devs) || v[vector.Key{Origin: d.pkg.DeviceID, Epoch: 1}] != uint64(*simEvents) {
				t.Fatalf("server %s tells %d logs, own mark %d", s.addr, len(v), v[vector.Key{Origin: d.pkg.DeviceID, Epoch: 1}])
			}
		}
	}

	// Revoked through A's directory, refused by B at its next request.
	victim := devs[0]
	must(t, "reghub", "revoke", "--data", a.dir, "--passphrase-file", a.passFile, "--device", victim.pkg.DeviceID)
	c := client.New(client.Config{URL: b.url(), HubCert: victim.pkg.HubCert, ClientCert: victim.pkg.ClientCert, Key: victim.key})
	defer c.Close()
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, err := c.Hello(ctx, vector.Vector{})
		if errors.Is(err, client.ErrRevoked) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("server B still serves the device revoked through A: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestDatabaseRestartedMidPush: the database restarts while a device
// pushes. The hub answers "try again" meanwhile and serves again once the
// database is back, without a restart of its own; nothing is lost or
// doubled. It runs in the PostgreSQL pass only (make test runs that pass
// one package at a time), since the restart hits the whole test cluster.
func TestDatabaseRestartedMidPush(t *testing.T) {
	if !pgtest.Postgres() {
		t.Skip("runs in the PostgreSQL pass (FIELDREG_HUB_BACKEND=postgres), where nothing else uses the cluster")
	}
	h := newPGHub(t)
	h.start("127.0.0.1:0")
	devs := enrolSims(t, h.dir, 2, h)
	const n = 2000
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, len(devs))
	for _, d := range devs {
		evs := syntheticWith(d.pkg.RecordsKey, d.key, d.pkg.DeviceID, 1, 1, n)
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- d.push(ctx, evs, 20, 0)
		}()
	}
	time.Sleep(300 * time.Millisecond)
	pgtest.Restart(t, 2*time.Second)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	checkHub(t, h.dir, devs, n)
	// The restart fell within the push: the hub answered "try again".
	if !regexpMatch(`"status":503`, h.logs.String()) {
		t.Fatalf("the hub never failed a request: the restart missed the push\n%s", h.logs)
	}
}

// TestDatabaseUnreachableAtStart: reghub serve on a database that cannot be
// reached exits non-zero at once with a clear message, and no password.
func TestDatabaseUnreachableAtStart(t *testing.T) {
	h := newPGHub(t)
	if err := os.WriteFile(filepath.Join(h.dir, hub.DatabaseFile), []byte("postgres://fieldreg:not-a-real-password@127.0.0.1:1/none?sslmode=disable&connect_timeout=2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errs := run(t, "reghub", "serve", "--data", h.dir, "--passphrase-file", h.passFile, "--addr", "127.0.0.1:0")
	if code != 1 || !regexpMatch(`hub database cannot be reached \(postgres://fieldreg@127\.0\.0\.1:1/none\)`, errs) {
		t.Fatalf("exit %d\n%s%s", code, out, errs)
	}
	if regexpMatch("not-a-real-password", out+errs) {
		t.Fatal("the password is in the output")
	}
}

func regexpMatch(re, s string) bool { return regexp.MustCompile(re).MatchString(s) }

// TestMigrateToPostgres: a hub on SQLite with a device's records moves to
// PostgreSQL with reghub migrate (run twice: the second run only checks),
// then serves the same device and a new one from there.
func TestMigrateToPostgres(t *testing.T) {
	root := t.TempDir()
	h := &hubProc{t: t, dir: filepath.Join(root, "hub"), passFile: filepath.Join(root, "hubpass")}
	if err := os.WriteFile(h.passFile, []byte(hubPass+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	must(t, "reghub", "init", "--data", h.dir, "--country", "BIH", "--kdf", "low", "--passphrase-file", h.passFile)
	h.start("127.0.0.1:0")
	d := newDevice(t, h, "tab-migrate", "BIH-POST-1")
	d.register(12, "Migr")
	if code, out := d.sync(""); code != 0 {
		t.Fatalf("sync: %d %s", code, out)
	}
	h.stop()
	dsn := pgtest.DB(t)
	if code, _, errs := run(t, "reghub", "migrate", "--data", h.dir, "--to", "mysql://elsewhere"); code != 1 || !regexpMatch("postgres://", errs) {
		t.Fatalf("a wrong address: exit %d %s", code, errs)
	}
	if !regexpMatch(`store\s+sqlite`, h.status()) {
		t.Fatal("a refused migration changed the store")
	}
	for range 2 {
		out := must(t, "reghub", "migrate", "--data", h.dir, "--to", dsn)
		if !regexpMatch(`copied and verified: 12 events, 1 devices`, out) {
			t.Fatalf("migrate: %s", out)
		}
	}
	st := h.status()
	if !regexpMatch(`store\s+postgres`, st) || !regexpMatch(`events\s+12 in 1 logs`, st) {
		t.Fatalf("status after migrating:\n%s", st)
	}
	h.start(h.addr)
	d.register(3, "After")
	if code, out := d.sync(""); code != 0 {
		t.Fatalf("sync after migrating: %d %s", code, out)
	}
	d2 := newDevice(t, h, "tab-new", "BIH-POST-2")
	if code, out := d2.sync(""); code != 0 {
		t.Fatalf("new device: %d %s", code, out)
	}
	if _, n := d2.digest(); n != 15 {
		t.Fatalf("the new device holds %d records, want 15", n)
	}
}
