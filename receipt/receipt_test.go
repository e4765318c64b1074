package receipt

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"hash/crc32"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/veraison/go-cose"
	"golang.org/x/image/draw"
)

func TestRoundTrip(t *testing.T) {
	a := newAuthority(t, "BIH", 1)
	for _, c := range []struct {
		Content
		name string
	}{
		{testContent, "TESTPERSON, ALPHA"},
		{Content{RegistrationID: "BIH-0000-0000-0000", FamilyName: "Testperson-Ćirić", GivenNames: "Beta Ğülşen", Birth: "1988-02-29", Registered: t0}, "TESTPERSON-CIRIC, BETA GUELSEN"},
		{Content{RegistrationID: "BIH-0000-0000-0001", GivenNames: "Testperson Gamma", Registered: t0}, "TESTPERSON GAMMA"},
	} {
		r := issue(t, a, c.Content, t0)
		if !strings.HasPrefix(r.Text, Prefix) {
			t.Fatalf("text lacks prefix: %.10s", r.Text)
		}
		v := Verify(r.Text, a.file, t0.Add(24*time.Hour))
		if !v.Valid || v.Reason != "" {
			t.Fatalf("%s: not valid: %s", c.RegistrationID, v.Message)
		}
		want := Fields{RegistrationID: c.RegistrationID, Name: c.name, Birth: c.Birth, RegisteredOn: "2026-11-20",
			IssuerCountry: "BIH", Station: "BIH-VELIKA-KLADUSA", DeviceID: "0123456789abcdef", DeviceName: "tablet-07",
			IssuedAt: t0, ExpiresAt: t0.Add(DefaultValidity), ReceiptID: r.ReceiptID}
		if *v.Fields != want || r.Fields != want {
			t.Errorf("%s: fields\n got %+v\n     %+v\nwant %+v", c.RegistrationID, *v.Fields, r.Fields, want)
		}
		if len(r.ReceiptID) != 16 {
			t.Errorf("receipt ID %q", r.ReceiptID)
		}
	}
}

func TestVerdictJSON(t *testing.T) {
	a := newAuthority(t, "BIH", 1)
	r := issue(t, a, testContent, t0)
	b, _ := json.Marshal(Verify(r.Text, a.file, t0))
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"valid", "message", "registration_id", "issuer_country", "station", "issued_at", "device_id", "name"} {
		if _, ok := m[k]; !ok {
			t.Errorf("verdict JSON lacks %q", k)
		}
	}
	b, _ = json.Marshal(Verify("hello", a.file, t0))
	if string(b) != `{"valid":false,"reason":"not_a_receipt","message":"not a fieldreg receipt"}` {
		t.Errorf("refusal JSON: %s", b)
	}
}

// TestEveryByteChange alters each byte of the COSE payload and signature in
// every possible way (in -short or -race runs: every single-bit flip and the
// complement), and each byte of the whole message in 3 ways; no altered
// receipt may verify. Every change goes through the COSE check; a sample
// also goes through the whole text path.
func TestEveryByteChange(t *testing.T) {
	a := newAuthority(t, "BIH", 1)
	r := issue(t, a, testContent, t0)
	signed := unpack(t, r.Text)
	if v := verifySigned(signed, a.file, t0); !v.Valid {
		t.Fatalf("control: %s", v.Message)
	}
	var msg cose.Sign1Message
	if err := msg.UnmarshalCBOR(signed); err != nil {
		t.Fatal(err)
	}
	for _, part := range []struct {
		name string
		b    []byte
	}{{"payload", msg.Payload}, {"signature", msg.Signature}, {"whole message", signed}} {
		off := bytes.Index(signed, part.b)
		if off < 0 {
			t.Fatalf("%s not found", part.name)
		}
		changes := []byte{1, 2, 4, 8, 16, 32, 64, 128, 255}
		if part.name == "whole message" {
			changes = []byte{1, 128, 255}
		} else if !testing.Short() && !raceEnabled {
			changes = changes[:0]
			for d := 1; d < 256; d++ {
				changes = append(changes, byte(d))
			}
		}
		for i := off; i < off+len(part.b); i++ {
			for _, d := range changes {
				m := bytes.Clone(signed)
				m[i] ^= d
				v := verifySigned(m, a.file, t0)
				if d == 1 || d == 255 {
					v = Verify(pack(m), a.file, t0)
				}
				if v.Valid {
					t.Fatalf("%s byte %d ^ %#x still verifies", part.name, i-off, d)
				}
				if part.name != "whole message" && v.Reason != ReasonAltered {
					t.Fatalf("%s byte %d ^ %#x: reason %s", part.name, i-off, d, v.Reason)
				}
			}
		}
	}
}

