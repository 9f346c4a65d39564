package kernel

import "context"

// KV is a small persistent key-value store owned by one component. The
// control plane provides one per component, kept in its database so that it
// survives restarts and is shared by every node of a cluster. Implementations
// are safe for concurrent use.
type KV interface {
	// Get returns the value of key, or an error wrapping [ErrNotFound].
	Get(ctx context.Context, key string) ([]byte, error)
	// Put sets key to value, replacing any previous value.
	Put(ctx context.Context, key string, value []byte) error
	// Delete removes key; deleting a missing key is not an error.
	Delete(ctx context.Context, key string) error
	// List returns the keys that start with prefix, sorted.
	List(ctx context.Context, prefix string) ([]string, error)
}
