package device

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"filippo.io/age"

	"github.com/fieldreg/fieldreg/crypto/vault"
	"github.com/fieldreg/fieldreg/store"
	"github.com/fieldreg/fieldreg/trust"
)

// Officer is an officer of this device as the unlock screen shows it.
type Officer struct {
	ID         string
	Name       string
	Supervisor bool
	Locked     bool          // locked out after too many wrong passphrases
	RetryAfter time.Duration // remaining delay before the next attempt
	// Altered marks an entry changed outside fieldreg (its authentication
	// code does not verify): it grants nothing. Only Session.Officers can
	// tell; before unlock no key is open and it is always false.
	Altered bool
}

func (d *Device) toOfficer(o store.Officer) Officer {
	wait := o.NotBefore.Sub(d.opts.Now())
	if wait < 0 {
		wait = 0
	}
	return Officer{ID: o.ID, Name: o.Name, Supervisor: o.Supervisor, Locked: o.Locked, RetryAfter: wait}
}

// Officers lists the officers of the device, by name, as the unlock screen
// needs them: names are plaintext and not yet checked (Session.Officers
// checks them).
func (d *Device) Officers() ([]Officer, error) {
	rows, err := d.st.Officers()
	if err != nil {
		return nil, err
	}
	out := make([]Officer, len(rows))
	for i, o := range rows {
		out[i] = d.toOfficer(o)
	}
	return out, nil
}

// OfficerByName finds an officer by name (case-insensitive).
func (d *Device) OfficerByName(name string) (Officer, error) {
	all, err := d.Officers()
	if err != nil {
		return Officer{}, err
	}
	for _, o := range all {
		if strings.EqualFold(o.Name, strings.TrimSpace(name)) {
			return o, nil
		}
	}
	return Officer{}, ErrUnknownOfficer
}

// DefaultOfficer is the officer the CLI acts as when none is named: the first
// supervisor.
func (d *Device) DefaultOfficer() (Officer, error) {
	all, err := d.Officers()
	if err != nil {
		return Officer{}, err
	}
	for _, o := range all {
		if o.Supervisor {
			return o, nil
		}
	}
	if len(all) > 0 {
		return all[0], nil
	}
	return Officer{}, ErrUnknownOfficer
}

// failureDelay is the wait after the n-th consecutive wrong passphrase.
func failureDelay(n int) time.Duration {
	if n <= 1 {
		return time.Second
	}
	return time.Duration(1<<(n-1)) * time.Second
}

// Unlock opens a session for officer with passphrase. A wrong passphrase is
// an *UnlockError with the delay before the next try; after MaxFailures in a
// row the officer is locked (ErrOfficerLocked) until a supervisor unlocks
// them. Failures are counted in the database, so restarting the app does not
// reset them, and every attempt is audit-logged.
func (d *Device) Unlock(officerID string, passphrase []byte) (*Session, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	o, err := d.st.Officer(officerID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrUnknownOfficer
	}
	if err != nil {
		return nil, err
	}
	now := d.opts.Now()
	if o.Locked {
		return nil, ErrOfficerLocked
	}
	if now.Before(o.NotBefore) {
		return nil, &UnlockError{Err: ErrTooSoon, RetryAfter: o.NotBefore.Sub(now), Remaining: MaxFailures - o.Failed}
	}
	w, err := vault.UnmarshalWrap(o.Wrap)
	if err != nil {
		return nil, err
	}
	master, err := w.Unwrap(passphrase)
	if errors.Is(err, vault.ErrWrongPassphrase) {
		failed := o.Failed + 1
		locked := failed >= MaxFailures
		delay := failureDelay(failed)
		if err := d.st.SetOfficerFailures(o.ID, failed, now.Add(delay), locked); err != nil {
			return nil, err
		}
		action := "unlock_failed"
		if locked {
			action = "officer_locked"
		}
		_ = d.st.Update(context.Background(), func(tx *store.Tx) error {
			return appendAudit(tx, nil, now, o.ID, action, "", fmt.Sprintf("attempt %d", failed))
		})
		if locked {
			return nil, ErrOfficerLocked
		}
		return nil, &UnlockError{Err: vault.ErrWrongPassphrase, RetryAfter: delay, Remaining: MaxFailures - failed}
	}
	if err != nil {
		return nil, err
	}
	k, err := d.openKeys(master)
	if err != nil {
		master.Wipe()
		return nil, fmt.Errorf("the passphrase is right but the device keys do not open (damaged data): %w", err)
	}
	if err := d.checkUnlockingOfficer(k, &o, now); err != nil {
		k.wipe()
		return nil, err
	}
	if o.Failed > 0 {
		if err := d.st.SetOfficerFailures(o.ID, 0, time.Time{}, false); err != nil {
			return nil, err
		}
	}
	s := &Session{d: d, officer: d.toOfficer(o), k: k}
	if err := s.audit("unlock", "", ""); err != nil {
		s.Lock()
		return nil, err
	}
	return s, nil
}

