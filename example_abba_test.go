package lockdep_test

import (
	"fmt"

	"github.com/golockdep/lockdep"
)

// A bank with accounts and a ledger. Deposit locks an account, then the
// ledger; Audit locks the ledger, then each account. Run at the same
// moment on one account, they deadlock. Run one after the other, they
// never do, and the validator reports the inversion all the same, because
// it orders lock classes, not moments.

var (
	accountClass = lockdep.NewClass("bank.Account.mu")
	ledgerClass  = lockdep.NewClass("bank.Ledger.mu")
)

type Account struct {
	mu      lockdep.Mutex
	balance int
}

type Ledger struct {
	mu      lockdep.Mutex
	entries []int
}

func NewAccount() *Account {
	a := new(Account)
	a.mu.SetClass(accountClass)
	return a
}

func NewLedger() *Ledger {
	l := new(Ledger)
	l.mu.SetClass(ledgerClass)
	return l
}

func Deposit(a *Account, l *Ledger, amount int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.balance += amount
	l.mu.Lock() // account, then ledger
	defer l.mu.Unlock()
	l.entries = append(l.entries, amount)
}

func Audit(l *Ledger, accounts ...*Account) (total int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, a := range accounts {
		a.mu.Lock() // ledger, then account: the inversion
		total += a.balance
		a.mu.Unlock()
	}
	return total
}

func Example() {
	lockdep.Configure(lockdep.Output(nil), lockdep.OnReport(func(r lockdep.Report) {
		fmt.Println(r.Headline)
		fmt.Printf("  goroutine holds %s and takes %s\n", r.Holding.Class, r.Lock.Class)
		fmt.Printf("  but %s was taken while %s was held\n", r.Chain[0].Class, r.Chain[0].After)
	}))
	defer lockdep.Configure(lockdep.OnReport(nil))

	alice, bob, ledger := NewAccount(), NewAccount(), NewLedger()
	Deposit(alice, ledger, 10)
	fmt.Println("audit:", Audit(ledger, bob)) // another account, same classes
	// Output:
	// possible circular locking dependency detected
	//   goroutine holds bank.Ledger.mu and takes bank.Account.mu
	//   but bank.Ledger.mu was taken while bank.Account.mu was held
	// audit: 0
}
