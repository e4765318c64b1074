package packaging

import (
	"archive/zip"
	"bytes"
	"crypto/ed25519"
	"debug/buildinfo"
	"debug/elf"
	"debug/pe"
	"encoding/base64"
	"encoding/binary"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"unicode/utf16"
)

// release is what `make package` left in dist/, and what it was stamped with.
type release struct {
	dist, version, commit, principal string
}

// artifacts are the files SHA256SUMS covers.
func (r release) artifacts() []string {
	return []string{
		"fieldreg-" + r.version + "-linux-amd64.tar.xz",
		"fieldreg-" + r.version + "-windows-amd64.zip",
		"reghub-" + r.version + "-linux-amd64.tar.xz",
		"reghub-" + r.version + "-linux-arm64.tar.xz",
	}
}

// built returns the release `make package-check` points at. Without it
// (a plain `go test ./...`) there is nothing to check: the tests skip.
func built(t *testing.T) release {
	t.Helper()
	r := release{dist: os.Getenv("FIELDREG_DIST"), commit: os.Getenv("FIELDREG_COMMIT"), principal: os.Getenv("FIELDREG_PRINCIPAL")}
	if r.dist == "" {
		t.Skip("checks the packages of `make package`: run `make package package-check`")
	}
	toml, err := os.ReadFile("../FyneApp.toml")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^Version\s*=\s*"([^"]+)"`).FindSubmatch(toml)
	if m == nil {
		t.Fatal("no Version in FyneApp.toml")
	}
	r.version = string(m[1])
	if r.commit == "" || r.principal == "" {
		t.Fatal("FIELDREG_COMMIT and FIELDREG_PRINCIPAL must be set with FIELDREG_DIST")
	}
	return r
}

