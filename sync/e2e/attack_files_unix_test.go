//go:build unix

package e2e

// Attacks of issue 11 through the file system, on the real programs: a
// data directory others can read, outputs through links, and inputs too
// large to hold (/dev/zero).

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fieldreg/fieldreg/device"
)

// withUmask runs fn with the process umask set to mask (inherited by the
// programs fn starts), then restores it. The tests using it are not
// parallel.
func withUmask(mask int, fn func()) {
	old := syscall.Umask(mask)
	defer syscall.Umask(old)
	fn()
}

func mode(t *testing.T, path string) os.FileMode {
	t.Helper()
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode()
}

// TestAttackPrecreatedDataDir: with umask 022 and a directory made
// beforehand (0755), the database and the directory were left readable by
// every local user. Both programs now make the directory 0700 and every
// file 0600, and refuse a directory others can write to.
func TestAttackPrecreatedDataDir(t *testing.T) {
	root := t.TempDir()
	dev, hub := filepath.Join(root, "device"), filepath.Join(root, "hub")
	hubPass := filepath.Join(root, "hubpass")
	if err := os.WriteFile(hubPass, []byte("hub passphrase for tests\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	withUmask(0o022, func() {
		for _, d := range []string{dev, hub} {
			if err := os.Mkdir(d, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		standalone(t, dev)
		must(t, "reghub", "init", "--data", hub, "--country", "BIH", "--kdf", "low", "--passphrase-file", hubPass)
	})
	// While the databases are open their -wal and -shm files exist: a
	// serving hub, and the device opened here (under umask 022 too).
	var d *device.Device
	withUmask(0o022, func() {
		(&hubProc{t: t, dir: hub, passFile: hubPass}).start("127.0.0.1:0")
		var err error
		if d, err = device.Open(dev, devOpts()); err != nil {
			t.Fatal(err)
		}
	})
	for _, dir := range []string{dev, hub} {
		if m := mode(t, dir).Perm(); m != 0o700 {
			t.Errorf("%s: mode %04o, want 0700", dir, m)
		}
		for _, f := range []string{"fieldreg.db", "fieldreg.db-wal", "fieldreg.db-shm"} {
			if m := mode(t, filepath.Join(dir, f)); m != 0o600 {
				t.Errorf("%s/%s: mode %v, want -rw-------", filepath.Base(dir), f, m)
			}
		}
	}
	d.Close()

	// An older version's files at 0644 (and a -wal, -shm left by a crash)
	// are made 0600 when the device is opened.
	for _, f := range []string{"fieldreg.db", "fieldreg.db-wal", "fieldreg.db-shm"} {
		p := filepath.Join(dev, f)
		if _, err := os.Stat(p); err != nil {
			continue
		}
		if err := os.Chmod(p, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(dev, 0o755); err != nil {
		t.Fatal(err)
	}
	withUmask(0o022, func() { must(t, "fieldreg", "status", "--data", dev) })
	if m := mode(t, filepath.Join(dev, "fieldreg.db")).Perm(); m != 0o600 {
		t.Errorf("fieldreg.db left at %04o", m)
	}
	if m := mode(t, dev).Perm(); m != 0o700 {
		t.Errorf("data directory left at %04o", m)
	}

	// A directory group or others can write to is refused, named, with
	// what to do, and nothing is created in it.
	for _, prog := range []string{"fieldreg", "reghub"} {
		shared := filepath.Join(root, prog+"-shared")
		if err := os.Mkdir(shared, 0o777); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(shared, 0o777); err != nil {
			t.Fatal(err)
		}
		var code int
		var errs string
		if prog == "fieldreg" {
			code, _, errs = run(t, prog, "init", "--data", shared, "--standalone", "--country", "BIH", "--station", "BIH-TEST-1",
				"--officer", "Officer Testa", "--passphrase-file", hubPass)
		} else {
			code, _, errs = run(t, prog, "init", "--data", shared, "--country", "BIH", "--kdf", "low", "--passphrase-file", hubPass)
		}
		if code != 1 || !strings.Contains(errs, shared) || !strings.Contains(errs, "chmod 700") || !strings.Contains(errs, "other users") {
			t.Errorf("%s init in a 0777 directory: exit %d, %s", prog, code, errs)
		}
		if ents, _ := os.ReadDir(shared); len(ents) != 0 {
			t.Errorf("%s created %d files in a refused directory", prog, len(ents))
		}
	}
}

// TestAttackReceiptThroughLink: `fieldreg receipt --png out.png` wrote
// through a symbolic link and kept an existing file's mode. Outputs are
// now new files, 0600, never written through a link, and replace a file
// only with --force (the link itself then, never its target).
func TestAttackReceiptThroughLink(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	pass := standalone(t, dir)
	in := filepath.Join(t.TempDir(), "one.json")
	if err := os.WriteFile(in, []byte(`{"family_name":"Fakelink","given_names":"Testee","sex":"X","nationalities":["XXA"],"category":"irregular_crossing"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	id := strings.TrimSpace(must(t, "fieldreg", "register", "--data", dir, "--passphrase-file", pass, "--json", in))

	out := t.TempDir()
	target := filepath.Join(out, "victim.txt")
	if err := os.WriteFile(target, []byte("another user's file\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(out, "out.png")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	existing := filepath.Join(out, "old.pdf")
	if err := os.WriteFile(existing, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	receipt := func(png, pdf string, extra ...string) (int, string) {
		args := append([]string{"receipt", "--data", dir, "--passphrase-file", pass, "--png", png, "--pdf", pdf}, extra...)
		code, _, errs := run(t, "fieldreg", append(args, id)...)
		return code, errs
	}
	unchanged := func() {
		t.Helper()
		if b, _ := os.ReadFile(target); string(b) != "another user's file\n" {
			t.Fatal("the link's target was written")
		}
		if mode(t, link)&os.ModeSymlink == 0 {
			t.Fatal("the link was replaced without --force")
		}
		if b, _ := os.ReadFile(existing); string(b) != "old" {
			t.Fatal("an existing file was replaced without --force")
		}
	}
	if code, errs := receipt(link, filepath.Join(out, "new.pdf")); code != 1 || !strings.Contains(errs, "exists") || !strings.Contains(errs, "--force") {
		t.Fatalf("through a link: exit %d, %s", code, errs)
	}
	if _, err := os.Lstat(filepath.Join(out, "new.pdf")); err == nil {
		t.Fatal("the PDF was written although the PNG was refused")
	}
	unchanged()
	if code, errs := receipt(filepath.Join(out, "new.png"), existing); code != 1 || !strings.Contains(errs, "exists") {
		t.Fatalf("over a file: exit %d, %s", code, errs)
	}
	unchanged()

	// --force replaces the link and the file with new owner-only files.
	if code, errs := receipt(link, existing, "--force"); code != 0 {
		t.Fatalf("--force: exit %d, %s", code, errs)
	}
	if b, _ := os.ReadFile(target); string(b) != "another user's file\n" {
		t.Fatal("--force wrote through the link")
	}
	for _, p := range []string{link, existing} {
		if m := mode(t, p); m != 0o600 {
			t.Errorf("%s: mode %v, want -rw-------", filepath.Base(p), m)
		}
	}
	if b, _ := os.ReadFile(link); !bytes.HasPrefix(b, []byte("\x89PNG")) {
		t.Error("out.png is not the receipt's PNG")
	}
	if ents, _ := os.ReadDir(out); len(ents) != 3 { // victim.txt, out.png, old.pdf: no temporary file left
		names := []string{}
		for _, e := range ents {
			names = append(names, e.Name())
		}
		t.Errorf("files left: %v", names)
	}
}

// runBounded runs prog with a time limit and returns its exit status,
// standard error and peak resident memory in MiB.
func runBounded(t *testing.T, limit time.Duration, prog string, args ...string) (int, string, int64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	cmd := command(prog, args...)
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		<-ctx.Done()
		_ = cmd.Process.Kill()
	}()
	_ = cmd.Wait()
	if ctx.Err() != nil {
		t.Errorf("%s %s: still running after %v", prog, strings.Join(args, " "), limit)
	}
	ru, _ := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	var rss int64
	if ru != nil {
		rss = ru.Maxrss >> 10 // KiB on Linux
	}
	return cmd.ProcessState.ExitCode(), errb.String(), rss
}

// TestAttackEndlessInputs: inputs were read whole before their size was
// checked: `init --enrolment /dev/zero` died out of memory, `recover
// --recovery-key /dev/zero` ran for ever, a 1 GB passphrase file took
// 3.2 GB. Each file input now has a named limit enforced while reading.
func TestAttackEndlessInputs(t *testing.T) {
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skip("no /dev/zero")
	}
	root := t.TempDir()
	dev := filepath.Join(root, "device")
	pass := standalone(t, dev)
	hub := filepath.Join(root, "hub")
	hubPass := filepath.Join(root, "hubpass")
	if err := os.WriteFile(hubPass, []byte("hub passphrase for tests\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	must(t, "reghub", "init", "--data", hub, "--country", "BIH", "--kdf", "low", "--passphrase-file", hubPass)
	// A sparse 1 GiB file: a disk image or a video given by mistake.
	big := filepath.Join(root, "big")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(1 << 30); err != nil {
		t.Fatal(err)
	}
	f.Close()

	for _, c := range []struct {
		prog, what string
		args       []string
	}{
		{"fieldreg", "the enrolment file", []string{"init", "--data", filepath.Join(root, "new"), "--enrolment", "/dev/zero", "--code", "AAAAA-AAAAA", "--officer", "Officer Testa", "--passphrase-file", pass}},
		{"fieldreg", "the enrolment file", []string{"init", "--data", filepath.Join(root, "new"), "--enrolment", big, "--code", "AAAAA-AAAAA", "--officer", "Officer Testa", "--passphrase-file", pass}},
		{"fieldreg", "the recovery key file", []string{"recover", "--data", dev, "--recovery-key", "/dev/zero", "--officer", "Officer Testa", "--passphrase-file", pass}},
		{"fieldreg", "the passphrase file", []string{"audit", "verify", "--data", dev, "--passphrase-file", "/dev/zero"}},
		{"fieldreg", "the passphrase file", []string{"search", "--data", dev, "--passphrase-file", big, "fake"}},
		{"fieldreg", "the trust file", []string{"trust", "import", "--data", dev, "--passphrase-file", pass, "/dev/zero"}},
		{"reghub", "the passphrase file", []string{"status", "--data", hub, "--passphrase-file", big}},
		{"reghub", "the federation package", []string{"federate", "--data", hub, "--passphrase-file", hubPass, "--join", "/dev/zero", "--code", "AAAAA-AAAAA"}},
		{"reghub", "the federation package", []string{"federate", "--data", hub, "--passphrase-file", hubPass, "--join", big, "--code", "AAAAA-AAAAA"}},
	} {
		code, errs, rss := runBounded(t, time.Minute, c.prog, c.args...)
		const maxRSS = 300
		input := "/dev/zero"
		if slices.Contains(c.args, big) {
			input = "a 1 GiB file"
		}
		t.Logf("%s %s, %s as %s: exit %d, peak RSS %d MiB", c.prog, c.args[0], input, c.what, code, rss)
		if code != 1 || !strings.Contains(errs, c.what+" is larger than allowed") || rss > maxRSS {
			t.Errorf("%s %s: exit %d, peak %d MiB (at most %d)\n%s", c.prog, strings.Join(c.args[:1], " "), code, rss, maxRSS, errs)
		}
	}
	if _, err := os.Stat(filepath.Join(root, "new")); err == nil {
		t.Error("a refused enrolment left a data directory")
	}
}
