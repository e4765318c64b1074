package e2e

import (
	"bufio"
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fieldreg/fieldreg/internal/proctest"
)

// The crash harness (make crash): randomised kill -9 trials between real
// processes. It runs only when FIELDREG_CRASH_TRIALS says how many trials of
// each kind; FIELDREG_CRASH_SEED replays a failed run (the seed and the kill
// point of a failed trial are printed).

// crashBatch is how many registrations a `fieldreg register --json` of the
// crash tests saves per durable commit (5,000 in real use).
const crashBatch = 500

// crashRun is one crash test's trials and their random source.
type crashRun struct {
	t      *testing.T
	trials int
	seed   uint64
	rng    *rand.Rand
	trial  int
	point  string // where the current trial killed
}

// crashTrials skips the test unless FIELDREG_CRASH_TRIALS is set.
func crashTrials(t *testing.T) *crashRun {
	n, err := strconv.Atoi(os.Getenv("FIELDREG_CRASH_TRIALS"))
	if err != nil || n <= 0 {
		t.Skip("crash trials: set FIELDREG_CRASH_TRIALS (make crash)")
	}
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("FIELDREG_CRASH_SEED"); s != "" {
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatalf("FIELDREG_CRASH_SEED: %v", err)
		}
	}
	// The crash tests run side by side (each its own hub and devices), and
	// imports commit every crashBatch lines, so small files still see
	// kills between durable commits.
	t.Parallel()
	os.Setenv(proctest.BatchEnv, strconv.Itoa(crashBatch))
	c := &crashRun{t: t, trials: n, seed: seed, rng: rand.New(rand.NewPCG(seed, 17))}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("failed in trial %d of %d, killed %s; replay with FIELDREG_CRASH_SEED=%d", c.trial+1, n, c.point, seed)
		}
	})
	return c
}

// delay picks a random kill point within max.
func (c *crashRun) delay(max time.Duration) time.Duration {
	return time.Duration(c.rng.Int64N(int64(max)))
}

// killAfter starts cmd and kills it with SIGKILL after d, unless it ends
// first. It reports whether it killed.
func killAfter(t *testing.T, cmdArgs []string, d time.Duration, stdout *syncBuffer) bool {
	t.Helper()
	cmd := command(cmdArgs[0], cmdArgs[1:]...)
	if stdout != nil {
		cmd.Stdout = stdout
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-time.After(d):
		_ = cmd.Process.Signal(syscall.SIGKILL)
		<-done
		return true
	case <-done:
		return false
	}
}

var regIDLine = regexp.MustCompile(`^BIH-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$`)

