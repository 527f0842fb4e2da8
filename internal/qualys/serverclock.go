package qualys

import (
	"sync"
	"time"
)

// serverClock remembers the latest RESPONSE/DATETIME of the FO answers: the
// clock Qualys stamps its data with. HTTP Date headers are not used: they
// may come from a front end (or, with the simulator, from the wall clock)
// rather than from the clock the data follows.
type serverClock struct {
	mu     sync.Mutex
	latest time.Time
}

// observe records a document's DATETIME; zero is ignored.
func (c *serverClock) observe(t time.Time) {
	if t.IsZero() {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.After(c.latest) {
		c.latest = t.UTC()
	}
}

func (c *serverClock) get() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.latest
}

// ServerTime returns the latest RESPONSE/DATETIME of the FO answers (host
// list, detections, KnowledgeBase) decoded so far, to the second as Qualys
// sends it; zero when none carried one. Because it is read from answers
// already received, it never runs ahead of the server: anything Qualys
// stamps after a call that returns it carries a later or equal time.
// Incremental reads use it as their next high-water mark instead of the
// local clock, which may be ahead of the server's.
func (c *Client) ServerTime() time.Time { return c.clock.get() }
