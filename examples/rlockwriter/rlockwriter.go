// Package rlockwriter read-locks recursively: Snapshot read-locks the
// table and calls Len, which read-locks it again. It works until a writer
// calls Set between the two RLocks: Go's RWMutex then blocks the second
// RLock behind the writer, which waits for the first. lockdep test reports
// it from a run where no writer was ever in the way.
package rlockwriter

import "sync"

type Table struct {
	mu   sync.RWMutex
	rows map[string]int
}

func New() *Table { return &Table{rows: map[string]int{}} }

func (t *Table) Set(k string, v int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.rows[k] = v
}

func (t *Table) Len() int {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return len(t.rows)
}

// Snapshot copies the table.
func (t *Table) Snapshot() map[string]int {
	t.mu.RLock()
	defer t.mu.RUnlock()
	out := make(map[string]int, t.Len()) // RLock again, under the first
	for k, v := range t.rows {
		out[k] = v
	}
	return out
}
