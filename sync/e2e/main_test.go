package e2e

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"fmt"
	"github.com/fieldreg/fieldreg/sync/hubstore/pg/pgtest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/fieldreg/fieldreg/crypto/vault"
	"github.com/fieldreg/fieldreg/device"
	"github.com/fieldreg/fieldreg/internal/proctest"
	"github.com/fieldreg/fieldreg/sync/enrol"
)

// proc runs this test binary as reghub or fieldreg.
var proc = proctest.Runner{Env: "FIELDREG_E2E_EXEC"}

func TestMain(m *testing.M) { proc.Main(m) }

const passphrase = "Fake-Officer-Passphrase-42"

var lowParams = vault.LowParams

func devOpts() device.Options { return device.Options{Params: &lowParams} }

// command prepares the test binary as reghub or fieldreg.
func command(prog string, args ...string) *exec.Cmd { return proc.Command(prog, args...) }

// run runs a program to completion and returns its exit status and output.
func run(t testing.TB, prog string, args ...string) (int, string, string) {
	t.Helper()
	return proc.Run(t, prog, args...)
}

// must runs a program and fails the test unless it exits 0.
func must(t testing.TB, prog string, args ...string) string {
	t.Helper()
	return proc.Must(t, prog, args...)
}

// syncBuffer collects a process's output; the test may read it while the
// process writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// hubProc is a reghub serve process.
type hubProc struct {
	t        testing.TB
	dir      string
	passFile string
	addr     string
	cmd      *exec.Cmd
	logs     *syncBuffer
	waited   chan error
}

// newHub initialises a hub in a temporary directory (not yet serving), on
// the back end FIELDREG_HUB_BACKEND selects.
func newHub(t testing.TB) *hubProc {
	t.Helper()
	return newHubWith(t, pgtest.InitArgs(t)...)
}

