// Command hotplug replays, in Go, a five-lock circular dependency that
// Linux's lockdep found in the i915 GPU driver's self-tests:
//
//	WARNING: possible circular locking dependency detected
//	drv_selftest/12037 is trying to acquire lock:
//	 (cpu_hotplug_lock.rw_sem){++++}, at: stop_machine+0x12/0x30
//	but task is already holding lock:
//	 (&dev->struct_mutex){+.+.}, at: igt_reset_queue+0x3f/0x520
//	which lock already depends on the new lock.
//	the existing dependency chain (in reverse order) is:
//	-> #4 (&dev->struct_mutex){+.+.}:
//	-> #3 (&mm->mmap_sem){++++}:
//	-> #2 (&cpuctx_mutex){+.+.}:
//	-> #1 (pmus_lock){+.+.}:
//	-> #0 (cpu_hotplug_lock.rw_sem){++++}:
//	Chain exists of:
//	  cpu_hotplug_lock.rw_sem --> &mm->mmap_sem --> &dev->struct_mutex
//
// Read bottom-up, the chain says that some code path, at some time, took
//
//	cpu_hotplug_lock → pmus_lock → cpuctx_mutex → mmap_sem → struct_mutex
//
// (each arrow: "held the left lock while acquiring the right one"), and now
// a GPU reset holding struct_mutex calls stop_machine, which read-locks
// cpu_hotplug_lock: struct_mutex → cpu_hotplug_lock closes the circle. No
// single task ever held more than two of these locks, the four old
// dependencies were recorded by four different tasks long before, and the
// machine did not deadlock. Lockdep reported it anyway, because it reasons
// about lock classes (all mm->mmap_sem locks are one class, all
// dev->struct_mutex locks another), not about the instances that happened
// to be involved.
//
// This program mirrors the five classes with small Go types and plain sync
// locks; run under the lockdep command, each lock's class is its
// declaration (github.com/golockdep/lockdep/examples/hotplug.Device.structMu
// and so on):
//
//	go run ./cmd/lockdep run ./examples/hotplug
//
//	Device.structMu      sync.Mutex    &dev->struct_mutex
//	MM.mmapSem           sync.RWMutex  &mm->mmap_sem
//	PerfContext.mu       sync.Mutex    &cpuctx_mutex
//	pmusLock             sync.Mutex    pmus_lock
//	cpuHotplugLock       sync.RWMutex  cpu_hotplug_lock.rw_sem
//
// and records the same dependencies the same way: one goroutine per
// dependency, each started, run to completion and waited for before the next
// one starts, touching different Device and MM instances. Everything runs
// strictly one after another, so nothing can block and the program always
// finishes (and exits 0).
//
// Two of the steps in the cycle are read acquisitions (mmapSem in perfRead,
// cpuHotplugLock in stopMachine). A read lock only blocks while a writer
// holds or waits for the lock, so lockdep counts such a step only if the
// class is write-locked somewhere: here CPU bring-up write-locks
// cpuHotplugLock and mmapRegion write-locks an mmapSem, exactly as in the
// kernel.
//
// What to look for in the report:
//
//   - the headline "possible circular locking dependency detected";
//   - the lock being acquired, cpuHotplugLock for read, at stopMachine, and
//     the lock held, Device.structMu, at resetQueue;
//   - the existing dependency chain, printed #4..#0 as in the kernel report
//     above, each entry with the stack of the goroutine that recorded it
//     (#4 gemFault, #3 perfRead, #2 perfRegisterPMU, #1 cpuHotplugBringUp)
//     and #0 with the current acquisition (resetQueue → stopMachine);
//   - where the two read-locked classes are write-locked
//     (cpuHotplugBringUp, mmapRegion), which is why the read steps count.
package main

import (
	"fmt"
	"sync"
)

// cpuHotplugLock is the kernel's cpu_hotplug_lock: bringing a CPU up or down
// write-locks it; everyone who needs the set of online CPUs to stay put
// (cpus_read_lock, e.g. stop_machine) read-locks it.
var cpuHotplugLock sync.RWMutex

// pmusLock is the kernel's pmus_lock: it protects the list of registered
// performance-monitoring units.
var (
	pmusLock sync.Mutex
	pmus     []string // guarded by pmusLock
	cpus     []int    // CPUs perf knows about; guarded by pmusLock
)

// Device is a GPU (struct drm_device); structMu is its struct_mutex.
type Device struct {
	name     string
	structMu sync.Mutex
	resets   int // guarded by structMu
	faults   int // guarded by structMu
}

// NewDevice returns a device.
func NewDevice(name string) *Device {
	d := &Device{name: name}
	return d
}

// MM is an address space (struct mm_struct); mmapSem is its mmap_sem.
type MM struct {
	mmapSem sync.RWMutex
	regions []string // guarded by mmapSem
}

// NewMM returns an address space.
func NewMM() *MM {
	mm := &MM{}
	return mm
}

// PerfContext is a per-CPU perf context (struct perf_cpu_context); mu is
// its cpuctx_mutex.
type PerfContext struct {
	mu     sync.Mutex
	pmus   int // guarded by mu
	counts []uint64
}

// NewPerfContext returns a perf context.
func NewPerfContext() *PerfContext {
	c := &PerfContext{counts: []uint64{1, 2, 3}}
	return c
}

