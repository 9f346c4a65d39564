package pg

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
)

// osUser is the OS user the PostgreSQL programs run as.
type osUser struct {
	name string
	uid  int
	gid  int
	gids []int // all its groups, the primary one included
	// cred switches the child process to this user; nil when PostgreSQL runs
	// as the current user.
	cred *syscall.Credential
}

// lookupOSUser returns the user PostgreSQL runs as: the current user, or
// the user called name when mobo runs as root, since PostgreSQL refuses to
// run as root.
func lookupOSUser(name string) (*osUser, error) {
	if os.Geteuid() != 0 {
		u := &osUser{name: strconv.Itoa(os.Geteuid()), uid: os.Geteuid(), gid: os.Getegid()}
		if cur, err := user.Current(); err == nil {
			u.name = cur.Username
		}
		return u, nil
	}
	hint := fmt.Sprintf("create it (useradd --system --user-group --home-dir /var/lib/postgresql %s) or set os_user", name)
	pu, err := user.Lookup(name)
	if err != nil {
		return nil, fmt.Errorf("mobo runs as root and PostgreSQL refuses to run as root, so it runs as OS user %q: %w; %s", name, err, hint)
	}
	uid, err1 := strconv.Atoi(pu.Uid)
	gid, err2 := strconv.Atoi(pu.Gid)
	if err := errors.Join(err1, err2); err != nil {
		return nil, fmt.Errorf("looking up OS user %q: %w", name, err)
	}
	if uid == 0 {
		return nil, fmt.Errorf("os_user %q is root, and PostgreSQL refuses to run as root; %s", name, hint)
	}
	u := &osUser{name: name, uid: uid, gid: gid, gids: []int{gid}}
	groupIDs, err := pu.GroupIds()
	if err != nil {
		return nil, fmt.Errorf("looking up the groups of OS user %q: %w", name, err)
	}
	var supplementary []uint32
	for _, g := range groupIDs {
		n, err := strconv.Atoi(g)
		if err != nil || n == gid {
			continue
		}
		u.gids = append(u.gids, n)
		supplementary = append(supplementary, uint32(n)) //nolint:gosec // gids are small non-negative numbers
	}
	u.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: supplementary} //nolint:gosec // same
	return u, nil
}

// switched reports whether PostgreSQL runs as another user than mobo.
func (u *osUser) switched() bool { return u.cred != nil }

// chown gives path to the user, when PostgreSQL runs as another user.
func (u *osUser) chown(path string) error {
	if !u.switched() {
		return nil
	}
	if err := os.Lchown(path, u.uid, u.gid); err != nil {
		return fmt.Errorf("giving %s to OS user %q: %w", path, u.name, err)
	}
	return nil
}

// checkReachable verifies that the user may traverse every existing
// directory from / down to dir. It only matters when PostgreSQL runs as
// another user; the check reads mode bits and ignores ACLs.
func (u *osUser) checkReachable(dir string) error {
	if !u.switched() {
		return nil
	}
	var chain []string
	for d := dir; ; d = filepath.Dir(d) {
		chain = append(chain, d)
		if filepath.Dir(d) == d {
			break
		}
	}
	slices.Reverse(chain)
	for _, d := range chain {
		fi, err := os.Stat(d)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("checking access to %s: %w", d, err)
		}
		st, ok := fi.Sys().(*syscall.Stat_t)
		if !ok || u.canSearch(fi.Mode().Perm(), int(st.Uid), int(st.Gid)) {
			continue
		}
		return &DataDirAccessError{
			Dir:    d,
			OSUser: u.name,
			Reason: fmt.Sprintf("directory mode %#o owned by uid %d, gid %d", fi.Mode().Perm(), st.Uid, st.Gid),
			Hint: fmt.Sprintf("put the data directory where %q can reach it (e.g. under /var/lib/mobo) or let it through, e.g. chmod o+x %s",
				u.name, d),
		}
	}
	return nil
}

// canSearch applies the POSIX rule: the owner bits if the user owns the
// directory, else the group bits if it is in the group, else the other bits.
func (u *osUser) canSearch(perm fs.FileMode, owner, group int) bool {
	switch {
	case owner == u.uid:
		return perm&0o100 != 0
	case slices.Contains(u.gids, group):
		return perm&0o010 != 0
	default:
		return perm&0o001 != 0
	}
}

// checkOwner verifies that the user owns the existing data directory;
// PostgreSQL refuses a data directory owned by someone else.
func (u *osUser) checkOwner(dataDir string) error {
	if !u.switched() {
		return nil
	}
	fi, err := os.Stat(dataDir)
	if err != nil {
		return fmt.Errorf("checking data directory: %w", err)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok || int(st.Uid) == u.uid {
		return nil
	}
	return &DataDirAccessError{
		Dir:    dataDir,
		OSUser: u.name,
		Reason: fmt.Sprintf("the data directory is owned by uid %d", st.Uid),
		Hint:   fmt.Sprintf("give it to that user: chown -R %s: %s", u.name, dataDir),
	}
}

// mkdirAll creates dir and its missing parents with mode 0755, whatever the
// umask, so that the PostgreSQL user can traverse the directories mobo
// created. Existing directories are left as they are.
func mkdirAll(dir string) error {
	fi, err := os.Stat(dir)
	if err == nil {
		if !fi.IsDir() {
			return fmt.Errorf("%s is not a directory", dir)
		}
		return nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if parent := filepath.Dir(dir); parent != dir {
		if err := mkdirAll(parent); err != nil {
			return err
		}
	}
	// Traversable on purpose; the files inside are private.
	if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, fs.ErrExist) { //nolint:gosec // see above
		return err
	}
	return os.Chmod(dir, 0o755) //nolint:gosec // see above
}

// ensurePrivateDir creates dir (mode 0700) if needed and gives it to the
// PostgreSQL user. It is used for directories mobo owns, such as the socket
// directory.
func ensurePrivateDir(dir string, u *osUser) error {
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("creating %s: %w", dir, err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s is not a directory", dir)
	}
	return u.chown(dir)
}
