package transfer

import "testing"

func TestTransferBothWays(t *testing.T) {
	alice, bob := &Account{balance: 10}, &Account{balance: 10}
	if err := Transfer(alice, bob, 3); err != nil {
		t.Fatal(err)
	}
	if err := Transfer(bob, alice, 5); err != nil {
		t.Fatal(err)
	}
	if alice.balance != 12 || bob.balance != 8 {
		t.Errorf("balances %d, %d; want 12, 8", alice.balance, bob.balance)
	}
}