func TestOtherAuthority(t *testing.T) {
	bih, forger := newAuthority(t, "BIH", 1), newAuthority(t, "BIH", 2)
	r := issue(t, forger, testContent, t0)
	v := Verify(r.Text, bih.file, t0)
	if v.Valid || v.Reason != ReasonUnknownIssuer {
		t.Fatalf("forged: %+v", v)
	}
	if v.Fields == nil || v.IssuerCountry != "BIH" || v.RegistrationID != "" {
		t.Errorf("unknown issuer shows unvouched content: %+v", v.Fields)
	}
	if b, _ := json.Marshal(v); string(b) != `{"valid":false,"reason":"unknown_issuer","message":"unknown issuer: not signed by a device of a trusted authority","issuer_country":"BIH"}` {
		t.Errorf("unknown issuer JSON: %s", b)
	}
	// A country the verifier does not know at all.
	srb := newAuthority(t, "SRB", 3)
	if v := Verify(issue(t, srb, testContent, t0).Text, bih.file, t0); v.Reason != ReasonUnknownIssuer {
		t.Errorf("unknown country: %s", v.Reason)
	}
	// A device credential of one country used to sign for another is not
	// trusted by either.
	evil := newAuthority(t, "SRB", 4)
	evil.issuer.Credential = srb.issuer.Credential
	evil.issuer.Key = srb.issuer.Key
	evil.file = srb.file
	if v := Verify(issue(t, evil, testContent, t0).Text, srb.file, t0); !v.Valid {
		t.Errorf("control: %s", v.Message)
	}
}

func TestCredentialNotValidAtIssue(t *testing.T) {
	a := newAuthority(t, "BIH", 1)
	// Issued after the device credential expired: the device had no
	// authority to sign.
	late := a.issuer.Credential.ExpiresAt + 3600
	r := issue(t, a, testContent, time.Unix(late, 0))
	if v := Verify(r.Text, a.file, time.Unix(late, 0)); v.Reason != ReasonUnknownIssuer {
		t.Errorf("credential expired at issue: %s", v.Reason)
	}
}

func TestExpired(t *testing.T) {
	a := newAuthority(t, "BIH", 1)
	a.issuer.Validity = 30 * 24 * time.Hour
	r := issue(t, a, testContent, t0)
	if v := Verify(r.Text, a.file, t0.Add(29*24*time.Hour)); !v.Valid {
		t.Fatalf("before expiry: %s", v.Message)
	}
	v := Verify(r.Text, a.file, t0.Add(31*24*time.Hour))
	if v.Valid || v.Reason != ReasonExpired || v.RegistrationID != testContent.RegistrationID {
		t.Fatalf("after expiry: %+v", v)
	}
}

func TestRevocation(t *testing.T) {
	a := newAuthority(t, "BIH", 1)
	before := issue(t, a, testContent, t0)
	after := issue(t, a, testContent, t0.Add(2*time.Hour))
	a.revoke(t, t0.Add(time.Hour))
	if v := Verify(before.Text, a.file, t0.Add(3*time.Hour)); !v.Valid {
		t.Errorf("issued before revocation: %s", v.Message)
	}
	v := Verify(after.Text, a.file, t0.Add(3*time.Hour))
	if v.Valid || v.Reason != ReasonRevoked || v.Message != "issuing device revoked" || v.RevokedAt == nil || !v.RevokedAt.Equal(t0.Add(time.Hour)) {
		t.Errorf("issued after revocation: %+v", v)
	}
	// Issued exactly at the revocation time: revoked.
	at := issue(t, a, testContent, t0.Add(time.Hour))
	if v := Verify(at.Text, a.file, t0.Add(3*time.Hour)); v.Reason != ReasonRevoked {
		t.Errorf("issued at revocation time: %s", v.Reason)
	}
}

