package e2e

import (
	"context"
	"encoding/json"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/fieldreg/fieldreg/crypto/seal"
	"github.com/fieldreg/fieldreg/registry"
	"github.com/fieldreg/fieldreg/sync/client"
	"github.com/fieldreg/fieldreg/sync/federation"
	"github.com/fieldreg/fieldreg/sync/wire"
)

// waitFor polls cond every 200 ms until it holds or timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s", timeout, what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// ask puts the question "was this person registered elsewhere?" to the
// device's hub as the device does (device.Session.Elsewhere): the person's
// blocking keys sealed under the records key, over the device's mutual TLS.
// person is the JSON the device registered; record its reference.
func (d *devProc) ask(person, record string) (*wire.ElsewhereReply, error) {
	d.t.Helper()
	var p registry.Person
	if err := json.Unmarshal([]byte(person), &p); err != nil {
		d.t.Fatal(err)
	}
	rk, err := seal.KeyFromBytes(d.pkg.RecordsKey)
	if err != nil {
		d.t.Fatal(err)
	}
	keys, _ := json.Marshal(federation.KeysOf(&p))
	sealed, err := seal.Seal(rk, keys, seal.AD("federation", "elsewhere", record))
	if err != nil {
		d.t.Fatal(err)
	}
	c := client.New(client.Config{URL: d.pkg.HubURL, HubCert: d.pkg.HubCert, ClientCert: d.pkg.ClientCert, Key: d.signKey(), Timeout: 30 * time.Second})
	defer c.Close()
	return c.Elsewhere(context.Background(), &wire.ElsewhereRequest{Version: wire.Version, Record: record, Sealed: sealed})
}

// alive reports whether the hub process is still running.
func (h *hubProc) alive() bool {
	select {
	case err := <-h.waited:
		h.waited <- err // keep it for stop/kill
		return false
	default:
		return true
	}
}

// TestServeUpstreamLoop: a country hub runs `reghub serve --upstream
// package --push-every 1s` while the region is down. The hub keeps serving
// its devices (the loop logs and retries); a device registers and syncs;
// once the region is up the record reaches it without any manual push and
// is a hit asked from the other country. SIGTERM stops the loop and the hub
// cleanly, also while a push hangs on an upstream that never answers.
func TestServeUpstreamLoop(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	start := time.Now()
	f := &fedSetup{region: initHubAs(t, "--region", "WBR"), a: initHubAs(t, "--country", "BIH"), b: initHubAs(t, "--country", "SRB")}
	f.region.start("127.0.0.1:0")
	regionAddr := f.region.addr
	f.admit(t, f.a, "BIH")
	f.pkgB = f.admit(t, f.b, "SRB")
	f.region.stop() // the region is down when BIH starts

	// Usage errors are refused before anything starts.
	for _, bad := range [][]string{
		{"--upstream", "package", "--push-every", "0s"},
		{"--upstream", "package", "--push-every", "-1m"},
		{"--push-every", "1s"},
	} {
		args := append([]string{"serve", "--data", f.a.dir, "--passphrase-file", f.a.passFile, "--addr", "127.0.0.1:0"}, bad...)
		if code, _, errs := run(t, "reghub", args...); code != 2 || !strings.Contains(errs, "--push-every") {
			t.Errorf("serve %v: exit %d %s", bad, code, errs)
		}
	}

	f.a.start("127.0.0.1:0", "--upstream", "package", "--push-every", "1s")
	f.b.start("127.0.0.1:0")
	f.devA = newDevice(t, f.a, "tablet-a", "BIH-IZACIC")
	f.devB = newDevice(t, f.b, "tablet-b", "SRB-SID")

	refA := f.devA.registerOne("a", fakeA)
	if code, out := f.devA.sync(""); code != 0 {
		t.Fatalf("sync A while the region is down: %d %s", code, out)
	}
	// The loop failed against the dead region, said so, and BIH still serves.
	waitFor(t, 15*time.Second, "no failed push logged", func() bool { return strings.Contains(f.a.logs.String(), "upstream push failed") })
	if !f.a.alive() {
		t.Fatalf("country hub died with the region down:\n%s", f.a.logs)
	}
	if code, out := f.devA.sync(""); code != 0 {
		t.Fatalf("sync A after failed pushes: %d %s", code, out)
	}

	// The region comes back on its address; the next round lands.
	f.region.start(regionAddr)
	pushed := time.Now()
	refV := f.devB.registerOne("variant", fakeVariant)
	var rep *wire.ElsewhereReply
	waitFor(t, 30*time.Second, "the record never became a hit in SRB", func() bool {
		var err error
		rep, err = f.devB.ask(fakeVariant, refV)
		return err == nil && len(rep.Hits) > 0
	})
	t.Logf("hit in SRB %v after the region came back", time.Since(pushed).Round(time.Millisecond))
	if len(rep.Hits) != 1 || rep.Hits[0].Country != "BIH" || rep.Hits[0].Ref != refA || rep.Hits[0].Place != "BIH-IZACIC" {
		t.Fatalf("variant in SRB: want one hit on %s, got %+v", refA, rep.Hits)
	}
	// A change made later is pushed by the loop too, and nothing is sent twice.
	f.devA.register(3, "Loop")
	if code, out := f.devA.sync(""); code != 0 {
		t.Fatalf("sync A: %d %s", code, out)
	}
	waitFor(t, 15*time.Second, "the later records were not pushed", func() bool {
		return strings.Contains(f.a.logs.String(), `"sent":3`)
	})

	f.a.stop() // SIGTERM: loop and server end, exit status 0
	logs := f.a.logs.String()
	for _, want := range []string{"upstream push failed; retrying later", `"msg":"upstream push","sent":1`, "shutting down", `"msg":"stopped"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("BIH's logs lack %q:\n%s", want, logs)
		}
	}
	for _, m := range markers {
		if strings.Contains(strings.ToLower(logs), strings.ToLower(m)) {
			t.Errorf("BIH's logs hold %q", m)
		}
	}
	// Nothing is left to push: the loop remembered what the region acknowledged.
	if out := f.a.push(); !strings.Contains(out, "sent 0 records") {
		t.Errorf("push after the loop: %s", out)
	}

	// SIGTERM while a push hangs: an upstream that accepts connections and
	// never answers. The loop gives up at once and the hub exits cleanly.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	held := make(chan net.Conn, 64) // held open, never answered
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			held <- c
		}
	}()
	defer func() {
		ln.Close()
		for len(held) > 0 {
			(<-held).Close()
		}
	}()
	f.a.start("127.0.0.1:0", "--upstream", "https://"+ln.Addr().String(), "--push-every", "1s")
	f.devA.register(1, "Hang")
	if code, out := f.devA.sync(f.a.url()); code != 0 {
		t.Fatalf("sync A: %d %s", code, out)
	}
	waitFor(t, 10*time.Second, "no push reached the silent upstream", func() bool { return len(held) > 0 })
	time.Sleep(300 * time.Millisecond) // the push waits for an answer
	t0 := time.Now()
	f.a.stop()
	if d := time.Since(t0); d > 10*time.Second {
		t.Errorf("SIGTERM during a hanging push took %v", d)
	}
	t.Logf("stop during a hanging push: %v; whole test %v", time.Since(t0).Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
}
