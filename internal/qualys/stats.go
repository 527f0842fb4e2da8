package qualys

import (
	"sort"
	"sync"
)

// PageStats counts pages (requests) of one endpoint.
type PageStats struct {
	// Fetched counts pages decoded completely.
	Fetched int64
	// Retried counts re-sends (after 409, 5xx, timeouts, resets).
	Retried int64
	// Failed counts pages that failed for good.
	Failed int64
	// RateLimited counts 409 answers.
	RateLimited int64
	// Records counts records delivered.
	Records int64
	// Bytes counts response body bytes read (decompressed).
	Bytes int64
}

// Stats is a snapshot of a Client's page accounting, in total and per
// endpoint.
type Stats struct {
	Total      PageStats
	ByEndpoint map[string]PageStats
	// MaxInFlight is the most FO calls seen in flight at once.
	MaxInFlight int
}

// Endpoints lists the endpoints in Stats, sorted.
func (s Stats) Endpoints() []string {
	out := make([]string, 0, len(s.ByEndpoint))
	for k := range s.ByEndpoint {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Stats returns the page accounting since the Client was made.
func (c *Client) Stats() Stats {
	s := c.stats.snapshot()
	s.MaxInFlight = c.limits.maxSeen()
	return s
}

type statsRecorder struct {
	mu sync.Mutex
	by map[string]*PageStats
}

func newStatsRecorder() *statsRecorder { return &statsRecorder{by: map[string]*PageStats{}} }

func (r *statsRecorder) add(endpoint string, f func(*PageStats)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	p := r.by[endpoint]
	if p == nil {
		p = &PageStats{}
		r.by[endpoint] = p
	}
	f(p)
}

func (r *statsRecorder) snapshot() Stats {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := Stats{ByEndpoint: make(map[string]PageStats, len(r.by))}
	for k, v := range r.by {
		s.ByEndpoint[k] = *v
		s.Total.Fetched += v.Fetched
		s.Total.Retried += v.Retried
		s.Total.Failed += v.Failed
		s.Total.RateLimited += v.RateLimited
		s.Total.Records += v.Records
		s.Total.Bytes += v.Bytes
	}
	return s
}
