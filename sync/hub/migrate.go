package hub

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/fieldreg/fieldreg/sync/hubstore"
	"github.com/fieldreg/fieldreg/sync/hubstore/pg"
	"github.com/fieldreg/fieldreg/sync/hubstore/sqlite"
)

// metaCAOfHub names, in a PostgreSQL database, the CA certificate of the
// hub it belongs to: migrate refuses a database of another hub.
const metaCAOfHub = "hub:ca_of_hub"

// MigrateToPostgres copies the SQLite hub in dir into the PostgreSQL
// database dsn and switches dir over to it: the keys move to dir's
// KeysFile, the address to DatabaseFile. The hub must not be serving.
// It is idempotent and resumable (hubstore.Copy): run again after an
// interruption, it completes; run after it succeeded, it verifies again.
// The SQLite file is left in dir, unused, for the operator to keep as a
// backup or delete. No passphrase is needed: nothing is unsealed.
func MigrateToPostgres(ctx context.Context, dir, dsn string) (*hubstore.CopyReport, error) {
	if err := CheckDatabaseAddress(dsn); err != nil {
		return nil, err
	}
	cur, err := DatabaseAddress(dir)
	if err != nil {
		return nil, err
	}
	if cur != "" && cur != dsn {
		return nil, fmt.Errorf("this hub already runs on another database (%s)", pg.Redact(cur))
	}
	if _, err := os.Stat(filepath.Join(dir, sqlite.FileName)); err != nil {
		return nil, ErrNotInitialised
	}
	src, err := sqlite.Open(dir)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	metas, err := src.Metas(ctx)
	if err != nil {
		return nil, err
	}
	if metas[metaCountry] == nil {
		return nil, ErrNotInitialised
	}
	octx, cancel := context.WithTimeout(ctx, openTimeout)
	dst, err := pg.Open(octx, dsn)
	cancel()
	if err != nil {
		return nil, err
	}
	defer dst.Close()
	err = dst.Update(ctx, func(tx hubstore.Tx) error {
		got, err := tx.PutMetaOnce(metaCAOfHub, metas[metaCA])
		if err == nil && string(got) != string(metas[metaCA]) {
			return errors.New("this database holds another hub: give an empty database")
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if _, err := dst.GetMeta(ctx, metaCAOfHub); err != nil {
		return nil, err
	}
	rep, err := hubstore.Copy(ctx, src, dst, isLocalKey)
	if err != nil {
		return nil, err
	}
	keys := map[string][]byte{}
	for _, k := range localKeys {
		if v, ok := metas[k]; ok {
			keys[k] = v
		}
	}
	if err := writeKeys(dir, keys); err != nil {
		return nil, err
	}
	if err := writeDatabaseAddress(dir, dsn); err != nil {
		return nil, err
	}
	return rep, nil
}