// checkUnlockingOfficer gives old rows their code (authenticateOldOfficers)
// and refuses o, audit-logged, if its row does not verify: an altered row
// grants nothing, not even a session as a plain officer, since its ID, name
// or wrap may be what was altered.
func (d *Device) checkUnlockingOfficer(k *keys, o *store.Officer, now time.Time) error {
	rows, err := d.st.AllOfficers()
	if err != nil {
		return err
	}
	old := slices.ContainsFunc(rows, func(r store.Officer) bool { return len(r.MAC) == 0 })
	if !old && officerValid(k.officers, *o) {
		return nil // the usual case: no write
	}
	altered := false
	err = d.st.Update(context.Background(), func(tx *store.Tx) error {
		if _, err := authenticateOldOfficers(tx, k, now, o.ID); err != nil {
			return err
		}
		cur, err := tx.Officer(o.ID)
		if err != nil {
			return err
		}
		if officerValid(k.officers, cur) {
			*o = cur
			return nil
		}
		altered = true // committed with its audit entry, then refused
		return appendAudit(tx, k.audit, now, o.ID, "unlock_refused", "", "officer entry altered outside fieldreg")
	})
	if err == nil && altered {
		err = ErrOfficerAltered
	}
	return err
}

// Recover resets (or creates) officer's passphrase with the authority's
// recovery key, for a device whose officers all lost their passphrases. The
// officer becomes a supervisor and is unlocked.
func (d *Device) Recover(recoveryKey string, officerName string, newPass []byte) error {
	if err := CheckPassphrase(newPass); err != nil {
		return err
	}
	if err := checkOfficerName(officerName); err != nil {
		return err
	}
	// Typed back from paper: spaces, line breaks and letter case do not
	// matter (the key is Bech32, one case throughout).
	id, err := age.ParseX25519Identity(strings.ToUpper(strings.Join(strings.Fields(recoveryKey), "")))
	if err != nil {
		return errors.New("that is not a recovery key (it starts with AGE-SECRET-KEY-1)")
	}
	wrapped, err := d.st.GetMeta("recovery_wrap")
	if err != nil {
		return err
	}
	master, err := vault.UnwrapWithIdentity(wrapped, id)
	if err != nil {
		return errors.New("this recovery key does not belong to this device's authority")
	}
	k, err := d.openKeys(master)
	if err != nil {
		master.Wipe()
		return err
	}
	defer k.wipe()
	wrap, err := vault.WrapKey(master, newPass, *d.opts.Params)
	if err != nil {
		return err
	}
	now := d.opts.Now()
	return d.st.Update(context.Background(), func(tx *store.Tx) error {
		o, err := d.OfficerByName(officerName)
		action := "recover_reset"
		if errors.Is(err, ErrUnknownOfficer) {
			newID, err := trust.NewDeviceID(d.opts.Rand)
			if err != nil {
				return err
			}
			o = Officer{ID: newID, Name: strings.TrimSpace(officerName)}
			if _, err := authenticateOldOfficers(tx, k, now, o.ID); err != nil {
				return err
			}
			row := store.Officer{ID: o.ID, Name: o.Name, Supervisor: true, Wrap: wrap.Marshal(), Created: now}
			if err := tx.InsertOfficer(sealedOfficer(k.officers, row)); err != nil {
				return err
			}
			action = "recover_new_officer"
		} else if err != nil {
			return err
		} else {
			if _, err := authenticateOldOfficers(tx, k, now, o.ID); err != nil {
				return err
			}
			// The authority's key vouches for this officer, whatever
			// their entry held: it is sealed anew, as a supervisor.
			row, err := tx.Officer(o.ID)
			if err != nil {
				return err
			}
			row.Wrap, row.Supervisor, row.Failed, row.NotBefore, row.Locked = wrap.Marshal(), true, 0, time.Time{}, false
			if err := tx.UpdateOfficer(sealedOfficer(k.officers, row)); err != nil {
				return err
			}
		}
		return appendAudit(tx, k.audit, now, o.ID, action, "", "with the authority's recovery key")
	})
}

func (s *Session) requireSupervisor() error {
	if err := s.check(); err != nil {
		return err
	}
	if !s.officer.Supervisor {
		return ErrNotSupervisor
	}
	return nil
}

// AddOfficer adds an officer with an initial passphrase (supervisors only).
func (s *Session) AddOfficer(name string, pass []byte, supervisor bool) (Officer, error) {
	if err := s.requireSupervisor(); err != nil {
		return Officer{}, err
	}
	if err := checkOfficerName(name); err != nil {
		return Officer{}, err
	}
	if err := CheckPassphrase(pass); err != nil {
		return Officer{}, err
	}
	if _, err := s.d.OfficerByName(name); err == nil {
		return Officer{}, errors.New("an officer with this name already exists on this device")
	}
	var wrap *vault.Wrap
	err := s.withKeys(func(k *keys) (err error) { wrap, err = vault.WrapKey(k.master, pass, *s.d.opts.Params); return err })
	if err != nil {
		return Officer{}, err
	}
	id, err := trust.NewDeviceID(s.d.opts.Rand)
	if err != nil {
		return Officer{}, err
	}
	o := store.Officer{ID: id, Name: strings.TrimSpace(name), Supervisor: supervisor, Wrap: wrap.Marshal(), Created: s.d.opts.Now()}
	err = s.d.st.Update(context.Background(), func(tx *store.Tx) error {
		var row store.Officer
		if err := s.withKeys(func(k *keys) error { row = sealedOfficer(k.officers, o); return nil }); err != nil {
			return err
		}
		if err := tx.InsertOfficer(row); err != nil {
			return err
		}
		detail := "officer"
		if supervisor {
			detail = "supervisor"
		}
		return s.auditTx(tx, "officer_add", "", detail+" "+id)
	})
	if err != nil {
		return Officer{}, err
	}
	return s.d.toOfficer(o), nil
}

