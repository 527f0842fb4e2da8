package sqlite

import "sync"

// decodedTargetsPerGeneration bounds the decoded target descriptions kept
// between ListMappings calls: at most twice this many are kept.
const decodedTargetsPerGeneration = 2048

// decodedTargets keeps recently decoded target descriptions of mappings,
// so that paging through the mappings of a sync decodes a description
// shared by many pages (a popular CVE) once rather than once per page. A
// description never changes under its id, so an entry never goes stale.
// It keeps two generations: when the current one is full it becomes the
// previous one and the older is dropped; a hit in the previous generation
// moves the entry back into the current one. It is safe for concurrent
// use. The decoded values are shared: their readers must not modify them.
type decodedTargets struct {
	mu        sync.Mutex
	cur, prev map[int64]*mappingBody
}

// get returns the decoded description id, if kept.
func (c *decodedTargets) get(id int64) (*mappingBody, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if b, ok := c.cur[id]; ok {
		return b, true
	}
	b, ok := c.prev[id]
	if ok {
		c.putLocked(id, b)
	}
	return b, ok
}

// put keeps the decoded description id.
func (c *decodedTargets) put(id int64, b *mappingBody) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.putLocked(id, b)
}

func (c *decodedTargets) putLocked(id int64, b *mappingBody) {
	if c.cur == nil || len(c.cur) >= decodedTargetsPerGeneration {
		c.prev, c.cur = c.cur, make(map[int64]*mappingBody, decodedTargetsPerGeneration)
	}
	c.cur[id] = b
}
