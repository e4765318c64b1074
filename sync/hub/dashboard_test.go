package hub

import (
	"context"
	"crypto/ecdsa"
	"testing"
)

// The dashboard's certificate is ECDSA (browsers take no Ed25519), for the
// hub's names, made once and the same at every call (and every server).
func TestDashboardCertificate(t *testing.T) {
	ctx := context.Background()
	h := newTestHub(t, "BIH", false)
	c1, fp1, err := h.DashboardCertificate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := c1.PrivateKey.(*ecdsa.PrivateKey); !ok {
		t.Fatalf("key %T", c1.PrivateKey)
	}
	if err := c1.Leaf.VerifyHostname("localhost"); err != nil {
		t.Fatal(err)
	}
	c2, fp2, err := h.DashboardCertificate(ctx)
	if err != nil || fp1 != fp2 || len(fp1) != 64 || string(c2.Certificate[0]) != string(c1.Certificate[0]) {
		t.Fatalf("a second call: %s vs %s, %v", fp1, fp2, err)
	}
	if len(h.DashboardSessionKey()) != 32 {
		t.Fatal("session key size")
	}
}