// run runs a command and returns its combined output.
func run(t *testing.T, dir string, stdin []byte, name string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	// LANGUAGE: Fyne logs a harmless error about the locale "C" otherwise.
	cmd.Env = append(os.Environ(), "DISPLAY=", "WAYLAND_DISPLAY=", "LANG=C.UTF-8", "LC_ALL=C.UTF-8", "LANGUAGE=en")
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func mustRun(t *testing.T, dir string, name string, args ...string) string {
	t.Helper()
	out, err := run(t, dir, nil, name, args...)
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return out
}

// checkVersion: the binary prints the release and the commit it was stamped with.
func checkVersion(t *testing.T, r release, bin, name string) {
	t.Helper()
	out := mustRun(t, t.TempDir(), bin, "--version")
	if want := name + " " + r.version + " (commit " + r.commit + ", sync protocol "; !strings.HasPrefix(out, want) {
		t.Errorf("--version says %q, want it to begin %q", out, want)
	}
}

// passFile writes a test passphrase file.
func passFile(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "pass.txt")
	if err := os.WriteFile(p, []byte("correct horse battery staple\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// copyDist copies dist/ so a test can damage files.
func copyDist(t *testing.T, r release) string {
	t.Helper()
	dir := t.TempDir()
	ents, err := os.ReadDir(r.dist)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(r.dist, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// The documented check (docs/install.md): the signature over SHA256SUMS
// with ssh-keygen, then every file's checksum. One byte changed in any
// artifact fails its checksum; one byte changed in SHA256SUMS fails the
// signature; a signature by another key is refused.
func TestSignedChecksums(t *testing.T) {
	r := built(t)
	dir := copyDist(t, r)
	verify := func() (string, error) {
		sums, err := os.ReadFile(filepath.Join(dir, "SHA256SUMS"))
		if err != nil {
			t.Fatal(err)
		}
		return run(t, dir, sums, "ssh-keygen", "-Y", "verify", "-f", "allowed_signers", "-I", r.principal, "-n", "fieldreg-release", "-s", "SHA256SUMS.sig")
	}
	if out, err := verify(); err != nil || !strings.Contains(out, "Good \"fieldreg-release\" signature for "+r.principal) {
		t.Fatalf("signature: %v\n%s", err, out)
	}
	out := mustRun(t, dir, "sha256sum", "--check", "--strict", "SHA256SUMS")
	for _, a := range r.artifacts() {
		if !strings.Contains(out, a+": OK") {
			t.Errorf("SHA256SUMS does not cover %s:\n%s", a, out)
		}
	}
	sums, _ := os.ReadFile(filepath.Join(dir, "SHA256SUMS"))
	if n := strings.Count(string(sums), "\n"); n != len(r.artifacts()) {
		t.Errorf("SHA256SUMS has %d lines, want %d:\n%s", n, len(r.artifacts()), sums)
	}

	flip := func(name string, at func(int) int) func() {
		p := filepath.Join(dir, name)
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		orig := slices.Clone(b)
		i := at(len(b))
		b[i] ^= 0x01
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return func() { _ = os.WriteFile(p, orig, 0o644) }
	}
	for _, a := range r.artifacts() {
		for _, at := range []func(int) int{func(int) int { return 0 }, func(n int) int { return n / 2 }, func(n int) int { return n - 1 }} {
			restore := flip(a, at)
			out, err := run(t, dir, nil, "sha256sum", "--check", "--strict", "SHA256SUMS")
			if err == nil || !strings.Contains(out, a+": FAILED") {
				t.Errorf("%s changed by one byte still passes:\n%s", a, out)
			}
			restore()
		}
	}
	// A byte of a hash in SHA256SUMS (its first line's first hex digit).
	restore := flip("SHA256SUMS", func(int) int { return 0 })
	if out, err := verify(); err == nil {
		t.Errorf("changed SHA256SUMS verifies:\n%s", out)
	}
	restore()
	if _, err := verify(); err != nil {
		t.Fatal("restoring SHA256SUMS did not restore the signature")
	}
	// Another key in allowed_signers: the signature is not accepted.
	pub, _, _ := ed25519.GenerateKey(nil)
	other := r.principal + ` namespaces="fieldreg-release" ssh-ed25519 ` + sshWireKey(pub) + "\n"
	if err := os.WriteFile(filepath.Join(dir, "allowed_signers"), []byte(other), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := verify(); err == nil {
		t.Errorf("a signature checked against another key verifies:\n%s", out)
	}
}

// sshWireKey is an Ed25519 public key in OpenSSH's base64 wire form.
func sshWireKey(pub ed25519.PublicKey) string {
	var b bytes.Buffer
	for _, part := range [][]byte{[]byte("ssh-ed25519"), pub} {
		_ = binary.Write(&b, binary.BigEndian, uint32(len(part)))
		b.Write(part)
	}
	return base64.StdEncoding.EncodeToString(b.Bytes())
}

// systemDLLs are the Windows DLLs fieldreg.exe may import: parts of every
// Windows installation. A mingw runtime DLL (libgcc_s_seh-1.dll,
// libwinpthread-1.dll, libssp-0.dll) would be missing on the laptops.
var systemDLLs = []string{"advapi32.dll", "bcrypt.dll", "comctl32.dll", "comdlg32.dll", "crypt32.dll", "dwmapi.dll",
	"gdi32.dll", "imm32.dll", "kernel32.dll", "msvcrt.dll", "ntdll.dll", "ole32.dll", "oleaut32.dll", "opengl32.dll",
	"setupapi.dll", "shell32.dll", "shlwapi.dll", "user32.dll", "uxtheme.dll", "version.dll", "winmm.dll", "ws2_32.dll"}

// Windows resource types.
const (
	rtIcon      = 3
	rtGroupIcon = 14
	rtVersion   = 16
	rtManifest  = 24
)

// The zip: fieldreg.exe, the app, a PE32+ x86-64 GUI program, and
// fieldreg-cli.exe, the same program as a console program for the command
// line; both import only system DLLs and carry the icon, a manifest and a
// version resource naming the release and its commit.
func TestWindowsExe(t *testing.T) {
	r := built(t)
	zr, err := zip.OpenReader(filepath.Join(r.dist, "fieldreg-"+r.version+"-windows-amd64.zip"))
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	want := map[string]uint16{"fieldreg.exe": pe.IMAGE_SUBSYSTEM_WINDOWS_GUI, "fieldreg-cli.exe": pe.IMAGE_SUBSYSTEM_WINDOWS_CUI}
	if len(zr.File) != len(want) {
		t.Errorf("the zip holds %d files, want %d", len(zr.File), len(want))
	}
	for _, zf := range zr.File {
		subsystem, ok := want[zf.Name]
		if !ok {
			t.Errorf("unexpected %s in the zip", zf.Name)
			continue
		}
		delete(want, zf.Name)
		rc, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		exe, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		t.Run(zf.Name, func(t *testing.T) { checkExe(t, r, exe, subsystem) })
	}
	for name := range want {
		t.Errorf("no %s in the zip", name)
	}
}

// checkAppTags: the app was built with the Makefile's APP_TAGS, no_emoji
// among them (Fyne's colour emoji font left out: 11 MB less heap in the
// window, docs/benchmarks.md); a build that forgot them is caught here.
func checkAppTags(t *testing.T, bin io.ReaderAt) {
	t.Helper()
	bi, err := buildinfo.Read(bin)
	if err != nil {
		t.Errorf("reading the build information: %v", err)
		return
	}
	for _, s := range bi.Settings {
		if s.Key == "-tags" && slices.Contains(strings.Split(s.Value, ","), "no_emoji") {
			return
		}
	}
	t.Errorf("the app was built without the no_emoji tag (APP_TAGS in the Makefile): settings %v", bi.Settings)
}

func checkExe(t *testing.T, r release, exe []byte, subsystem uint16) {
	f, err := pe.NewFile(bytes.NewReader(exe))
	if err != nil {
		t.Fatal(err)
	}
	if f.Machine != pe.IMAGE_FILE_MACHINE_AMD64 {
		t.Errorf("machine %#x, want x86-64", f.Machine)
	}
	oh, ok := f.OptionalHeader.(*pe.OptionalHeader64)
	if !ok {
		t.Fatal("not PE32+")
	}
	if oh.Subsystem != subsystem {
		t.Errorf("subsystem %d, want %d", oh.Subsystem, subsystem)
	}
	checkAppTags(t, bytes.NewReader(exe))
	// debug/pe's ImportedLibraries is not implemented; each imported
	// symbol names its DLL ("CreateFileW:KERNEL32.dll").
	syms, err := f.ImportedSymbols()
	if err != nil {
		t.Fatal(err)
	}
	var libs []string
	for _, s := range syms {
		if _, dll, ok := strings.Cut(s, ":"); ok && !slices.Contains(libs, dll) {
			libs = append(libs, dll)
		}
	}
	if len(libs) == 0 {
		t.Error("no imports read")
	}
	for _, l := range libs {
		if !slices.Contains(systemDLLs, strings.ToLower(l)) {
			t.Errorf("imports %s, not a Windows system DLL", l)
		}
	}
	t.Logf("imports: %v", libs)

	rsrc := f.Section(".rsrc")
	if rsrc == nil {
		t.Fatal("no resource section")
	}
	data, err := rsrc.Data()
	if err != nil {
		t.Fatal(err)
	}
	types := resourceTypes(t, data)
	for _, want := range []uint32{rtIcon, rtGroupIcon, rtVersion, rtManifest} {
		if !slices.Contains(types, want) {
			t.Errorf("no resource of type %d (have %v)", want, types)
		}
	}
	for _, s := range []string{"ProductVersion", r.version + " (" + r.commit + ")", r.version + ".", "fieldreg.exe"} {
		if !bytes.Contains(data, utf16le(s)) {
			t.Errorf("version resource lacks %q", s)
		}
	}
}

// resourceTypes reads the type IDs of a resource section's root directory.
func resourceTypes(t *testing.T, d []byte) []uint32 {
	t.Helper()
	if len(d) < 16 {
		t.Fatal("resource section too short")
	}
	n := int(binary.LittleEndian.Uint16(d[12:])) + int(binary.LittleEndian.Uint16(d[14:]))
	var ids []uint32
	for i := 0; i < n && 16+8*i+8 <= len(d); i++ {
		if id := binary.LittleEndian.Uint32(d[16+8*i:]); id&0x80000000 == 0 {
			ids = append(ids, id)
		}
	}
	return ids
}

func utf16le(s string) []byte {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = binary.LittleEndian.AppendUint16(b, u)
	}
	return b
}

// The Linux tarball of `fyne package`: installed with its own Makefile into
// a temporary prefix, the binary prints the stamped version and sets up a
// device (SQLite and all) without a display.
func TestLinuxTarball(t *testing.T) {
	r := built(t)
	dir := t.TempDir()
	mustRun(t, dir, "tar", "-xJf", filepath.Join(r.dist, "fieldreg-"+r.version+"-linux-amd64.tar.xz"))
	var desktop, icon string
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		switch {
		case err != nil:
			return err
		case strings.HasSuffix(p, "/applications/org.fieldreg.app.desktop"):
			desktop = p
		case strings.HasSuffix(p, "/pixmaps/org.fieldreg.app.png"):
			icon = p
		}
		return nil
	})
	if desktop == "" || icon == "" {
		t.Fatalf("the tarball lacks the .desktop file or the icon:\n%s", mustRun(t, dir, "find", "."))
	}
	de, _ := os.ReadFile(desktop)
	for _, line := range []string{"Name=fieldreg", "Exec=fieldreg", "Icon=org.fieldreg.app"} {
		if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(line) + `$`).Match(de) {
			t.Errorf(".desktop file lacks %q:\n%s", line, de)
		}
	}
	got, _ := os.ReadFile(icon)
	want, err := os.ReadFile("../assets/icon.png")
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("the icon is not assets/icon.png (%v)", err)
	}

	prefix := t.TempDir()
	mustRun(t, filepath.Join(dir, "fieldreg"), "make", "install", "DESTDIR="+prefix, "PREFIX=/usr")
	bin := filepath.Join(prefix, "usr", "bin", "fieldreg")
	checkVersion(t, r, bin, "fieldreg")
	if f, err := os.Open(bin); err != nil {
		t.Error(err)
	} else {
		checkAppTags(t, f)
		f.Close()
	}
	data := filepath.Join(t.TempDir(), "device")
	pass := passFile(t)
	mustRun(t, dir, bin, "init", "--data", data, "--standalone", "--country", "BIH", "--station", "BIH-VK-01",
		"--officer", "Officer Testovic", "--passphrase-file", pass, "--recovery-key-out", filepath.Join(t.TempDir(), "recovery.txt"))
	if out := mustRun(t, dir, bin, "status", "--data", data); !strings.Contains(out, "BIH-VK-01") {
		t.Errorf("status of the new device:\n%s", out)
	}
}

// The hub for amd64 and arm64: static binaries (they run on any Linux
// server), each with the systemd unit, the example settings and the
// install notes; the unit's flags are flags of `reghub serve`.
func TestReghubTarballs(t *testing.T) {
	r := built(t)
	for _, arch := range []string{"amd64", "arm64"} {
		t.Run(arch, func(t *testing.T) {
			dir := t.TempDir()
			name := "reghub-" + r.version + "-linux-" + arch
			mustRun(t, dir, "tar", "-xJf", filepath.Join(r.dist, name+".tar.xz"))
			root := filepath.Join(dir, name)
			for _, f := range []string{"reghub", "reghub.service", "reghub.env", "install.md"} {
				if _, err := os.Stat(filepath.Join(root, f)); err != nil {
					t.Errorf("%s: %v", f, err)
				}
			}
			bin := filepath.Join(root, "reghub")
			ef, err := elf.Open(bin)
			if err != nil {
				t.Fatal(err)
			}
			defer ef.Close()
			want := map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}[arch]
			if ef.Machine != want {
				t.Errorf("machine %v, want %v", ef.Machine, want)
			}
			for _, p := range ef.Progs {
				if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
					t.Errorf("dynamically linked (%v): needs the build machine's C library", p.Type)
				}
			}
			if arch != runtime.GOARCH {
				return
			}
			checkVersion(t, r, bin, "reghub")
			// A hub store made and read by the static binary.
			hub := filepath.Join(t.TempDir(), "hub")
			pass := passFile(t)
			mustRun(t, dir, bin, "init", "--data", hub, "--country", "BIH", "--kdf", "low", "--passphrase-file", pass)
			mustRun(t, dir, bin, "status", "--data", hub, "--passphrase-file", pass)
			checkUnit(t, root, bin)
		})
	}
}

