package pg

import (
	"context"

	"github.com/fieldreg/fieldreg/sync/hubstore"
	"github.com/fieldreg/fieldreg/sync/hubstore/internal/rowscan"
)

// Operator reads a dashboard account.
func (s *Store) Operator(ctx context.Context, name string) (hubstore.OperatorRow, error) {
	o, err := rowscan.Operator(s.pool.QueryRow(ctx, "SELECT "+rowscan.OperatorCols+" FROM operators WHERE name = $1", name))
	return o, notFound(err)
}

// Operators lists the dashboard accounts by name.
func (s *Store) Operators(ctx context.Context) ([]hubstore.OperatorRow, error) {
	return query(ctx, s, rowscan.Operator, "SELECT "+rowscan.OperatorCols+" FROM operators ORDER BY name")
}

// PutOperator inserts or replaces a dashboard account.
func (t *Tx) PutOperator(o hubstore.OperatorRow) error {
	_, err := t.tx.Exec(t.ctx, `INSERT INTO operators(name, secret, created) VALUES($1, $2, $3)
		ON CONFLICT(name) DO UPDATE SET secret = excluded.secret, created = excluded.created`, o.Name, o.Secret, o.Created.Unix())
	return err
}

// DeleteOperator removes a dashboard account.
func (t *Tx) DeleteOperator(name string) error {
	tag, err := t.tx.Exec(t.ctx, "DELETE FROM operators WHERE name = $1", name)
	if err == nil && tag.RowsAffected() == 0 {
		return hubstore.ErrNotFound
	}
	return err
}
