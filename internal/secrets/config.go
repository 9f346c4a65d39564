package secrets

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Config says where the key comes from: Key (the [secrets] section's key,
// or MOBO_SECRETS_KEY), else KeyFile, else a key file generated at first
// start in the data directory. PreviousKeys still open values sealed before
// a rotation.
type Config struct {
	Key          string   `toml:"key" secret:"true"`
	KeyFile      string   `toml:"key_file"`
	PreviousKeys []string `toml:"previous_keys" secret:"true"`
}

// DefaultKeyFile is the generated key's file name in the data directory.
const DefaultKeyFile = "secrets.key"

// Load returns the keyring c describes. With neither Key nor KeyFile it
// reads dataDir's key file, writing a new key there (mode 0600) at first
// start.
func Load(c Config, dataDir string) (*Keyring, error) {
	current, err := c.currentKey(dataDir)
	if err != nil {
		return nil, err
	}
	previous := make([][]byte, 0, len(c.PreviousKeys))
	for i, s := range c.PreviousKeys {
		k, err := ParseKey(s)
		if err != nil {
			return nil, fmt.Errorf("secrets.previous_keys[%d]: %w", i, err)
		}
		previous = append(previous, k)
	}
	return NewKeyring(current, previous...)
}

func (c Config) currentKey(dataDir string) ([]byte, error) {
	switch {
	case c.Key != "":
		k, err := ParseKey(c.Key)
		if err != nil {
			return nil, fmt.Errorf("secrets.key: %w", err)
		}
		return k, nil
	case c.KeyFile != "":
		return readKeyFile(c.KeyFile)
	}
	path := filepath.Join(dataDir, DefaultKeyFile)
	k, err := readKeyFile(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return k, err
	}
	if k, err = GenerateKey(); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) { // another process wrote it first
		return readKeyFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("writing the secrets key: %w", err)
	}
	_, err = f.WriteString(EncodeKey(k) + "\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("writing the secrets key: %w", err)
	}
	return k, nil
}

func readKeyFile(path string) ([]byte, error) {
	b, err := os.ReadFile(path) //nolint:gosec // the operator names the file
	if err != nil {
		return nil, fmt.Errorf("secrets key file: %w", err)
	}
	k, err := ParseKey(string(b))
	if err != nil {
		return nil, fmt.Errorf("secrets key file %s: %w", path, err)
	}
	return k, nil
}
