package store

import (
	"database/sql"
	"errors"
	"fmt"

	"github.com/mattn/go-sqlite3"
)

// migrationImports keeps the identity of each line a bulk import saved (a
// blind token: a keyed hash under a device key, never the line itself), so
// that an interrupted import run again saves nobody twice.
const migrationImports = `CREATE TABLE imports(token BLOB PRIMARY KEY, record TEXT NOT NULL) WITHOUT ROWID;`

// ErrImportedMeanwhile is returned by PutImports when a token is already
// stored: another import saved the same line since it was looked up.
var ErrImportedMeanwhile = errors.New("a line of this batch was saved meanwhile by another import")

// PutImports records, inside the transaction that saves the registrations,
// the import token of each (tokens[i] for records[i]).
func (t *Tx) PutImports(tokens [][]byte, records []string) error {
	if len(tokens) != len(records) {
		return fmt.Errorf("store: %d import tokens for %d records", len(tokens), len(records))
	}
	st, err := t.tx.Prepare("INSERT INTO imports(token, record) VALUES(?, ?)")
	if err != nil {
		return fmt.Errorf("store: imports: %w", err)
	}
	defer st.Close()
	for i, tok := range tokens {
		if _, err := st.Exec(tok, records[i]); err != nil {
			var se sqlite3.Error
			if errors.As(err, &se) && se.ExtendedCode == sqlite3.ErrConstraintPrimaryKey {
				return ErrImportedMeanwhile
			}
			return fmt.Errorf("store: imports: %w", err)
		}
	}
	return nil
}

// Imported returns, for each token, the record an earlier import saved under
// it, or "" when none did.
func (s *Store) Imported(tokens [][]byte) ([]string, error) {
	// Not in a transaction: writers take their lock at BEGIN (txlock
	// immediate), and a token saved after its lookup is refused by PutImports.
	st, err := s.db.Prepare("SELECT record FROM imports WHERE token = ?")
	if err != nil {
		return nil, fmt.Errorf("store: imports: %w", err)
	}
	defer st.Close()
	ids := make([]string, len(tokens))
	for i, tok := range tokens {
		err := st.QueryRow(tok).Scan(&ids[i])
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("store: imports: %w", err)
		}
	}
	return ids, nil
}
