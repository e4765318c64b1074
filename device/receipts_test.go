package device

import (
	"bytes"
	"compress/zlib"
	"crypto/ed25519"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/fieldreg/fieldreg/crypto/vault"
	"github.com/fieldreg/fieldreg/receipt"
	"github.com/fieldreg/fieldreg/registry"
	"github.com/fieldreg/fieldreg/trust"
)

// sensitivePerson has everything a receipt must never show.
func sensitivePerson() *registry.Person {
	p := testPerson("Testperson", "Alpha")
	p.Nationalities = []string{"SYR", "XXB"}
	p.Category = registry.CategorySearchRescue
	p.Vulnerabilities = []string{registry.VulnTrafficking, registry.VulnPregnancy}
	p.PlaceOfBirth = "Testville"
	p.Document = registry.Document{Type: "passport", Number: "P7654321", IssuingCountry: "SYR"}
	p.Notes = "note-secret"
	p.Photo = []byte("\x89PNG photo-secret")
	return p
}

// receiptBytes decodes a receipt's text down to its COSE bytes with an
// independent Base45 + zlib decoder (not the package's own).
func receiptBytes(t *testing.T, text string) []byte {
	t.Helper()
	const alpha = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
	s := strings.TrimPrefix(text, receipt.Prefix)
	var z []byte
	for i := 0; i < len(s); i += 3 {
		n, m := 0, 1
		for j := i; j < min(i+3, len(s)); j++ {
			n += strings.IndexByte(alpha, s[j]) * m
			m *= 45
		}
		if i+2 < len(s) {
			z = append(z, byte(n>>8))
		}
		z = append(z, byte(n))
	}
	zr, err := zlib.NewReader(bytes.NewReader(z))
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestReceiptMinimumData(t *testing.T) {
	d, clk := newTestDevice(t)
	s := unlock(t, d)
	id, err := s.Register(sensitivePerson())
	if err != nil {
		t.Fatal(err)
	}
	clk.t = clk.t.Add(time.Hour)
	r, err := s.IssueReceipt(strings.ToLower(id))
	if err != nil {
		t.Fatal(err)
	}
	raw := receiptBytes(t, r.Text)
	for _, secret := range []string{"SYR", "XXB", "search_and_rescue", "trafficking", "pregnancy", "Testville", "P7654321",
		"passport", "note-secret", "photo-secret", "1990-03", "19900304", "Officer Testa"} {
		if bytes.Contains(raw, []byte(secret)) || strings.Contains(strings.Join(linesOf(r), "\n"), secret) {
			t.Errorf("receipt carries %q", secret)
		}
	}
	v, err := d.VerifyReceipt(r.Text)
	if err != nil {
		t.Fatal(err)
	}
	if !v.Valid || v.RegistrationID != id || v.Name != "TESTPERSON, ALPHA" || v.Birth != "1990" ||
		v.IssuerCountry != "BIH" || v.Station != "BIH-TEST-POST" || v.DeviceID != d.Info().DeviceID || v.RegisteredOn != "2026-11-20" {
		t.Errorf("verdict %+v %+v", v, v.Fields)
	}
	if !d.HasRecord(v.RegistrationID) || d.HasRecord("BIH-0000-0000-0000") {
		t.Error("HasRecord")
	}

	// A deployment may choose to print the full date of birth.
	if err := s.SetReceiptFullBirthDate(true); err != nil {
		t.Fatal(err)
	}
	r2, err := s.IssueReceipt(id)
	if err != nil {
		t.Fatal(err)
	}
	if r2.Birth != "1990-03-04" || r2.ReceiptID == r.ReceiptID {
		t.Errorf("reissue: birth %q, receipt IDs %s %s", r2.Birth, r.ReceiptID, r2.ReceiptID)
	}

	// Each issue is in the audit log, with the receipt ID and no personal data.
	log, err := s.AuditLog(100)
	if err != nil {
		t.Fatal(err)
	}
	issued := 0
	for _, e := range log {
		if e.Action == "receipt_issue" {
			issued++
			if e.Record != id || (e.Detail != "receipt "+r.ReceiptID && e.Detail != "receipt "+r2.ReceiptID) {
				t.Errorf("audit entry %+v", e)
			}
		}
	}
	if issued != 2 {
		t.Errorf("%d receipt_issue audit entries, want 2", issued)
	}
	if _, err := s.IssueReceipt("BIH-0000-0000-0000"); err == nil {
		t.Error("receipt for an unknown record")
	}
	s.Lock()
	if _, err := s.IssueReceipt(id); !errors.Is(err, ErrSessionLocked) {
		t.Errorf("locked: %v", err)
	}
}

func linesOf(r *receipt.Receipt) []string {
	var out []string
	for _, l := range r.Lines() {
		out = append(out, l.Label+": "+l.Value)
	}
	return out
}

func TestRevokeAndImportTrust(t *testing.T) {
	a, clkA := newTestDevice(t)
	sa := unlock(t, a)
	id, err := sa.Register(testPerson("Testperson", "Beta"))
	if err != nil {
		t.Fatal(err)
	}
	early, err := sa.IssueReceipt(id)
	if err != nil {
		t.Fatal(err)
	}
	clkA.t = clkA.t.Add(2 * time.Hour)
	late, err := sa.IssueReceipt(id)
	if err != nil {
		t.Fatal(err)
	}

	// Device B, of another (standalone) authority, knows nothing of A yet.
	p := vault.LowParams
	b, _, err := InitStandalone(t.TempDir(), StandaloneConfig{Country: "SRB", Station: "SRB-TEST", DeviceName: "b", Officer: "Officer Testb",
		Passphrase: []byte("correct horse battery")}, Options{Now: clkA.Now, Params: &p})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	sb := unlock(t, b)
	if v, _ := b.VerifyReceipt(early.Text); v.Reason != receipt.ReasonUnknownIssuer {
		t.Fatalf("before import: %s", v.Reason)
	}

	// A's supervisor revokes A from one hour after the early receipt (the
	// key was found compromised then) and exports the trust file.
	tf, err := sa.RevokeDevice(a.Info().DeviceID, clkA.t.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := a.VerifyReceipt(late.Text); v.Reason != receipt.ReasonRevoked {
		t.Errorf("A verifies its late receipt: %s", v.Reason)
	}
	if _, err := sa.IssueReceipt(id); !errors.Is(err, ErrDeviceRevoked) {
		t.Errorf("revoked device issues: %v", err)
	}
	file, err := tf.Marshal()
	if err != nil {
		t.Fatal(err)
	}

	// A non-supervisor of B may not add a country's keys.
	o, err := sb.AddOfficer("Officer Plain", []byte("another good phrase"), false)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := b.Unlock(o.ID, []byte("another good phrase"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := plain.ImportTrust(file); !errors.Is(err, ErrNotSupervisor) {
		t.Errorf("non-supervisor adds keys: %v", err)
	}
	rep, err := sb.ImportTrust(file)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(rep.Added, ",") != "BIH" {
		t.Errorf("import report %+v", rep)
	}
	if v, _ := b.VerifyReceipt(early.Text); !v.Valid {
		t.Errorf("B, early receipt: %s", v.Message)
	}
	if v, _ := b.VerifyReceipt(late.Text); v.Reason != receipt.ReasonRevoked {
		t.Errorf("B, late receipt: %s", v.Reason)
	}

	// A newer list from the same authority is taken from any officer; an
	// older one changes nothing.
	clkA.t = clkA.t.Add(time.Hour)
	tf2, err := sa.RevokeDevice("00000000000000aa", clkA.t)
	if err != nil {
		t.Fatal(err)
	}
	file2, _ := tf2.Marshal()
	if rep, err := plain.ImportTrust(file2); err != nil || strings.Join(rep.Revocations, ",") != "BIH" {
		t.Errorf("newer list: %+v %v", rep, err)
	}
	if rep, err := plain.ImportTrust(file); err != nil || strings.Join(rep.Unchanged, ",") != "BIH" {
		t.Errorf("older list: %+v %v", rep, err)
	}
	bt, _ := b.TrustFile()
	if _, ok := bt.RevokedAt("BIH", "00000000000000aa"); !ok {
		t.Error("newer list not kept")
	}

	// A file that names another root key for B's own country is refused,
	// and so is a tampered revocation list.
	forged := &trust.File{Countries: []trust.Country{{Country: "SRB", RootKeys: tf.Countries[0].RootKeys}}}
	fb, _ := forged.Marshal()
	if _, err := sb.ImportTrust(fb); err == nil {
		t.Error("foreign root key for own country accepted")
	}
	tampered := bytes.Replace(file2, []byte(`"revoked_at": `), []byte(`"revoked_at": 1`), 1)
	if _, err := sb.ImportTrust(tampered); !errors.Is(err, trust.ErrBadSignature) {
		t.Errorf("tampered list: %v", err)
	}

	// Only a supervisor of a device holding the authority revokes.
	if _, err := plain.RevokeDevice(a.Info().DeviceID, clkA.t); !errors.Is(err, ErrNotSupervisor) {
		t.Errorf("non-supervisor revokes: %v", err)
	}
}

// TestImportRootRotation: a supervisor imports a country's new root key
// while the stored revocation list was signed by the old one; the device's
// trust must stay readable.
func TestImportRootRotation(t *testing.T) {
	d, clk := newTestDevice(t)
	s := unlock(t, d)
	oldRoot, _ := trust.NewAuthority("HRV", nil, clk.t)
	newRoot, _ := trust.NewAuthority("HRV", nil, clk.t)
	l, _ := oldRoot.SignRevocations([]trust.Revocation{{DeviceID: "00000000000000bb", RevokedAt: 1}}, clk.t)
	for _, f := range []*trust.File{
		{Countries: []trust.Country{{Country: "HRV", RootKeys: []ed25519.PublicKey{oldRoot.RootPublic()}, Revocations: l}}},
		{Countries: []trust.Country{{Country: "HRV", RootKeys: []ed25519.PublicKey{newRoot.RootPublic()}}}},
	} {
		b, _ := f.Marshal()
		if _, err := s.ImportTrust(b); err != nil {
			t.Fatal(err)
		}
	}
	tf, err := d.TrustFile()
	if err != nil {
		t.Fatalf("trust unreadable after rotation: %v", err)
	}
	if k := tf.RootKeys("HRV"); len(k) != 1 || !k[0].Equal(newRoot.RootPublic()) {
		t.Errorf("HRV keys %v", k)
	}
}
