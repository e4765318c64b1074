// Package pki turns a country authority into the X.509 certificates of sync's
// mutually authenticated TLS: the authority's Ed25519 root key acts as the
// certificate authority, the hub gets a server certificate, and each device a
// client certificate for its own signing key, naming its device ID.
//
// Devices pin the hub's exact certificate (it travels in the enrolment
// package), so a certificate for another hub, even one issued by the same
// authority, is refused as ErrCertMismatch.
package pki

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"net"
	"time"

	"github.com/fieldreg/fieldreg/trust"
)

// ErrCertMismatch means the hub presented a certificate other than the one
// pinned at enrolment: another server, or an interception. Retrying does not
// help; re-enrol if the hub's certificate was really renewed.
var ErrCertMismatch = errors.New("certificate mismatch: this is not the hub this device was enrolled with")

func serial() (*big.Int, error) {
	return rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
}

func rootKey(a *trust.Authority) ed25519.PrivateKey { return ed25519.NewKeyFromSeed(a.RootSeed) }

// CA makes the authority's self-signed CA certificate (DER).
func CA(a *trust.Authority, now time.Time) ([]byte, error) {
	sn, err := serial()
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          sn,
		Subject:               pkix.Name{CommonName: "fieldreg authority " + a.Country, Country: []string{a.Country[:2]}},
		NotBefore:             now.Add(-24 * time.Hour),
		NotAfter:              now.Add(20 * 365 * 24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		MaxPathLenZero:        true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	k := rootKey(a)
	return x509.CreateCertificate(rand.Reader, tmpl, tmpl, k.Public(), k)
}

func issue(a *trust.Authority, caDER []byte, tmpl *x509.Certificate, pub ed25519.PublicKey) ([]byte, error) {
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, fmt.Errorf("pki: authority certificate damaged: %w", err)
	}
	if tmpl.SerialNumber, err = serial(); err != nil {
		return nil, err
	}
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	return x509.CreateCertificate(rand.Reader, tmpl, ca, pub, rootKey(a))
}

// HubCert issues the hub's server certificate for hosts (DNS names or IP
// addresses; localhost and the loopback addresses are always included).
func HubCert(a *trust.Authority, caDER []byte, pub ed25519.PublicKey, hosts []string, now time.Time) ([]byte, error) {
	tmpl := &x509.Certificate{
		Subject:     pkix.Name{CommonName: "fieldreg hub " + a.Country},
		NotBefore:   now.Add(-24 * time.Hour),
		NotAfter:    now.Add(10 * 365 * 24 * time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:    []string{"localhost"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else if h != "" && h != "localhost" {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	return issue(a, caDER, tmpl, pub)
}

// ClientCert issues a device's client certificate for its signing key, with
// the device ID as common name, valid as long as its credential.
func ClientCert(a *trust.Authority, caDER []byte, cred *trust.Credential) ([]byte, error) {
	tmpl := &x509.Certificate{
		Subject:     pkix.Name{CommonName: cred.DeviceID, OrganizationalUnit: []string{cred.Station}},
		NotBefore:   time.Unix(cred.IssuedAt, 0).Add(-24 * time.Hour),
		NotAfter:    time.Unix(cred.ExpiresAt, 0),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	return issue(a, caDER, tmpl, cred.PublicKey)
}

// ServerConfig is the hub's TLS configuration: TLS 1.3, its certificate, and
// client certificates verified against the authority's CA when given (a
// certificate from anywhere else fails the handshake). The handler requires
// one on every device path and decides about revocation, so the device gets
// a plain answer instead of a handshake failure; /healthz needs none.
func ServerConfig(caDER, certDER []byte, key ed25519.PrivateKey) (*tls.Config, error) {
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, fmt.Errorf("pki: authority certificate damaged: %w", err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	return &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{{Certificate: [][]byte{certDER}, PrivateKey: key}},
		ClientAuth:   tls.VerifyClientCertIfGiven, // /healthz needs none; device paths require one
		ClientCAs:    pool,
	}, nil
}

// ClientConfig is a device's TLS configuration: its client certificate, and
// the hub's certificate pinned (ErrCertMismatch for any other).
func ClientConfig(hubDER, clientDER []byte, key ed25519.PrivateKey) *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{{Certificate: [][]byte{clientDER}, PrivateKey: key}},
		// The pin below replaces name and chain checks: only the exact
		// certificate from the enrolment package is accepted.
		InsecureSkipVerify: true,
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 || !bytes.Equal(cs.PeerCertificates[0].Raw, hubDER) {
				return ErrCertMismatch
			}
			return nil
		},
	}
}

// DeviceID returns the device a verified client certificate names.
func DeviceID(cs *tls.ConnectionState) (string, ed25519.PublicKey, bool) {
	if cs == nil || len(cs.VerifiedChains) == 0 || len(cs.PeerCertificates) == 0 {
		return "", nil, false
	}
	leaf := cs.PeerCertificates[0]
	pub, ok := leaf.PublicKey.(ed25519.PublicKey)
	if !ok || leaf.Subject.CommonName == "" {
		return "", nil, false
	}
	return leaf.Subject.CommonName, pub, true
}
