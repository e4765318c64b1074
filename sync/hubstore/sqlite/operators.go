package sqlite

import (
	"context"

	"github.com/fieldreg/fieldreg/sync/hubstore"
	"github.com/fieldreg/fieldreg/sync/hubstore/internal/rowscan"
)

// Operator reads a dashboard account.
func (s *Store) Operator(ctx context.Context, name string) (hubstore.OperatorRow, error) {
	o, err := rowscan.Operator(s.db.QueryRowContext(ctx, "SELECT "+rowscan.OperatorCols+" FROM operators WHERE name = ?", name))
	return o, notFound(err)
}

// Operators lists the dashboard accounts by name.
func (s *Store) Operators(ctx context.Context) ([]hubstore.OperatorRow, error) {
	return query(ctx, s.db, rowscan.Operator, "SELECT "+rowscan.OperatorCols+" FROM operators ORDER BY name")
}

// PutOperator inserts or replaces a dashboard account.
func (t *Tx) PutOperator(o hubstore.OperatorRow) error {
	_, err := t.tx.Exec("INSERT OR REPLACE INTO operators(name, secret, created) VALUES(?, ?, ?)", o.Name, o.Secret, o.Created.Unix())
	return err
}

// DeleteOperator removes a dashboard account.
func (t *Tx) DeleteOperator(name string) error {
	r, err := t.tx.Exec("DELETE FROM operators WHERE name = ?", name)
	if err != nil {
		return err
	}
	if n, err := r.RowsAffected(); err == nil && n == 0 {
		return hubstore.ErrNotFound
	}
	return err
}
