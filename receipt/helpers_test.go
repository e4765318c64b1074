package receipt

import (
	"bytes"
	"compress/zlib"
	"crypto/ed25519"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/fieldreg/fieldreg/trust"
)

// t0 is the fixed clock of these tests.
var t0 = time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)

// detRand is a deterministic byte source so keys and receipts repeat.
type detRand struct{ r *rand.ChaCha8 }

func newDetRand(seed byte) *detRand {
	var s [32]byte
	s[0] = seed
	return &detRand{rand.NewChaCha8(s)}
}

func (d *detRand) Read(p []byte) (int, error) { return d.r.Read(p) }

// authority is a test country authority with one device.
type authority struct {
	auth   *trust.Authority
	issuer *Issuer
	file   *trust.File
}

func newAuthority(t testing.TB, country string, seed byte) *authority {
	t.Helper()
	rnd := newDetRand(seed)
	a, err := trust.NewAuthority(country, rnd, t0.AddDate(-1, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	pub, priv, err := ed25519.GenerateKey(rnd)
	if err != nil {
		t.Fatal(err)
	}
	cred := a.IssueCredential("0123456789abcdef", "tablet-07", country+"-VELIKA-KLADUSA", pub, t0.AddDate(-1, 0, 0), 5*365*24*time.Hour)
	return &authority{auth: a, issuer: &Issuer{Credential: cred, Key: priv, Rand: rnd},
		file: &trust.File{Countries: []trust.Country{{Country: country, RootKeys: []ed25519.PublicKey{a.RootPublic()}}}}}
}

// revoke makes the trust file revoke the authority's device at at.
func (a *authority) revoke(t testing.TB, at time.Time) {
	t.Helper()
	l, err := a.auth.SignRevocations([]trust.Revocation{{DeviceID: a.issuer.Credential.DeviceID, RevokedAt: at.Unix()}}, at)
	if err != nil {
		t.Fatal(err)
	}
	a.file.Countries[0].Revocations = l
}

var testContent = Content{RegistrationID: "BIH-7KQ4-M2XD-9TRC", FamilyName: "Testperson", GivenNames: "Alpha", Birth: "1990",
	Registered: t0.Add(-time.Hour)}

func issue(t testing.TB, a *authority, c Content, now time.Time) *Receipt {
	t.Helper()
	r, err := a.issuer.Issue(c, now)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// unpack returns the COSE bytes inside a receipt text.
func unpack(t testing.TB, text string) []byte {
	t.Helper()
	z, err := decodeBase45(strings.TrimPrefix(text, Prefix))
	if err != nil {
		t.Fatal(err)
	}
	b, err := inflate(z)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// pack is the inverse of unpack.
func pack(signed []byte) string {
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write(signed)
	zw.Close()
	return Prefix + encodeBase45(z.Bytes())
}

// screenPhoto synthesises a 1920x1080 "photo of a screen" showing the QR
// code: scaled by a non-integer factor, rotated a little, placed off centre
// on an uneven grey background, washed out, blurred, noisy, and saved as a
// JPEG, the way a phone camera sees a tablet screen.
func screenPhoto(t testing.TB, qr image.Image, seed uint64) []byte {
	t.Helper()
	const W, H = 1920, 1080
	src := image.NewGray(qr.Bounds())
	for y := qr.Bounds().Min.Y; y < qr.Bounds().Max.Y; y++ {
		for x := qr.Bounds().Min.X; x < qr.Bounds().Max.X; x++ {
			src.Set(x, y, qr.At(x, y))
		}
	}
	sw := float64(src.Bounds().Dx())
	side := 560.0 // QR side in the photo, px
	scale := sw / side
	cx, cy := 1250.0, 470.0 // centre of the code: right of and above the middle
	ang := 4 * math.Pi / 180
	cos, sin := math.Cos(ang), math.Sin(ang)
	rng := rand.New(rand.NewPCG(seed, 7))
	sample := func(fx, fy float64) (float64, bool) {
		if fx < 0 || fy < 0 || fx >= sw-1 || fy >= sw-1 {
			return 0, false
		}
		x0, y0 := int(fx), int(fy)
		ax, ay := fx-float64(x0), fy-float64(y0)
		p := func(x, y int) float64 { return float64(src.GrayAt(x, y).Y) }
		return (p(x0, y0)*(1-ax)+p(x0+1, y0)*ax)*(1-ay) + (p(x0, y0+1)*(1-ax)+p(x0+1, y0+1)*ax)*ay, true
	}
	raw := make([]float64, W*H)
	for y := 0; y < H; y++ {
		for x := 0; x < W; x++ {
			// Background: a grey screen bezel and desk, lit unevenly.
			v := 95 + 40*float64(x)/W + 25*math.Sin(float64(y)/170)
			dx, dy := float64(x)-cx, float64(y)-cy
			// Inverse rotation into the code's frame.
			u := (cos*dx+sin*dy)*scale + sw/2
			w := (-sin*dx+cos*dy)*scale + sw/2
			if s, ok := sample(u, w); ok {
				v = 45 + s*(200-45)/255 // a screen's black is grey, its white not paper white
			}
			raw[y*W+x] = v
		}
	}
	img := image.NewGray(image.Rect(0, 0, W, H))
	for y := 0; y < H; y++ {
		for x := 0; x < W; x++ {
			// 3x3 box blur (focus), then sensor noise.
			sum, n := 0.0, 0.0
			for j := max(0, y-1); j <= min(H-1, y+1); j++ {
				for i := max(0, x-1); i <= min(W-1, x+1); i++ {
					sum += raw[j*W+i]
					n++
				}
			}
			v := sum/n + rng.NormFloat64()*9
			img.SetGray(x, y, color.Gray{Y: uint8(max(0, min(255, v)))})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 82}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
