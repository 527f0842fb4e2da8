package sim

import (
	"strconv"
	"sync"
	"time"
)

// limiter enforces the FO rate limit (a sliding window of calls per
// endpoint) and the concurrency limit (calls running at once over all FO
// endpoints).
type limiter struct {
	cfg     Limits
	now     func() time.Time
	mu      sync.Mutex
	calls   map[Endpoint][]time.Time
	running int
}

func newLimiter(cfg Limits, now func() time.Time) *limiter {
	return &limiter{cfg: cfg, now: now, calls: map[Endpoint][]time.Time{}}
}

// admission is the outcome of one admit call, and what the headers say.
type admission struct {
	ok            bool
	rateLimited   bool
	remaining     int
	toWait        int
	running       int
	callsToFinish int
}

// admit decides whether a call to ep may run now; when it may, the caller
// must call release when it finishes.
func (l *limiter) admit(ep Endpoint) admission {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	window := l.calls[ep]
	cut := 0
	for cut < len(window) && now.Sub(window[cut]) >= l.cfg.Window {
		cut++
	}
	window = window[cut:]
	a := admission{running: l.running + l.cfg.OtherRunning}
	if !l.cfg.Unlimited {
		if len(window) >= l.cfg.Calls {
			wait := window[0].Add(l.cfg.Window).Sub(now)
			a.toWait = max(1, int((wait+time.Second-1)/time.Second))
			a.rateLimited = true
			l.calls[ep] = window
			return a
		}
		if a.running >= l.cfg.Concurrency {
			a.callsToFinish = a.running - l.cfg.Concurrency + 1
			a.remaining = l.cfg.Calls - len(window)
			l.calls[ep] = window
			return a
		}
		window = append(window, now)
	}
	l.calls[ep] = window
	l.running++
	a.ok = true
	a.running = l.running + l.cfg.OtherRunning
	a.remaining = l.cfg.Calls - len(window)
	return a
}

func (l *limiter) release() {
	l.mu.Lock()
	l.running--
	l.mu.Unlock()
}

// setLimitHeaders writes the six limit headers of FO responses.
func (rc *reqCtx) setLimitHeaders(a admission) {
	cfg := rc.s.opts.Limits
	h := rc.w.Header()
	h.Set("X-RateLimit-Limit", strconv.Itoa(cfg.Calls))
	h.Set("X-RateLimit-Window-Sec", strconv.Itoa(int(cfg.Window/time.Second)))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(max(0, a.remaining)))
	h.Set("X-RateLimit-ToWait-Sec", strconv.Itoa(a.toWait))
	h.Set("X-Concurrency-Limit-Limit", strconv.Itoa(cfg.Concurrency))
	h.Set("X-Concurrency-Limit-Running", strconv.Itoa(a.running))
}
