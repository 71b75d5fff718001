// Package transfer moves money between accounts by locking both: the
// source, then the destination. Two transfers in opposite directions at
// once deadlock. Per-instance tools see two different pairs of mutexes and
// say nothing; lockdep's classes are the field Account.mu, so the second
// order is reported — here as recursive locking of that class, since the
// two locks are of one class taken without declared nesting.
package transfer

import (
	"errors"
	"sync"
)

type Account struct {
	mu      sync.Mutex
	balance int
}

var ErrInsufficient = errors.New("insufficient funds")

// Transfer moves amount from one account to another.
func Transfer(from, to *Account, amount int) error {
	from.mu.Lock()
	defer from.mu.Unlock()
	to.mu.Lock()
	defer to.mu.Unlock()
	if from.balance < amount {
		return ErrInsufficient
	}
	from.balance -= amount
	to.balance += amount
	return nil
}
