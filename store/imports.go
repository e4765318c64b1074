package store

import (
	"errors"
	"fmt"
	"strings"

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
	// immediate), and a token saved after its lookup is refused by
	// PutImports. Tokens are looked up importedBatch at a time: one query
	// each costs more in the driver than in SQLite.
	ids := make([]string, len(tokens))
	at := make(map[string][]int, min(len(tokens), importedBatch))
	args := make([]any, 0, importedBatch)
	for len(tokens) > 0 {
		k := min(len(tokens), importedBatch)
		clear(at)
		args = args[:0]
		for i, tok := range tokens[:k] {
			at[string(tok)] = append(at[string(tok)], len(ids)-len(tokens)+i)
			args = append(args, tok)
		}
		if err := s.importedIn(args, func(tok []byte, record string) {
			for _, i := range at[string(tok)] {
				ids[i] = record
			}
		}); err != nil {
			return nil, fmt.Errorf("store: imports: %w", err)
		}
		tokens = tokens[k:]
	}
	return ids, nil
}

// importedBatch is how many tokens one query of Imported looks up.
const importedBatch = 500

// importedIn calls fn with each stored token of args and its record.
func (s *Store) importedIn(args []any, fn func(tok []byte, record string)) error {
	rows, err := s.db.Query("SELECT token, record FROM imports WHERE token IN (?"+strings.Repeat(",?", len(args)-1)+")", args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var tok []byte
		var record string
		if err := rows.Scan(&tok, &record); err != nil {
			return err
		}
		fn(tok, record)
	}
	return rows.Err()
}
