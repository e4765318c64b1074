package limits

import (
	"testing"
	"time"
)

// BenchmarkLimits reports the machine's ceilings (one Measure per
// iteration): `go test -run '^$' -bench Limits -benchtime 1x ./internal/limits/`.
func BenchmarkLimits(b *testing.B) {
	for i := 0; i < b.N; i++ {
		c, err := Measure(b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		Report(b, c)
	}
}

func TestDurableAndBulkInsert(t *testing.T) {
	dir := t.TempDir()
	p50, p99, err := DurableInsert(dir, 20)
	if err != nil || p50 <= 0 || p99 < p50 {
		t.Fatalf("durable insert: p50 %v p99 %v %v", p50, p99, err)
	}
	if _, _, err := DurableInsert(t.TempDir(), 0); err == nil {
		t.Fatal("no insert timed, no error")
	}
	// A second run in the same directory finds its table: refused, not
	// measured on top of the first.
	if _, _, err := DurableInsert(dir, 5); err == nil {
		t.Fatal("a directory already measured was measured again")
	}
	if r, err := BulkInsert(t.TempDir(), 5000); err != nil || r <= 0 {
		t.Fatalf("bulk insert: %v rows/s %v", r, err)
	}
}

func TestCryptoCeilings(t *testing.T) {
	for name, d := range map[string]time.Duration{"sign": Sign(), "verify": Verify(), "seal": Seal64()} {
		if d <= 0 || d > 10*time.Millisecond {
			t.Errorf("%s: %v per operation", name, d)
		}
	}
	if v := VerifyPerSec(50 * time.Millisecond); v <= 0 {
		t.Errorf("verify ceiling %v/s", v)
	}
}
