package report

import "time"

// ClassStats is one class's lock statistics, as the kernel's lock_stat
// keeps them.
type ClassStats struct {
	Class        string `json:"class"`
	Acquisitions uint64 `json:"acquisitions"`
	// Contentions counts the acquisitions that found the lock taken and
	// waited for it.
	Contentions uint64 `json:"contentions"`
	// WaitTotal and WaitMax are the total and the longest wait of those
	// acquisitions; HoldMax is the longest a lock of the class was held.
	WaitTotal time.Duration `json:"wait_total_ns"`
	WaitMax   time.Duration `json:"wait_max_ns"`
	HoldMax   time.Duration `json:"hold_max_ns"`
	// Sites are where the most contended acquisitions were made, most
	// contended first: at most four.
	Sites []ContendedSite `json:"sites,omitempty"`
}

// ContendedSite is a call site and how many of its acquisitions found the
// lock taken, in ClassStats.
type ContendedSite struct {
	At          Frame  `json:"at"`
	Contentions uint64 `json:"contentions"`
}

// Goroutine is one goroutine in a report (the holders and waiters of a
// lock wait timeout) or in a dump of every goroutine's held locks: what it
// holds, what it waits for, and its stack.
type Goroutine struct {
	ID int64 `json:"goroutine"`
	// State is what the goroutine is doing, as the runtime names it:
	// "sync.Mutex.Lock", "select"...
	State string `json:"state,omitempty"`
	// Waiting is the lock it waits for, if it waits for one, and Waited
	// how long it has waited, rounded.
	Waiting   *LockRef  `json:"waiting,omitempty"`
	Waited    string    `json:"waited,omitempty"`
	HeldLocks []LockRef `json:"held_locks"`
	Stack     []Frame   `json:"stack"`
}
