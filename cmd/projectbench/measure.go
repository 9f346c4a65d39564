package main

// What mobo and PostgreSQL hold: memory (RSS, live heap, PSS), CPU time and
// connections, read from /proc, the admin API and pg_stat_activity.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// heapLive reads mobo's live heap from the admin status: what the last
// garbage collection kept, free of RSS's lag (Go returns freed memory to
// the OS minutes later).
func (m *mobo) heapLive(ctx context.Context) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, m.URL()+"/admin/v1/status", nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+m.AdminKey())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, fmt.Errorf("reading the admin status: %w", err)
	}
	defer resp.Body.Close()
	var st struct {
		Details struct {
			Runtime struct {
				HeapLiveBytes int64 `json:"heap_live_bytes"`
			} `json:"runtime"`
		} `json:"details"`
	}
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("admin status: %s", resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		return 0, fmt.Errorf("reading the admin status: %w", err)
	}
	return st.Details.Runtime.HeapLiveBytes, nil
}

// saveHeapProfile writes mobo's heap profile (after a collection) to file.
func (m *mobo) saveHeapProfile(ctx context.Context, file string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, m.URL()+"/admin/v1/debug/pprof/heap?gc=1", nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+m.AdminKey())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("reading the heap profile: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("heap profile: %s", resp.Status)
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("reading the heap profile: %w", err)
	}
	return os.WriteFile(file, b, 0o600)
}

// snapshot is what mobo and PostgreSQL hold at one moment.
type snapshot struct {
	moboRSS     int64 // bytes
	heapLive    int64 // bytes: mobo's live heap after its last garbage collection (admin status)
	pgPSS       int64 // bytes, postmaster and its children
	pgProcs     int
	clientConns int // client backends, the bench's own excluded
	poolConns   int // of which the projects' ("mobo api REF": API pools and schema listeners; "mobo service REF": auth)
	other       string
}

func (s snapshot) String() string {
	return fmt.Sprintf("mobo RSS %s, live heap %s; postgres PSS %s in %d processes; %d client connections, %d of them project pools%s",
		mib(s.moboRSS), mib(s.heapLive), mib(s.pgPSS), s.pgProcs, s.clientConns, s.poolConns, s.other)
}

func (m *mobo) snapshot(ctx context.Context, su *pgx.Conn) (snapshot, error) {
	var s snapshot
	var err error
	if s.moboRSS, err = vmRSS(m.PID()); err != nil {
		return s, err
	}
	if s.heapLive, err = m.heapLive(ctx); err != nil {
		return s, err
	}
	if s.pgPSS, s.pgProcs, err = m.postgresPSS(); err != nil {
		return s, err
	}
	rows, err := su.Query(ctx, `select case when application_name like 'mobo api %' or application_name like 'mobo service %' then 'pools'
		else coalesce(nullif(application_name, ''), '(unnamed)') end, count(*)::int
		from pg_stat_activity
		where backend_type = 'client backend' and pid <> pg_backend_pid()
		group by 1 order by 2 desc, 1`)
	if err != nil {
		return s, fmt.Errorf("counting connections: %w", err)
	}
	var other []string
	for rows.Next() {
		var who string
		var n int
		if err := rows.Scan(&who, &n); err != nil {
			rows.Close()
			return s, err
		}
		s.clientConns += n
		if who == "pools" {
			s.poolConns = n
		} else {
			other = append(other, fmt.Sprintf("%s %d", who, n))
		}
	}
	if err := rows.Err(); err != nil {
		return s, fmt.Errorf("counting connections: %w", err)
	}
	var walsenders int
	if err := su.QueryRow(ctx, `select count(*)::int from pg_stat_activity where backend_type = 'walsender'`).Scan(&walsenders); err != nil {
		return s, fmt.Errorf("counting replication connections: %w", err)
	}
	if len(other) > 0 {
		s.other = " (others: " + strings.Join(other, ", ") + ")"
	}
	if walsenders > 0 {
		s.other += fmt.Sprintf(", plus %d replication", walsenders)
	}
	return s, nil
}

