package device

import (
	"context"
	"errors"
	"fmt"
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
}

func (d *Device) toOfficer(o store.Officer) Officer {
	wait := o.NotBefore.Sub(d.opts.Now())
	if wait < 0 {
		wait = 0
	}
	return Officer{ID: o.ID, Name: o.Name, Supervisor: o.Supervisor, Locked: o.Locked, RetryAfter: wait}
}

// Officers lists the officers of the device, by name.
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
	defer master.Wipe()
	if _, err := d.openKeys(master); err != nil {
		return err
	}
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
			if err := tx.InsertOfficer(store.Officer{ID: o.ID, Name: o.Name, Supervisor: true, Wrap: wrap.Marshal(), Created: now}); err != nil {
				return err
			}
			action = "recover_new_officer"
		} else if err != nil {
			return err
		} else {
			if err := tx.SetOfficerWrap(o.ID, wrap.Marshal()); err != nil {
				return err
			}
			if _, err := tx.Exec("UPDATE officers SET supervisor = 1 WHERE id = ?", o.ID); err != nil {
				return err
			}
		}
		return appendAudit(tx, auditKey(master), now, o.ID, action, "", "with the authority's recovery key")
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
		if err := tx.InsertOfficer(o); err != nil {
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
		if err := tx.RemoveOfficer(id); errors.Is(err, store.ErrNotFound) {
			return ErrUnknownOfficer
		} else if err != nil {
			return err
		}
		return s.auditTx(tx, "officer_remove", "", id)
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
		if err := tx.SetOfficerWrap(id, wrap.Marshal()); errors.Is(err, store.ErrNotFound) {
			return ErrUnknownOfficer
		} else if err != nil {
			return err
		}
		return s.auditTx(tx, "passphrase_reset", "", id)
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
