// Package nestedhelper double-locks through a helper method: Merge locks
// its own account, then calls add on the other account, which locks that
// one. Both locks are the field Account.mu: two merges in opposite
// directions deadlock. lockdep test reports possible recursive locking.
package nestedhelper

import "sync"

type Account struct {
	mu      sync.Mutex
	balance int
}

func (a *Account) add(n int) {
	a.mu.Lock()
	a.balance += n
	a.mu.Unlock()
}

// Merge moves a's balance into b.
func (a *Account) Merge(b *Account) {
	a.mu.Lock()
	defer a.mu.Unlock()
	b.add(a.balance) // a second Account.mu, taken under the first
	a.balance = 0
}