func TestTruncatedAndGarbage(t *testing.T) {
	a := newAuthority(t, "BIH", 1)
	text := issue(t, a, testContent, t0).Text
	for n := 0; n < len(text); n++ {
		v := Verify(text[:n], a.file, t0)
		if v.Valid || v.Fields != nil {
			t.Fatalf("truncated to %d: %+v", n, v)
		}
		want := ReasonAltered
		if n < len(Prefix) {
			want = ReasonNotReceipt
		}
		if v.Reason != want {
			t.Fatalf("truncated to %d: reason %s, want %s", n, v.Reason, want)
		}
	}
	for _, s := range []string{"", "hello", "HC1:6BF", strings.ToLower(text), text[:20] + "#" + text[21:],
		text[:20] + "é" + text[22:], Prefix + "GGW", Prefix + strings.Repeat("A", MaxTextLen), "\x00\xff",
		text + "A", text + "AB0"} {
		if v := Verify(s, a.file, t0); v.Valid || (v.Reason != ReasonAltered && v.Reason != ReasonNotReceipt) {
			t.Errorf("%.24q...: %+v", s, v)
		}
	}
	// Scanners end the text with a line break; that is fine.
	if v := Verify(text+"\r\n", a.file, t0); !v.Valid {
		t.Errorf("with CRLF: %s", v.Message)
	}
}

func TestZlibBomb(t *testing.T) {
	a := newAuthority(t, "BIH", 1)
	// 1 MB of zeros compresses to about 1 kB: fits a QR code, must not be inflated.
	text := pack(make([]byte, 1<<20))
	if len(text) > MaxTextLen {
		t.Fatalf("bomb too large for the test: %d", len(text))
	}
	if v := Verify(text, a.file, t0); v.Reason != ReasonAltered {
		t.Errorf("bomb: %s", v.Reason)
	}
}

func TestBase45RFCVectors(t *testing.T) {
	for _, c := range []struct{ plain, enc string }{
		{"AB", "BB8"},
		{"Hello!!", "%69 VD92EX0"},
		{"base-45", "UJCLQE7W581"},
		{"ietf!", "QED8WEX0"},
		{"", ""},
	} {
		if got := encodeBase45([]byte(c.plain)); got != c.enc {
			t.Errorf("encode %q = %q, want %q", c.plain, got, c.enc)
		}
		got, err := decodeBase45(c.enc)
		if err != nil || string(got) != c.plain {
			t.Errorf("decode %q = %q, %v", c.enc, got, err)
		}
	}
	if b, err := decodeBase45("FGW"); err != nil || !bytes.Equal(b, []byte{0xff, 0xff}) {
		t.Errorf("FGW (65535): %x %v", b, err)
	}
	for _, bad := range []string{"GGW", "A", "BB8A", "bb8", "BB#", ":::", "UJCLQE7W58", "::"} {
		if _, err := decodeBase45(bad); !errors.Is(err, ErrBase45) {
			t.Errorf("decode %q: %v", bad, err)
		}
	}
	// Every two-byte value round-trips.
	for n := 0; n < 1<<16; n++ {
		b := []byte{byte(n >> 8), byte(n)}
		if got, err := decodeBase45(encodeBase45(b)); err != nil || !bytes.Equal(got, b) {
			t.Fatalf("%x: %x %v", b, got, err)
		}
	}
}

