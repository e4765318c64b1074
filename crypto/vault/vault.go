// Package vault wraps a device master key: per officer under a key derived
// from the officer's passphrase with Argon2id (RFC 9106), and to the
// authority's X25519 recovery key with age, so HQ can recover a device whose
// officers all forgot their passphrases.
package vault

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"filippo.io/age"
	"golang.org/x/crypto/argon2"

	"github.com/fieldreg/fieldreg/crypto/seal"
)

// Params are the Argon2id parameters stored beside each wrap.
type Params struct {
	MemoryKiB uint32 `json:"m"`
	Time      uint32 `json:"t"`
	Threads   uint8  `json:"p"`
}

// DefaultParams follow RFC 9106's second recommended option: 64 MiB, t=3, p=4.
var DefaultParams = Params{MemoryKiB: 64 * 1024, Time: 3, Threads: 4}

// LowParams are for weak tablets and for tests: 19 MiB, t=2, p=1 (OWASP minimum).
var LowParams = Params{MemoryKiB: 19 * 1024, Time: 2, Threads: 1}

// Limits on stored parameters, so a tampered wrap, enrolment or federation
// file (its parameters are read before anything in it can be checked)
// cannot make a tablet exhaust its memory or work for minutes. They are
// four times DefaultParams' memory and over three times its passes.
const (
	maxMemoryKiB = 256 * 1024 // 256 MiB
	maxTime      = 10
	maxThreads   = 16
	minMemoryKiB = 8 * 1024
)

func (p Params) validate() error {
	if p.MemoryKiB < minMemoryKiB || p.MemoryKiB > maxMemoryKiB || p.Time < 1 || p.Time > maxTime || p.Threads < 1 || p.Threads > maxThreads {
		return fmt.Errorf("vault: argon2id parameters out of range (m=%d KiB, t=%d, p=%d)", p.MemoryKiB, p.Time, p.Threads)
	}
	return nil
}

// Limits on the files that carry a passphrase or the recovery key: both
// are a line of text, so anything longer is the wrong file, refused after
// reading this much.
const (
	MaxPassphraseFile  = 4 << 10
	MaxRecoveryKeyFile = 4 << 10
)

// ErrWrongPassphrase is returned when a passphrase does not open its wrap.
var ErrWrongPassphrase = errors.New("wrong passphrase")

// Wrap is a master key sealed under a passphrase-derived key.
type Wrap struct {
	Version int    `json:"v"`
	Params  Params `json:"params"`
	Salt    []byte `json:"salt"`
	Sealed  []byte `json:"sealed"`
}

const wrapVersion = 1

var wrapAD = []byte("fieldreg master key wrap v1")

func derive(passphrase []byte, salt []byte, p Params) *seal.Key {
	threads := p.Threads
	if threads == 0 {
		threads = 1
	}
	var k seal.Key
	copy(k[:], argon2.IDKey(passphrase, salt, p.Time, p.MemoryKiB, threads, seal.KeySize))
	runtime.KeepAlive(passphrase)
	// Argon2id's working memory (64 MiB by default) is garbage now; hand it
	// back to the system at once instead of when the scavenger gets to it:
	// tablets are short of memory, and unlock happens rarely.
	debug.FreeOSMemory()
	return &k
}

// WrapKey seals master under passphrase with Argon2id parameters p.
func WrapKey(master *seal.Key, passphrase []byte, p Params) (*Wrap, error) {
	if err := p.validate(); err != nil {
		return nil, err
	}
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return nil, fmt.Errorf("vault: salt: %w", err)
	}
	kek := derive(passphrase, salt, p)
	defer kek.Wipe()
	sealed, err := seal.Seal(kek, master[:], wrapAD)
	if err != nil {
		return nil, err
	}
	return &Wrap{Version: wrapVersion, Params: p, Salt: salt, Sealed: sealed}, nil
}

// Unwrap recovers the master key, or returns ErrWrongPassphrase.
func (w *Wrap) Unwrap(passphrase []byte) (*seal.Key, error) {
	if w.Version != wrapVersion {
		return nil, fmt.Errorf("vault: wrap version %d is not supported", w.Version)
	}
	if err := w.Params.validate(); err != nil {
		return nil, err
	}
	kek := derive(passphrase, w.Salt, w.Params)
	defer kek.Wipe()
	pt, err := seal.Open(kek, w.Sealed, wrapAD)
	if err != nil {
		return nil, ErrWrongPassphrase
	}
	defer wipe(pt)
	return seal.KeyFromBytes(pt)
}

// Marshal encodes the wrap for storage.
func (w *Wrap) Marshal() []byte {
	b, _ := json.Marshal(w) // cannot fail: plain fields
	return b
}

// UnmarshalWrap decodes a stored wrap.
func UnmarshalWrap(b []byte) (*Wrap, error) {
	var w Wrap
	if err := json.Unmarshal(b, &w); err != nil {
		return nil, fmt.Errorf("vault: stored key wrap is damaged: %w", err)
	}
	return &w, nil
}

// WrapToRecipient encrypts master to an age recipient (the authority's
// recovery key).
func WrapToRecipient(master *seal.Key, r age.Recipient) ([]byte, error) {
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, r)
	if err != nil {
		return nil, fmt.Errorf("vault: recovery wrap: %w", err)
	}
	if _, err := w.Write(master[:]); err != nil {
		return nil, fmt.Errorf("vault: recovery wrap: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("vault: recovery wrap: %w", err)
	}
	return buf.Bytes(), nil
}

// UnwrapWithIdentity recovers the master key with the recovery identity.
func UnwrapWithIdentity(wrapped []byte, id age.Identity) (*seal.Key, error) {
	r, err := age.Decrypt(bytes.NewReader(wrapped), id)
	if err != nil {
		return nil, fmt.Errorf("vault: recovery key does not open this device: %w", err)
	}
	b, err := io.ReadAll(io.LimitReader(r, seal.KeySize+1))
	if err != nil {
		return nil, fmt.Errorf("vault: recovery wrap damaged: %w", err)
	}
	defer wipe(b)
	return seal.KeyFromBytes(b)
}

func wipe(b []byte) {
	for i := range b {
		b[i] = 0
	}
}