// #1: cpuHotplugLock → pmusLock.
//
// Bringing a CPU online write-locks cpuHotplugLock and runs the hotplug
// callbacks; perf's callback (perf_event_init_cpu) takes pmusLock.
func cpuHotplugBringUp(cpu int) {
	cpuHotplugLock.Lock()
	defer cpuHotplugLock.Unlock()
	perfEventInitCPU(cpu)
}

func perfEventInitCPU(cpu int) {
	pmusLock.Lock()
	defer pmusLock.Unlock()
	cpus = append(cpus, cpu)
}

// #2: pmusLock → PerfContext.mu.
//
// Registering a PMU walks the per-CPU contexts under pmusLock and locks each
// one to install the new PMU. (In the kernel report this dependency comes
// from perf_event_init_cpu too; here a different goroutine records it.)
func perfRegisterPMU(name string, ctx *PerfContext) {
	pmusLock.Lock()
	defer pmusLock.Unlock()
	pmus = append(pmus, name)

	ctx.mu.Lock()
	ctx.pmus++
	ctx.mu.Unlock()
}

// #3: PerfContext.mu → MM.mmapSem (read).
//
// read(2) on a perf event holds the context mutex while it copies the counts
// to the user's buffer; copying to user memory may page-fault, and a page
// fault read-locks the task's mmap_sem (in the kernel: perf_read →
// copy_to_user → __might_fault).
func perfRead(ctx *PerfContext, mm *MM) []uint64 {
	ctx.mu.Lock()
	defer ctx.mu.Unlock()
	return copyToUser(mm, ctx.counts)
}

func copyToUser(mm *MM, src []uint64) []uint64 {
	mm.mmapSem.RLock() // might fault
	defer mm.mmapSem.RUnlock()
	return append([]uint64(nil), src...)
}

// mmapRegion is mmap(2): it changes the address space and so write-locks
// mmap_sem. It takes no other lock, and adds no dependency; it is here
// because it makes the read-lock in copyToUser a blocking step: a reader
// that arrives while mmapRegion holds (or waits for) the lock must wait.
func mmapRegion(mm *MM, region string) {
	mm.mmapSem.Lock()
	defer mm.mmapSem.Unlock()
	mm.regions = append(mm.regions, region)
}

// #4: MM.mmapSem (read) → Device.structMu.
//
// A page fault on a GPU buffer mapped into user space holds mmap_sem for
// read (the fault handler's caller took it) and the driver's fault handler
// (i915_gem_fault) takes the device's struct mutex.
func gemFault(mm *MM, dev *Device) {
	mm.mmapSem.RLock()
	defer mm.mmapSem.RUnlock()

	dev.structMu.Lock()
	dev.faults++
	dev.structMu.Unlock()
}

// The new dependency, Device.structMu → cpuHotplugLock (read), which closes
// the cycle.
//
// The reset self-test (igt_reset_queue) holds the device's struct mutex and
// resets the GPU; the reset uses stop_machine, which read-locks
// cpuHotplugLock so that no CPU comes or goes while the machine is stopped.
func resetQueue(dev *Device) {
	dev.structMu.Lock()
	defer dev.structMu.Unlock()
	stopMachine(func() { dev.resets++ })
}

// stopMachine runs fn with the set of online CPUs held stable
// (cpus_read_lock).
func stopMachine(fn func()) {
	cpuHotplugLock.RLock()
	defer cpuHotplugLock.RUnlock()
	fn()
}

// inGoroutine runs f on a new goroutine and waits for it to finish: each
// step of the story is a different goroutine, but no two ever run at once.
func inGoroutine(f func()) {
	var wg sync.WaitGroup
	wg.Go(f)
	wg.Wait()
}

// state is what the story changed.
type state struct{ cpus, pmus, faults, resets int }

// run plays the story. Each step is its own goroutine and uses its own
// instances where that is natural; only the classes connect them.
func run() state {
	gpu0, gpu1 := NewDevice("gpu0"), NewDevice("gpu1")
	shell, selftest := NewMM(), NewMM() // two processes' address spaces
	ctx := NewPerfContext()

	// Boot: CPU 1 comes online. cpuHotplugLock (write) → pmusLock.
	inGoroutine(func() { cpuHotplugBringUp(1) })

	// A driver registers a PMU. pmusLock → PerfContext.mu.
	inGoroutine(func() { perfRegisterPMU("i915", ctx) })

	// A process maps memory: MM.mmapSem is write-locked (no dependency).
	inGoroutine(func() { mmapRegion(shell, "[heap]") })

	// perf stat reads its counters. PerfContext.mu → MM.mmapSem (read).
	inGoroutine(func() { perfRead(ctx, shell) })

	// The self-test faults in a GPU buffer. MM.mmapSem (read) → Device.structMu.
	inGoroutine(func() { gemFault(selftest, gpu0) })

	// The self-test resets the other GPU's queue:
	// Device.structMu → cpuHotplugLock (read). This closes the cycle and
	// lockdep reports it, although nothing ever blocked.
	inGoroutine(func() { resetQueue(gpu1) })

	return state{cpus: len(cpus), pmus: ctx.pmus, faults: gpu0.faults, resets: gpu1.resets}
}

func main() {
	fmt.Println("hotplug: replaying the i915 stop_machine/cpu_hotplug_lock lock inversion one goroutine at a time; it cannot hang")
	s := run()
	fmt.Printf("hotplug: %d CPU online, %d PMU registered, %d GPU fault, %d GPU reset: no deadlock\n", s.cpus, s.pmus, s.faults, s.resets)
}
