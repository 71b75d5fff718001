package nestedhelper

import "testing"

func TestMerge(t *testing.T) {
	a, b := &Account{balance: 5}, &Account{balance: 1}
	a.Merge(b)
	if a.balance != 0 || b.balance != 6 {
		t.Errorf("balances %d, %d; want 0, 6", a.balance, b.balance)
	}
}