// TestSizeBudget issues the largest receipts a device produces and checks
// the QR version: a long name with a long (but realistic) station and device
// name keeps the whole 39-byte name; absurdly long ones cut the name instead
// of failing.
func TestSizeBudget(t *testing.T) {
	// Random letters: names compress much less than repeated ones.
	rng := newDetRand(9)
	letters := func(n int) string {
		b := make([]byte, n)
		rng.Read(b)
		for i := range b {
			b[i] = 'A' + b[i]%26
		}
		return string(b)
	}
	a := newAuthority(t, "BIH", 1)
	typical := issue(t, a, testContent, t0)
	long := Content{RegistrationID: "BIH-7KQ4-M2XD-9TRC", FamilyName: letters(30), GivenNames: letters(20) + " " + letters(20),
		Birth: "1990-12-31", Registered: t0}
	cred := *a.issuer.Credential
	for _, c := range []struct {
		station, device string
		minName         int
	}{
		{"MKD-" + letters(20), letters(16), MaxNameBytes},
		{"BIH-" + letters(32), letters(24), MinNameBytes},
	} {
		a.issuer.Credential = a.auth.IssueCredential(cred.DeviceID, c.device, c.station, cred.PublicKey, t0, 365*24*time.Hour)
		r := issue(t, a, long, t0)
		if r.QRVersion() > MaxQRVersion {
			t.Fatalf("QR version %d > %d", r.QRVersion(), MaxQRVersion)
		}
		if len(r.Name) > MaxNameBytes || len(r.Name) < c.minName-1 {
			t.Errorf("station %d, device %d chars: name cut to %d bytes", len(c.station), len(c.device), len(r.Name))
		}
		if v := Verify(r.Text, a.file, t0); !v.Valid || v.Name != r.Name {
			t.Errorf("does not verify: %s", v.Message)
		}
		t.Logf("station %d, device name %d, name %d bytes: %d chars, version %d", len(c.station), len(c.device), len(r.Name), len(r.Text), r.QRVersion())
	}
	t.Logf("typical: %d chars, version %d", len(typical.Text), typical.QRVersion())
	a.issuer.Credential = a.auth.IssueCredential(cred.DeviceID, letters(64), letters(64), cred.PublicKey, t0, 365*24*time.Hour)
	if _, err := a.issuer.Issue(long, t0); !errors.Is(err, ErrTooLarge) {
		t.Errorf("64-character station and device name: %v", err)
	}
}

func TestICAOName(t *testing.T) {
	for _, c := range []struct{ family, given, want string }{
		{"Testović", "Ćiro Ðorđe", "TESTOVIC, CIRO DORDE"},
		{"Müller-Łęcka", "Jürgen Søren", "MUELLER-LECKA, JUERGEN SOEREN"},
		{"O'Testperson", "  Ğülşen   Ñoño ", "OTESTPERSON, GUELSEN NONO"},
		{"", "Strauß", "STRAUSS"},
		{"Тестов", "", "ТЕСТОВ"},
		{"Test.Person", "A/B", "TEST PERSON, A B"},
	} {
		if got := ICAOName(c.family, c.given); got != c.want {
			t.Errorf("ICAOName(%q, %q) = %q, want %q", c.family, c.given, got, c.want)
		}
	}
}

func TestIssueRefuses(t *testing.T) {
	a := newAuthority(t, "BIH", 1)
	for _, c := range []Content{
		{FamilyName: "Testperson", Registered: t0},
		{RegistrationID: "BIH-7KQ4-M2XD-9TRC", Registered: t0},
		{RegistrationID: "BIH-7KQ4-M2XD-9TRC", FamilyName: "Testperson"},
		{RegistrationID: "BIH-7KQ4-M2XD-9TRC", FamilyName: "Testperson", Birth: "~1990", Registered: t0},
	} {
		if _, err := a.issuer.Issue(c, t0); err == nil {
			t.Errorf("%+v issued", c)
		}
	}
	other := newAuthority(t, "BIH", 2)
	a.issuer.Key = other.issuer.Key
	if _, err := a.issuer.Issue(testContent, t0); err == nil {
		t.Error("issued with a key that does not match the credential")
	}
}

func TestPNGDecodesWithGozxing(t *testing.T) {
	a := newAuthority(t, "BIH", 1)
	r := issue(t, a, testContent, t0)
	for _, px := range []int{2, 4, 8} {
		b, err := r.PNG(px)
		if err != nil {
			t.Fatal(err)
		}
		got, err := ScanImage(bytes.NewReader(b))
		if err != nil || got != r.Text {
			t.Fatalf("%d px/module: %v", px, err)
		}
	}
}

