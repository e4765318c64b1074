package device

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/fieldreg/fieldreg/store"
)

// The audit log is a hash chain: each entry's Hash is SHA-256 over the
// previous Hash and the entry, so a changed, removed or reordered entry breaks
// every later link. Entries written while the device is unlocked also carry an
// HMAC of their Hash under a key derived from the master key, which an
// attacker without a passphrase cannot compute: rewriting the chain up to the
// last MAC-carrying entry is detected. Failed unlocks (no key yet) are chained
// without a MAC and are covered by the next MAC.

func entryHash(prev []byte, e store.AuditEntry) []byte {
	h := sha256.New()
	h.Write(prev)
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(e.Seq))
	h.Write(n[:])
	binary.BigEndian.PutUint64(n[:], uint64(e.At.UnixMilli()))
	h.Write(n[:])
	for _, s := range []string{e.Officer, e.Action, e.Record, e.Detail} {
		binary.BigEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	return h.Sum(nil)
}

func entryMAC(key, hash []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(hash)
	return m.Sum(nil)
}

// appendAudit adds an entry inside tx. key may be nil (device locked).
// detail must never hold personal data.
func appendAudit(tx *store.Tx, key []byte, at time.Time, officer, action, record, detail string) error {
	last, err := tx.LastAudit()
	if err != nil {
		return err
	}
	e := store.AuditEntry{Seq: last.Seq + 1, At: at, Officer: officer, Action: action, Record: record, Detail: detail}
	e.Hash = entryHash(last.Hash, e)
	e.MAC = []byte{}
	if key != nil {
		e.MAC = entryMAC(key, e.Hash)
	}
	return tx.AppendAudit(e)
}

// AuditReport is the outcome of verifying the audit log and the records.
type AuditReport struct {
	Entries  int
	OK       bool
	Problems []string // plain-language findings, first the earliest
	LastMAC  int64    // sequence number of the last authenticated entry
	// Records are the records that fail the integrity check
	// (CheckIntegrity): named by ID, never by content.
	Records []RecordProblem
	// Checked is how many records the integrity check covered.
	Checked int
}

// VerifyAudit checks the chain and every MAC of the audit log, and the
// authentication code of every officer entry (removed ones too), and the
// integrity of every record against its signed events (CheckIntegrity).
// OK is false when any finds a problem.
func (s *Session) VerifyAudit() (AuditReport, error) {
	if err := s.check(); err != nil {
		return AuditReport{}, err
	}
	var macKey []byte
	if err := s.withKeys(func(k *keys) error { macKey = slices.Clone(k.audit); return nil }); err != nil {
		return AuditReport{}, err
	}
	defer clear(macKey)
	var rep AuditReport
	var prev []byte
	var expect int64 = 1
	err := s.d.st.Audit(func(e store.AuditEntry) error {
		rep.Entries++
		if e.Seq != expect {
			rep.Problems = append(rep.Problems, fmt.Sprintf("entry %d: expected entry %d here (entries removed or reordered)", e.Seq, expect))
		}
		expect = e.Seq + 1
		want := entryHash(prev, e)
		if !bytes.Equal(want, e.Hash) {
			rep.Problems = append(rep.Problems, fmt.Sprintf("entry %d: content or order changed (hash chain broken)", e.Seq))
		}
		if len(e.MAC) > 0 {
			if !hmac.Equal(e.MAC, entryMAC(macKey, e.Hash)) {
				rep.Problems = append(rep.Problems, fmt.Sprintf("entry %d: authentication code wrong (entry forged or chain rewritten)", e.Seq))
			} else {
				rep.LastMAC = e.Seq
			}
		}
		prev = e.Hash
		return nil
	})
	if err != nil {
		return rep, err
	}
	if rep.Entries == 0 {
		rep.Problems = append(rep.Problems, "the audit log is empty (it always holds the device's creation)")
	}
	altered, err := s.officerProblems()
	if err != nil {
		return rep, err
	}
	for _, o := range altered {
		state := ""
		if o.Removed {
			state = "removed "
		}
		rep.Problems = append(rep.Problems, fmt.Sprintf("%sofficer entry %s (%q): changed outside fieldreg (its authentication code does not verify); it grants nothing", state, o.ID, o.Name))
	}
	if rep.Checked, rep.Records, err = s.CheckIntegrity(context.Background()); err != nil {
		return rep, err
	}
	rep.OK = len(rep.Problems) == 0 && len(rep.Records) == 0
	if err := s.audit("audit_verify", "", fmt.Sprintf("ok=%v entries=%d damaged_records=%d", rep.OK, rep.Entries, len(rep.Records))); err != nil {
		return rep, err
	}
	return rep, nil
}

// AuditEntry is an audit log entry for display.
type AuditEntry struct {
	Seq     int64
	At      time.Time
	Officer string // name
	Action  string
	Record  string
	Detail  string
}

// AuditLog returns the newest limit entries of the audit log, newest first
// (supervisors only).
func (s *Session) AuditLog(limit int) ([]AuditEntry, error) {
	if err := s.requireSupervisor(); err != nil {
		return nil, err
	}
	var out []AuditEntry
	n, err := s.namer()
	if err != nil {
		return nil, err
	}
	name := n.localName // the audit log is this device's own
	err = s.d.st.RecentAudit(limit, func(e store.AuditEntry) error {
		detail := e.Detail
		if strings.HasPrefix(e.Action, "officer_") {
			// The officer an entry is about, by name (the log stores the ID).
			words := strings.Fields(detail)
			for i, w := range words {
				words[i] = name(w)
			}
			detail = strings.Join(words, " ")
		}
		out = append(out, AuditEntry{Seq: e.Seq, At: e.At, Officer: name(e.Officer), Action: e.Action, Record: e.Record, Detail: detail})
		return nil
	})
	return out, err
}