// newHubWith initialises a hub with more flags of reghub init.
func newHubWith(t testing.TB, extra ...string) *hubProc {
	t.Helper()
	root := t.TempDir()
	h := &hubProc{t: t, dir: filepath.Join(root, "hub"), passFile: filepath.Join(root, "hubpass")}
	if err := os.WriteFile(h.passFile, []byte("hub passphrase for tests\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	must(t, "reghub", append([]string{"init", "--data", h.dir, "--country", "BIH", "--kdf", "low", "--passphrase-file", h.passFile}, extra...)...)
	return h
}

// start serves on addr ("127.0.0.1:0" for any port) and waits until the
// hub answers on it. extra are more flags of reghub serve.
func (h *hubProc) start(addr string, extra ...string) {
	h.t.Helper()
	addrFile := filepath.Join(filepath.Dir(h.dir), "addr")
	os.Remove(addrFile)
	h.logs = &syncBuffer{}
	h.cmd = command("reghub", append([]string{"serve", "--data", h.dir, "--passphrase-file", h.passFile, "--addr", addr, "--addr-file", addrFile}, extra...)...)
	h.cmd.Stderr = h.logs
	if err := h.cmd.Start(); err != nil {
		h.t.Fatal(err)
	}
	h.waited = make(chan error, 1)
	go func(c *exec.Cmd, ch chan error) { ch <- c.Wait() }(h.cmd, h.waited)
	deadline := time.Now().Add(30 * time.Second)
	for {
		if b, err := os.ReadFile(addrFile); err == nil && len(b) > 0 {
			h.addr = string(b)
			break
		}
		select {
		case err := <-h.waited:
			h.t.Fatalf("hub exited: %v\n%s", err, h.logs)
		default:
		}
		if time.Now().After(deadline) {
			h.t.Fatal("hub did not start")
		}
		time.Sleep(20 * time.Millisecond)
	}
	h.t.Cleanup(func() { h.kill() })
}

func (h *hubProc) url() string { return "https://" + h.addr }

// kill ends the hub with SIGKILL (nothing flushed, nothing closed).
func (h *hubProc) kill() {
	if h.cmd == nil {
		return
	}
	_ = h.cmd.Process.Signal(syscall.SIGKILL)
	<-h.waited
	h.cmd = nil
}

// stop ends the hub with SIGTERM and checks it shut down cleanly.
func (h *hubProc) stop() {
	h.t.Helper()
	if h.cmd == nil {
		return
	}
	_ = h.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-h.waited:
		if err != nil {
			h.t.Errorf("hub did not shut down cleanly: %v\n%s", err, h.logs)
		}
	case <-time.After(40 * time.Second):
		h.t.Error("hub did not shut down on SIGTERM")
		_ = h.cmd.Process.Kill()
		<-h.waited
	}
	h.cmd = nil
}

var codeRE = regexp.MustCompile(`enrolment code[^:]*: ([0-9A-Z]{5}-[0-9A-Z]{5})`)

// enrol makes an enrolment package and returns its file and code.
func (h *hubProc) enrol(name, station string, extra ...string) (string, string) {
	h.t.Helper()
	file := filepath.Join(filepath.Dir(h.dir), name+".enrol")
	args := []string{"enrol", "--data", h.dir, "--passphrase-file", h.passFile, "--kdf", "low", "--device", name, "--station", station, "--out", file}
	if h.addr != "" {
		args = append(args, "--hub-url", h.url()) // else the address given at init
	}
	args = append(args, extra...)
	out := must(h.t, "reghub", args...)
	m := codeRE.FindStringSubmatch(out)
	if m == nil {
		h.t.Fatalf("no code in %q", out)
	}
	return file, m[1]
}

// devProc is an enrolled device's data directory, driven through the CLI.
type devProc struct {
	t        testing.TB
	dir      string
	passFile string
	pkg      *enrol.Package
}

// newDevice enrols a device at h and sets it up with `fieldreg init --enrolment`.
func newDevice(t testing.TB, h *hubProc, name, station string, enrolFlags ...string) *devProc {
	t.Helper()
	file, code := h.enrol(name, station, enrolFlags...)
	root := t.TempDir()
	d := &devProc{t: t, dir: filepath.Join(root, "data"), passFile: filepath.Join(root, "pass")}
	if err := os.WriteFile(d.passFile, []byte(passphrase+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if d.pkg, err = enrol.Open(b, code); err != nil {
		t.Fatal(err)
	}
	must(t, "fieldreg", "init", "--data", d.dir, "--enrolment", file, "--code", strings.ToLower(code), "--officer", "Officer "+name, "--passphrase-file", d.passFile)
	return d
}

// register registers n obviously fake people through `fieldreg register`.
func (d *devProc) register(n int, tag string) {
	d.t.Helper()
	f := filepath.Join(filepath.Dir(d.dir), "people-"+tag+".jsonl")
	var b bytes.Buffer
	w := bufio.NewWriter(&b)
	for i := 0; i < n; i++ {
		fmt.Fprintf(w, `{"family_name":"Fakeperson%s","given_names":"Testee %d","sex":"X","birth_date":"%d","nationalities":["XXA"],"category":"irregular_crossing"}`+"\n",
			tag, i, 1950+i%60)
	}
	w.Flush()
	if err := os.WriteFile(f, b.Bytes(), 0o600); err != nil {
		d.t.Fatal(err)
	}
	out := must(d.t, "fieldreg", "register", "--data", d.dir, "--passphrase-file", d.passFile, "--json", f)
	if got := strings.Count(out, "\n"); got != n {
		d.t.Fatalf("registered %d, want %d", got, n)
	}
}

// sync runs `fieldreg sync` and returns its exit status and output.
func (d *devProc) sync(hubURL string) (int, string) {
	d.t.Helper()
	args := []string{"sync", "--data", d.dir, "--passphrase-file", d.passFile, "--quiet"}
	if hubURL != "" {
		args = append(args, "--hub", hubURL)
	}
	code, out, errs := run(d.t, "fieldreg", args...)
	return code, out + errs
}

// serving is a hub serving on a free loopback port, for a test that spawns
// processes (skipped with -short).
func serving(t testing.TB) *hubProc {
	t.Helper()
	if testing.Short() {
		t.Skip("spawns processes")
	}
	h := newHub(t)
	h.start("127.0.0.1:0")
	return h
}

// mustSync syncs the device with its hub and fails the test, saying what
// the sync was for, if it does not succeed.
func (d *devProc) mustSync(what string) {
	d.t.Helper()
	if code, out := d.sync(""); code != 0 {
		d.t.Fatalf("%s: %s", what, out)
	}
}

// sameRecords fails the test unless every device holds n records and the
// same folded state (Digest).
func sameRecords(t testing.TB, n int, devs ...*devProc) {
	t.Helper()
	var first string
	for i, d := range devs {
		dg, m := d.digest()
		if i == 0 {
			first = dg
		}
		if m != n || dg != first {
			t.Fatalf("device %d of %d: %d records (want %d), digest %s (first %s)", i+1, len(devs), m, n, dg, first)
		}
	}
}

// session opens the device in this process.
func (d *devProc) session() (*device.Session, func()) {
	d.t.Helper()
	dv, err := device.Open(d.dir, devOpts())
	if err != nil {
		d.t.Fatal(err)
	}
	o, err := dv.DefaultOfficer()
	if err != nil {
		d.t.Fatal(err)
	}
	s, err := dv.Unlock(o.ID, []byte(passphrase))
	if err != nil {
		d.t.Fatal(err)
	}
	return s, func() { s.Lock(); dv.Close() }
}

// digest opens the device and returns the digest of its folded state, its
// record count, and its database's integrity check.
func (d *devProc) digest() (string, int) {
	d.t.Helper()
	s, done := d.session()
	defer done()
	var ic string
	if err := s.Device().Store().DB().QueryRow("PRAGMA integrity_check").Scan(&ic); err != nil || ic != "ok" {
		d.t.Fatalf("integrity check: %q %v", ic, err)
	}
	dg, n, err := s.Digest()
	if err != nil {
		d.t.Fatal(err)
	}
	return dg, n
}

func (d *devProc) signKey() ed25519.PrivateKey { return ed25519.NewKeyFromSeed(d.pkg.SignSeed) }

// hubStatus runs `reghub status` and returns its output.
func (h *hubProc) status() string {
	h.t.Helper()
	return must(h.t, "reghub", "status", "--data", h.dir, "--passphrase-file", h.passFile)
}