// TestPNGDecodesWithZbarimg reads the PNG with a standard reader, zbarimg
// from Debian's zbar-tools. CI installs it; elsewhere the test skips
// without it.
func TestPNGDecodesWithZbarimg(t *testing.T) {
	zbar, err := exec.LookPath("zbarimg")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("zbarimg is not installed (apt-get install zbar-tools)")
		}
		t.Skip("zbarimg not installed")
	}
	a := newAuthority(t, "BIH", 1)
	r := issue(t, a, testContent, t0)
	b, _ := r.PNG(0)
	f := filepath.Join(t.TempDir(), "receipt.png")
	if err := os.WriteFile(f, b, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(zbar, "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", f).Output()
	if err != nil {
		t.Fatalf("zbarimg: %v", err)
	}
	got := strings.TrimRight(string(out), "\n")
	if got != r.Text {
		t.Fatalf("zbarimg read %d chars, want %d", len(got), len(r.Text))
	}
	if v := Verify(got, a.file, t0); !v.Valid {
		t.Fatalf("zbarimg text does not verify: %s", v.Message)
	}
}

// TestPrinted35mm renders the largest receipt as a 203 dpi thermal printer
// prints it 35 mm wide (280 dots for 85 modules: 3.3 dots a module, so
// modules come out 3 or 4 dots wide) and reads it back.
func TestPrinted35mm(t *testing.T) {
	a := newAuthority(t, "BIH", 1)
	r := issue(t, a, Content{RegistrationID: "BIH-7KQ4-M2XD-9TRC", FamilyName: "Testperson-Qwertyuiop", GivenNames: "Alpha Beta Gamma Delta",
		Birth: "1990-12-31", Registered: t0}, t0)
	if r.QRVersion() != MaxQRVersion {
		t.Fatalf("version %d: not the largest", r.QRVersion())
	}
	const dots = 280 // 35 mm at 203 dpi
	src := r.Image(1)
	printed := image.NewGray(image.Rect(0, 0, dots, dots))
	draw.NearestNeighbor.Scale(printed, printed.Bounds(), src, src.Bounds(), draw.Src, nil)
	var buf bytes.Buffer
	png.Encode(&buf, printed)
	text, err := ScanImage(bytes.NewReader(buf.Bytes()))
	if err != nil || text != r.Text {
		t.Fatalf("35 mm print not read: %v", err)
	}
	if zbar, err := exec.LookPath("zbarimg"); err == nil {
		f := filepath.Join(t.TempDir(), "printed.png")
		os.WriteFile(f, buf.Bytes(), 0o600)
		out, err := exec.Command(zbar, "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", f).Output()
		if err != nil || strings.TrimRight(string(out), "\n") != r.Text {
			t.Fatalf("zbarimg cannot read the 35 mm print: %v", err)
		}
	}
}

func TestScreenPhotoDecodes(t *testing.T) {
	a := newAuthority(t, "BIH", 1)
	r := issue(t, a, testContent, t0)
	seeds := uint64(3)
	if raceEnabled || testing.Short() {
		seeds = 1
	}
	for seed := uint64(1); seed <= seeds; seed++ {
		photo := screenPhoto(t, r.Image(4), seed)
		if os.Getenv("RECEIPT_WRITE_PHOTO") != "" {
			os.WriteFile(filepath.Join(os.TempDir(), "receipt-photo.jpg"), photo, 0o644)
		}
		text, err := ScanImage(bytes.NewReader(photo))
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		if v := Verify(text, a.file, t0); !v.Valid {
			t.Fatalf("seed %d: %s", seed, v.Message)
		}
	}
}

func TestScanImageRefuses(t *testing.T) {
	if _, err := ScanImage(strings.NewReader("not an image")); !errors.Is(err, ErrNotImage) {
		t.Errorf("text: %v", err)
	}
	if _, err := ScanImage(bytes.NewReader(make([]byte, MaxImageBytes+1))); !errors.Is(err, ErrTooBig) {
		t.Errorf("huge file: %v", err)
	}
	// A tiny PNG that claims 10000 x 10000 pixels is refused before decoding.
	var buf bytes.Buffer
	png.Encode(&buf, image.NewGray(image.Rect(0, 0, 1, 1)))
	b := buf.Bytes()
	copy(b[16:24], []byte{0, 0, 0x27, 0x10, 0, 0, 0x27, 0x10})
	binary.BigEndian.PutUint32(b[29:33], crc32.ChecksumIEEE(b[12:29]))
	if _, err := ScanImage(bytes.NewReader(b)); !errors.Is(err, ErrTooBig) {
		t.Errorf("huge dimensions: %v", err)
	}
	buf.Reset()
	png.Encode(&buf, image.NewGray(image.Rect(0, 0, 200, 200)))
	if _, err := ScanImage(&buf); !errors.Is(err, ErrNoCodeSeen) {
		t.Errorf("blank: %v", err)
	}
}

