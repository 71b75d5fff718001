// Package threeway is a cycle of three lock classes across three types, no
// two of which are ever taken in opposite orders by one function: the
// scheduler locks a queue then a worker, the worker locks itself then the
// metrics, and the metrics reporter locks the metrics then the queue.
package threeway

import "sync"

type Queue struct {
	mu    sync.Mutex
	tasks []string
}

type Worker struct {
	mu   sync.Mutex
	busy bool
}

type Metrics struct {
	mu     sync.Mutex
	queued int
	done   int
}

// Schedule: queue, then worker.
func Schedule(q *Queue, w *Worker, task string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.tasks = append(q.tasks, task)
	w.mu.Lock()
	w.busy = true
	w.mu.Unlock()
}

// Finish: worker, then metrics.
func Finish(w *Worker, m *Metrics) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.busy = false
	m.mu.Lock()
	m.done++
	m.mu.Unlock()
}

// Report: metrics, then queue.
func Report(m *Metrics, q *Queue) (queued, done int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	q.mu.Lock()
	m.queued = len(q.tasks)
	q.mu.Unlock()
	return m.queued, m.done
}
