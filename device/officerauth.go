package device

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/fieldreg/fieldreg/crypto/seal"
	"github.com/fieldreg/fieldreg/store"
)

// Officer rows are plaintext (the unlock screen lists the names before any
// key is open), so each row carries an HMAC-SHA-256 of its ID, name, role,
// key wrap, creation time and removal under a key derived from the device
// master key: only an unlocked session can write a row that verifies. The
// wrap is covered so that one officer's wrap copied into a supervisor's row
// does not let their passphrase open the supervisor's entry. The failure
// counter and lock-out are not covered: they change before unlock, when no
// key is open.
//
// Rows written before officer rows were authenticated have no code. They
// get one at the first unlock after the upgrade, which writes the audit
// entry actionOfficersAuthenticated (new devices write it when created).
// From then on a row without a code is an altered row like any other: a row
// stripped of its code is not taken for an old one, since that audit entry
// is authenticated and removing it breaks the audit chain.

// ErrOfficerAltered means an officer's entry on this device was changed
// outside fieldreg (its authentication code does not verify): it grants
// nothing, not even unlocking, until a supervisor removes it and adds the
// officer again.
var ErrOfficerAltered = errors.New("this officer's entry on the device was changed outside fieldreg: it cannot be used; a supervisor must remove it and add the officer again")

// actionOfficersAuthenticated is the audit action written when officer rows
// start carrying authentication codes on this device.
const actionOfficersAuthenticated = "officers_authenticated"

// officerKey is the key of officer row codes.
func officerKey(master *seal.Key) []byte { return derive(master, "officers v1") }

// officerMAC is the authentication code of o's covered fields.
func officerMAC(key []byte, o store.Officer) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("fieldreg officer row v1\x00"))
	var n [8]byte
	for _, f := range [][]byte{[]byte(o.ID), []byte(o.Name), []byte(strconv.FormatBool(o.Supervisor)), o.Wrap,
		[]byte(strconv.FormatInt(o.Created.Unix(), 10)), []byte(strconv.FormatBool(o.Removed))} {
		binary.BigEndian.PutUint64(n[:], uint64(len(f)))
		m.Write(n[:])
		m.Write(f)
	}
	return m.Sum(nil)
}

// officerValid reports whether o's code verifies.
func officerValid(key []byte, o store.Officer) bool {
	return len(o.MAC) > 0 && hmac.Equal(o.MAC, officerMAC(key, o))
}

// sealedOfficer returns o with its code set.
func sealedOfficer(key []byte, o store.Officer) store.Officer {
	o.MAC = officerMAC(key, o)
	return o
}

// authenticateOldOfficers gives a code to the rows written before officer
// rows were authenticated, once: if the audit log already holds an
// authenticated actionOfficersAuthenticated entry, a row without a code was
// stripped of it and stays unverified. It returns how many rows it sealed.
func authenticateOldOfficers(tx *store.Tx, k *keys, at time.Time, officer string) (int, error) {
	rows, err := tx.AllOfficers()
	if err != nil {
		return 0, err
	}
	var old []store.Officer
	for _, o := range rows {
		if len(o.MAC) == 0 {
			old = append(old, o)
		}
	}
	if len(old) == 0 {
		return 0, nil
	}
	done, err := officersAuthenticated(tx, k.audit)
	if err != nil || done {
		return 0, err
	}
	for _, o := range old {
		if err := tx.UpdateOfficer(sealedOfficer(k.officers, o)); err != nil {
			return 0, err
		}
	}
	return len(old), appendAudit(tx, k.audit, at, officer, actionOfficersAuthenticated, "",
		fmt.Sprintf("%d officer entries of an earlier version given an authentication code", len(old)))
}

// officersAuthenticated reports whether the audit log holds an authentic
// actionOfficersAuthenticated entry (its hash follows from its content and
// its predecessor's hash, and its code verifies).
func officersAuthenticated(tx *store.Tx, auditKey []byte) (bool, error) {
	found := false
	err := tx.AuditWithPrev(actionOfficersAuthenticated, func(e store.AuditEntry, prev []byte) error {
		if len(e.MAC) > 0 && hmac.Equal(e.MAC, entryMAC(auditKey, e.Hash)) && hmac.Equal(e.Hash, entryHash(prev, e)) {
			found = true
		}
		return nil
	})
	return found, err
}

// Officers lists the officers of the device, by name, each checked against
// its authentication code: Altered marks a row that fails the check (it
// grants nothing).
func (s *Session) Officers() ([]Officer, error) {
	rows, err := s.d.st.Officers()
	if err != nil {
		return nil, err
	}
	out := make([]Officer, len(rows))
	err = s.withKeys(func(k *keys) error {
		for i, o := range rows {
			out[i] = s.d.toOfficer(o)
			out[i].Altered = !officerValid(k.officers, o)
			if out[i].Altered {
				out[i].Supervisor = false
			}
		}
		return nil
	})
	return out, err
}

// OfficerProblem is an officer row that fails its check, for the audit.
type OfficerProblem struct {
	ID      string
	Name    string
	Removed bool
}

// officerProblems lists the officer rows, removed ones too, whose code does
// not verify.
func (s *Session) officerProblems() ([]OfficerProblem, error) {
	rows, err := s.d.st.AllOfficers()
	if err != nil {
		return nil, err
	}
	var out []OfficerProblem
	err = s.withKeys(func(k *keys) error {
		for _, o := range rows {
			if !officerValid(k.officers, o) {
				out = append(out, OfficerProblem{ID: o.ID, Name: o.Name, Removed: o.Removed})
			}
		}
		return nil
	})
	return out, err
}
