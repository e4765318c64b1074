package receipt

import (
	"bytes"
	"testing"
)

// BenchmarkIssue signs, encodes and renders the PNG of one receipt (budget:
// 50 ms).
func BenchmarkIssue(b *testing.B) {
	a := newAuthority(b, "BIH", 1)
	for b.Loop() {
		r, err := a.issuer.Issue(testContent, t0)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := r.PNG(0); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyText verifies a receipt's text, as typed by a handheld
// scanner (budget: 5 ms).
func BenchmarkVerifyText(b *testing.B) {
	a := newAuthority(b, "BIH", 1)
	text := issue(b, a, testContent, t0).Text
	for b.Loop() {
		if v := Verify(text, a.file, t0); !v.Valid {
			b.Fatal(v.Message)
		}
	}
}

// BenchmarkVerifyPNG reads and verifies a saved receipt PNG.
func BenchmarkVerifyPNG(b *testing.B) {
	a := newAuthority(b, "BIH", 1)
	png, _ := issue(b, a, testContent, t0).PNG(0)
	for b.Loop() {
		text, err := ScanImage(bytes.NewReader(png))
		if err != nil {
			b.Fatal(err)
		}
		if v := Verify(text, a.file, t0); !v.Valid {
			b.Fatal(v.Message)
		}
	}
}

// BenchmarkVerifyPhoto decodes a 1920x1080 JPEG "photo of the screen",
// finds the code and verifies it (budget: 300 ms).
func BenchmarkVerifyPhoto(b *testing.B) {
	a := newAuthority(b, "BIH", 1)
	r := issue(b, a, testContent, t0)
	photo := screenPhoto(b, r.Image(4), 1)
	for b.Loop() {
		text, err := ScanImage(bytes.NewReader(photo))
		if err != nil {
			b.Fatal(err)
		}
		if v := Verify(text, a.file, t0); !v.Valid {
			b.Fatal(v.Message)
		}
	}
}
