package device

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"strings"

	"filippo.io/age"

	"github.com/fieldreg/fieldreg/crypto/seal"
	"github.com/fieldreg/fieldreg/store"
	"github.com/fieldreg/fieldreg/sync/enrol"
	"github.com/fieldreg/fieldreg/trust"
)

// Meta keys of an enrolled device's sync settings. None is secret: the
// certificates are public and the URL is an address.
const (
	metaHubURL     = "sync:hub_url"
	metaHubCert    = "sync:hub_cert"    // DER, pinned
	metaClientCert = "sync:client_cert" // DER, this device's TLS certificate
	metaCACert     = "sync:ca_cert"     // DER, the authority as a CA
	metaLastSync   = "sync:last"        // Unix seconds of the last complete sync
	metaLastReport = "sync:last_report" // JSON SyncReport of the last attempt
)

// EnrolledConfig sets up a device from an enrolment package.
type EnrolledConfig struct {
	File       []byte // the enrolment file made by `reghub enrol`
	Code       string // the one-time code printed with it
	Officer    string // first officer, the device's supervisor
	Passphrase []byte
}

// InitEnrolled creates a device in dir that joins the deployment of an
// enrolment package: its identity, signing key and credential come from the
// package, its master key is new and wrapped by the officer's passphrase
// and to the authority's recovery key. A wrong code is enrol.ErrWrongCode;
// nothing is written until the package has opened and checked out.
func InitEnrolled(dir string, cfg EnrolledConfig, opts Options) (*Device, error) {
	opts = opts.withDefaults()
	if err := checkOfficerName(cfg.Officer); err != nil {
		return nil, err
	}
	if err := CheckPassphrase(cfg.Passphrase); err != nil {
		return nil, err
	}
	if Initialised(dir) {
		return nil, ErrInitialised
	}
	p, err := enrol.Open(cfg.File, cfg.Code)
	if err != nil {
		return nil, err
	}
	defer p.Wipe()
	root := ed25519.PublicKey(p.RootPublic)
	cred, err := trust.UnmarshalCredential(p.Credential)
	if err != nil {
		return nil, err
	}
	now := opts.Now()
	if err := cred.Verify(root, now); err != nil {
		return nil, fmt.Errorf("the enrolment file's credential does not check out: %w", err)
	}
	sign := ed25519.NewKeyFromSeed(p.SignSeed)
	defer clear(sign)
	if !sign.Public().(ed25519.PublicKey).Equal(cred.PublicKey) || cred.DeviceID != p.DeviceID || cred.Country != p.Country {
		return nil, errors.New("the enrolment file is inconsistent (its key does not match its credential)")
	}
	recip, err := age.ParseX25519Recipient(strings.TrimSpace(p.Recovery))
	if err != nil {
		return nil, errors.New("the enrolment file's recovery key is damaged")
	}
	records, err := seal.KeyFromBytes(p.RecordsKey)
	if err != nil {
		return nil, err
	}
	master, err := seal.NewKey()
	if err != nil {
		return nil, err
	}
	defer master.Wipe()
	// The sync settings go first, in their own transaction: a crash before
	// createDevice leaves a directory that is not yet a device, and running
	// init again simply overwrites them.
	st, err := store.Open(dir)
	if err != nil {
		return nil, err
	}
	err = st.Update(context.Background(), func(tx *store.Tx) error {
		for k, v := range map[string][]byte{metaHubURL: []byte(p.HubURL), metaHubCert: p.HubCert, metaClientCert: p.ClientCert, metaCACert: p.CACert, MetaHubBundleKey: []byte(p.HubBundleKey)} {
			if err := tx.PutMeta(k, v); err != nil {
				return err
			}
		}
		if l, err := trust.UnmarshalRevocationList(p.Revocations); err == nil && l.Verify(root) == nil {
			if err := tx.PutMeta(metaRevocations, p.Revocations); err != nil {
				return err
			}
		}
		return tx.PutCredential(store.CredentialRow{DeviceID: cred.DeviceID, Credential: p.Credential, Station: cred.Station})
	})
	st.Close()
	if err != nil {
		return nil, err
	}
	k := keys{master: master, records: records, index: append([]byte(nil), p.IndexKey...), sign: sign}
	if err := createDevice(dir, opts, p.DeviceID, p.DeviceName, p.Country, p.Station, "enrolled", cred, root, k, recip, cfg.Officer, cfg.Passphrase, now); err != nil {
		return nil, err
	}
	return Open(dir, opts)
}