// RemoveOfficer removes an officer (supervisors only; not oneself, and not
// the last supervisor). Their key wrap is destroyed; history keeps the name.
func (s *Session) RemoveOfficer(id string) error {
	if err := s.requireSupervisor(); err != nil {
		return err
	}
	if id == s.officer.ID {
		return errors.New("you cannot remove yourself; ask another supervisor")
	}
	return s.d.st.Update(context.Background(), func(tx *store.Tx) error {
		// An altered entry can be removed (that is how a supervisor clears
		// it); removed, it opens nothing, since its wrap is destroyed.
		detail := id
		err := s.updateOfficer(tx, id, true, func(o *store.Officer, valid bool) {
			o.Removed, o.Wrap = true, []byte{}
			if !valid {
				detail += " (entry altered outside fieldreg)"
			}
		})
		if err != nil {
			return err
		}
		return s.auditTx(tx, "officer_remove", "", detail)
	})
}

// ResetPassphrase sets a new passphrase for an officer and unlocks them
// (supervisors only; any officer may change their own).
func (s *Session) ResetPassphrase(id string, newPass []byte) error {
	if id != s.officer.ID {
		if err := s.requireSupervisor(); err != nil {
			return err
		}
	} else if err := s.check(); err != nil {
		return err
	}
	if err := CheckPassphrase(newPass); err != nil {
		return err
	}
	var wrap *vault.Wrap
	err := s.withKeys(func(k *keys) (err error) { wrap, err = vault.WrapKey(k.master, newPass, *s.d.opts.Params); return err })
	if err != nil {
		return err
	}
	return s.d.st.Update(context.Background(), func(tx *store.Tx) error {
		err := s.updateOfficer(tx, id, false, func(o *store.Officer, _ bool) {
			o.Wrap, o.Failed, o.NotBefore, o.Locked = wrap.Marshal(), 0, time.Time{}, false
		})
		if err != nil {
			return err
		}
		return s.auditTx(tx, "passphrase_reset", "", id)
	})
}

// updateOfficer changes the row of officer id (not removed) with change and
// seals it anew. A row that fails its check is refused with
// ErrOfficerAltered unless alteredOK (sealing it would vouch for what was
// altered); change learns whether it verified.
func (s *Session) updateOfficer(tx *store.Tx, id string, alteredOK bool, change func(o *store.Officer, valid bool)) error {
	o, err := tx.Officer(id)
	if errors.Is(err, store.ErrNotFound) || o.Removed {
		return ErrUnknownOfficer
	}
	if err != nil {
		return err
	}
	return s.withKeys(func(k *keys) error {
		valid := officerValid(k.officers, o)
		if !valid && !alteredOK {
			return ErrOfficerAltered
		}
		change(&o, valid)
		return tx.UpdateOfficer(sealedOfficer(k.officers, o))
	})
}

// UnlockOfficer lifts the lock-out of an officer (supervisors only).
func (s *Session) UnlockOfficer(id string) error {
	if err := s.requireSupervisor(); err != nil {
		return err
	}
	return s.d.st.Update(context.Background(), func(tx *store.Tx) error {
		if err := tx.ClearOfficerLock(id); errors.Is(err, store.ErrNotFound) {
			return ErrUnknownOfficer
		} else if err != nil {
			return err
		}
		return s.auditTx(tx, "officer_unlock", "", id)
	})
}

// AutoLock returns the idle time after which the app locks.
func (d *Device) AutoLock() time.Duration {
	v, err := d.st.GetMeta("autolock_seconds")
	if err != nil {
		return DefaultAutoLock
	}
	var n int
	if _, err := fmt.Sscan(string(v), &n); err != nil || n < 30 {
		return DefaultAutoLock
	}
	return time.Duration(n) * time.Second
}

// SetAutoLock changes the idle time before auto-lock (supervisors only;
// between 30 seconds and one hour).
func (s *Session) SetAutoLock(dur time.Duration) error {
	if err := s.requireSupervisor(); err != nil {
		return err
	}
	if dur < 30*time.Second || dur > time.Hour {
		return errors.New("auto-lock must be between 30 seconds and 60 minutes")
	}
	return s.d.st.Update(context.Background(), func(tx *store.Tx) error {
		if err := tx.PutMeta("autolock_seconds", []byte(fmt.Sprint(int(dur.Seconds())))); err != nil {
			return err
		}
		return s.auditTx(tx, "setting", "", fmt.Sprintf("autolock %s", dur))
	})
}
