package controlplane

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/magflock/mobo/internal/kernel"
)

// KV returns the persistent key-value store of one component, kept in the
// control plane's component_kv table so that it survives restarts and is
// shared by every node.
func (c *ControlPlane) KV(component string) kernel.KV {
	return &kv{cp: c, component: component}
}

type kv struct {
	cp        *ControlPlane
	component string
}

var _ kernel.KV = (*kv)(nil)

func (s *kv) Get(ctx context.Context, key string) ([]byte, error) {
	pool, err := s.cp.Pool()
	if err != nil {
		return nil, err
	}
	var v []byte
	err = pool.QueryRow(ctx, "select value from mobo.component_kv where component = $1 and key = $2", s.component, key).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("%s key %q: %w", s.component, key, kernel.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s key %q: %w", s.component, key, err)
	}
	return v, nil
}

func (s *kv) Put(ctx context.Context, key string, value []byte) error {
	pool, err := s.cp.Pool()
	if err != nil {
		return err
	}
	if value == nil {
		value = []byte{}
	}
	_, err = pool.Exec(ctx, `insert into mobo.component_kv (component, key, value) values ($1, $2, $3)
		on conflict (component, key) do update set value = excluded.value, updated_at = now()`, s.component, key, value)
	if err != nil {
		return fmt.Errorf("writing %s key %q: %w", s.component, key, err)
	}
	return nil
}

func (s *kv) Delete(ctx context.Context, key string) error {
	pool, err := s.cp.Pool()
	if err != nil {
		return err
	}
	if _, err := pool.Exec(ctx, "delete from mobo.component_kv where component = $1 and key = $2", s.component, key); err != nil {
		return fmt.Errorf("deleting %s key %q: %w", s.component, key, err)
	}
	return nil
}

func (s *kv) List(ctx context.Context, prefix string) ([]string, error) {
	pool, err := s.cp.Pool()
	if err != nil {
		return nil, err
	}
	// starts_with avoids LIKE, whose wildcards in prefix would need escaping.
	rows, err := pool.Query(ctx, `select key from mobo.component_kv
		where component = $1 and starts_with(key, $2) order by key collate "C"`, s.component, prefix)
	if err != nil {
		return nil, fmt.Errorf("listing %s keys: %w", s.component, err)
	}
	keys, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("listing %s keys: %w", s.component, err)
	}
	return keys, nil
}
