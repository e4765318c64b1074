package hub

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"time"

	"github.com/fieldreg/fieldreg/crypto/seal"
	"github.com/fieldreg/fieldreg/sync/hubstore"
)

// metaSealedDashboardTLS holds the web dashboard's certificate and its key
// (sealed under the records key).
const metaSealedDashboardTLS = "hub:sealed:dashboard_tls"

type dashboardTLS struct {
	Cert []byte `json:"cert"` // DER
	Key  []byte `json:"key"`  // PKCS #8 DER
}

// DashboardCertificate is the web dashboard's own TLS certificate, made at
// its first use and kept (sealed) in the hub's store, so every server of
// the hub presents the same one. The hub's device certificate cannot serve
// browsers: it is Ed25519, which browsers do not accept in TLS; this one is
// ECDSA P-256, self-signed, for the same names and addresses. Its SHA-256
// fingerprint (hex) comes with it, for analysts to check the first time.
// reghub serve --dashboard-cert/--dashboard-key uses an organisation's own
// certificate instead.
func (h *Hub) DashboardCertificate(ctx context.Context) (tls.Certificate, string, error) {
	var made []byte
	err := h.st.Update(ctx, func(tx hubstore.Tx) error {
		b, err := h.newDashboardTLS()
		if err != nil {
			return err
		}
		made, err = tx.PutMetaOnce(metaSealedDashboardTLS, b)
		return err
	})
	if err != nil {
		return tls.Certificate{}, "", fmt.Errorf("dashboard certificate: %w", err)
	}
	pt, err := seal.Open(h.records, made, seal.AD("hub", "dashboard_tls"))
	if err != nil {
		return tls.Certificate{}, "", fmt.Errorf("dashboard certificate damaged: %w", err)
	}
	defer clear(pt)
	var d dashboardTLS
	if err := json.Unmarshal(pt, &d); err != nil {
		return tls.Certificate{}, "", fmt.Errorf("dashboard certificate damaged: %w", err)
	}
	key, err := x509.ParsePKCS8PrivateKey(d.Key)
	if err != nil {
		return tls.Certificate{}, "", fmt.Errorf("dashboard certificate damaged: %w", err)
	}
	leaf, err := x509.ParseCertificate(d.Cert)
	if err != nil {
		return tls.Certificate{}, "", fmt.Errorf("dashboard certificate damaged: %w", err)
	}
	sum := sha256.Sum256(d.Cert)
	return tls.Certificate{Certificate: [][]byte{d.Cert}, PrivateKey: key, Leaf: leaf}, hex.EncodeToString(sum[:]), nil
}

// newDashboardTLS makes a certificate for the names of the hub's own, and
// seals it with its key.
func (h *Hub) newDashboardTLS() ([]byte, error) {
	hubCert, err := x509.ParseCertificate(h.certDER)
	if err != nil {
		return nil, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, err
	}
	now := h.opts.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "fieldreg dashboard " + h.auth.Country},
		NotBefore:             now.Add(-24 * time.Hour),
		NotAfter:              now.Add(825 * 24 * time.Hour), // the longest browsers accept
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		DNSNames:              hubCert.DNSNames,
		IPAddresses:           hubCert.IPAddresses,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	kb, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	pt, _ := json.Marshal(dashboardTLS{Cert: der, Key: kb})
	defer clear(pt)
	defer clear(kb)
	return seal.Seal(h.records, pt, seal.AD("hub", "dashboard_tls"))
}