// checkUnit: every flag in the unit's ExecStart is a flag of reghub serve,
// and every variable it uses is set in the example settings.
func checkUnit(t *testing.T, root, bin string) {
	unit, _ := os.ReadFile(filepath.Join(root, "reghub.service"))
	env, _ := os.ReadFile(filepath.Join(root, "reghub.env"))
	m := regexp.MustCompile(`(?m)^ExecStart=\S+ serve (.*)$`).FindSubmatch(unit)
	if m == nil {
		t.Fatalf("no ExecStart=... serve in the unit:\n%s", unit)
	}
	help, _ := run(t, root, nil, bin, "serve", "-h")
	for _, f := range regexp.MustCompile(`--([a-z-]+)`).FindAllStringSubmatch(string(m[1]), -1) {
		if !strings.Contains(help, "-"+f[1]+" ") {
			t.Errorf("the unit passes --%s, which reghub serve does not take", f[1])
		}
	}
	flags := regexp.MustCompile(`(?m)^REGHUB_FLAGS=(.*)$`).FindSubmatch(env)
	if flags == nil {
		t.Fatal("REGHUB_FLAGS is not set in reghub.env")
	}
	for _, f := range regexp.MustCompile(`--([a-z-]+)`).FindAllStringSubmatch(string(flags[1]), -1) {
		if !strings.Contains(help, "-"+f[1]+" ") {
			t.Errorf("reghub.env passes --%s, which reghub serve does not take", f[1])
		}
	}
	for _, v := range regexp.MustCompile(`\$\{?(REGHUB_[A-Z_]+)`).FindAllStringSubmatch(string(m[1]), -1) {
		if !regexp.MustCompile(`(?m)^` + v[1] + `=`).Match(env) {
			t.Errorf("the unit uses %s, which reghub.env does not set", v[1])
		}
	}
}
