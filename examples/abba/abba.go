// Package abba is an AB-BA lock inversion between a cache and its backing
// store, taken by two goroutines at different times: Put locks the cache,
// then the store; Flush locks the store, then the cache. The tests never
// deadlock, because the two never run at once; lockdep test reports the
// inversion anyway.
package abba

import "sync"

type Store struct {
	mu   sync.Mutex
	rows map[string]string
}

type Cache struct {
	mu    sync.Mutex
	items map[string]string
	store *Store
}

func New() *Cache {
	return &Cache{items: map[string]string{}, store: &Store{rows: map[string]string{}}}
}

// Put writes through: cache, then store.
func (c *Cache) Put(k, v string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.items[k] = v
	c.store.mu.Lock()
	c.store.rows[k] = v
	c.store.mu.Unlock()
}

// Flush empties the cache into the store: store, then cache.
func (c *Cache) Flush() int {
	c.store.mu.Lock()
	defer c.store.mu.Unlock()
	c.mu.Lock()
	defer c.mu.Unlock()
	n := len(c.items)
	for k, v := range c.items {
		c.store.rows[k] = v
	}
	clear(c.items)
	return n
}
