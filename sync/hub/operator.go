package hub

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/fieldreg/fieldreg/crypto/vault"
	"github.com/fieldreg/fieldreg/sync/hubstore"
)

// Dashboard accounts ("operators"): the ministry analysts who log in to
// the read-only web dashboard (package dashboard). Each is a name and an
// Argon2id hash of their passphrase (vault.Verifier), sealed by the hub
// with a MAC under a key derived from the authority's records key: a row
// written into the database behind reghub's back (by someone who can
// reach PostgreSQL but holds no hub keys) is not an account.

// Errors callers branch on.
var (
	ErrOperatorExists = errors.New("a dashboard account of that name exists (remove it first to set a new passphrase)")
	// ErrLogin is the one answer to a wrong name or a wrong passphrase:
	// the dashboard must not tell which accounts exist.
	ErrLogin = errors.New("wrong name or passphrase")
	// ErrOperatorAltered: the account's row was changed outside reghub;
	// it grants nothing until removed and added again.
	ErrOperatorAltered = errors.New("dashboard account altered outside reghub: remove it and add it again")
)

// Limits of an account.
const (
	MaxOperatorName          = 64
	MinOperatorPassphrase    = 12
	MaxOperatorPassphrase    = 1024
	operatorSecretVersion    = 1
	operatorMACLabel         = "reghub operator account v1"
	dashboardSessionKeyLabel = "reghub dashboard session v1"
)

// Operator is a dashboard account as listed.
type Operator struct {
	Name    string
	Created time.Time
	Altered bool // the row does not carry the hub's seal: it grants nothing
}

type operatorSecret struct {
	Version  int             `json:"v"`
	Verifier json.RawMessage `json:"verifier"`
	MAC      []byte          `json:"mac"`
}

// ValidOperatorName checks an account name: 1 to 64 letters, digits,
// '.', '_', '-' or '@' (an e-mail address fits).
func ValidOperatorName(name string) error {
	if name == "" || len(name) > MaxOperatorName || !utf8.ValidString(name) {
		return fmt.Errorf("an account name is 1 to %d characters", MaxOperatorName)
	}
	for _, r := range name {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-' || r == '@'
		if !ok {
			return fmt.Errorf("an account name holds only letters a-z, digits and . _ - @ (not %q)", r)
		}
	}
	return nil
}

// derived is a key for one purpose, derived from the authority's records
// key (which every server of the hub holds, sealed in its data directory).
func (h *Hub) derived(label string) []byte {
	m := hmac.New(sha256.New, h.auth.RecordsKey)
	m.Write([]byte(label))
	return m.Sum(nil)
}

func (h *Hub) operatorMAC(name string, verifier []byte) []byte {
	m := hmac.New(sha256.New, h.derived(operatorMACLabel))
	m.Write([]byte(name))
	m.Write([]byte{0})
	m.Write(verifier)
	return m.Sum(nil)
}

// DashboardSessionKey is the key the dashboard signs its session cookies
// with: the same on every server of the hub, so a session survives a
// restart and works behind a load balancer.
func (h *Hub) DashboardSessionKey() []byte { return h.derived(dashboardSessionKeyLabel) }

// AddOperator creates a dashboard account. The passphrase is at least
// MinOperatorPassphrase bytes; it is hashed with the hub's Argon2id
// parameters.
func (h *Hub) AddOperator(ctx context.Context, name string, passphrase []byte) error {
	if err := ValidOperatorName(name); err != nil {
		return err
	}
	if len(passphrase) < MinOperatorPassphrase || len(passphrase) > MaxOperatorPassphrase {
		return fmt.Errorf("an analyst's passphrase is %d to %d bytes", MinOperatorPassphrase, MaxOperatorPassphrase)
	}
	v, err := vault.NewVerifier(passphrase, *h.opts.Params)
	if err != nil {
		return err
	}
	vb := v.Marshal()
	secret, _ := json.Marshal(operatorSecret{Version: operatorSecretVersion, Verifier: vb, MAC: h.operatorMAC(name, vb)})
	return h.st.Update(ctx, func(tx hubstore.Tx) error {
		if _, err := h.st.Operator(ctx, name); err == nil {
			return ErrOperatorExists
		} else if !errors.Is(err, hubstore.ErrNotFound) {
			return err
		}
		return tx.PutOperator(hubstore.OperatorRow{Name: name, Secret: secret, Created: h.opts.Now().UTC()})
	})
}

// RemoveOperator deletes a dashboard account: its sessions end at their
// next request. ErrLogin-free: an unknown name is hubstore.ErrNotFound.
func (h *Hub) RemoveOperator(ctx context.Context, name string) error {
	err := h.st.Update(ctx, func(tx hubstore.Tx) error { return tx.DeleteOperator(name) })
	if errors.Is(err, hubstore.ErrNotFound) {
		return fmt.Errorf("no dashboard account %q: %w", name, err)
	}
	return err
}

// Operators lists the dashboard accounts, marking the altered ones.
func (h *Hub) Operators(ctx context.Context) ([]Operator, error) {
	rows, err := h.st.Operators(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Operator, len(rows))
	for i, r := range rows {
		_, err := h.verifier(r)
		out[i] = Operator{Name: r.Name, Created: r.Created, Altered: err != nil}
	}
	return out, nil
}

// verifier opens an account's row: its hash, if the hub's seal holds.
func (h *Hub) verifier(r hubstore.OperatorRow) (*vault.Verifier, error) {
	var s operatorSecret
	if err := json.Unmarshal(r.Secret, &s); err != nil || s.Version != operatorSecretVersion {
		return nil, ErrOperatorAltered
	}
	if !hmac.Equal(s.MAC, h.operatorMAC(r.Name, s.Verifier)) {
		return nil, ErrOperatorAltered
	}
	v, err := vault.UnmarshalVerifier(s.Verifier)
	if err != nil {
		return nil, ErrOperatorAltered
	}
	return v, nil
}

// OperatorStamp identifies the current state of an account: it changes
// when the account is removed and added again, so a session cookie bound
// to it ends then. ErrLogin when the account is gone or altered.
func (h *Hub) OperatorStamp(ctx context.Context, name string) ([]byte, error) {
	r, err := h.st.Operator(ctx, name)
	if errors.Is(err, hubstore.ErrNotFound) {
		return nil, ErrLogin
	}
	if err != nil {
		return nil, err
	}
	if _, err := h.verifier(r); err != nil {
		return nil, ErrLogin
	}
	sum := sha256.Sum256(r.Secret)
	return sum[:16], nil
}

// CheckOperator checks a log-in and returns the account's stamp
// (OperatorStamp). A wrong name, a wrong passphrase and an altered account
// all return ErrLogin, after the same Argon2id work, so that neither the
// answer nor its time tells which names exist.
func (h *Hub) CheckOperator(ctx context.Context, name string, passphrase []byte) ([]byte, error) {
	r, err := h.st.Operator(ctx, name)
	if err != nil && !errors.Is(err, hubstore.ErrNotFound) {
		return nil, err
	}
	var v *vault.Verifier
	if err == nil {
		v, _ = h.verifier(r)
	}
	if v == nil {
		// The same work against a hash no passphrase matches.
		dummy := vault.Verifier{Version: 1, Params: *h.opts.Params, Salt: make([]byte, 16), Hash: make([]byte, 32)}
		_ = dummy.Check(passphrase)
		return nil, ErrLogin
	}
	if err := v.Check(passphrase); err != nil {
		return nil, ErrLogin
	}
	sum := sha256.Sum256(r.Secret)
	return sum[:16], nil
}