func TestPDF(t *testing.T) {
	a := newAuthority(t, "BIH", 1)
	r := issue(t, a, Content{RegistrationID: "BIH-7KQ4-M2XD-9TRC", FamilyName: "Testperson-Ćirić", GivenNames: "Ğülşen", Birth: "1990", Registered: t0}, t0)
	var buf bytes.Buffer
	if err := r.PDF(&buf); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	if !bytes.HasPrefix(b, []byte("%PDF-")) || !bytes.Contains(b, []byte("/MediaBox [0 0 297.64 4")) {
		t.Errorf("not an A6 PDF (%d bytes)", len(b))
	}
	if os.Getenv("RECEIPT_WRITE_PDF") != "" {
		os.WriteFile(filepath.Join(os.TempDir(), "receipt.pdf"), b, 0o644)
	}
}

// TestAttackReceiptValidity: a dishonest device (its own key, its genuine
// credential) signs receipts whose dates it chose: valid for 50 years, or
// issued before its credential existed. Neither verifies; the honest
// receipt beside them does, and Issue refuses a validity beyond policy.
func TestAttackReceiptValidity(t *testing.T) {
	a := newAuthority(t, "BIH", 1)
	signer, err := cose.NewSigner(cose.AlgorithmEdDSA, a.issuer.Key)
	if err != nil {
		t.Fatal(err)
	}
	forge := func(edit func(cl *claims)) string {
		t.Helper()
		var msg cose.Sign1Message
		if err := msg.UnmarshalCBOR(unpack(t, issue(t, a, testContent, t0).Text)); err != nil {
			t.Fatal(err)
		}
		var cl claims
		if err := decMode.Unmarshal(msg.Payload, &cl); err != nil {
			t.Fatal(err)
		}
		edit(&cl)
		text, err := seal(&cl, a.issuer.Credential.Marshal(), signer)
		if err != nil {
			t.Fatal(err)
		}
		return text
	}
	if v := Verify(forge(func(*claims) {}), a.file, t0); !v.Valid {
		t.Fatalf("control, re-signed unchanged: %s", v.Message)
	}
	fifty := forge(func(cl *claims) { cl.Expires = cl.IssuedAt + 50*365*86400 })
	if v := Verify(fifty, a.file, t0.AddDate(10, 0, 0)); v.Valid || v.Reason != ReasonPolicy || v.RegistrationID != testContent.RegistrationID {
		t.Errorf("valid for 50 years, checked after 10: %+v", v)
	}
	if v := Verify(fifty, a.file, t0); v.Valid || v.Reason != ReasonPolicy {
		t.Errorf("valid for 50 years, checked at once: %+v", v)
	}
	credIssued := a.issuer.Credential.IssuedAt
	for _, back := range []int64{2 * 3600, 23 * 3600, 400 * 86400} {
		early := forge(func(cl *claims) { cl.IssuedAt = credIssued - back; cl.Expires = cl.IssuedAt + 86400 })
		if v := Verify(early, a.file, time.Unix(credIssued-back+3600, 0)); v.Valid || v.Reason != ReasonUnknownIssuer {
			t.Errorf("issued %d s before the credential existed: %+v", back, v)
		}
	}
	// Within the clock skew allowed, and at the policy's limit: valid.
	skew := forge(func(cl *claims) {
		cl.IssuedAt = credIssued - 600
		cl.Expires = cl.IssuedAt + int64(MaxValidity/time.Second)
	})
	if v := Verify(skew, a.file, time.Unix(credIssued, 0)); !v.Valid {
		t.Errorf("10 minutes of clock skew, the longest validity: %s", v.Message)
	}
	a.issuer.Validity = MaxValidity + time.Hour
	if _, err := a.issuer.Issue(testContent, t0); err == nil {
		t.Error("Issue accepts a validity beyond policy")
	}
}
