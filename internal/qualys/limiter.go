package qualys

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// foLimiter keeps FO calls within the subscription's limits: a concurrency
// bound learnt from X-Concurrency-Limit-* (shared by all FO endpoints) and,
// per endpoint, the rate-limit window learnt from X-RateLimit-*.
type foLimiter struct {
	mu       sync.Mutex
	now      func() time.Time
	policy   RetryPolicy
	max      int // user cap
	allowed  int // current bound on calls in flight
	inflight int
	seen     int // most in flight at once
	changed  chan struct{}
	rates    map[string]*rateState
	// limit is the subscription's concurrency limit, 0 until known.
	limit int
	// others estimates the calls other clients run. The estimate from one
	// answer (running less ours) can be low when our next call is on its
	// way, so it rises at once and falls only after lowerSeen answers in
	// a row agree.
	others    int
	lowerSeen int
	// refusedUntil keeps the bound at refusedBound for a while after a
	// 1960 answer.
	refusedUntil time.Time
	refusedBound int
}

// othersDecay is how many answers in a row must show fewer calls by
// others before the estimate falls.
const othersDecay = 8

// standardConcurrency is the concurrency limit of a standard
// subscription, the smallest Qualys sells.
const standardConcurrency = 2

// refusalHold is how long a 1960 answer lowers the concurrency bound.
const refusalHold = time.Minute

// rateState is the rate-limit window of one FO endpoint.
type rateState struct {
	known     bool
	limit     int
	remaining int
	window    time.Duration
	notBefore time.Time
	lastSend  time.Time
}

func newFOLimiter(max int, policy RetryPolicy, now func() time.Time) *foLimiter {
	return &foLimiter{
		now:     now,
		policy:  policy,
		max:     max,
		allowed: 1, // until Qualys tells the limit
		changed: make(chan struct{}),
		rates:   map[string]*rateState{},
	}
}

func (l *foLimiter) rate(endpoint string) *rateState {
	r := l.rates[endpoint]
	if r == nil {
		r = &rateState{}
		l.rates[endpoint] = r
	}
	return r
}

// broadcast wakes every waiter; l.mu must be held.
func (l *foLimiter) broadcast() {
	close(l.changed)
	l.changed = make(chan struct{})
}

// acquire waits for a free slot and for the endpoint's pacing, then counts
// the call in flight. The returned func releases the slot.
func (l *foLimiter) acquire(ctx context.Context, endpoint string, sleep func(context.Context, time.Duration) error) (func(), error) {
	for {
		l.mu.Lock()
		if l.inflight < l.allowed {
			l.inflight++
			if l.inflight > l.seen {
				l.seen = l.inflight
			}
			wait := l.paceLocked(endpoint)
			l.mu.Unlock()
			release := l.releaser()
			if wait > 0 {
				if err := sleep(ctx, wait); err != nil {
					release()
					return nil, err
				}
			}
			return release, nil
		}
		ch := l.changed
		l.mu.Unlock()
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-ch:
		}
	}
}

func (l *foLimiter) releaser() func() {
	var once sync.Once
	return func() {
		once.Do(func() {
			l.mu.Lock()
			l.inflight--
			l.broadcast()
			l.mu.Unlock()
		})
	}
}

// paceLocked returns how long the next call to endpoint must wait: until
// any wait Qualys asked for is over and, when the remaining calls run low,
// long enough to spread them over the window. It books the send time and
// one call off the remaining count.
func (l *foLimiter) paceLocked(endpoint string) time.Duration {
	r := l.rate(endpoint)
	now := l.now()
	at := now
	if r.notBefore.After(at) {
		at = r.notBefore
	}
	if r.known && r.limit > 0 && r.window > 0 {
		reserve := l.policy.ReserveCalls
		if reserve <= 0 {
			reserve = max(2, r.limit/10)
		}
		if r.remaining <= reserve {
			gap := min(r.window/time.Duration(r.limit), l.policy.MaxPaceDelay)
			if next := r.lastSend.Add(gap); next.After(at) {
				at = next
			}
		}
		if r.remaining > 0 {
			r.remaining--
		}
	}
	r.lastSend = at
	return at.Sub(now)
}

// observe reads the limit headers of an FO response. inflight counts this
// call, so Qualys's running count less ours is what others run.
func (l *foLimiter) observe(endpoint string, h http.Header) {
	l.mu.Lock()
	defer l.mu.Unlock()
	limit, ok := headerInt(h, "X-Concurrency-Limit-Limit")
	if !ok && l.limit == 0 {
		// An answer without the header (a proxy may strip it): assume the
		// smallest subscription's limit, 2, rather than staying at 1.
		limit, ok = standardConcurrency, true
	}
	if ok && limit > 0 {
		l.limit = limit
		if running, ok := headerInt(h, "X-Concurrency-Limit-Running"); ok {
			// Running counts this call and those of our calls in flight
			// that reached Qualys.
			fresh := max(0, running-l.inflight)
			switch {
			case fresh >= l.others:
				l.others, l.lowerSeen = fresh, 0
			default:
				l.lowerSeen++
				if l.lowerSeen >= othersDecay {
					l.others, l.lowerSeen = fresh, 0
				}
			}
		}
		l.recomputeLocked()
	}
	r := l.rate(endpoint)
	if limit, ok := headerInt(h, "X-RateLimit-Limit"); ok && limit > 0 {
		r.known = true
		r.limit = limit
		if rem, ok := headerInt(h, "X-RateLimit-Remaining"); ok {
			r.remaining = rem
		}
		if win, ok := headerInt(h, "X-RateLimit-Window-Sec"); ok && win > 0 {
			r.window = time.Duration(win) * time.Second
		}
	}
	if wait, ok := headerInt(h, "X-RateLimit-ToWait-Sec"); ok && wait > 0 {
		if t := l.now().Add(time.Duration(wait) * time.Second); t.After(r.notBefore) {
			r.notBefore = t
		}
	}
	l.broadcast()
}

// pause holds every call to endpoint back for d.
func (l *foLimiter) pause(endpoint string, d time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	r := l.rate(endpoint)
	if t := l.now().Add(d); t.After(r.notBefore) {
		r.notBefore = t
	}
}

// recomputeLocked sets the bound on calls in flight from the known limit,
// the estimate of others' calls and any recent refusal.
func (l *foLimiter) recomputeLocked() {
	if l.limit > 0 {
		l.allowed = max(1, min(l.max, l.limit-l.others))
	}
	if l.now().Before(l.refusedUntil) {
		l.allowed = max(1, min(l.allowed, l.refusedBound))
	}
}

// refused lowers the concurrency bound for a while after a 1960 answer:
// Qualys counted more calls than we thought; inflight still counts the
// refused call.
func (l *foLimiter) refused() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.refusedBound = max(1, l.inflight-1)
	l.refusedUntil = l.now().Add(refusalHold)
	l.others++
	l.lowerSeen = 0
	l.recomputeLocked()
}

func (l *foLimiter) maxSeen() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.seen
}

func headerInt(h http.Header, name string) (int, bool) {
	v := h.Get(name)
	if v == "" {
		return 0, false
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, false
	}
	return n, true
}
