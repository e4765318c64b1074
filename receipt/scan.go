package receipt

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // photos
	_ "image/png"  // saved receipts and screenshots
	"io"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
	"golang.org/x/image/draw"
)

// Limits on images given to ScanImage.
const (
	MaxImageBytes  = 20 << 20   // encoded file size
	MaxImagePixels = 40_000_000 // width x height
)

// Errors of ScanImage callers branch on.
var (
	ErrNotImage   = errors.New("not a PNG or JPEG image")
	ErrTooBig     = errors.New("image too large")
	ErrNoCodeSeen = errors.New("no readable QR code in the image")
)

// ScanImage finds and reads a QR code in a PNG or JPEG image and returns
// its text (verify it with Verify). It refuses files over MaxImageBytes and
// images over MaxImagePixels before decoding them (ErrTooBig), and fails
// with ErrNotImage or ErrNoCodeSeen.
func ScanImage(r io.Reader) (string, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxImageBytes+1))
	if err != nil {
		return "", fmt.Errorf("receipt: read image: %w", err)
	}
	if len(b) > MaxImageBytes {
		return "", fmt.Errorf("%w: over %d MB", ErrTooBig, MaxImageBytes>>20)
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrNotImage, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > MaxImagePixels/cfg.Height {
		return "", fmt.Errorf("%w: %dx%d pixels", ErrTooBig, cfg.Width, cfg.Height)
	}
	img, _, err := image.Decode(bytes.NewReader(b))
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrNotImage, err)
	}
	return Scan(img)
}

// Scan reads a QR code in img: first as a clean, upright code (a saved PNG
// or a screenshot), then with the general detector (a photo), on a copy
// scaled down to about scanSide pixels (which also evens out sensor noise
// and speeds detection), then at full resolution, then trying harder.
func Scan(img image.Image) (string, error) {
	reader := qrcode.NewQRCodeReader()
	try := func(im image.Image, hints map[gozxing.DecodeHintType]any) (string, bool) {
		bmp, err := gozxing.NewBinaryBitmapFromImage(im)
		if err != nil {
			return "", false
		}
		res, err := reader.Decode(bmp, hints)
		if err != nil {
			return "", false
		}
		return res.GetText(), true
	}
	if text, ok := try(img, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_PURE_BARCODE: true}); ok {
		return text, nil
	}
	b := img.Bounds()
	if long := max(b.Dx(), b.Dy()); long > scanSide*5/4 {
		small := image.NewGray(image.Rect(0, 0, b.Dx()*scanSide/long, b.Dy()*scanSide/long))
		draw.BiLinear.Scale(small, small.Bounds(), img, b, draw.Src, nil)
		if text, ok := try(small, nil); ok {
			return text, nil
		}
	}
	if text, ok := try(img, nil); ok {
		return text, nil
	}
	if text, ok := try(img, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true}); ok {
		return text, nil
	}
	return "", ErrNoCodeSeen
}

// scanSide is the long side, in pixels, of the scaled-down copy of a large
// image that Scan tries first.
const scanSide = 1000