// waitIdle polls until PostgreSQL has no more client connections than at
// base, or for at most limit, and returns the snapshot then.
func (m *mobo) waitIdle(ctx context.Context, su *pgx.Conn, base snapshot, limit time.Duration) (snapshot, error) {
	deadline := time.Now().Add(limit)
	for {
		s, err := m.snapshot(ctx, su)
		if err != nil || s.clientConns <= base.clientConns || time.Now().After(deadline) {
			return s, err
		}
		select {
		case <-ctx.Done():
			return s, ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

// postgresPIDs returns the postmaster's pid and its children's.
func (m *mobo) postgresPIDs() (pm int, children []int, err error) {
	b, err := os.ReadFile(filepath.Join(m.Dir(), "pg", "postmaster.pid"))
	if err != nil {
		return 0, nil, fmt.Errorf("reading postmaster.pid: %w", err)
	}
	pm, err = strconv.Atoi(strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0]))
	if err != nil {
		return 0, nil, fmt.Errorf("postmaster.pid: %w", err)
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0, nil, err
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if ppid, err := parentPID(pid); err == nil && ppid == pm {
			children = append(children, pid)
		}
	}
	return pm, children, nil
}

// cpu is the CPU time mobo and PostgreSQL have used so far; PostgreSQL's
// counts the backends that exited (the postmaster's reaped children) too.
func (m *mobo) cpu() (mobo, postgres time.Duration, err error) {
	f, err := statFields(m.PID())
	if err != nil {
		return 0, 0, err
	}
	mobo = ticks(f[11]) + ticks(f[12])
	pm, children, err := m.postgresPIDs()
	if err != nil {
		return 0, 0, err
	}
	if f, err = statFields(pm); err != nil {
		return 0, 0, err
	}
	postgres = ticks(f[11]) + ticks(f[12]) + ticks(f[13]) + ticks(f[14])
	for _, pid := range children {
		if f, err := statFields(pid); err == nil { // else it just exited
			postgres += ticks(f[11]) + ticks(f[12])
		}
	}
	return mobo, postgres, nil
}

// ticks converts a /proc stat time in clock ticks (USER_HZ, 100 on Linux).
func ticks(s string) time.Duration {
	n, _ := strconv.ParseInt(s, 10, 64)
	return time.Duration(n) * (time.Second / 100)
}

// postgresPSS sums the proportional set size of the postmaster and its
// children, so shared buffers count once.
func (m *mobo) postgresPSS() (int64, int, error) {
	pm, children, err := m.postgresPIDs()
	if err != nil {
		return 0, 0, err
	}
	pids := append([]int{pm}, children...)
	var total int64
	n := 0
	for _, pid := range pids {
		pss, err := procField(fmt.Sprintf("/proc/%d/smaps_rollup", pid), "Pss:")
		if err != nil {
			continue // a backend that just exited
		}
		total += pss
		n++
	}
	return total, n, nil
}

func parentPID(pid int) (int, error) {
	f, err := statFields(pid)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(f[1])
}

// statFields returns the fields of /proc/PID/stat after the command name:
// state, ppid, … utime (11), stime (12), cutime (13), cstime (14), ….
func statFields(pid int) ([]string, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil, err
	}
	// pid (comm) state ppid …; comm may hold spaces and parentheses.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return nil, errors.New("malformed stat")
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 15 {
		return nil, errors.New("malformed stat")
	}
	return f, nil
}

func vmRSS(pid int) (int64, error) {
	v, err := procField(fmt.Sprintf("/proc/%d/status", pid), "VmRSS:")
	if err != nil {
		return 0, fmt.Errorf("reading mobo's RSS: %w", err)
	}
	return v, nil
}

// procField reads a "Name:   123 kB" line of a /proc file, in bytes.
func procField(path, name string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer func() { _ = f.Close() }()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), name); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("%s %s: %w", path, name, err)
			}
			return kb * 1024, nil
		}
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("%s has no %s line", path, name)
}
