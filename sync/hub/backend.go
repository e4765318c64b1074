package hub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/fieldreg/fieldreg/internal/safefile"
	"github.com/fieldreg/fieldreg/sync/hubstore"
	"github.com/fieldreg/fieldreg/sync/hubstore/pg"
	"github.com/fieldreg/fieldreg/sync/hubstore/sqlite"
)

// A hub's data directory holds either the SQLite database (sqlite.FileName)
// or, for a hub on PostgreSQL, two files: DatabaseFile with the database's
// address and KeysFile with the hub's sealed keys (the settings listed in
// localKeys). Keys never go to the shared database: a copy of the directory
// and the passphrase are what a second server needs.
const (
	DatabaseFile = "database"
	KeysFile     = "hub-keys.json"
)

// localKeys are the settings kept in KeysFile on PostgreSQL: what Open
// needs before it can read anything else, all of it public or sealed.
var localKeys = []string{metaCountry, metaWrap, metaCA, metaCert, metaURL, metaSealedAuth, metaSealedTLS, metaRole}

func isLocalKey(k string) bool {
	for _, l := range localKeys {
		if l == k {
			return true
		}
	}
	return false
}

// openTimeout bounds the wait for an unreachable database at start.
const openTimeout = 30 * time.Second

// DatabaseAddress is the PostgreSQL address a hub directory names, "" for
// a hub on SQLite.
func DatabaseAddress(dir string) (string, error) {
	b, err := safefile.ReadFile(filepath.Join(dir, DatabaseFile), "the hub's database address", maxDatabaseFile)
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(b)), nil
}

// CheckDatabaseAddress refuses what is not a postgres:// address.
func CheckDatabaseAddress(dsn string) error {
	if !strings.HasPrefix(dsn, "postgres://") && !strings.HasPrefix(dsn, "postgresql://") {
		return fmt.Errorf("--db must be a postgres://USER@HOST:PORT/DB?sslmode=... address")
	}
	if strings.ContainsAny(dsn, "\n\r") {
		return errors.New("--db must be one line")
	}
	return nil
}

// openStore opens the store of dir: PostgreSQL when dir names a database,
// otherwise SQLite in dir. keys is nil on SQLite (the keys are settings of
// the database there). Nothing is created: ErrNotInitialised when dir
// holds no hub.
func openStore(ctx context.Context, dir string) (st hubstore.Store, keys map[string][]byte, err error) {
	dsn, err := DatabaseAddress(dir)
	if err != nil {
		return nil, nil, err
	}
	if dsn == "" {
		if _, err := os.Stat(filepath.Join(dir, sqlite.FileName)); err != nil {
			return nil, nil, ErrNotInitialised
		}
		st, err := sqlite.Open(dir)
		return st, nil, err
	}
	b, err := safefile.ReadFile(filepath.Join(dir, KeysFile), "the hub's keys", maxKeysFile)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil, ErrNotInitialised
	}
	if err != nil {
		return nil, nil, err
	}
	if err := json.Unmarshal(b, &keys); err != nil {
		return nil, nil, fmt.Errorf("%s is damaged: %w", KeysFile, err)
	}
	ctx, cancel := context.WithTimeout(ctx, openTimeout)
	defer cancel()
	pst, err := pg.Open(ctx, dsn)
	if err != nil {
		return nil, nil, err
	}
	return pst, keys, nil
}

// writeKeys writes the key settings to dir's KeysFile (owner only),
// replacing it whole.
func writeKeys(dir string, keys map[string][]byte) error {
	b, err := json.Marshal(keys)
	if err != nil {
		return err
	}
	return safefile.WriteBytes(filepath.Join(dir, KeysFile), safefile.Output{Force: true}, b)
}

// writeDatabaseAddress names the database in dir (owner only): from then
// on the hub in dir runs on it.
func writeDatabaseAddress(dir, dsn string) error {
	return safefile.WriteBytes(filepath.Join(dir, DatabaseFile), safefile.Output{Force: true}, []byte(dsn+"\n"))
}

// Bounds of the files of a hub directory read before the hub is open.
const (
	maxKeysFile     = 1 << 20
	maxDatabaseFile = 4 << 10
)

// meta reads a setting: from the keys file when it is one of them.
func (h *Hub) meta(ctx context.Context, k string) ([]byte, error) {
	if h.keys != nil && isLocalKey(k) {
		if v, ok := h.keys[k]; ok {
			return v, nil
		}
		return nil, hubstore.ErrNotFound
	}
	return h.st.GetMeta(ctx, k)
}

// Backend names the hub's store: "sqlite" or "postgres".
func (h *Hub) Backend() string { return h.st.Backend() }
