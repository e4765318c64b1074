package dashboard

import (
	"context"
	"net/http/httptest"
	"testing"
)

// FuzzSessionCookie: any cookie value an attacker sends is refused
// without a panic (only the server's own signed ones are taken).
func FuzzSessionCookie(f *testing.F) {
	for _, s := range []string{"", "a.b.c", "YW5h.9999999999.AAAA", "YW5h.-1.", "...", "YW5h.1772618400.x-_", "%%%.1.1"} {
		f.Add(s)
	}
	fx := newFixture(f)
	f.Fuzz(func(t *testing.T, v string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Cookie", sessionCookie+"="+v)
		if s, err := fx.dash.session(context.Background(), r); err == nil {
			t.Fatalf("forged cookie %q taken as %+v", v, s)
		}
	})
}