// peopleFile writes n obviously fake people as JSON lines.
func peopleFile(t *testing.T, dir, tag string, n int) string {
	t.Helper()
	var b bytes.Buffer
	w := bufio.NewWriter(&b)
	for i := 0; i < n; i++ {
		fmt.Fprintf(w, `{"family_name":"Crashperson%s","given_names":"Testee %d","sex":"X","birth_date":"%d","category":"irregular_crossing"}`+"\n", tag, i, 1950+i%60)
	}
	w.Flush()
	f := filepath.Join(dir, "people-"+tag+".jsonl")
	if err := os.WriteFile(f, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

// TestCrashRegisterImport kills `fieldreg register --json` at a random
// moment: every ID it printed exists afterwards (the re-run prints the same
// ID for that line), a batch committed but not yet printed is found saved
// by the re-run, and the re-run completes the file with nobody saved twice.
func TestCrashRegisterImport(t *testing.T) {
	c := crashTrials(t)
	h := newHub(t)
	d := newDevice(t, h, "tablet-a", "BIH-IZACIC")
	const n = 1300 // three durable commits: 500, 500 and 300
	total, kills := 0, 0
	for c.trial = 0; c.trial < c.trials; c.trial++ {
		f := peopleFile(t, filepath.Dir(d.dir), fmt.Sprint(c.trial), n)
		args := []string{"fieldreg", "register", "--data", d.dir, "--passphrase-file", d.passFile, "--json", f}
		kill := c.delay(2 * time.Second)
		c.point = fmt.Sprintf("register after %v", kill)
		first := &syncBuffer{}
		if killAfter(t, args, kill, first) {
			kills++
		}
		var printed []string
		for _, l := range strings.SplitAfter(first.String(), "\n") {
			if l = strings.TrimSuffix(l, "\n"); regIDLine.MatchString(l) {
				printed = append(printed, l)
			}
		}
		code, out, errs := run(t, args[0], args[1:]...)
		if code != 0 {
			t.Fatalf("re-run: exit %d: %s", code, errs)
		}
		ids := strings.Fields(out)
		seen := map[string]bool{}
		for _, id := range ids {
			if seen[id] {
				t.Fatalf("%s printed twice", id)
			}
			seen[id] = true
		}
		if len(ids) != n {
			t.Fatalf("re-run printed %d IDs, want %d", len(ids), n)
		}
		for i, id := range printed {
			if ids[i] != id {
				t.Fatalf("line %d printed %s before the kill, %s after", i+1, id, ids[i])
			}
		}
		// A batch can commit and the kill come before its IDs are printed:
		// the re-run then finds more lines already registered than were
		// printed, always whole batches, never fewer than printed.
		again := 0
		if m := regexp.MustCompile(`(\d+) saved, (\d+) already registered`).FindStringSubmatch(errs); m != nil {
			saved, _ := strconv.Atoi(m[1])
			again, _ = strconv.Atoi(m[2])
			if saved+again != n {
				t.Fatalf("re-run: %d saved and %d already registered, want %d lines in all", saved, again, n)
			}
		}
		if again < len(printed) || (again%crashBatch != 0 && again != n) {
			t.Fatalf("re-run found %d lines already registered; %d were printed before the kill, batches are %d", again, len(printed), crashBatch)
		}
		total += n
		if _, got := d.digest(); got != total {
			t.Fatalf("%d records, want %d", got, total)
		}
		t.Logf("trial %d: killed %s, %d IDs printed before, %d lines found saved", c.trial+1, c.point, len(printed), again)
	}
	t.Logf("%d trials, %d killed mid-import", c.trials, kills)
}

// hubEvents reads the event count from `reghub status` (the hub stopped).
func hubEvents(t *testing.T, h *hubProc) int {
	t.Helper()
	m := regexp.MustCompile(`events\s+(\d+) in`).FindStringSubmatch(h.status())
	if m == nil {
		t.Fatal("no event count in reghub status")
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// TestCrashSync kills, at a random moment of a device's sync, either the
// device (`fieldreg sync`) or the hub (`reghub serve`); after a sync that
// completes, both devices and the hub hold every event exactly once.
func TestCrashSync(t *testing.T) {
	c := crashTrials(t)
	h := newHub(t)
	h.start("127.0.0.1:0")
	addr := h.addr
	a := newDevice(t, h, "tablet-a", "BIH-IZACIC")
	b := newDevice(t, h, "tablet-b", "BIH-SAMAC")
	total, kills := 0, 0
	for c.trial = 0; c.trial < c.trials; c.trial++ {
		a.register(300, fmt.Sprint(c.trial))
		total += 300
		c.point = ""
		for i, d := range []*devProc{a, b} {
			name := []string{"A", "B"}[i]
			args := []string{"fieldreg", "sync", "--data", d.dir, "--passphrase-file", d.passFile, "--quiet", "--chunk", "50"}
			kill := c.delay(time.Second)
			if c.rng.IntN(2) == 0 {
				c.point += fmt.Sprintf("[%s's sync: the device after %v]", name, kill)
				if killAfter(t, args, kill, nil) {
					kills++
				}
			} else {
				c.point += fmt.Sprintf("[%s's sync: the hub after %v]", name, kill)
				cmd := command(args[0], args[1:]...)
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				time.Sleep(kill)
				h.kill()
				kills++
				_ = cmd.Wait() // fails or completes: the next sync completes it
				h.start(addr)
			}
			if code, out := d.sync(""); code != 0 {
				t.Fatalf("sync after the kill: %d %s", code, out)
			}
		}
		if code, out := a.sync(""); code != 0 { // what b pushed
			t.Fatalf("sync: %d %s", code, out)
		}
		sameRecords(t, total, a, b)
		h.stop()
		if got := hubEvents(t, h); got != total {
			t.Fatalf("hub holds %d events, want %d", got, total)
		}
		h.start(addr)
		t.Logf("trial %d: killed %s; %d events everywhere", c.trial+1, c.point, total)
	}
	t.Logf("%d trials, %d kills", c.trials, kills)
}

// TestCrashBundleImport kills `reghub bundle import` and `fieldreg bundle
// import` at random moments; a second import completes, and the device that
// imported holds what the one that exported did, every event once.
func TestCrashBundleImport(t *testing.T) {
	c := crashTrials(t)
	h := newHub(t)
	a := newDevice(t, h, "tablet-a", "BIH-IZACIC")
	b := newDevice(t, h, "tablet-b", "BIH-SAMAC")
	usb := t.TempDir()
	// The hub learns b's bundle key from a bundle of b's.
	fb0 := filepath.Join(usb, "b.bundle")
	must(t, "fieldreg", "bundle", "export", "--data", b.dir, "--passphrase-file", b.passFile, "--out", fb0)
	must(t, "reghub", "bundle", "import", "--data", h.dir, "--passphrase-file", h.passFile, fb0)
	total, kills := 0, 0
	for c.trial = 0; c.trial < c.trials; c.trial++ {
		a.register(600, fmt.Sprint(c.trial))
		total += 600
		fa := filepath.Join(usb, fmt.Sprintf("a-%d.bundle", c.trial))
		fb := filepath.Join(usb, fmt.Sprintf("b-%d.bundle", c.trial))
		must(t, "fieldreg", "bundle", "export", "--data", a.dir, "--passphrase-file", a.passFile, "--out", fa)
		hubImport := []string{"reghub", "bundle", "import", "--data", h.dir, "--passphrase-file", h.passFile, fa}
		kill := c.delay(1500 * time.Millisecond)
		c.point = fmt.Sprintf("reghub bundle import after %v", kill)
		if killAfter(t, hubImport, kill, nil) {
			kills++
		}
		must(t, hubImport[0], hubImport[1:]...)
		if got := hubEvents(t, h); got != total {
			t.Fatalf("hub holds %d events, want %d", got, total)
		}
		must(t, "reghub", "bundle", "export", "--data", h.dir, "--passphrase-file", h.passFile, "--device", "tablet-b", "--out", fb)
		devImport := []string{"fieldreg", "bundle", "import", "--data", b.dir, "--passphrase-file", b.passFile, fb}
		kill = c.delay(1500 * time.Millisecond)
		c.point = fmt.Sprintf("fieldreg bundle import after %v", kill)
		if killAfter(t, devImport, kill, nil) {
			kills++
		}
		must(t, devImport[0], devImport[1:]...)
		sameRecords(t, total, a, b)
		t.Logf("trial %d: %d events everywhere", c.trial+1, total)
	}
	t.Logf("%d trials, %d imports killed", c.trials, kills)
}

// TestCrashDiskFull registers into a device until the disk is full: the
// import stops with a clear error, every ID it printed exists and nothing
// is half-written; with room again, the re-run completes the file with
// nobody saved twice. The disk is a small tmpfs where the test may mount
// one (root); otherwise, or with FIELDREG_CRASH_DISKFULL=inject, the full
// disk is injected: fieldreg runs with testdata/diskfull.c preloaded, which
// gives SQLite's writes ENOSPC past a number of bytes, as a full disk does.
func TestCrashDiskFull(t *testing.T) {
	c := crashTrials(t)
	h := newHub(t)
	inject := os.Getenv("FIELDREG_CRASH_DISKFULL") == "inject"
	if probe := t.TempDir(); !inject {
		if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", probe).CombinedOutput(); err != nil {
			t.Logf("no tmpfs (%v %s): the full disk is injected", err, out)
			inject = true
		} else if err := exec.Command("umount", probe).Run(); err != nil {
			t.Fatalf("umount: %v", err)
		}
	}
	var shim string
	if inject {
		shim = filepath.Join(t.TempDir(), "diskfull.so")
		if out, err := exec.Command("cc", "-shared", "-fPIC", "-O2", "-o", shim, "testdata/diskfull.c", "-ldl", "-lpthread").CombinedOutput(); err != nil {
			t.Fatalf("building the disk-full shim: %v %s", err, out)
		}
	}
	for c.trial = 0; c.trial < c.trials; c.trial++ {
		d := newDevice(t, h, fmt.Sprint("tablet-", c.trial), "BIH-IZACIC")
		const n = 3000 // six durable commits
		f := peopleFile(t, filepath.Dir(d.dir), fmt.Sprint(c.trial), n)
		args := []string{"register", "--data", d.dir, "--passphrase-file", d.passFile, "--json", f}
		used := dirSize(t, d.dir)
		room := used + 256<<10 + c.rng.Int64N(3<<20) // a random point of the import
		var code int
		var out, errs string
		if inject {
			c.point = fmt.Sprintf("by a disk full after %d bytes written", room-used)
			cmd := command("fieldreg", args...)
			cmd.Env = append(cmd.Env, "LD_PRELOAD="+shim, fmt.Sprintf("FIELDREG_FULL_AFTER=%d", room-used))
			var ob, eb bytes.Buffer
			cmd.Stdout, cmd.Stderr = &ob, &eb
			if err := cmd.Run(); err != nil {
				ee, ok := err.(*exec.ExitError)
				if !ok {
					t.Fatal(err)
				}
				code = ee.ExitCode()
			}
			out, errs = ob.String(), eb.String()
		} else {
			c.point = fmt.Sprintf("by a full disk %d bytes past %d", room-used, used)
			small := t.TempDir()
			if out, err := exec.Command("mount", "-t", "tmpfs", "-o", fmt.Sprintf("size=%d", room), "tmpfs", small).CombinedOutput(); err != nil {
				t.Fatalf("mount: %v %s", err, out)
			}
			t.Cleanup(func() { _ = exec.Command("umount", small).Run() })
			full := filepath.Join(small, "data")
			if out, err := exec.Command("cp", "-a", d.dir, full).CombinedOutput(); err != nil {
				t.Fatalf("copy: %v %s", err, out)
			}
			args[2] = full
			code, out, errs = run(t, "fieldreg", args...)
			// Back to a disk with room.
			if err := os.RemoveAll(d.dir); err != nil {
				t.Fatal(err)
			}
			if out, err := exec.Command("cp", "-a", full, d.dir).CombinedOutput(); err != nil {
				t.Fatalf("copy back: %v %s", err, out)
			}
			if err := exec.Command("umount", small).Run(); err != nil {
				t.Fatal(err)
			}
			args[2] = d.dir
		}
		if code == 0 {
			t.Fatalf("%d people saved, %s", n, c.point)
		}
		if !strings.Contains(errs, "the disk is full: nothing of this save was written") || strings.Contains(errs, "panic") {
			t.Fatalf("exit %d, not a clear error: %s", code, errs)
		}
		printed, refusal := strings.Fields(out), ""
		for _, l := range strings.Split(errs, "\n") {
			if strings.Contains(l, "disk is full") {
				refusal = l
				break
			}
		}
		// The database opens whole, with every printed registration, and
		// the re-run completes the file.
		if _, got := d.digest(); got != len(printed) {
			t.Fatalf("%d records after the full disk, %d IDs printed", got, len(printed))
		}
		code, out, errs = run(t, "fieldreg", args...)
		if code != 0 {
			t.Fatalf("re-run: exit %d: %s", code, errs)
		}
		ids := strings.Fields(out)
		if len(ids) != n || (len(printed) > 0 && ids[len(printed)-1] != printed[len(printed)-1]) {
			t.Fatalf("re-run printed %d IDs, want %d, the first %d as before", len(ids), n, len(printed))
		}
		if _, got := d.digest(); got != n {
			t.Fatalf("%d records, want %d", got, n)
		}
		t.Logf("trial %d: full %s: %d saved before, %q", c.trial+1, c.point, len(printed), refusal)
	}
}

func dirSize(t *testing.T, dir string) int64 {
	t.Helper()
	var n int64
	err := filepath.Walk(dir, func(_ string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			n += fi.Size()
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}
