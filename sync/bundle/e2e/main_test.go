// Package e2e tests USB bundles end to end: a hub and devices as separate
// processes (the test binary re-executes itself as reghub or fieldreg),
// bundles carried between them as files.
package e2e

import (
	"bufio"
	"bytes"
	"fmt"
	"github.com/fieldreg/fieldreg/sync/hubstore/pg/pgtest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/fieldreg/fieldreg/crypto/vault"
	"github.com/fieldreg/fieldreg/device"
	"github.com/fieldreg/fieldreg/internal/proctest"
	"github.com/fieldreg/fieldreg/sync/enrol"
)

// proc runs this test binary as reghub or fieldreg.
var proc = proctest.Runner{Env: "FIELDREG_BUNDLE_E2E_EXEC"}

func TestMain(m *testing.M) { proc.Main(m) }

const passphrase = "Fake-Officer-Passphrase-42"

var lowParams = vault.LowParams

// run runs a program and returns its exit status and its output (standard
// output, then standard error).
func run(t testing.TB, prog string, args ...string) (int, string) {
	t.Helper()
	code, out, errs := proc.Run(t, prog, args...)
	return code, out + errs
}

func must(t testing.TB, prog string, args ...string) string {
	t.Helper()
	code, out := run(t, prog, args...)
	if code != 0 {
		t.Fatalf("%s %s: exit %d\n%s", prog, strings.Join(args, " "), code, out)
	}
	return out
}

type hubDir struct {
	t              testing.TB
	dir, passFile  string
	country, files string
}

func newHub(t testing.TB, country string) *hubDir {
	t.Helper()
	root := t.TempDir()
	h := &hubDir{t: t, dir: filepath.Join(root, "hub"), passFile: filepath.Join(root, "hubpass"), country: country, files: root}
	if err := os.WriteFile(h.passFile, []byte("hub passphrase for tests\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	must(t, "reghub", append([]string{"init", "--data", h.dir, "--country", country, "--kdf", "low", "--passphrase-file", h.passFile}, pgtest.InitArgs(t)...)...)
	return h
}

func (h *hubDir) reghub(args ...string) (int, string) {
	h.t.Helper()
	return run(h.t, "reghub", append([]string{args[0], args[1], "--data", h.dir, "--passphrase-file", h.passFile}, args[2:]...)...)
}

var eventsRE = regexp.MustCompile(`(?m)^events\s+(\d+) in`)

// events is the number of events the hub holds (from reghub status).
func (h *hubDir) events() int {
	h.t.Helper()
	out := must(h.t, "reghub", "status", "--data", h.dir, "--passphrase-file", h.passFile)
	m := eventsRE.FindStringSubmatch(out)
	if m == nil {
		h.t.Fatalf("no event count in %q", out)
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

var codeRE = regexp.MustCompile(`enrolment code[^:]*: ([0-9A-Z]{5}-[0-9A-Z]{5})`)

type devDir struct {
	t             testing.TB
	name          string
	dir, passFile string
	pkg           *enrol.Package
}

// newDevice enrols name at h and initialises it with `fieldreg init
// --enrolment`. It never syncs over a network in these tests.
func newDevice(t testing.TB, h *hubDir, name, station string) *devDir {
	t.Helper()
	file := filepath.Join(h.files, name+".enrol")
	out := must(t, "reghub", "enrol", "--data", h.dir, "--passphrase-file", h.passFile, "--kdf", "low", "--device", name,
		"--station", station, "--out", file, "--hub-url", "https://127.0.0.1:1")
	m := codeRE.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no code in %q", out)
	}
	root := t.TempDir()
	d := &devDir{t: t, name: name, dir: filepath.Join(root, "data"), passFile: filepath.Join(root, "pass")}
	if err := os.WriteFile(d.passFile, []byte(passphrase+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(file)
	var err error
	if d.pkg, err = enrol.Open(b, m[1]); err != nil {
		t.Fatal(err)
	}
	must(t, "fieldreg", "init", "--data", d.dir, "--enrolment", file, "--code", m[1], "--officer", "Officer "+name, "--passphrase-file", d.passFile)
	return d
}

func (d *devDir) fieldreg(args ...string) (int, string) {
	d.t.Helper()
	return run(d.t, "fieldreg", append([]string{args[0], args[1], "--data", d.dir, "--passphrase-file", d.passFile}, args[2:]...)...)
}

// register registers n obviously fake people named after tag.
func (d *devDir) register(n int, tag string) {
	d.t.Helper()
	f := filepath.Join(filepath.Dir(d.dir), "people-"+tag+".jsonl")
	var b bytes.Buffer
	w := bufio.NewWriter(&b)
	for i := 0; i < n; i++ {
		fmt.Fprintf(w, `{"family_name":"Fakeperson%s","given_names":"Testee %d","sex":"X","birth_date":"%d","nationalities":["XXA"],"category":"irregular_crossing","document":{"type":"passport","number":"FAKEDOC%s%d","issuing_country":"XXA"}}`+"\n",
			tag, i, 1950+i%60, tag, i)
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

// session opens the device in this process.
func (d *devDir) session() (*device.Session, func()) {
	d.t.Helper()
	dv, err := device.Open(d.dir, device.Options{Params: &lowParams})
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

// state is the digest of the folded records, their count and the number
// of registrations waiting for the hub.
func (d *devDir) state() (string, int, int) {
	d.t.Helper()
	s, done := d.session()
	defer done()
	dg, n, err := s.Digest()
	if err != nil {
		d.t.Fatal(err)
	}
	p, err := s.Pending()
	if err != nil {
		d.t.Fatal(err)
	}
	return dg, n, len(p)
}
