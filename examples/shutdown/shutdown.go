// Package shutdown is a server whose Stop waits for its handlers while it
// holds the server's lock, and whose handlers take that lock before they
// are done. A Stop that comes while a handler waits for the lock never
// returns, and neither does the handler. The tests never hang: each
// handler ends before Stop starts. lockdep test reports the cycle anyway,
// through the WaitGroup: mu → (wait: Server.wg) → mu.
package shutdown

import "sync"

type Server struct {
	mu       sync.Mutex
	handled  int
	stopping bool
	wg       sync.WaitGroup
}

// Handle serves one request in its own goroutine.
func (s *Server) Handle() {
	s.wg.Go(func() {
		s.mu.Lock()
		s.handled++
		s.mu.Unlock()
	})
}

// Handled returns how many requests were served.
func (s *Server) Handled() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.handled
}

// Stop refuses new work, then waits for the handlers: with mu held.
func (s *Server) Stop() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopping = true
	s.wg.Wait()
	return s.handled
}
